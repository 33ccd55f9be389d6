"""The Playground's views: per sampler, the surface with trails and samples, and the running
LLC against the exact value.

Figures are built once; an update only replaces their sources' data (computed off the main
thread by :func:`llc_explorer.apps.playground.model.panel_data`), the contour's data and a few
annotation numbers.
"""

from __future__ import annotations

from bokeh.layouts import column, row
from bokeh.models import (
    Arrow,
    CDSView,
    GroupFilter,
    HoverTool,
    PrintfTickFormatter,
    Title,
    VeeHead,
)
from bokeh.palettes import Greys256, Viridis256
from bokeh.plotting import figure
from bokeh.plotting.contour import contour_data

from llc_explorer.apps.playground.model import (
    CONTOUR_LEVELS,
    DEFAULTS,
    box_half_width,
    contour_grid,
)
from llc_explorer.apps.playground.step_arrows import STEP_COLUMNS, step_note
from llc_explorer.apps.ui.figures import DIVERGED, BurnIn, Sources, legend_outside, plot_figure
from llc_explorer.surfaces.library import get_surface
from llc_explorer.surfaces.sampling import SurfaceConfig

COLUMNS: dict[str, tuple[str, ...]] = {
    "trails": ("x0", "y0", "x1", "y1", "alpha", "chain"),
    "cloud": ("x", "y"),
    "heads": ("x", "y", "chain", "status"),
    "llc": ("step", "mean", "lower", "upper"),
    "targets": ("step", "exact", "tempered"),
    "step": STEP_COLUMNS,
}
"""The columns of each source of a panel, by name (what
:func:`~llc_explorer.apps.playground.model.panel_data` gives)."""

PANEL_COLORS = ("#1f77b4", "#ff7f0e")
"""Trail and estimate colour of the left and right panel."""

