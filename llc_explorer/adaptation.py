"""Step-size adaptation toward a target MALA acceptance (Stan-style dual averaging, Hoffman &
Gelman 2014, section 3.2), one chunk of steps per iteration, over the stretch of the burn-in
between the warm-up and the sampling window (:attr:`llc_explorer.config.LLCConfig.warmup_steps`).

After the ``k``-th adapting chunk (``k = 1, 2, ...``) with mean MALA acceptance ``a_k`` over
its chains (:mod:`llc_explorer.mala`; a group whose chains all diverged counts as 0):

    H_k = (1 - 1/(k + t0)) H_{k-1} + (delta - a_k) / (k + t0)
    log eps_k = mu - sqrt(k) / g * H_k,           mu = log eps_0

with Stan's ``g = 0.05`` and ``t0 = 10``. The next chunk runs at ``eps_k``; once the next chunk
would reach past the burn-in, the step size is frozen at the last ``eps_k`` for the rest of
the run, so the whole sampling window (the estimate) uses one step size. Stan freezes at a
running average of ``log eps_k`` instead; here the acceptance keeps falling while the chains
spread out from ``w*``, so an average lags behind on the large side (measured: acceptance 0.74
in the sampling window against the target 0.8), and the last iterate is used.

The acceptance that matters is the one the chains have *after* they have left ``w*`` (near the
degenerate starting point gradients are small and almost every move is accepted), which is
why the adaptation waits for the warm-up rather than running a short pilot from ``w*``;
docs/ACCURACY.md shows the evidence and how ``TARGET_ACCEPTANCE`` was chosen.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

TARGET_ACCEPTANCE = 0.8
"""The MALA acceptance the automatic step size aims for (docs/ACCURACY.md)."""

GAIN, T0 = 0.05, 10.0
"""Stan's dual-averaging constants ``g`` and ``t0``."""

MIN_CHUNKS = 24
"""An adapting run uses chunks short enough for this many adaptation steps between its
warm-up and its sampling window."""


class StepSizeCalibration(NamedTuple):
    """An automatic step size and its evidence: ``step_sizes[k]`` ran chunk ``k`` (ending at
    step ``ends[k]``) and its chains' mean MALA acceptance was ``acceptance[k]``; ``step_size``
    (the last ``eps_k``) ran the rest, sampling window included."""

    step_size: float
    target: float
    step_sizes: np.ndarray
    acceptance: np.ndarray
    ends: np.ndarray

    def as_dict(self) -> dict:
        """JSON-ready."""
        return {
            "step_size": self.step_size,
            "target": self.target,
            "step_sizes": self.step_sizes.tolist(),
            "acceptance": self.acceptance.tolist(),
            "ends": self.ends.tolist(),
        }


class DualAveraging:
    """Dual averaging of ``log eps`` for ``G`` independent groups of chains at once."""

    def __init__(self, initial: np.ndarray, target: float, burn_in_steps: int) -> None:
        if not 0 < target < 1:
            raise ValueError(f"target acceptance must be in (0, 1); got {target!r}")
        self.mu = np.log(np.asarray(initial, np.float64))
        self.target = target
        self.burn_in = burn_in_steps
        self.h = np.zeros_like(self.mu)
        self.log_eps = self.mu.copy()
        self.k = 0
        self.frozen = False
        self.history: list[tuple[np.ndarray, np.ndarray, int]] = []

    @property
    def step_size(self) -> np.ndarray:
        """The step size of each group for the next chunk."""
        return np.exp(self.log_eps)

    def update(self, acceptance: np.ndarray, done: int, chunk: int) -> np.ndarray:
        """Record the chunk that ended at step ``done`` with mean ``acceptance`` per group (NaN:
        every chain diverged, counted as 0) and return the next chunk's step sizes."""
        if self.frozen:
            return self.step_size
        acceptance = np.nan_to_num(np.asarray(acceptance, np.float64), nan=0.0)
        self.history.append((self.step_size, acceptance, done))
        self.k += 1
        k = self.k
        self.h = (1 - 1 / (k + T0)) * self.h + (self.target - acceptance) / (k + T0)
        self.log_eps = self.mu - math.sqrt(k) / GAIN * self.h
        self.frozen = done + chunk > self.burn_in
        return self.step_size

    def calibration(self, group: int) -> StepSizeCalibration:
        """The record of ``group`` so far."""
        eps = np.array([h[0][group] for h in self.history])
        accepted = np.array([h[1][group] for h in self.history])
        ends = np.array([h[2] for h in self.history], np.int64)
        return StepSizeCalibration(float(self.step_size[group]), self.target, eps, accepted, ends)


def adapting_chunk_size(chunk: int, adapting_steps: int) -> int:
    """``chunk``, halved until ``adapting_steps`` hold ``MIN_CHUNKS`` chunks (at least 8 steps)."""
    while chunk > 8 and adapting_steps < MIN_CHUNKS * chunk:
        chunk //= 2
    return chunk
