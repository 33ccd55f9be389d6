"""The Playground's model: its defaults, settings from widget values to validated
:class:`SurfaceConfig`s, and the plot-ready numbers of a run (contour grid, fading trails,
sample cloud, running estimate, one step's arrows). Nothing here touches a widget or a Bokeh object.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from llc_explorer.apps.playground.step_arrows import one_step
from llc_explorer.apps.ui.plot_data import mean_band, plottable
from llc_explorer.errors import ConfigError
from llc_explorer.settings import SETTINGS
from llc_explorer.surfaces.library import get_surface
from llc_explorer.surfaces.sampling import SurfaceConfig, SurfaceResult, make_surface_config

DEFAULTS: dict[str, Any] = {
    name: parameter.default
    for name, parameter in inspect.signature(make_surface_config).parameters.items()
    if parameter.default is not inspect.Parameter.empty
}
"""The Playground's defaults: :func:`make_surface_config`'s."""

COMPARE_WITH = SETTINGS["sampler"].default
"""The sampler compared with at first: ``estimate_llc``'s, beside the surfaces' default."""

GRID_POINTS = 161
"""Points per axis of the contour grid."""

CONTOUR_LEVELS = 13
"""Contour levels of ``log10 K`` (fixed, so each band keeps its colour when they move)."""

TRAIL_STEPS = 4000
"""Steps of each chain's trail (the newest opaque, the oldest transparent)."""

TRAIL_SEGMENTS = 200
"""Segments per trail (positions every ``TRAIL_STEPS / TRAIL_SEGMENTS`` steps)."""

CLOUD_POINTS = 4000
"""Most post-burn-in samples shown in the cloud (evenly strided over steps and chains)."""

SHARED = ("surface", "nbeta", "gamma", "noise", "chains", "steps", "burn_in", "seed", "chunk_size")
"""The settings both samplers of a comparison share (so they run the same seed and noise)."""


def build_configs(
    shared: Mapping[str, Any], samplers: Sequence[Mapping[str, Any]]
) -> list[SurfaceConfig]:
    """One validated config per entry of ``samplers`` (sampler, step size and its own
    hyperparameters), all with the ``shared`` settings; ``ValueError`` names a bad one
    (saying "compare sampler" when the problem is the second sampler's own)."""
    configs = [make_surface_config(**shared, **samplers[0])]
    for own in samplers[1:]:
        try:
            configs.append(make_surface_config(**shared, **own))
        except ConfigError as exc:
            raise ConfigError(f"compare sampler: {exc}") from None
    return configs


def box_half_width(gamma: float) -> float:
    """Half-width of the plotted square around ``w* = 0``: 3 prior standard deviations of the
    localisation ``N(0, 1/gamma)``."""
    return 3 / math.sqrt(gamma)


def contour_grid(surface: str, nbeta: float, gamma: float) -> dict[str, Any]:
    """``log10 K(w)`` on a square grid around ``w*`` and ``CONTOUR_LEVELS`` levels from
    ``log10(1/(100 n*beta))`` (well inside the posterior's bulk, where ``n*beta K ~ 1``)
    to the largest value on the grid; values below the first level are raised to it."""
    half = box_half_width(gamma)
    axis = np.linspace(-half, half, GRID_POINTS)
    w1, w2 = np.meshgrid(axis, axis)
    loss = get_surface(surface).loss(w1, w2)
    low = math.log10(1 / (100 * nbeta))
    high = max(math.log10(float(loss.max())), low + 1)
    levels = np.linspace(low, high, CONTOUR_LEVELS)
    with np.errstate(divide="ignore"):
        z = np.maximum(np.log10(loss), low)
    return {"x": axis, "y": axis, "z": z, "levels": levels}


def trail_segments(path: np.ndarray) -> dict[str, np.ndarray]:
    """Each chain's last ``TRAIL_STEPS`` steps as ``TRAIL_SEGMENTS`` segments with an
    opacity rising linearly from 0 (oldest) to 0.9 (newest); NaN positions leave gaps."""
    chains, done, _ = path.shape
    stride = max(1, TRAIL_STEPS // TRAIL_SEGMENTS)
    points = path[:, np.arange(done - 1, max(-1, done - 2 - TRAIL_STEPS), -stride)[::-1]]
    count = points.shape[1] - 1
    if count < 1:
        return {name: np.array([]) for name in ("x0", "y0", "x1", "y1", "alpha", "chain")}
    alpha = np.tile(0.9 * np.arange(1, count + 1) / count, chains)
    starts, ends = points[:, :-1].reshape(-1, 2), points[:, 1:].reshape(-1, 2)
    return {
        "x0": plottable(starts[:, 0]),
        "y0": plottable(starts[:, 1]),
        "x1": plottable(ends[:, 0]),
        "y1": plottable(ends[:, 1]),
        "alpha": alpha,
        "chain": np.repeat(np.arange(chains), count),
    }


def cloud_points(result: SurfaceResult) -> dict[str, np.ndarray]:
    """Post-burn-in positions of the chains that did not diverge, every ``k``-th step with
    ``k`` fixed by the whole run's length, so that the cloud only grows from frame to frame
    and ends with at most ``CLOUD_POINTS`` points."""
    config = result.config
    diverged = {chain for chain, _ in result.diverged_chains}
    alive = [c for c in range(config.chains) if c not in diverged]
    after = config.steps - config.burn_in_steps
    stride = max(1, math.ceil(len(alive) * after / CLOUD_POINTS))
    steps = np.arange(config.burn_in_steps, result.steps_done, stride)
    flat = result.path[np.ix_(np.asarray(alive, int), steps)].reshape(-1, 2)
    return {"x": plottable(flat[:, 0]), "y": plottable(flat[:, 1])}


def heads(result: SurfaceResult) -> dict[str, np.ndarray]:
    """Every chain's latest position, clipped to the plotted square (a chain that flew off
    sits on its edge, in the direction it left), and whether it has diverged."""
    diverged = dict(result.diverged_chains)
    chains = np.arange(result.config.chains)
    half = box_half_width(result.config.gamma)
    latest = np.clip(np.nan_to_num(result.path[:, -1].astype(np.float64)), -half, half)
    status = np.array(["diverged" if c in diverged else "alive" for c in chains])
    return {"x": latest[:, 0], "y": latest[:, 1], "chain": chains, "status": status}


def running_estimate(result: SurfaceResult) -> dict[str, np.ndarray]:
    """The running estimate's mean and standard-error band over the chains that did not
    diverge (:func:`llc_explorer.apps.ui.plot_data.mean_band`)."""
    diverged = {chain for chain, _ in result.diverged_chains}
    alive = [c for c in range(result.config.chains) if c not in diverged]
    return mean_band(result.running_llc[alive], result.steps_done)


def panel_data(result: SurfaceResult) -> dict[str, dict]:
    """A panel's plot data for ``result`` (a partial or final snapshot), by source name."""
    return {
        "trails": trail_segments(result.path),
        "cloud": cloud_points(result),
        "heads": heads(result),
        "llc": running_estimate(result),
        "step": one_step(result, box_half_width(result.config.gamma)),
        "targets": {
            "step": [0, result.config.steps],
            "exact": [float(result.truth.llc)] * 2,
            "tempered": [result.tempered_llc] * 2,
        },
    }
