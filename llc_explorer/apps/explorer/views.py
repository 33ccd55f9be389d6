"""The explorer's views: Bokeh figures of a run and of a step-size sweep, and the HTML readout.

Figures are built once; an update only replaces ``ColumnDataSource.data`` (and a few
annotation numbers). Every plotted number is finite or NaN (a gap): see
:func:`llc_explorer.apps.explorer.model.plottable`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from html import escape
from typing import Any

import numpy as np
from bokeh.layouts import column, row
from bokeh.models import (
    BoxAnnotation,
    ColumnDataSource,
    HoverTool,
    NumeralTickFormatter,
    Range1d,
    Span,
    Title,
    Whisker,
)
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

from llc_explorer.apps.explorer.model import kept_steps, mean_band, plottable
from llc_explorer.apps.ui.formatting import DASH, short, significant
from llc_explorer.apps.ui.readout import CSS, muted, table, warning
from llc_explorer.config import LLCConfig
from llc_explorer.dln.local_truth import teacher_llc, truth_note
from llc_explorer.dln.truth import dln_llc, num_params
from llc_explorer.estimator import LLCResult
from llc_explorer.sgmcmc.diagnostics import SYSTEMATIC
from llc_explorer.sgmcmc.registry import sampler_names
from llc_explorer.sgmcmc.traces import latest_half_estimate

ALIVE, DIVERGED = "#2ca02c", "#d62728"


def sampler_color(name: str) -> str:
    """A sampler's colour: its place in the registry's menu order, in Category10."""
    names = sampler_names()
    return Category10_10[names.index(name) % 10 if name in names else 9]


EMPTY_COLUMNS: dict[str, tuple[str, ...]] = {
    "loss": ("xs", "ys", "chain", "color"),
    "running": ("xs", "ys", "chain", "color"),
    "mean": ("step", "mean", "lower", "upper"),
    "provisional": ("step", "llc"),
    "exact": ("step", "llc"),
    "raster": ("x", "width", "chain", "start", "end", "status", "color"),
    "diverged_count": ("step", "count"),
    "sweep": ("step_size", "llc", "lower", "upper", "sampler", "color", "diverged"),
    "sweep_diverged": ("step_size", "llc", "sampler", "diverged"),
}
"""The columns of each plot's source, by plot name."""

RUN_SOURCES = ("loss", "running", "mean", "provisional", "exact", "raster", "diverged_count")
SWEEP_SOURCES = ("sweep", "sweep_diverged")


def empty(name: str) -> dict[str, list]:
    """The data of source ``name`` with no rows."""
    return {column_name: [] for column_name in EMPTY_COLUMNS[name]}


def chain_lines(values: np.ndarray, steps_done: int) -> dict[str, list]:
    """Multi-line data of a chains x steps array at the ``kept_steps``, gaps as NaN."""
    keep = kept_steps(steps_done)
    rows = plottable(values[:, keep])
    chains = range(rows.shape[0])
    return {
        "xs": [keep for _ in chains],
        "ys": list(rows),
        "chain": list(chains),
        "color": [Category10_10[c % 10] for c in chains],
    }


def exact_value(result: LLCResult) -> float:
    """The exact LLC at the run's teacher, NaN where the package does not know it."""
    return math.nan if result.true_llc is None else float(result.true_llc)


def provisional_line(result: LLCResult, kept: list[int]) -> dict[str, np.ndarray]:
    """The provisional estimate over the burn-in (:func:`latest_half_estimate`), averaged over
    the ``kept`` chains (those that did not diverge), at the plotted steps before the burn-in
    ends."""
    config = result.config
    steps = kept_steps(result.steps_done)
    steps = steps[steps < config.burn_in_steps]
    if not kept or not steps.size:
        return {"step": steps, "llc": np.full(steps.shape, np.nan)}
    window = result.loss_trace[kept, : steps[-1] + 1]
    per_chain = latest_half_estimate(window, steps, config.nbeta, result.loss_at_teacher)
    return {"step": steps, "llc": plottable(per_chain.mean(axis=0))}


