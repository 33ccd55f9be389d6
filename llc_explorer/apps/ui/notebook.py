"""BokehJS in the notebook page, from the installed package."""

from __future__ import annotations


def load_bokehjs() -> None:
    """Load BokehJS into the notebook page from the installed bokeh package (no CDN): the
    jupyter_bokeh widget renders with the page's ``window.Bokeh``."""
    from bokeh.io import output_notebook
    from bokeh.resources import INLINE

    output_notebook(resources=INLINE, hide_banner=True)
