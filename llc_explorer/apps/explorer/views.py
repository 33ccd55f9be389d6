"""The explorer's views: Bokeh figures of a run and of a step-size sweep.

Figures are built once; an update only replaces their sources' data (computed off the main
thread by :mod:`llc_explorer.apps.explorer.plot_data`) and a few annotation numbers.
"""

from __future__ import annotations

import math

from bokeh.layouts import column, row
from bokeh.models import HoverTool, NumeralTickFormatter, Range1d, Span, Whisker

from llc_explorer.apps.ui.figures import DIVERGED, BurnIn, Sources, legend_outside, plot_figure
from llc_explorer.config import RunConfig

RUN_COLUMNS: dict[str, tuple[str, ...]] = {
    "loss": ("xs", "ys", "chain", "color"),
    "running": ("xs", "ys", "chain", "color"),
    "mean": ("step", "mean", "lower", "upper"),
    "provisional": ("step", "llc"),
    "exact": ("step", "llc"),
    "raster": ("x", "width", "chain", "start", "end", "status", "color"),
    "diverged_count": ("step", "count"),
}
"""The columns of each run plot's source, by name (what
:func:`~llc_explorer.apps.explorer.plot_data.run_data` gives)."""

SWEEP_COLUMNS: dict[str, tuple[str, ...]] = {
    "sweep": ("step_size", "llc", "lower", "upper", "sampler", "color", "diverged"),
    "sweep_off_scale": ("step_size", "llc", "value", "marker", "sampler", "color", "diverged"),
    "sweep_diverged": ("step_size", "llc", "sampler", "diverged"),
}
"""The columns of the sweep plot's sources, by name (what
:func:`~llc_explorer.apps.explorer.plot_data.sweep_data` gives)."""


class RunPlots:
    """The LLC estimate against the exact value, the loss traces and the chains' divergence of
    one run, stacked in one column (``layout``), each with its legend beside the data.

    ``sources`` holds each plot's ``ColumnDataSource`` by name (see ``RUN_COLUMNS``):
    traces are multi-lines with one row per chain, at most ``MAX_POINTS`` points each.
    The burn-in is shaded in the LLC and loss plots, and a line under their titles says so.
    Without ``exact`` (a model of one's own) the LLC plot has no exact line.
    """

    def __init__(self, exact: bool = True) -> None:
        self.sources = src = Sources(RUN_COLUMNS)
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
        if exact:  # a model of one's own has no exact LLC: no line, no legend entry
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
        self.burn_in = BurnIn(llc, loss)
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

    def show(self, data: dict[str, dict], config: RunConfig) -> None:
        """Plot a snapshot of a run of ``config``: ``data`` from
        :func:`~llc_explorer.apps.explorer.plot_data.run_data`, the step axis from 0 to its steps
        (kept while it runs, so a zoom stays), the burn-in shaded."""
        self.sources.show(data)
        if (self.steps.reset_start, self.steps.reset_end) != (0, config.steps):
            self.steps.update(start=0, end=config.steps, reset_start=0, reset_end=config.steps)
        self.burn_in.mark(config.burn_in_steps)

    def clear(self) -> None:
        """Empty every plot."""
        self.sources.empty()
        self.burn_in.mark(None)

    def mark_stale(self, stale: bool) -> None:
        """Say in each title whether the plots are out of date with the settings."""
        for name, fig in self.figures.items():
            fig.title.text = self.titles[name] + (" (stale: settings changed)" if stale else "")


class SweepPlot:
    """LLC estimate against step size (log x) per sampler, with the exact LLC (``layout``), on
    a y axis clipped so that one run far off does not flatten the others.

    ``sources`` holds ``sweep`` (estimates in range), ``sweep_off_scale`` (hollow triangles at
    the edge they pass, their true value in the tooltip) and ``sweep_diverged`` (red crosses
    at the bottom edge); ``exact`` is the horizontal line at the exact LLC and ``y_range``
    the y axis.
    """

    def __init__(self) -> None:
        self.sources = src = Sources(SWEEP_COLUMNS)
        self.y_range = Range1d(-1, 1)
        fig = plot_figure(
            "Step-size sweep", "step size", "LLC estimate", x_axis_type="log", y_range=self.y_range
        )
        self.exact = Span(dimension="width", location=0, line_dash="dashed", line_color="black")
        fig.add_layout(self.exact)
        fig.add_layout(
            Whisker(
                base="step_size", lower="lower", upper="upper", source=src["sweep"],
                line_color="color",
            )
        )  # fmt: skip
        points = fig.scatter(
            "step_size", "llc", source=src["sweep"], color="color", size=8, legend_field="sampler"
        )
        off = fig.scatter(
            "step_size", "llc", source=src["sweep_off_scale"], marker="marker", size=12,
            line_color="color", fill_alpha=0, line_width=2,
            legend_label="off scale (value in tooltip)",
        )  # fmt: skip
        lost = fig.scatter(
            "step_size", "llc", source=src["sweep_diverged"], marker="x", size=12,
            color=DIVERGED, line_width=2, legend_label="diverged",
        )  # fmt: skip
        run = [("sampler", "@sampler"), ("step size", "@step_size{0.00e0}")]
        for renderer, llc in ((points, "@llc"), (off, "@value (off scale)"), (lost, "NaN")):
            tooltips = [*run, ("LLC", llc), ("diverged", "@diverged")]
            fig.add_tools(HoverTool(renderers=[renderer], tooltips=tooltips))
        fig.yaxis.formatter = NumeralTickFormatter(format="0,0.[00]")
        legend_outside(fig)
        self.layout = fig

    def show(self, data: dict[str, dict], exact: float, axis: tuple[float, float]) -> None:
        """Plot the finished sweep runs (``data`` from
        :func:`~llc_explorer.apps.explorer.plot_data.sweep_data`) against the exact LLC (no line
        when it is NaN: unknown at this teacher), the y axis spanning ``axis`` (from
        :func:`~llc_explorer.apps.explorer.plot_data.sweep_axis`)."""
        self.sources.show(data)
        self.exact.location = exact if math.isfinite(exact) else None
        start, end = axis
        self.y_range.update(start=start, end=end, reset_start=start, reset_end=end)

    def clear(self) -> None:
        """Empty the plot."""
        self.sources.empty()
