"""Dual averaging of the step size (Nesterov 2009; Stan's step-size adaptation, Hoffman &
Gelman 2014, section 3.2), for ``G`` independent groups of chains at once, as pure functions
over a NamedTuple state in BlackJAX's style (``blackjax.adaptation.step_size``). It stays in
NumPy: it runs on the host, once per chunk of steps, between compiled chunks.

After the ``k``-th iteration, with mean acceptance ``a_k`` of a group's chains:

    H_k = (1 - 1/(k + t0)) H_{k-1} + (delta - a_k) / (k + t0)
    log eps_k = mu - sqrt(k) / g * H_k,           mu = log eps_0

with Stan's ``g = 0.05`` and ``t0 = 10``, ``delta`` the target acceptance. Stan freezes at a
running average of ``log eps_k``; here the acceptance keeps falling while the chains spread out
from ``w*``, so an average lags behind on the large side (measured: acceptance 0.74 in the
sampling window against the target 0.8), and the last iterate is used. When and toward which
target the package adapts is :mod:`llc_explorer.sgmcmc.adaptation`'s business.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from llc_explorer.errors import ConfigError

GAIN, T0 = 0.05, 10.0
"""Stan's dual-averaging constants ``g`` and ``t0``."""


class DualAveragingState(NamedTuple):
    """Where dual averaging stands after ``k = step`` iterations, for ``G`` groups of chains
    (arrays of ``G`` values): ``log eps_k``, the averaged error ``H_k`` and ``mu = log eps_0``."""

    log_step_size: np.ndarray
    error_avg: np.ndarray
    step: int
    mu: np.ndarray


class DualAveraging(NamedTuple):
    """A dual-averaging rule: ``init(eps_0) -> state``; ``update(state, a_k) -> state`` after
    an iteration of mean acceptance ``a_k`` per group; ``final(state) -> eps_k``, the step
    sizes of the next iteration (the last iterate, not Stan's average: module docstring)."""

    init: Callable[[np.ndarray], DualAveragingState]
    update: Callable[[DualAveragingState, np.ndarray], DualAveragingState]
    final: Callable[[DualAveragingState], np.ndarray]


def dual_averaging(target: float, *, ceiling: bool = False) -> DualAveraging:
    """Dual averaging toward the acceptance ``target`` (``delta`` in the module docstring).

    With ``ceiling``, the step size never rises above ``eps_0``: ``H_k`` is held at 0 or
    above (``log eps_k = mu`` exactly where it would rise), so that a later fall in acceptance
    acts at once. A group whose ``a_k`` is NaN (every chain diverged) keeps its ``H`` and step
    size."""
    if not 0 < target < 1:
        raise ConfigError(f"target acceptance must be in (0, 1); got {target!r}")

    def init(step_size: np.ndarray) -> DualAveragingState:
        mu = np.log(np.asarray(step_size, np.float64))
        return DualAveragingState(mu, np.zeros_like(mu), 0, mu)

    def update(state: DualAveragingState, acceptance: np.ndarray) -> DualAveragingState:
        acceptance = np.asarray(acceptance, np.float64)
        dead = np.isnan(acceptance)  # no chain of the group left: its step size stays
        k = state.step + 1
        h = (1 - 1 / (k + T0)) * state.error_avg + (target - acceptance) / (k + T0)
        if ceiling:
            h = np.maximum(h, 0.0)
        h = np.where(dead, state.error_avg, h)
        log_eps = np.where(dead, state.log_step_size, state.mu - math.sqrt(k) / GAIN * h)
        return DualAveragingState(log_eps, h, k, state.mu)

    def final(state: DualAveragingState) -> np.ndarray:
        return np.exp(state.log_step_size)

    return DualAveraging(init, update, final)