FILL_PALETTE = [Viridis256[k * 255 // (CONTOUR_LEVELS - 2)] for k in range(CONTOUR_LEVELS - 1)]
"""One fill colour per band between two contour levels (dark: low loss)."""


SURFACE_KEY = ("colour: log₁₀ K(w), darker is lower", "white dots: samples after the burn-in")
"""The lines under the surface's title that say what its colours and marks are."""

PANEL_WIDTH = 380
"""Width (px) of one panel: the surface with its colour bar, and the LLC plot under it."""


class SurfacePanel:
    """One sampler's view: ``surface`` (filled contour of ``log10 K`` around ``w*`` with its
    colour bar, fading chain trails, the post-burn-in sample cloud, chain heads with diverged
    ones as red crosses, and with ``show_step`` chain 0's last move as arrows with a note
    under the plot, :mod:`llc_explorer.apps.playground.step_arrows`) above ``llc`` (running
    estimate ± stderr, exact ``lambda`` and the finite-temperature value, the burn-in shaded;
    legend under the data). ``sources`` holds the data by name (``COLUMNS``)."""

    def __init__(self, color: str) -> None:
        self.sources = src = Sources(COLUMNS)
        self.title = "surface"
        surface = figure(
            title="surface", height=400, width=PANEL_WIDTH, match_aspect=True,
            x_axis_label="w₁", y_axis_label="w₂", tools="pan,wheel_zoom,box_zoom,reset,save",
        )  # fmt: skip
        self.contour = surface.contour(
            **contour_grid(DEFAULTS["surface"], DEFAULTS["nbeta"], DEFAULTS["gamma"]),
            fill_color=FILL_PALETTE, fill_alpha=0.85, line_color=Greys256[200], line_alpha=0.6,
            line_width=0.5,
        )  # fmt: skip
        self.color_bar = self.contour.construct_color_bar(
            title="log₁₀ K", width=10, padding=4, formatter=PrintfTickFormatter(format="%.1f")
        )
        surface.add_layout(self.color_bar, "right")
        for line in reversed(SURFACE_KEY):  # each new title goes above the last
            surface.add_layout(Title(text=line, text_font_style="italic"), "above")
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
            line_color="white", legend_label="chain",
        )  # fmt: skip
        diverged = surface.scatter(
            "x", "y", source=src["heads"], view=by_status["diverged"], size=14, marker="x",
            color=DIVERGED, line_width=3, legend_label="diverged (where it left)",
        )  # fmt: skip
        surface.add_tools(
            HoverTool(renderers=[alive, diverged], tooltips=[("chain", "@chain"), ("", "@status")])
        )
        head = VeeHead(size=8, line_color="color", fill_color="color")
        self.arrows = Arrow(
            source=src["step"], x_start="x0", y_start="y0", x_end="x1", y_end="y1",
            line_color="color", line_width=3, end=head, visible=False,
        )  # fmt: skip
        surface.add_layout(self.arrows)
        legend_outside(surface, "below")
        surface.legend.orientation = "horizontal"
        self.step_notes = [
            Title(text="", text_font_style="italic", text_font_size="11px", visible=False)
            for _ in range(2)
        ]
        for note in self.step_notes:
            surface.add_layout(note, "below")
        llc = plot_figure("Running LLC estimate", "step", "λ̂", height=300, width=PANEL_WIDTH)
        self.burn_in = BurnIn(llc)
        llc.varea("step", "lower", "upper", source=src["llc"], color=color, fill_alpha=0.25,
                  legend_label="± stderr")  # fmt: skip
        llc.line("step", "mean", source=src["llc"], color=color, line_width=2, legend_label="λ̂")
        llc.line("step", "exact", source=src["targets"], color="black", line_width=2,
                 legend_label="exact λ")  # fmt: skip
        llc.line("step", "tempered", source=src["targets"], color="black", line_dash="dashed",
                 legend_label="exact sampler at this n·β, gamma")  # fmt: skip
        legend_outside(llc, "below")
        llc.legend.ncols = 2
        self.surface_figure, self.llc_figure = surface, llc
        self.layout = column(surface, llc)

    def draw_surface(self, config: SurfaceConfig) -> None:
        """Redraw the contour (with its colour bar) for ``config``'s surface, ``n*beta`` and
        ``gamma``, shade its burn-in, and clear the chains."""
        grid = contour_grid(config.surface, config.nbeta, config.gamma)
        self.contour.set_data(contour_data(**grid))
        levels = [float(level) for level in grid["levels"]]
        self.contour.levels = self.color_bar.levels = levels
        self.color_bar.ticker.ticks = levels[::3]
        self.burn_in.mark(config.burn_in_steps)
        half = box_half_width(config.gamma)
        ranges = (self.surface_figure.x_range, self.surface_figure.y_range)
        for axis in ranges:
            axis.start, axis.end = -half, half
        surface = get_surface(config.surface)
        self.title = f"{config.sampler} on K(w) = {surface.formula}"
        self.surface_figure.title.text = self.title
        self.clear()

    def show_step(self, on: bool) -> None:
        """Show or hide the one-step arrows and their note."""
        for item in (self.arrows, *self.step_notes):
            item.visible = on

    def note_step(self, config: SurfaceConfig) -> None:
        """Say under the surface what the one-step arrows are for ``config``."""
        for note, line in zip(self.step_notes, step_note(config), strict=True):
            note.text = line

    def show(self, data: dict[str, dict]) -> None:
        """Plot a snapshot: ``data`` from
        :func:`~llc_explorer.apps.playground.model.panel_data`."""
        self.sources.show(data)

    def clear(self) -> None:
        """Empty the chains' plots."""
        self.sources.empty()

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

    def show_step(self, on: bool) -> None:
        """Show or hide every panel's one-step arrows."""
        for panel in self.panels:
            panel.show_step(on)

    def note_steps(self, configs: list[SurfaceConfig]) -> None:
        """Say under each shown panel what its one-step arrows are for its config."""
        for panel, config in zip(self.panels, configs, strict=False):
            panel.note_step(config)

    def mark_stale(self, stale: bool) -> None:
        """Say in each panel's title whether it is out of date with the settings."""
        for panel in self.panels:
            panel.mark_stale(stale)
