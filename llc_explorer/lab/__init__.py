"""The teaching lab's helpers for ``notebooks/02_sgmcmc_tutorial.ipynb``: predict-then-run
questions with a checker (:mod:`llc_explorer.lab.exercises`), pictures of the two-parameter
surfaces (:mod:`llc_explorer.lab.figures`), plots of DLN runs (:mod:`llc_explorer.lab.plots`),
the stored full-length runs beside the short live ones (:mod:`llc_explorer.lab.stored`) and
each update rule checked against its code (:mod:`llc_explorer.lab.update_rules`). Not
imported by the package root: ``from llc_explorer.lab import check``.
"""

from __future__ import annotations

from bokeh.io import output_notebook
from bokeh.resources import INLINE

from llc_explorer.lab.exercises import EXERCISES, Exercise, check, expected
from llc_explorer.lab.figures import momentum_paths, sublevel_sets, tempered_posteriors
from llc_explorer.lab.plots import (
    adaptation,
    error_by_step_size,
    loss_traces,
    running_estimates,
    window_means,
)
from llc_explorer.lab.stored import stored_step_sweep
from llc_explorer.lab.update_rules import update_rule_checks


def setup() -> None:
    """Show Bokeh figures in the notebook with BokehJS from the installed package (works
    offline, and in a static HTML copy)."""
    output_notebook(INLINE, hide_banner=True)


__all__ = [
    "EXERCISES",
    "Exercise",
    "adaptation",
    "check",
    "error_by_step_size",
    "expected",
    "loss_traces",
    "momentum_paths",
    "running_estimates",
    "setup",
    "stored_step_sweep",
    "sublevel_sets",
    "tempered_posteriors",
    "update_rule_checks",
    "window_means",
]
