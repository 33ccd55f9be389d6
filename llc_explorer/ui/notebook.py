"""Notebook helpers: BokehJS from the installed package, and the red problem message."""

from __future__ import annotations

from html import escape

INVALID_STYLE = "color:#c00"


def load_bokehjs() -> None:
    """Load BokehJS into the notebook page from the installed bokeh package (no CDN): the
    jupyter_bokeh widget renders with the page's ``window.Bokeh``."""
    from bokeh.io import output_notebook
    from bokeh.resources import INLINE

    output_notebook(resources=INLINE, hide_banner=True)


def problem_html(problem: str) -> str:
    """``problem`` as the red message shown beside the controls (empty when none)."""
    return f'<span style="{INVALID_STYLE}">{escape(problem)}</span>' if problem else ""
