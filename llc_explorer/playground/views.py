"""The Playground's views: per sampler, the surface with trails and samples, and the running
LLC against the exact value; and the HTML readout.

Figures are built once; an update only replaces ``ColumnDataSource.data``, the contour's
data and a few annotation numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bokeh.layouts import column, row
from bokeh.models import CDSView, ColumnDataSource, GroupFilter, HoverTool
from bokeh.palettes import Greys256, Viridis256
from bokeh.plotting import figure
from bokeh.plotting.contour import contour_data

from llc_explorer.explorer.views import DIVERGED, estimate_html, legend_hides, plot_figure
from llc_explorer.playground.model import (
    CONTOUR_LEVELS,
    box_half_width,
    cloud_points,
    contour_grid,
    heads,
    running_estimate,
    trail_segments,
)
from llc_explorer.surface_sampling import SurfaceConfig, SurfaceResult
from llc_explorer.surfaces import get_surface

EMPTY_COLUMNS: dict[str, tuple[str, ...]] = {
    "trails": ("x0", "y0", "x1", "y1", "alpha", "chain"),
    "cloud": ("x", "y"),
    "heads": ("x", "y", "chain", "status"),
    "llc": ("step", "mean", "lower", "upper"),
    "targets": ("step", "exact", "tempered"),
}
"""The columns of each source of a panel, by name."""

PANEL_COLORS = ("#1f77b4", "#ff7f0e")
"""Trail and estimate colour of the left and right panel."""

FILL_PALETTE = [Viridis256[k * 255 // (CONTOUR_LEVELS - 2)] for k in range(CONTOUR_LEVELS - 1)]
"""One fill colour per band between two contour levels (dark: low loss)."""


def empty(name: str) -> dict[str, list]:
    """The data of source ``name`` with no rows."""
    return {column_name: [] for column_name in EMPTY_COLUMNS[name]}


def panel_data(result: SurfaceResult) -> dict[str, dict]:
    """A panel's plot data for ``result`` (a partial or final snapshot), by source name."""
    return {
        "trails": trail_segments(result.path),
        "cloud": cloud_points(result),
        "heads": heads(result),
        "llc": running_estimate(result),
        "targets": {
            "step": [0, result.config.steps],
            "exact": [float(result.truth.llc)] * 2,
            "tempered": [result.tempered_llc] * 2,
        },
    }


