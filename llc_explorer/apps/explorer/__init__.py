"""The interactive explorer: ipywidgets controls and live Bokeh plots of LLC estimation.

``Explorer()`` as a notebook cell's last line shows it; ``explore(**settings)`` also starts a
run. Modules: ``controls`` (the widgets), ``model`` (its defaults, settings to a config, the
sweep's configs, what runs well here), ``plot_data`` (results to plot data), ``readout`` (the
readout's HTML), ``views`` (the figures), ``frames`` (what the sampling thread hands the main
thread), ``sampling`` (what that thread runs), ``exports`` (the run as code and as a file) and
``app`` (the wiring).
"""

from llc_explorer.apps.explorer.app import Explorer, explore

__all__ = ["Explorer", "explore"]