def run_data(result: LLCResult) -> dict[str, dict[str, Any]]:
    """The data of every run plot for ``result``, by source name."""
    config, done = result.config, result.steps_done
    scaled = config.nbeta * (result.loss_trace.astype(np.float64) - result.loss_at_teacher)
    diverged = dict(result.diverged_chains)
    kept = [c for c in range(config.chains) if c not in diverged]
    spans = [
        (c, start, end, status)
        for c in range(config.chains)
        for start, end, status in (
            [(0, diverged[c], "alive"), (diverged[c], done, "diverged")]
            if c in diverged
            else [(0, done, "alive")]
        )
        if end > start
    ]
    onsets = sorted(diverged.values())
    return {
        "loss": chain_lines(scaled, done),
        "running": chain_lines(result.running_llc, done),
        "mean": mean_band(result.running_llc[kept], done),
        "provisional": provisional_line(result, kept),
        "exact": {"step": [0, config.steps], "llc": [exact_value(result)] * 2},
        "raster": {
            "x": [(start + end) / 2 for _, start, end, _ in spans],
            "width": [end - start for _, start, end, _ in spans],
            "chain": [c for c, _, _, _ in spans],
            "start": [start for _, start, _, _ in spans],
            "end": [end for _, _, end, _ in spans],
            "status": [status for *_, status in spans],
            "color": [ALIVE if status == "alive" else DIVERGED for *_, status in spans],
        },
        "diverged_count": {
            "step": [0, *onsets, done],
            "count": [0, *range(1, len(onsets) + 1), len(onsets)],
        },
    }


def sweep_data(results: Sequence[LLCResult]) -> dict[str, dict[str, list]]:
    """Sweep points: finite estimates with stderr whiskers, and runs whose estimate is NaN
    or off scale (plotted at the exact LLC with a cross)."""
    finite = [r for r in results if abs(r.llc_mean) <= 1e6]
    lost = [r for r in results if not abs(r.llc_mean) <= 1e6]

    def whisker(r: LLCResult) -> float:
        return r.llc_stderr if math.isfinite(r.llc_stderr) else 0.0

    def diverged(r: LLCResult) -> str:
        return f"{len(r.diverged_chains)} of {r.config.chains}"

    return {
        "sweep": {
            "step_size": [r.config.step_size for r in finite],
            "llc": [r.llc_mean for r in finite],
            "lower": [r.llc_mean - whisker(r) for r in finite],
            "upper": [r.llc_mean + whisker(r) for r in finite],
            "sampler": [r.config.sampler for r in finite],
            "color": [sampler_color(r.config.sampler) for r in finite],
            "diverged": [diverged(r) for r in finite],
        },
        "sweep_diverged": {
            "step_size": [r.config.step_size for r in lost],
            "llc": [float(r.global_llc if r.true_llc is None else r.true_llc) for r in lost],
            "sampler": [r.config.sampler for r in lost],
            "diverged": [diverged(r) for r in lost],
        },
    }


def plot_figure(
    title: str, x_label: str, y_label: str, height: int = 300, width: int | None = None, **kwargs
) -> figure:
    """A figure ``width`` wide (default: stretching to its container's width) with the usual
    tools (step axes get thousands separators)."""
    size = {"sizing_mode": "stretch_width"} if width is None else {"width": width}
    fig = figure(
        title=title,
        height=height,
        **size,
        x_axis_label=x_label,
        y_axis_label=y_label,
        tools="pan,wheel_zoom,box_zoom,reset,save",
        **kwargs,
    )
    if x_label == "step":
        fig.xaxis.formatter = NumeralTickFormatter(format="0,0")
    return fig


