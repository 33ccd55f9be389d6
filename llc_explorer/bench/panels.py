"""The sweep report's Bokeh panels, per size class: |relative error| against step size
(median line, interquartile band over architectures and seeds, runs with a diverged chain
marked), the share of such runs against step size, and order preservation per sampler
(estimated against exact LLC at its best step size, Spearman's rho with its bootstrap 95%
interval in the title). Legends sit beside the plots, never over data."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from bokeh.layouts import gridplot
from bokeh.models import ColumnDataSource, HoverTool, Legend, LegendItem, Range1d, Title
from bokeh.plotting import figure

from llc_explorer.bench.stats import best_runs, error_spread, spearman_interval
from llc_explorer.bench.summary import SamplerSummary, by_key, sampler_label

ERROR_RANGE = (1e-3, 10.0)
"""The |relative error| axis; runs with a diverged chain are marked at its top."""


def legend_beside(fig: Any, items: list[LegendItem]) -> None:
    """A legend to the right of the plot area (never over data), click to hide."""
    legend = Legend(items=items, click_policy="hide", label_text_font_size="9pt")
    fig.add_layout(legend, "right")


def error_panel(rows: Sequence[dict[str, Any]], colors: dict[str, str], size: str) -> Any:
    """|relative error| against step size per sampler: median, interquartile band, and the
    runs with a diverged chain marked at the top."""
    fig = figure(
        title=f"{size}: |relative error| against step size (median, interquartile band)",
        x_axis_type="log", y_axis_type="log", x_axis_label="step size eps",
        y_axis_label="|relative error|", width=620, height=360, y_range=Range1d(*ERROR_RANGE),
    )  # fmt: skip
    items = []
    for sampler, group in by_key(rows, sampler_label).items():
        spread = error_spread(group)
        source = ColumnDataSource(spread)
        color = colors[sampler]
        band = fig.varea("step", "q1", "q3", source=source, color=color, alpha=0.15)
        line = fig.line("step", "median", source=source, color=color, line_width=2)
        dots = fig.scatter("step", "median", source=source, color=color, size=6)
        lost = [s for s, f in zip(spread["step"], spread["failed"], strict=True) if f > 0]
        marks = fig.scatter(
            lost, [ERROR_RANGE[1] * 0.7] * len(lost), marker="x", color=color, size=10,
            line_width=2,
        )  # fmt: skip
        items.append(LegendItem(label=sampler, renderers=[band, line, dots, marks]))
    fig.add_tools(HoverTool(tooltips=[("eps", "@step"), ("median", "@median{0.0%}"),
                                      ("IQR", "@q1{0.0%} to @q3{0.0%}")]))  # fmt: skip
    legend_beside(fig, items)
    note = "x at the top: step sizes where a run had a diverged chain (left out of the band)"
    fig.add_layout(Title(text=note, text_font_style="italic", text_font_size="9pt"), "above")
    return fig


def diverged_panel(rows: Sequence[dict[str, Any]], colors: dict[str, str], size: str) -> Any:
    """The share of runs with a diverged chain against step size, per sampler."""
    fig = figure(
        title=f"{size}: runs with a diverged chain", x_axis_type="log",
        x_axis_label="step size eps", y_axis_label="fraction of runs", width=480, height=360,
        y_range=Range1d(-0.05, 1.05),
    )  # fmt: skip
    items = []
    for sampler, group in by_key(rows, sampler_label).items():
        spread = error_spread(group)
        line = fig.line(spread["step"], spread["failed"], color=colors[sampler], line_width=2)
        dots = fig.scatter(spread["step"], spread["failed"], color=colors[sampler], size=6)
        items.append(LegendItem(label=sampler, renderers=[line, dots]))
    legend_beside(fig, items)
    return fig


def order_panels(
    rows: Sequence[dict[str, Any]],
    summaries: Sequence[SamplerSummary],
    colors: dict[str, str],
) -> Any:
    """One small plot per sampler: estimated against exact LLC at its best step size, one
    point per architecture, the line y = x; Spearman's rho and its bootstrap interval in the
    title."""
    truths = [r["true_llc"] for r in rows]
    span = [min(truths), max(truths)]
    panels = []
    for summary in summaries:
        group = [r for r in rows if sampler_label(r) == summary.sampler]
        truth, estimate = best_runs(group, summary.best_step_size)
        rho, low, high = spearman_interval(truth, estimate)
        interval = "" if math.isnan(low) else f" [{low:.2f}, {high:.2f}]"
        fig = figure(
            title=f"{summary.sampler}: rho {rho:.2f}{interval}",
            x_axis_label=f"exact LLC (eps {summary.best_step_size:.3g})",
            y_axis_label="estimated LLC", width=245, height=260,
        )  # fmt: skip
        fig.title.text_font_size = "8pt"
        fig.line(span, span, color="gray", line_dash="dashed")
        fig.scatter(truth, estimate, color=colors[summary.sampler], size=7)
        panels.append(fig)
    return gridplot(panels, ncols=5, toolbar_location="right")
