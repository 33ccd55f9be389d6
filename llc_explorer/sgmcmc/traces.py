"""What a chunked run of chains records and how it becomes an estimate (spec section 3):
the loss traces with the running estimate (:class:`Traces`), and the mean over the chains that
did not diverge (:class:`ChainEstimate`). The DLN estimator and the surfaces share both.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np


class Traces:
    """The recorded losses and the running estimate of ``C`` chains, filled chunk by chunk.

    ``running[c, t] = n*beta * (mean_{B <= s <= t} L_s^c - L_n(w*))`` (NaN for ``t < B``) is
    extended from a per-chain running sum, so each chunk costs time in its own length only.
    Entries before ``steps_done`` never change again: results hold views, not copies.
    """

    def __init__(
        self, config: Any, chains: int, loss_at_teacher: float, *, burn_in: int | None = None
    ) -> None:
        """``config`` gives ``steps``, ``burn_in_steps`` and ``nbeta`` (an :class:`LLCConfig`
        or a :class:`llc_explorer.surfaces.sampling.SurfaceConfig`); ``burn_in`` overrides its
        burn-in. The burn-in may be set later (:attr:`burn_in`), before any step past it is
        recorded (an automatic run length decides it as it goes)."""
        shape = (chains, config.steps)
        self.loss = np.full(shape, np.nan, np.float32)
        self.acceptance = np.full(shape, np.nan, np.float32)
        self.running = np.full(shape, np.nan)
        self.burn_in = config.burn_in_steps if burn_in is None else burn_in
        self.nbeta = config.nbeta
        self.loss0 = loss_at_teacher
        self.total = np.zeros(chains)

    def extend(self, start: int, losses: np.ndarray, acceptance: np.ndarray) -> None:
        """Record ``losses`` and MALA ``acceptance`` (chains x k each) as steps
        ``start .. start + k - 1``."""
        stop = start + losses.shape[1]
        self.loss[:, start:stop] = losses
        self.acceptance[:, start:stop] = acceptance
        first = max(start, self.burn_in)
        if first >= stop:
            return
        sums = self.total[:, None] + np.cumsum(losses[:, first - start :], axis=1, dtype=float)
        counts = np.arange(first - self.burn_in + 1, stop - self.burn_in + 1)
        self.running[:, first:stop] = self.nbeta * (sums / counts - self.loss0)
        self.total = sums[:, -1]


def latest_half_estimate(
    loss: np.ndarray, steps: np.ndarray, nbeta: float, loss_at_teacher: float
) -> np.ndarray:
    """The provisional estimate shown during the burn-in, per chain (rows of ``loss``,
    chains x steps) at each step ``t`` of ``steps``: the latest half of the steps so far,
    ``n*beta * (mean_{floor(t/2) <= s <= t} L_s - L_n(w*))``. It is not the estimator (that
    averages from the burn-in on); it only lets a run show a number from its first chunk."""
    sums = np.zeros((loss.shape[0], loss.shape[1] + 1))
    np.cumsum(loss, axis=1, dtype=float, out=sums[:, 1:])
    steps = np.asarray(steps, int)
    first = steps // 2
    return nbeta * ((sums[:, steps + 1] - sums[:, first]) / (steps + 1 - first) - loss_at_teacher)


class ChainEstimate(NamedTuple):
    """The estimate over chains: per chain (NaN for a diverged one), and the mean, standard
    deviation (``ddof=1``) and standard error ``std / sqrt(C)`` over the others."""

    per_chain: np.ndarray
    mean: float
    std: float
    stderr: float
    diverged: list[tuple[int, int]]

    @classmethod
    def of(cls, latest: np.ndarray, diverged_at: np.ndarray) -> ChainEstimate:
        """From each chain's latest running estimate and its ``diverged_at`` (-1: alive);
        ``diverged`` lists ``(chain, step)`` pairs."""
        diverged = [(int(c), int(s)) for c, s in enumerate(diverged_at) if s >= 0]
        per_chain = np.array(latest, np.float64)
        per_chain[[c for c, _ in diverged]] = np.nan
        good = per_chain[np.isfinite(per_chain)]
        mean = float(good.mean()) if good.size else math.nan
        std = float(good.std(ddof=1)) if good.size > 1 else math.nan
        stderr = std / math.sqrt(good.size) if good.size > 1 else math.nan
        return cls(per_chain, mean, std, stderr, diverged)


class ChainEstimateView:
    """The estimate over chains, read through a result that holds it as ``estimate`` (the DLN
    result and the surface result alike)."""

    estimate: ChainEstimate

    @property
    def llc_mean(self) -> float:
        """The estimate: the mean over the chains that did not diverge (NaN when all did)."""
        return self.estimate.mean

    @property
    def llc_std(self) -> float:
        """The standard deviation of the chains' estimates (``ddof=1``)."""
        return self.estimate.std

    @property
    def llc_stderr(self) -> float:
        """The standard error ``std / sqrt(C)`` over the chains that did not diverge."""
        return self.estimate.stderr

    @property
    def llc_per_chain(self) -> np.ndarray:
        """Each chain's estimate (NaN for a diverged chain)."""
        return self.estimate.per_chain

    @property
    def diverged_chains(self) -> list[tuple[int, int]]:
        """``(chain, step)`` of each diverged chain."""
        return self.estimate.diverged
