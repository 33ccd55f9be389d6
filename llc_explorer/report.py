"""One self-contained Bokeh HTML report of sweep results (BokehJS inlined: works offline).

Three panels: relative error against step size per sampler (median over runs, failed runs
marked), estimated against exact LLC at each sampler's best step size (order preservation),
and the fraction of runs with a diverged chain against step size.
"""

from __future__ import annotations

import math
from collections import defaultdict
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
from bokeh.embed import file_html
from bokeh.layouts import column
from bokeh.models import ColumnDataSource, Div, HoverTool
from bokeh.palettes import Category10
from bokeh.plotting import figure
from bokeh.resources import INLINE

from llc_explorer.errors import ConfigError
from llc_explorer.summary import (
    abs_error,
    failed,
    format_table,
    size_label,
    summarize_rows,
    with_truth,
)


def _by_sampler(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row["sampler"]].append(row)
    return groups


def error_by_step(rows: list[dict[str, Any]]) -> tuple[list[float], list[float], list[float]]:
    """Step sizes, median |relative error| of the finished runs (NaN if none), failed share."""
    by_step: dict[float, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_step[row["step_size"]].append(row)
    steps = sorted(by_step)
    medians, failures = [], []
    for step in steps:
        finite = [abs_error(r) for r in by_step[step] if not failed(r)]
        medians.append(float(np.median(finite)) if finite else math.nan)
        failures.append(float(np.mean([failed(r) for r in by_step[step]])))
    return steps, medians, failures


def build_report(rows: list[dict[str, Any]]) -> Any:
    """The Bokeh layout of the report (rows without a known exact LLC are left out)."""
    rows = with_truth(rows)
    colors = dict(zip(_by_sampler(rows), Category10[10], strict=False))
    error_fig = figure(
        title="Relative error against step size (median over runs)", x_axis_type="log",
        y_axis_type="log", x_axis_label="step size eps", y_axis_label="|relative error|",
        width=800, height=350,
    )  # fmt: skip
    order_fig = figure(
        title="Order preservation: estimated against exact LLC at each sampler's best step size "
        "(per size class)",
        x_axis_label="exact LLC", y_axis_label="estimated LLC", width=800, height=350,
    )  # fmt: skip
    diverge_fig = figure(
        title="Runs with a diverged chain", x_axis_type="log", x_axis_label="step size eps",
        y_axis_label="fraction of runs", width=800, height=300, y_range=(-0.05, 1.05),
    )  # fmt: skip
    best = {(s.sampler, s.size_class): s.best_step_size for s in summarize_rows(rows)}
    truths = [r["true_llc"] for r in rows]
    order_fig.line([min(truths), max(truths)], [min(truths), max(truths)], color="gray",
                   line_dash="dashed", legend_label="exact")  # fmt: skip
    for sampler, group in _by_sampler(rows).items():
        color = colors[sampler]
        steps, medians, failures = error_by_step(group)
        finite = [(s, m) for s, m in zip(steps, medians, strict=True) if math.isfinite(m) and m > 0]
        source = ColumnDataSource({"step": [s for s, _ in finite], "error": [m for _, m in finite]})
        error_fig.line("step", "error", source=source, color=color, legend_label=sampler)
        error_fig.scatter("step", "error", source=source, color=color, legend_label=sampler)
        diverge_fig.line(steps, failures, color=color, legend_label=sampler)
        diverge_fig.scatter(steps, failures, color=color, legend_label=sampler)
        kept = [
            r for r in group
            if r["step_size"] == best[sampler, size_label(r)] and not failed(r)
        ]  # fmt: skip
        steps_used = sorted({best[key] for key in best if key[0] == sampler})
        order_fig.scatter(
            [r["true_llc"] for r in kept], [r["llc_mean"] for r in kept], color=color,
            legend_label=f"{sampler} (eps={', '.join(f'{e:g}' for e in steps_used)})", size=7,
        )  # fmt: skip
    error_fig.add_tools(HoverTool(tooltips=[("eps", "@step"), ("|rel. error|", "@error")]))
    for fig in (error_fig, order_fig, diverge_fig):
        fig.legend.click_policy = "hide"
        fig.legend.location = "top_left"
    table = escape(format_table(summarize_rows(rows)))
    header = Div(
        text=f"<h2>llc_explorer sweep report</h2><p>{len(rows)} runs</p><pre>{table}</pre>"
    )
    return column(header, error_fig, order_fig, diverge_fig)


def write_report(rows: list[dict[str, Any]], path: Path) -> None:
    """Write the report to ``path`` as one HTML file with BokehJS inlined."""
    if not rows:
        raise ConfigError("no results rows to report")
    path.write_text(file_html(build_report(rows), resources=INLINE, title="llc_explorer sweep"))
