"""A run's phases (warm-up, adaptation, sampling window) and, with ``steps="auto"``, when it
stops.

Fixed length (``steps`` an int ``T``, burn-in share ``b``): the burn-in is ``B = floor(b T)``
steps, of which the first ``W = max(0, 2B - T)`` are the warm-up; the estimate averages steps
``B .. T - 1``.

Automatic length (``steps="auto"``, the default), in three phases decided as the run goes:

1. **Warm-up**, until the chains have left ``w*``: at least ``MIN_WARMUP`` steps, then until
   the provisional estimate (the latest half of the steps so far) has stopped rising. At each
   check, at steps ``t`` spaced by factors of ``CHECK_GROWTH``, every chain's mean loss over
   ``[t/2, t)`` is compared with its mean over ``[t/4, t/2)``: the warm-up goes on while
   ``n*beta`` times the mean rise over the chains exceeds ``RISE_LIMIT`` of the estimate. A
   chain still leaving ``w*`` rises by a similar amount per doubling of its run (the escape is
   diffusive), so the test fires until the rise has stopped. It ends at the latest at
   ``WARMUP_SHARE`` of the budget.
2. **Adaptation** of the sampling step size (when automatic) and settling at it:
   ``max(MIN_ADAPT, W / 8)`` steps after a warm-up of ``W`` (the fixed schedule's ratio).
   The burn-in ``B`` is the warm-up plus this.
3. **Sampling**, from ``B`` on, at a frozen step size: the estimate averages every step since
   ``B`` (the fixed schedule's estimator with the burn-in decided online). The run stops as
   soon as, at a check (sampling steps at least ``B - W``, then every ``CHECK_GROWTH``-fold
   more), every one of these holds: the Monte Carlo half-width of the 95% interval is at most
   ``precision`` of the estimate; R-hat is at most ``RHAT_LIMIT``; the drift check passes
   (the two halves of the window agree); the bulk and tail ESS are at least ``ESS_MIN``
   (:mod:`llc_explorer.sgmcmc.diagnostics`). Or at the budget: ``max_steps`` steps, or
   ``max_seconds`` of sampling. A run stopped at the budget says so in a warning.

``stop_reason`` is ``"converged"``, ``"budget"``, ``"fixed"`` (a fixed-length run that ran
its steps), or ``None`` while it runs (a stream its caller closes, as the explorer's Stop
does, ends on such a partial result).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from llc_explorer.sgmcmc.diagnostics import DRIFT_LIMIT, ESS_MIN, RHAT_LIMIT, Diagnostics

MIN_WARMUP = 4_000
"""The shortest automatic warm-up, in steps."""

MIN_ADAPT = 2_000
"""The shortest adaptation phase after an automatic warm-up, in steps."""

WARMUP_SHARE = 0.6
"""The automatic warm-up ends at the latest at this share of the budget ``max_steps``."""

RISE_LIMIT = 0.02
"""The warm-up goes on while the provisional estimate rises by more than this share per
doubling of the run."""

CHECK_GROWTH = 1.25
"""Checks (of the warm-up's rise and of the stopping criteria) are spaced by this factor in
steps, so that a noisy criterion gets few chances to pass by luck."""


@dataclass
class Phases:
    """Where a run's phases end: ``warmup_end`` (``None`` while an automatic warm-up runs) and
    ``burn_in_end`` (the first step of the sampling window; ``None`` until known); why it
    stopped, and the warm-up's last measured rise per doubling (relative to its level)."""

    warmup_end: int | None
    burn_in_end: int | None
    stop_reason: str | None = None
    warmup_rise: float = math.nan

    @classmethod
    def of(cls, config: Any) -> Phases:
        """The phases of ``config`` (an :class:`llc_explorer.config.LLCConfig`): known at once
        for a fixed length, decided as the run goes with ``auto_length``."""
        if config.auto_length:
            return cls(None, None)
        return cls(config.warmup_steps, config.burn_in_steps)

    def in_warmup(self, step: int) -> bool:
        """Whether ``step`` belongs to the warm-up."""
        return self.warmup_end is None or step < self.warmup_end


def rise_per_doubling(loss: np.ndarray, stop: int, nbeta: float) -> tuple[float, float]:
    """``(n*beta * mean rise, n*beta * mean level)`` over the chains (rows of ``loss``, whose
    first ``stop`` steps are recorded) of the mean loss over ``[stop/2, stop)`` against
    ``[stop/4, stop/2)``; the level is the first mean less the loss at ``w*`` (left to the
    caller: it is the same for both windows and cancels in the rise)."""
    quarter, half = stop // 4, stop // 2
    later = loss[:, half:stop].mean(axis=1, dtype=np.float64)
    earlier = loss[:, quarter:half].mean(axis=1, dtype=np.float64)
    return float(nbeta * np.mean(later - earlier)), float(nbeta * np.mean(later))


def criteria(
    diagnostics: Diagnostics, estimate: float, interval_mc: tuple[float, float]
) -> dict[str, float]:
    """The stopping criteria's values: the Monte Carlo half-width relative to the estimate,
    R-hat, the drift and its z-score, and the smaller ESS."""
    half = (interval_mc[1] - interval_mc[0]) / 2
    return {
        "half_width": half / abs(estimate) if estimate else math.nan,
        "rhat": diagnostics.rhat,
        "drift": diagnostics.drift,
        "drift_z": diagnostics.drift_z,
        "ess": min(diagnostics.ess_bulk, diagnostics.ess_tail),
    }


def converged(values: dict[str, float], precision: float) -> bool:
    """Whether every criterion of :func:`criteria` holds (module docstring). A single chain
    has no R-hat; it is judged on the rest."""
    drift_ok = abs(values["drift"]) <= DRIFT_LIMIT or abs(values["drift_z"]) <= 2
    rhat_ok = not values["rhat"] > RHAT_LIMIT
    return bool(
        values["half_width"] <= precision and rhat_ok and drift_ok and values["ess"] >= ESS_MIN
    )


def adapting_steps(config: Any) -> int:
    """The steps between the warm-up and the sampling window over which an automatic step
    size adapts (the shortest, for an automatic run length)."""
    if config.auto_length:
        return MIN_ADAPT
    return config.burn_in_steps - config.warmup_steps


class AutoLength:
    """The decisions of an automatic run length (module docstring), made after each chunk."""

    def __init__(self, config: Any, phases: Phases) -> None:
        """For ``config`` (its ``steps`` is the budget), moving ``phases`` along."""
        self.config, self.phases = config, phases
        self.next_check = MIN_WARMUP

    def after_warmup_chunk(self, loss: np.ndarray, alive: np.ndarray, stop: int) -> bool:
        """After a warm-up chunk ending at ``stop`` (``loss``: every chain's losses, chains x
        steps, read only when a check is due; ``alive``: the chains that did not diverge):
        whether the warm-up ends here (then ``phases`` holds the burn-in; later calls return
        False)."""
        if self.phases.warmup_end is not None or stop < self.next_check:
            return False
        self.next_check = math.ceil(stop * CHECK_GROWTH)
        rise, level = rise_per_doubling(loss[alive, :stop], stop, self.config.nbeta)
        self.phases.warmup_rise = rise / level if level else math.nan
        still_rising = rise > RISE_LIMIT * abs(level)
        if still_rising and stop < WARMUP_SHARE * self.config.steps:
            return False
        adapt = max(MIN_ADAPT, stop // 8)
        self.phases.warmup_end, self.phases.burn_in_end = stop, stop + adapt
        self.next_check = stop + 2 * adapt
        return True

    def should_stop(
        self, stop: int, seconds: float, values: Callable[[], list[dict[str, float]] | None]
    ) -> bool:
        """After a chunk ending at ``stop``, ``seconds`` into the run: whether to stop
        (``phases.stop_reason`` says why). ``values()`` gives :func:`criteria` for every group
        of chains (``None`` before the sampling window); it is called only when a check is
        due."""
        burn_in = self.phases.burn_in_end
        if burn_in is not None and stop >= self.next_check:
            groups = values()
            if groups is not None:
                self.next_check = burn_in + math.ceil((stop - burn_in) * CHECK_GROWTH)
                if all(converged(v, self.config.precision) for v in groups):
                    self.phases.stop_reason = "converged"
                    return True
        budget = self.config.max_seconds
        if stop >= self.config.steps or (budget is not None and seconds >= budget):
            self.phases.stop_reason = "budget"
            return True
        return False
