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
from llc_explorer.apps.ui.formatting import significant
from llc_explorer.apps.ui.plot_data import kept_steps, mean_band, plottable
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
    scaled = result.llc_trace
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
    """The exact LLC, else Aoyagi's lower bound (NaN without either)."""
    value = result.global_llc if result.true_llc is None else result.true_llc
    return math.nan if value is None else float(value)


SWEEP_MARGIN = 0.05
"""The sweep plot's y axis reaches this fraction of its bounds' span beyond each bound, so a
mark drawn at an edge shows whole."""


def sweep_bounds(results: Sequence[LLCResult]) -> tuple[float, float]:
    """The bounds the sweep plot's marks are clipped to: from 0 to twice the exact LLC (else
    Aoyagi's bound, else the median finite estimate: a model of one's own), so a run far off
    does not flatten the others; (-1, 1) with none of them or a reference of 0."""
    reference = exact_or_bound(results[0]) if results else math.nan
    if not math.isfinite(reference):
        finite = [r.llc_mean for r in results if math.isfinite(r.llc_mean)]
        reference = float(np.median(finite)) if finite else math.nan
    if not math.isfinite(reference) or reference == 0:
        return (-1.0, 1.0)
    return (min(0.0, 2 * reference), max(0.0, 2 * reference))


def sweep_axis(low: float, high: float) -> tuple[float, float]:
    """The sweep plot's y range for marks clipped to ``[low, high]``: a ``SWEEP_MARGIN`` more
    on each side."""
    margin = SWEEP_MARGIN * (high - low)
    return (low - margin, high + margin)


def place(value: float, low: float, high: float) -> tuple[float, str]:
    """Where an estimate ``value`` is drawn on an axis clipped to ``[low, high]``, and why:
    ``"in"`` (at the value), ``"above"`` or ``"below"`` (off scale: at that edge), or
    ``"diverged"`` (NaN: at the bottom edge)."""
    if math.isnan(value):
        return low, "diverged"
    if value > high:
        return high, "above"
    if value < low:
        return low, "below"
    return value, "in"


def true_value(value: float) -> str:
    """An off-scale estimate as its tooltip shows it (``+inf`` or ``-inf`` where infinite)."""
    return significant(value) if math.isfinite(value) else f"{value:+}"


def sweep_data(results: Sequence[LLCResult], low: float, high: float) -> dict[str, dict[str, list]]:
    """Sweep points on an axis clipped to ``[low, high]`` (:func:`place`): estimates in range
    with stderr whiskers (cut at the bounds), estimates off scale at the edge they pass (a
    triangle pointing past it, their true value for the tooltip) and diverged runs (NaN) at
    the bottom edge."""
    placed = [(r, *place(r.llc_mean, low, high)) for r in results]
    shown = [r for r, _, where in placed if where == "in"]
    off = [(r, y, where) for r, y, where in placed if where in ("above", "below")]
    lost = [r for r, _, where in placed if where == "diverged"]

    def whisker(r: LLCResult) -> float:
        return r.llc_stderr if math.isfinite(r.llc_stderr) else 0.0

    def diverged(r: LLCResult) -> str:
        return f"{len(r.diverged_chains)} of {r.config.chains}"

    return {
        "sweep": {
            "step_size": [r.config.step_size for r in shown],
            "llc": [r.llc_mean for r in shown],
            "lower": [max(low, r.llc_mean - whisker(r)) for r in shown],
            "upper": [min(high, r.llc_mean + whisker(r)) for r in shown],
            "sampler": [r.config.sampler for r in shown],
            "color": [sampler_color(r.config.sampler) for r in shown],
            "diverged": [diverged(r) for r in shown],
        },
        "sweep_off_scale": {
            "step_size": [r.config.step_size for r, _, _ in off],
            "llc": [y for _, y, _ in off],
            "value": [true_value(r.llc_mean) for r, _, _ in off],
            "marker": ["triangle" if w == "above" else "inverted_triangle" for *_, w in off],
            "sampler": [r.config.sampler for r, _, _ in off],
            "color": [sampler_color(r.config.sampler) for r, _, _ in off],
            "diverged": [diverged(r) for r, _, _ in off],
        },
        "sweep_diverged": {
            "step_size": [r.config.step_size for r in lost],
            "llc": [low] * len(lost),
            "sampler": [r.config.sampler for r in lost],
            "diverged": [diverged(r) for r in lost],
        },
    }
