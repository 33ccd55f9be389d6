"""The interactive explorer: ipywidgets controls and live Bokeh plots of LLC estimation.

``Explorer()`` as a notebook cell's last line shows it; ``explore(**settings)`` also starts a
run. Modules: ``controls`` (widgets), ``model`` (settings and numbers), ``views`` (figures
and readout), ``app`` (the wiring and the sampling thread).
"""

from llc_explorer.apps.explorer.app import Explorer, explore

__all__ = ["Explorer", "explore"]
