"""What the apps' Bokeh figures share: one figure and legend style, the shaded burn-in with the
line that says so, and the plot sources a view fills and empties by name.

A view builds its figures once; an update only replaces its sources' data (:class:`Sources`)
and a few annotation numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bokeh.models import BoxAnnotation, ColumnDataSource, NumeralTickFormatter, Title
from bokeh.plotting import figure

DIVERGED = "#d62728"
"""The colour of a diverged chain, in every app."""


class Sources(dict[str, ColumnDataSource]):
    """A view's ``ColumnDataSource``\\ s by name, each with the columns ``columns[name]``."""

    def __init__(self, columns: Mapping[str, Sequence[str]]) -> None:
        self.columns = columns
        super().__init__({name: ColumnDataSource(self.no_rows(name)) for name in columns})

    def no_rows(self, name: str) -> dict[str, list]:
        """The data of source ``name`` with no rows."""
        return {column_name: [] for column_name in self.columns[name]}

    def show(self, data: Mapping[str, dict[str, Any]]) -> None:
        """Replace the data of each source named in ``data``."""
        for name, columns in data.items():
            self[name].data = columns

    def empty(self) -> None:
        """Empty every source."""
        for name, source in self.items():
            source.data = self.no_rows(name)


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


class BurnIn:
    """The burn-in shaded grey on each of ``figures``, with :func:`burn_in_note` under each
    title; none until :meth:`mark` is given its length."""

    def __init__(self, *figures: figure) -> None:
        self.boxes = [
            BoxAnnotation(left=0, right=0, fill_color="gray", fill_alpha=0.15) for _ in figures
        ]
        self.notes = [Title(text=burn_in_note(None), text_font_style="italic") for _ in figures]
        for fig, box, note in zip(figures, self.boxes, self.notes, strict=True):
            fig.add_layout(box)
            fig.add_layout(note, "above")

    def mark(self, burn_in_steps: int | None) -> None:
        """Shade the first ``burn_in_steps`` steps (``None``: none) and say so."""
        for box, note in zip(self.boxes, self.notes, strict=True):
            box.right = burn_in_steps or 0
            note.text = burn_in_note(burn_in_steps)
