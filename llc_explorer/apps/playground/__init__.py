"""The teaching playground: SGMCMC samplers on two-parameter losses with a known learning
coefficient, live in a notebook.

``Playground()`` as a notebook cell's last line shows it. Modules: ``controls`` (the widgets),
``model`` (its defaults, settings to configs, results to plot data), ``readout`` (the
readout's HTML), ``missions`` (the guided missions), ``step_arrows`` (one step's drift and
noise), ``views`` (the figures) and ``app`` (the wiring and the sampling thread).
"""

from llc_explorer.apps.playground.app import Playground
from llc_explorer.apps.playground.missions import MISSIONS

__all__ = ["MISSIONS", "Playground"]
