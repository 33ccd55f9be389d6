"""Plot-ready numbers the apps share: which steps are drawn, values as finite numbers or gaps,
and the chains' mean running estimate with its standard-error band. Pure numpy: nothing here
touches a widget or a Bokeh object.
"""

from __future__ import annotations

import math

import numpy as np

MAX_POINTS = 2000
"""Points per chain sent to the browser (give or take one): see :func:`kept_steps`."""

PLOT_LIMIT = 1e6
"""Plotted values beyond +-PLOT_LIMIT (a chain on its way to diverging) become gaps (NaN)."""


def kept_steps(steps: int) -> np.ndarray:
    """The steps plotted of ``steps`` recorded: every k-th, ``k = ceil(steps / MAX_POINTS)``,
    and the last one, so a chain has at most ``MAX_POINTS + 1`` points."""
    every = np.arange(0, steps, max(1, math.ceil(steps / MAX_POINTS)))
    return every if steps == 0 or every[-1] == steps - 1 else np.append(every, steps - 1)


def plottable(values: np.ndarray) -> np.ndarray:
    """``values`` as float64 with non-finite or out-of-range entries set to NaN (a gap)."""
    out = np.asarray(values, np.float64).copy()
    out[~(np.abs(out) <= PLOT_LIMIT)] = np.nan
    return out


def mean_and_stderr(running: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per step: mean and standard error over the chains with a finite running estimate
    (NaN where fewer than one, resp. two, chains are finite)."""
    finite = np.isfinite(running)
    count = finite.sum(axis=0)
    filled = np.where(finite, running, 0.0)
    with np.errstate(all="ignore"):
        mean = np.where(count > 0, filled.sum(axis=0) / count, np.nan)
        sq = np.where(finite, (running - mean) ** 2, 0.0).sum(axis=0)
        stderr = np.where(count > 1, np.sqrt(sq / (count - 1) / count), np.nan)
    return mean, stderr


def mean_band(running: np.ndarray, steps_done: int) -> dict[str, np.ndarray]:
    """Plot data of the running estimates ``running`` (chains x steps): their mean and a
    band of one standard error (none where undefined) at the :func:`kept_steps`."""
    keep = kept_steps(steps_done)
    mean, stderr = mean_and_stderr(running[:, keep])
    band = np.where(np.isfinite(stderr), stderr, 0.0)
    return {
        "step": keep,
        "mean": plottable(mean),
        "lower": plottable(mean - band),
        "upper": plottable(mean + band),
    }