class SurfacePanel:
    """One sampler's view: ``surface`` (filled contour of ``log10 K`` around ``w*``, fading
    chain trails, the post-burn-in sample cloud, chain heads with diverged ones as red
    crosses) above ``llc`` (running estimate ± stderr, exact ``lambda`` and the
    finite-temperature value). ``sources`` holds the data by name (``EMPTY_COLUMNS``)."""

    def __init__(self, color: str) -> None:
        self.sources = {name: ColumnDataSource(empty(name)) for name in EMPTY_COLUMNS}
        src = self.sources
        self.title = "surface"
        surface = figure(
            title="surface", height=380, width=380, match_aspect=True,
            x_axis_label="w₁", y_axis_label="w₂", tools="pan,wheel_zoom,box_zoom,reset,save",
        )  # fmt: skip
        self.contour = surface.contour(
            **contour_grid("dln", 1000.0, 1.0), fill_color=FILL_PALETTE,
            fill_alpha=0.85, line_color=Greys256[200], line_alpha=0.6, line_width=0.5,
        )  # fmt: skip
        surface.scatter("x", "y", source=src["cloud"], size=2, color="white", alpha=0.35)
        surface.segment(
            "x0", "y0", "x1", "y1", source=src["trails"], color=color, line_alpha="alpha",
            line_width=1.5,
        )  # fmt: skip
        by_status = {
            status: CDSView(filter=GroupFilter(column_name="status", group=status))
            for status in ("alive", "diverged")
        }
        alive = surface.scatter(
            "x", "y", source=src["heads"], view=by_status["alive"], size=6, color=color,
            line_color="white",
        )  # fmt: skip
        diverged = surface.scatter(
            "x", "y", source=src["heads"], view=by_status["diverged"], size=14, marker="x",
            color=DIVERGED, line_width=3,
        )  # fmt: skip
        surface.add_tools(
            HoverTool(renderers=[alive, diverged], tooltips=[("chain", "@chain"), ("", "@status")])
        )
        llc = plot_figure("Running LLC estimate", "step", "λ̂", height=260)
        llc.varea("step", "lower", "upper", source=src["llc"], color=color, fill_alpha=0.25,
                  legend_label="± stderr")  # fmt: skip
        llc.line("step", "mean", source=src["llc"], color=color, line_width=2, legend_label="λ̂")
        llc.line("step", "exact", source=src["targets"], color="black", line_width=2,
                 legend_label="exact λ")  # fmt: skip
        llc.line("step", "tempered", source=src["targets"], color="black", line_dash="dashed",
                 legend_label="exact sampler at this n·β")  # fmt: skip
        llc.legend.background_fill_alpha = 0.6
        legend_hides(llc)
        self.surface_figure, self.llc_figure = surface, llc
        self.layout = column(surface, llc)

    def draw_surface(self, config: SurfaceConfig) -> None:
        """Redraw the contour and the exact lines for ``config``'s surface, ``n*beta`` and
        ``gamma`` (and clear the chains)."""
        grid = contour_grid(config.surface, config.nbeta, config.gamma)
        self.contour.set_data(contour_data(**grid))
        half = box_half_width(config.gamma)
        ranges = (self.surface_figure.x_range, self.surface_figure.y_range)
        for axis in ranges:
            axis.start, axis.end = -half, half
        surface = get_surface(config.surface)
        self.title = f"{config.sampler} on K(w) = {surface.formula}"
        self.surface_figure.title.text = self.title
        self.clear()

    def show(self, data: dict[str, dict]) -> None:
        """Plot a snapshot: ``data`` from :func:`panel_data` (computed off the main thread)."""
        for name, columns in data.items():
            self.sources[name].data = columns

    def clear(self) -> None:
        """Empty the chains' plots."""
        for name, source in self.sources.items():
            source.data = empty(name)

    def mark_stale(self, stale: bool) -> None:
        """Say in the title whether the plots are out of date with the settings."""
        self.surface_figure.title.text = self.title + (" (stale: press Run)" if stale else "")


class PlaygroundPlots:
    """Two :class:`SurfacePanel`\\ s side by side (the right one shown in compare mode)."""

    def __init__(self) -> None:
        self.panels = [SurfacePanel(color) for color in PANEL_COLORS]
        self.panels[1].layout.visible = False
        self.layout = row(*(panel.layout for panel in self.panels))

    def set_compare(self, on: bool) -> None:
        """Show or hide the right panel."""
        self.panels[1].layout.visible = on

    def mark_stale(self, stale: bool) -> None:
        """Say in each panel's title whether it is out of date with the settings."""
        for panel in self.panels:
            panel.mark_stale(stale)


def readout_html(
    configs: Sequence[SurfaceConfig], results: Sequence[SurfaceResult | None], status: str
) -> str:
    """The readout: status, the exact LLC and, per sampler, the estimate of the results
    shown (with their own settings), or the samplers of ``configs`` before a run."""
    shown = [result for result in results if result is not None]
    rows = [("status", escape(status))]
    surfaces = [r.config.surface for r in shown] or [c.surface for c in configs]
    if surfaces:
        surface = get_surface(surfaces[0])
        truth = surface.truth
        rows.append(
            (
                "exact λ",
                f"{truth.llc} (multiplicity {truth.multiplicity}; {escape(surface.source)})",
            )
        )
    for result in shown:
        config, diverged = result.config, len(result.diverged_chains)
        rows.append(
            (
                escape(config.sampler),
                f"{estimate_html(result.llc_mean, result.llc_stderr)}; exact sampler at this "
                f"n·β and gamma: {result.tempered_llc:.4f}; {diverged} of {config.chains} chains "
                f"diverged; step {result.steps_done:,} of {config.steps:,}",
            )
        )
    if not shown:
        rows += [(escape(config.sampler), "—") for config in configs]
    cells = "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"
