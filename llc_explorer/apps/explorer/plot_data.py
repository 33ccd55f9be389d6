"""The data of the explorer's plots, from a run's or a sweep's results: what the sampling
thread computes and the views (:mod:`llc_explorer.apps.explorer.views`) put in their sources.

Pure functions: nothing here touches a widget or a Bokeh object. Every plotted number is
finite or NaN (a gap): see :func:`llc_explorer.apps.ui.plot_data.plottable`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from bokeh.palettes import Category10_10

from llc_explorer.apps.ui.figures import DIVERGED
from llc_explorer.apps.ui.plot_data import PLOT_LIMIT, kept_steps, mean_band, plottable
from llc_explorer.config import LLCConfig
from llc_explorer.estimator import LLCResult
from llc_explorer.sgmcmc.registry import sampler_names
from llc_explorer.sgmcmc.traces import latest_half_estimate

ALIVE = "#2ca02c"
"""The colour of a chain's span before it diverges (or of the whole run if it never does)."""


def sampler_color(name: str) -> str:
    """A sampler's colour: its place in the registry's menu order, in Category10."""
    names = sampler_names()
    return Category10_10[names.index(name) % 10 if name in names else 9]


def chain_lines(values: np.ndarray, steps_done: int) -> dict[str, list]:
    """Multi-line data of a chains x steps array at the ``kept_steps``, gaps as NaN."""
    keep = kept_steps(steps_done)
    rows = plottable(values[:, keep])
    chains = range(rows.shape[0])
    return {
        "xs": [keep for _ in chains],
        "ys": list(rows),
        "chain": list(chains),
        "color": [Category10_10[c % 10] for c in chains],
    }


def exact_value(result: LLCResult) -> float:
    """The exact LLC at the run's teacher, NaN where the package does not know it."""
    return math.nan if result.true_llc is None else float(result.true_llc)


def exact_line(result: LLCResult) -> dict[str, list]:
    """The exact LLC across the run (NaN where unknown at a DLN's teacher); none for a model
    of one's own (a config that builds no DLN), whose plot has no exact line."""
    if not isinstance(result.config, LLCConfig):
        return {"step": [], "llc": []}
    return {"step": [0, result.config.steps], "llc": [exact_value(result)] * 2}


def provisional_line(result: LLCResult, kept: list[int]) -> dict[str, np.ndarray]:
    """The provisional estimate over the burn-in (:func:`latest_half_estimate`), averaged over
    the ``kept`` chains (those that did not diverge), at the plotted steps before the burn-in
    ends."""
    config = result.config
    steps = kept_steps(result.steps_done)
    steps = steps[steps < config.burn_in_steps]
    if not kept or not steps.size:
        return {"step": steps, "llc": np.full(steps.shape, np.nan)}
    window = result.loss_trace[kept, : steps[-1] + 1]
    per_chain = latest_half_estimate(window, steps, config.nbeta, result.loss_at_teacher)
    return {"step": steps, "llc": plottable(per_chain.mean(axis=0))}


def run_data(result: LLCResult) -> dict[str, dict[str, Any]]:
    """The data of every run plot for ``result``, by source name."""
    config, done = result.config, result.steps_done
    scaled = config.nbeta * (result.loss_trace.astype(np.float64) - result.loss_at_teacher)
    diverged = dict(result.diverged_chains)
    kept = [c for c in range(config.chains) if c not in diverged]
    spans = [
        (c, start, end, status)
        for c in range(config.chains)
        for start, end, status in (
            [(0, diverged[c], "alive"), (diverged[c], done, "diverged")]
            if c in diverged
            else [(0, done, "alive")]
        )
        if end > start
    ]
    onsets = sorted(diverged.values())
    return {
        "loss": chain_lines(scaled, done),
        "running": chain_lines(result.running_llc, done),
        "mean": mean_band(result.running_llc[kept], done),
        "provisional": provisional_line(result, kept),
        "exact": exact_line(result),
        "raster": {
            "x": [(start + end) / 2 for _, start, end, _ in spans],
            "width": [end - start for _, start, end, _ in spans],
            "chain": [c for c, _, _, _ in spans],
            "start": [start for _, start, _, _ in spans],
            "end": [end for _, _, end, _ in spans],
            "status": [status for *_, status in spans],
            "color": [ALIVE if status == "alive" else DIVERGED for *_, status in spans],
        },
        "diverged_count": {
            "step": [0, *onsets, done],
            "count": [0, *range(1, len(onsets) + 1), len(onsets)],
        },
    }


def exact_or_bound(result: LLCResult) -> float:
    """Where a lost run's mark goes: the exact LLC, else Aoyagi's lower bound (NaN without
    either)."""
    value = result.global_llc if result.true_llc is None else result.true_llc
    return math.nan if value is None else float(value)


def sweep_data(results: Sequence[LLCResult]) -> dict[str, dict[str, list]]:
    """Sweep points: finite estimates with stderr whiskers, and runs whose estimate is NaN
    or off scale (beyond ``PLOT_LIMIT``; plotted at the exact LLC with a cross)."""
    finite = [r for r in results if abs(r.llc_mean) <= PLOT_LIMIT]
    lost = [r for r in results if not abs(r.llc_mean) <= PLOT_LIMIT]

    def whisker(r: LLCResult) -> float:
        return r.llc_stderr if math.isfinite(r.llc_stderr) else 0.0

    def diverged(r: LLCResult) -> str:
        return f"{len(r.diverged_chains)} of {r.config.chains}"

    return {
        "sweep": {
            "step_size": [r.config.step_size for r in finite],
            "llc": [r.llc_mean for r in finite],
            "lower": [r.llc_mean - whisker(r) for r in finite],
            "upper": [r.llc_mean + whisker(r) for r in finite],
            "sampler": [r.config.sampler for r in finite],
            "color": [sampler_color(r.config.sampler) for r in finite],
            "diverged": [diverged(r) for r in finite],
        },
        "sweep_diverged": {
            "step_size": [r.config.step_size for r in lost],
            "llc": [exact_or_bound(r) for r in lost],
            "sampler": [r.config.sampler for r in lost],
            "diverged": [diverged(r) for r in lost],
        },
    }