def legend_outside(fig: figure, place: str = "right") -> None:
    """Move the legend out of the data, to the figure's ``place`` side; clicking an entry
    hides its glyphs."""
    legend = fig.legend[0]
    legend.click_policy = "hide"
    legend.border_line_alpha = 0
    legend.padding = legend.margin = 4
    fig.add_layout(legend, place)


def burn_in_note(burn_in_steps: int | None) -> str:
    """The line under a plot's title that says what the shading is."""
    where = "after it" if burn_in_steps is None else f"from step {burn_in_steps:,}"
    return f"shaded: burn-in; estimate {where}"


class RunPlots:
    """The LLC estimate against the exact value, the loss traces and the chains' divergence of
    one run, stacked in one column (``layout``), each with its legend beside the data.

    ``sources`` holds each plot's ``ColumnDataSource`` by name (see ``EMPTY_COLUMNS``):
    traces are multi-lines with one row per chain, at most ``MAX_POINTS`` points each.
    The burn-in is shaded in the LLC and loss plots, and a line under their titles says so.
    """

    def __init__(self) -> None:
        self.sources = {name: ColumnDataSource(empty(name)) for name in RUN_SOURCES}
        src = self.sources
        llc = plot_figure("LLC estimate", "step", "running estimate λ̂", height=300)
        llc.multi_line(
            "xs", "ys", source=src["running"], color="color", alpha=0.5, legend_label="chains"
        )
        llc.varea(
            "step", "lower", "upper", source=src["mean"], fill_alpha=0.25, legend_label="± stderr"
        )
        mean = llc.line("step", "mean", source=src["mean"], line_width=2, legend_label="mean")
        llc.line(
            "step",
            "llc",
            source=src["provisional"],
            color="gray",
            line_width=2,
            line_dash="dotted",
            legend_label="provisional",
        )
        llc.line(
            "step",
            "llc",
            source=src["exact"],
            color="black",
            line_dash="dashed",
            legend_label="exact λ",
        )
        llc.add_tools(HoverTool(renderers=[mean], tooltips=[("step", "@step"), ("mean", "@mean")]))
        loss = plot_figure("Loss traces", "step", "nβ (L_t - L_n(w*))", height=240)
        loss.multi_line("xs", "ys", source=src["loss"], color="color", legend_label="chains")
        loss.add_tools(HoverTool(tooltips=[("chain", "@chain"), ("step", "$x{0}"), ("", "$y")]))
        self.burn_in = [
            BoxAnnotation(left=0, right=0, fill_color="gray", fill_alpha=0.15) for _ in range(2)
        ]
        self.notes = [Title(text=burn_in_note(None), text_font_style="italic") for _ in range(2)]
        for fig, box, note in zip((llc, loss), self.burn_in, self.notes, strict=True):
            fig.add_layout(box)
            fig.add_layout(note, "above")
        raster = plot_figure("Chain status", "step", "chain", height=170)
        rects = raster.rect(
            "x", "chain", "width", 0.8, source=src["raster"], color="color", legend_field="status"
        )
        raster.add_tools(
            HoverTool(
                renderers=[rects],
                tooltips=[("chain", "@chain"), ("", "@status from @start to @end")],
            )
        )
        diverged = plot_figure("Diverged chains", "step", "count", height=170)
        diverged.step("step", "count", source=src["diverged_count"], mode="after", color=DIVERGED)
        self.steps = Range1d(0, 1)
        for fig in (llc, loss, raster, diverged):
            fig.x_range = self.steps  # one step axis, 0 to the run's steps: zoom one, zoom all
        for fig in (raster, diverged):
            fig.yaxis.ticker.min_interval = 1  # chains and counts are whole numbers
        diverged.y_range.start = 0
        for fig in (llc, loss, raster):
            legend_outside(fig)
        self.figures = {"llc": llc, "loss": loss, "raster": raster, "count": diverged}
        self.titles = {name: fig.title.text for name, fig in self.figures.items()}
        self.layout = column(
            llc,
            loss,
            row(raster, diverged, sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )

    def show(self, data: dict[str, dict], config: LLCConfig) -> None:
        """Plot a snapshot of a run of ``config``: ``data`` from :func:`run_data` (computed off
        the main thread), the step axis from 0 to its steps (kept while it runs, so a zoom
        stays), the burn-in shaded."""
        for name, columns in data.items():
            self.sources[name].data = columns
        if (self.steps.reset_start, self.steps.reset_end) != (0, config.steps):
            self.steps.update(start=0, end=config.steps, reset_start=0, reset_end=config.steps)
        self._mark_burn_in(config.burn_in_steps)

    def clear(self) -> None:
        """Empty every plot."""
        for name, source in self.sources.items():
            source.data = empty(name)
        self._mark_burn_in(None)

    def _mark_burn_in(self, burn_in_steps: int | None) -> None:
        for box, note in zip(self.burn_in, self.notes, strict=True):
            box.right = burn_in_steps or 0
            note.text = burn_in_note(burn_in_steps)

    def mark_stale(self, stale: bool) -> None:
        """Say in each title whether the plots are out of date with the settings."""
        for name, fig in self.figures.items():
            fig.title.text = self.titles[name] + (" (stale: settings changed)" if stale else "")


class SweepPlot:
    """LLC estimate against step size (log x) per sampler, with the exact LLC (``layout``).

    ``sources`` holds ``sweep`` (finite estimates) and ``sweep_diverged``; ``exact`` is the
    horizontal line at the exact LLC.
    """

    def __init__(self) -> None:
        self.sources = {name: ColumnDataSource(empty(name)) for name in SWEEP_SOURCES}
        fig = plot_figure("Step-size sweep", "step size", "LLC estimate", x_axis_type="log")
        self.exact = Span(dimension="width", location=0, line_dash="dashed", line_color="black")
        fig.add_layout(self.exact)
        fig.add_layout(
            Whisker(
                base="step_size",
                lower="lower",
                upper="upper",
                source=self.sources["sweep"],
                line_color="color",
            )
        )
        points = fig.scatter(
            "step_size",
            "llc",
            source=self.sources["sweep"],
            color="color",
            size=8,
            legend_field="sampler",
        )
        lost = fig.scatter(
            "step_size",
            "llc",
            source=self.sources["sweep_diverged"],
            marker="x",
            size=12,
            color=DIVERGED,
            line_width=2,
            legend_label="diverged / off scale",
        )
        fig.add_tools(
            HoverTool(
                renderers=[points, lost],
                tooltips=[
                    ("sampler", "@sampler"),
                    ("step size", "@step_size{0.00e0}"),
                    ("LLC", "@llc"),
                    ("diverged", "@diverged"),
                ],
            )
        )
        fig.yaxis.formatter = NumeralTickFormatter(format="0,0.[00]")
        legend_outside(fig)
        self.layout = fig

    def show(self, data: dict[str, dict], exact: float) -> None:
        """Plot the finished sweep runs (``data`` from :func:`sweep_data`) against the exact
        LLC (no line when it is NaN: unknown at this teacher)."""
        for name, columns in data.items():
            self.sources[name].data = columns
        self.exact.location = exact if math.isfinite(exact) else None

    def clear(self) -> None:
        """Empty the plot."""
        for name, source in self.sources.items():
            source.data = empty(name)


def exact_text(llc: Fraction) -> str:
    """An exact learning coefficient: ``50``, or ``19/2 = 9.5`` when it is not whole."""
    return str(llc) if llc.denominator == 1 else f"{llc} = {short(float(llc))}"


NOT_YET = ("estimate λ̂", "95% interval", "relative error", "diverged chains", "steps",
           "speed", "R-hat (loss)", "ESS (loss)", "MALA acceptance")  # fmt: skip
"""The readout's rows of a run, shown with dashes before the first one."""


def network_rows(config: LLCConfig | None) -> list[list[str]]:
    """The readout's rows on the network: its size and exact LLC, with what that value is."""
    if config is None:
        return [["parameters d", DASH, ""], ["exact LLC λ", DASH, ""]]
    aoyagi = dln_llc(config.widths, config.rank)
    local = teacher_llc(config.widths, config.rank, config.teacher)
    note = truth_note(None if local is None else local.llc, aoyagi.llc, config.teacher, config.rank)
    exact = (
        ["unknown", muted(escape(note))]
        if local is None
        else [exact_text(local.llc), muted(f"multiplicity {local.multiplicity}; {escape(note)}")]
    )
    return [["parameters d", f"{num_params(config.widths):,}", ""], ["exact LLC λ", *exact]]


def percent(x: float) -> str:
    """A signed percentage to 2 significant digits (a dash when not finite)."""
    return f"{significant(x, 2, sign=True)} %" if math.isfinite(x) else DASH


def run_rows(result: LLCResult) -> list[list[str]]:
    """The readout's rows on a run: estimate, interval, error, divergence, progress, speed
    and convergence diagnostics."""
    c, d = result.config, result.diagnostics
    low, high = result.llc_ci95
    mc_low, mc_high = result.llc_ci95_mc
    estimate = (
        [f"≈ {significant(result.provisional_llc)}",
         muted(f"provisional: the estimate starts after step {result.burn_in_steps:,}")]
        if result.provisional
        else [significant(result.llc_mean),
              f"± {significant(result.llc_stderr, 2)} {muted('(stderr over chains)')}"]
    )  # fmt: skip
    return [
        ["estimate λ̂", *estimate],
        [
            "95% interval",
            f"[{significant(low)}, {significant(high)}]" if math.isfinite(low + high) else DASH,
            muted(
                f"Monte Carlo ± {significant((mc_high - mc_low) / 2, 2)}, "
                f"systematic ± {SYSTEMATIC:.0%}"
            ),
        ],
        ["relative error", percent(100 * result.relative_error), ""],
        ["diverged chains", f"{len(result.diverged_chains)} of {c.chains}", ""],
        [
            "steps",
            f"{result.steps_done:,}",
            muted(f"of {c.steps:,}; burn-in {result.burn_in_steps:,}"),
        ],
        [
            "speed",
            significant(result.steps_per_second),
            muted(f"chain-steps/s; compile {result.compile_seconds:.1f} s"),
        ],
        ["R-hat (loss)", significant(d.rhat), ""],
        ["ESS (loss)", significant(d.ess_bulk), muted(f"bulk; {significant(d.ess_tail)} tail")],
        ["MALA acceptance", significant(d.mala_acceptance, 2), muted(step_note(result))],
    ]


def step_note(result: LLCResult) -> str:
    """The step size a run samples with, and whether it adapted (toward which acceptance)."""
    step = f"step size {significant(result.config.step_size, 2)}"
    calibration = result.calibration
    if calibration is None:
        return f"{step} (fixed)"
    state = "adapting" if result.provisional else "adapted"
    return f"{step} ({state} toward {calibration.target:.2g})"


def warnings_row(result: LLCResult | None) -> list[str]:
    """The readout's last row: every warning of ``result``, highlighted, or "none"."""
    if result is None or not result.warnings:
        return ["warnings", muted("none")]
    return ["warnings", "<br>".join(warning(w) for w in result.warnings)]


READOUT_WIDTHS = (150, 130)
"""Widths (px) of the readout's label and number columns; the details take the rest."""


def readout_html(config: LLCConfig | None, result: LLCResult | None, status: str) -> str:
    """The readout: a table of the status, the network's size and exact LLC, the current
    estimate with its 95% interval and diagnostics (dashes before a run), and the warnings.
    Every row is there in every state, so the plots below never move."""
    runs = run_rows(result) if result is not None else [[label, DASH, ""] for label in NOT_YET]
    rows = [["status", escape(status)], *network_rows(config), *runs, warnings_row(result)]
    return CSS + table(rows, READOUT_WIDTHS, (False, True, False))
