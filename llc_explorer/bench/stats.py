"""The statistics the sweep report plots: the quartiles of |relative error| and the share of
runs with a diverged chain per step size (:func:`error_spread`), the exact and estimated LLC
per architecture at a step size (:func:`best_runs`), and Spearman's rho between them with a
bootstrap 95% interval over the architectures (:func:`spearman_interval`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from llc_explorer.bench.summary import abs_error, by_key, failed

BOOTSTRAP_DRAWS = 2000
"""Resamples of the architectures for the interval of Spearman's rho."""


def error_spread(rows: Sequence[dict[str, Any]]) -> dict[str, list[float]]:
    """Per step size: the quartiles of |relative error| over the finished runs (NaN where none
    finished) and the share of runs with a diverged chain."""
    out: dict[str, list[float]] = {k: [] for k in ("step", "q1", "median", "q3", "failed")}
    for step, group in sorted(by_key(rows, lambda r: r["step_size"]).items()):
        finite = [abs_error(r) for r in group if not failed(r)]
        q1, median, q3 = np.percentile(finite, [25, 50, 75]) if finite else [math.nan] * 3
        out["step"].append(step)
        out["q1"].append(float(q1))
        out["median"].append(float(median))
        out["q3"].append(float(q3))
        out["failed"].append(float(np.mean([failed(r) for r in group])))
    return out


def spearman_interval(
    truth: Sequence[float], estimate: Sequence[float], *, seed: int = 0
) -> tuple[float, float, float]:
    """Spearman's rho between ``truth`` and ``estimate`` (one pair per architecture) and the
    2.5% and 97.5% quantiles of rho over ``BOOTSTRAP_DRAWS`` resamples of the architectures
    (resamples with a constant side are skipped); NaN where undefined (fewer than 3 pairs)."""
    x, y = np.asarray(truth, float), np.asarray(estimate, float)
    if x.size < 3 or np.ptp(x) == 0:
        return math.nan, math.nan, math.nan
    rho = float(spearmanr(x, y)[0])
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(BOOTSTRAP_DRAWS):
        pick = rng.integers(0, x.size, x.size)
        if np.ptp(x[pick]) > 0 and np.ptp(y[pick]) > 0:
            draws.append(spearmanr(x[pick], y[pick])[0])
    if not draws:
        return rho, math.nan, math.nan
    low, high = np.percentile(draws, [2.5, 97.5])
    return rho, float(low), float(high)


def best_runs(rows: Sequence[dict[str, Any]], best_step: float) -> tuple[list, list]:
    """Exact and mean estimated LLC per architecture at ``best_step`` (finished runs only)."""
    truth, estimate = [], []
    at_best = [r for r in rows if r["step_size"] == best_step and not failed(r)]
    for group in by_key(at_best, lambda r: (tuple(r["widths"]), r["rank"])).values():
        truth.append(group[0]["true_llc"])
        estimate.append(float(np.mean([r["llc_mean"] for r in group])))
    return truth, estimate
