"""The apps' readouts: small HTML tables whose columns keep their widths whatever they show.

``table-layout: fixed`` with given column widths, so a number that grows or a status that
changes never moves the columns (or anything beside the readout); numbers are right-aligned
in tabular figures, so their digits line up from row to row. Colours follow JupyterLab's
light or dark theme (:data:`CSS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

CSS = (
    "<style>"
    ".llc-table{table-layout:fixed;border-collapse:collapse}"
    ".llc-table th,.llc-table td{padding:1px 8px 1px 0;vertical-align:top;line-height:1.35;"
    "text-align:left;font-weight:normal}"
    ".llc-table th{font-weight:bold}"
    ".llc-table .llc-num{text-align:right;font-variant-numeric:tabular-nums;padding-right:14px}"
    ".llc-muted{color:var(--jp-ui-font-color2,#555)}"
    ".llc-warn{color:#b45309;font-weight:bold}"
    ".llc-problem{color:#c00}"
    "body[data-jp-theme-light='false'] .llc-warn{color:#fbbf24}"
    "body[data-jp-theme-light='false'] .llc-problem{color:#ff6b6b}"
    "</style>"
)
"""The readouts' style: fixed-layout tables with right-aligned numbers in tabular figures; a
secondary text colour from JupyterLab's theme, and a warning amber and problem red for each of
its light and dark themes (contrast at least 4.5:1 on either background)."""


def muted(text: str) -> str:
    """``text`` (HTML) in the theme's secondary text colour."""
    return f"<span class='llc-muted'>{text}</span>"


def warning(text: str) -> str:
    """``text`` (plain) as a highlighted warning."""
    return f"<span class='llc-warn'>⚠ {escape(text)}</span>"


def problem_html(problem: str) -> str:
    """``problem`` as the red message shown beside the controls (empty when none)."""
    return f"{CSS}<span class='llc-problem'>{escape(problem)}</span>" if problem else ""


def table(
    rows: Sequence[Sequence[str]],
    widths: Sequence[int],
    numbers: Sequence[bool],
    header: Sequence[str] = (),
    width: str = "100%",
) -> str:
    """An HTML table of ``rows`` (cells as HTML) ``width`` wide: column ``k`` is ``widths[k]``
    pixels wide (the last column takes what is left), right-aligned when ``numbers[k]``; the
    first column is bold; a row with fewer cells than columns stretches its last cell over
    the rest. Its style is :data:`CSS`, which the readout puts once before its tables."""
    columns = len(numbers)
    cols = "".join(f"<col style='width:{w}px'>" for w in widths[: columns - 1]) + "<col>"

    def cell(k: int, content: str, tag: str, span: int) -> str:
        number = " class='llc-num'" if numbers[k] and span == 1 else ""
        colspan = f" colspan='{span}'" if span > 1 else ""
        return f"<{tag}{colspan}{number}>{content}</{tag}>"

    def line(cells: Sequence[str], tag: str = "td") -> str:
        last = len(cells) - 1
        inner = "".join(
            cell(k, c, "th" if k == 0 else tag, columns - last if k == last else 1)
            for k, c in enumerate(cells)
        )
        return f"<tr>{inner}</tr>"

    head = line(header, "th") if header else ""
    body = "".join(line(row) for row in rows)
    return (
        f"<table class='llc-table' style='width:{width}'><colgroup>{cols}</colgroup>"
        f"{head}{body}</table>"
    )
