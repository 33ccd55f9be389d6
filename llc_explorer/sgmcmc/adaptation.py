"""The step size of every chunk: the warm-up's and the sampling one, fixed or adapted toward a
target MALA acceptance (Stan-style dual averaging, Hoffman & Gelman 2014, section 3.2), one
chunk of steps per iteration.

Fixed: chunks that start in the warm-up (:attr:`llc_explorer.config.LLCConfig.warmup_steps`)
run at ``warmup_factor`` times the step size, the rest at the step size.

Adapted (``step_size="auto"``): in the warm-up the step size adapts toward
``WARMUP_ACCEPTANCE``, starting from ``warmup_factor`` times the sampler's default and never
above it (above it SGLD chains ran away on small DLNs); at its end
the sampling step size starts from the warm-up's divided by ``warmup_factor`` and adapts toward
``TARGET_ACCEPTANCE`` until the sampling window, for which it is frozen. After the ``k``-th
chunk of a phase, with mean MALA acceptance ``a_k`` over its chains
(:mod:`llc_explorer.sgmcmc.mala`;
a group whose chains all diverged keeps its step size):

    H_k = (1 - 1/(k + t0)) H_{k-1} + (delta - a_k) / (k + t0)
    log eps_k = mu - sqrt(k) / g * H_k,           mu = log eps_0

with Stan's ``g = 0.05`` and ``t0 = 10``. The next chunk runs at ``eps_k``. Stan freezes at a
running average of ``log eps_k``; here the acceptance keeps falling while the chains spread out
from ``w*``, so an average lags behind on the large side (measured: acceptance 0.74 in the
sampling window against the target 0.8), and the last iterate is used.

Why two phases: near the degenerate start almost every move is accepted, so a step size chosen
there (a short pilot) is far too large later; a warm-up at a fixed multiple of a default that
is already too large for the network (the 1e4 class) lets chains run off before the sampling
step size is found. docs/ACCURACY.md shows the evidence and how the targets were chosen.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from llc_explorer.errors import ConfigError
from llc_explorer.sgmcmc.registry import get_sampler
from llc_explorer.sgmcmc.run_length import Phases, adapting_steps

TARGET_ACCEPTANCE = 0.8
"""The MALA acceptance the automatic step size aims for in the sampling window of a network
of at least ``REFERENCE_PARAMS`` parameters (docs/ACCURACY.md)."""

REFERENCE_PARAMS = 1_000
"""The network size (``d``) from which the target is ``TARGET_ACCEPTANCE``."""

SMALL_TARGET = 0.95
"""The highest target of the rule for networks of at least ``TINY_PARAMS`` parameters."""

TINY_PARAMS = 100
"""Networks below this many parameters are *tiny*: they get ``TINY_TARGET``, no warm-up boost
(:func:`llc_explorer.config.default_warmup_factor`) and a longer run
(:func:`llc_explorer.config.default_steps`)."""

TINY_TARGET = 0.98
"""The target on a tiny network."""


def target_acceptance(num_params: int) -> float:
    """The MALA acceptance the automatic step size aims for on a network of ``d`` parameters:

        1 - clip(0.2 * sqrt(d / 1000), 0.05, 0.2)     (d >= TINY_PARAMS),

    0.8 from ``d = 1000`` up, rising to 0.94 at ``d = 100``; ``TINY_TARGET`` below. One
    acceptance level means a larger step relative to the posterior's scale the fewer the
    dimensions whose moves it averages, so the bias of the estimate grows as ``d`` shrinks: at
    0.8 six tiny DLNs (``d`` 20-60) read +8% to +28%, at 0.95 -1% to +12% but one at +62%,
    which long small-step SGLD reads within 3% of the exact value; at 0.98 (with 60,000
    steps) +0.6% to +7.2% (docs/ACCURACY.md, sections 0.2 and 0.6)."""
    if num_params < TINY_PARAMS:
        return TINY_TARGET
    rejection = 0.2 * math.sqrt(num_params / REFERENCE_PARAMS)
    return 1 - min(max(rejection, 1 - SMALL_TARGET), 1 - TARGET_ACCEPTANCE)


WARMUP_ACCEPTANCE = 0.5
"""The MALA acceptance the warm-up's step size aims for: large steps to leave ``w*`` quickly.
The warm-up step never exceeds ``warmup_factor`` times the sampler's default, and minibatch
noise alone holds the acceptance near 0.5 at steps that large, so this target decides whether
the warm-up stays at its ceiling or brakes. At 0.6 it braked too early on 1e4 DLNs, whose
chains then had not left ``w*`` by the sampling window (six 1e4 DLNs of calibration seed
73100: -9.6 to -0.5%, median abs 1.6%); at 0.4 it never braked, and on a 7-matrix 1e5 DLN
(seed 74025) every chain blew up in the warm-up. At 0.5: -5.7 to +1.0% (median abs 0.9%) on
the six, -1.3% on the 1e5 one (0.6: -8.9%); six 1e3 DLNs read the same at 0.4 and 0.5 and
better than at 0.6 (median abs 1.3% against 1.9%). docs/ACCURACY.md, section 0.6."""


GAIN, T0 = 0.05, 10.0
"""Stan's dual-averaging constants ``g`` and ``t0``."""

MIN_CHUNKS = 24
"""An adapting run uses chunks short enough for this many adaptation steps between its
warm-up and its sampling window."""


def require_acceptance(sampler: str) -> None:
    """``ValueError`` unless ``sampler`` has a MALA acceptance to adapt on."""
    if get_sampler(sampler).metric is None:
        raise ConfigError(
            f"an automatic step size needs a MALA acceptance, which {sampler} (its moves carry "
            "momentum) does not have; use sgld or rmsprop_sgld, or give a step size"
        )


class StepSizeCalibration(NamedTuple):
    """An automatic step size and its evidence: ``step_sizes[k]`` ran the adapting chunk ``k``
    (ending at step ``ends[k]``; those ending at or before ``warmup_end`` are the warm-up's,
    aiming at ``warmup_target``) and its chains' mean MALA acceptance was ``acceptance[k]``;
    ``step_size`` (the last ``eps_k``, aiming at ``target``) ran the sampling window."""

    step_size: float
    target: float
    step_sizes: np.ndarray
    acceptance: np.ndarray
    ends: np.ndarray
    warmup_end: int
    warmup_target: float

    def as_dict(self) -> dict:
        """JSON-ready."""
        out = self._asdict()
        for name in ("step_sizes", "acceptance", "ends"):
            out[name] = out[name].tolist()
        return out


class DualAveraging:
    """Dual averaging of ``log eps`` for ``G`` independent groups of chains at once."""

    def __init__(
        self, initial: np.ndarray, target: float, horizon: float, *, ceiling: bool = False
    ) -> None:
        """Start at ``initial`` step sizes; freeze once a chunk would reach past ``horizon``;
        with ``ceiling``, never step above ``initial`` (``H`` is held at the value that gives
        the ceiling, so that a later fall in acceptance acts at once)."""
        if not 0 < target < 1:
            raise ConfigError(f"target acceptance must be in (0, 1); got {target!r}")
        self.mu = np.log(np.asarray(initial, np.float64))
        self.target = target
        self.horizon = horizon
        self.h = np.zeros_like(self.mu)
        self.log_eps = self.mu.copy()
        self.ceiling = ceiling
        self.k = 0
        self.frozen = False
        self.history: list[tuple[np.ndarray, np.ndarray, int]] = []

    @property
    def step_size(self) -> np.ndarray:
        """The step size of each group for the next chunk."""
        return np.exp(self.log_eps)

    def update(self, acceptance: np.ndarray, done: int, chunk: int) -> np.ndarray:
        """Record the chunk that ended at step ``done`` with mean ``acceptance`` per group (NaN:
        every chain diverged; that group's step size stays the one they diverged at) and
        return the next chunk's step sizes."""
        if self.frozen:
            return self.step_size
        acceptance = np.asarray(acceptance, np.float64)
        dead = np.isnan(acceptance)  # no chain of the group left: its step size stays
        self.history.append((self.step_size, acceptance, done))
        self.k += 1
        k = self.k
        h = (1 - 1 / (k + T0)) * self.h + (self.target - acceptance) / (k + T0)
        if self.ceiling:
            h = np.maximum(h, 0.0)  # log eps = mu exactly where it would rise above
        self.h = np.where(dead, self.h, h)
        self.log_eps = np.where(dead, self.log_eps, self.mu - math.sqrt(k) / GAIN * self.h)
        self.frozen = done + chunk > self.horizon
        return self.step_size


class StepSchedule:
    """The step size of each group of chains for every chunk (module docstring): fixed, or
    adapted when ``target`` is given, over the run's ``phases``
    (:class:`llc_explorer.sgmcmc.run_length.Phases`, whose warm-up may end as the run goes).
    ``base`` holds each group's sampling step size (during an adapted warm-up: the warm-up's
    divided by ``factor``)."""

    def __init__(
        self, base: np.ndarray, *, factor: float, phases: Phases, target: float | None
    ) -> None:
        self.base = np.asarray(base, np.float64)
        self.factor, self.phases, self.target = factor, phases, target
        self.warmup: DualAveraging | None = None
        self.sampling: DualAveraging | None = None
        if target is not None and phases.warmup_end != 0:
            horizon = math.inf if phases.warmup_end is None else phases.warmup_end
            self.warmup = DualAveraging(
                self.base * factor, WARMUP_ACCEPTANCE, horizon, ceiling=True
            )

    def for_chunk(self, start: int) -> np.ndarray:
        """The step sizes of the chunk that starts at step ``start``."""
        if self.phases.in_warmup(start):
            return self.warmup.step_size if self.warmup else self.base * self.factor
        if self.target is not None and self.sampling is None:  # the warm-up has just ended
            horizon = self.phases.burn_in_end
            assert horizon is not None  # known once the warm-up has ended
            self.sampling = DualAveraging(self.base, self.target, horizon)
        return self.base

    def observe(self, start: int, acceptance: np.ndarray, done: int, chunk: int) -> None:
        """Adapt after the chunk ``start .. done - 1`` with mean ``acceptance`` per group."""
        phase = self.warmup if self.phases.in_warmup(start) else self.sampling
        if phase is None or phase.frozen:
            return
        eps = phase.update(acceptance, done, chunk)
        self.base = eps / self.factor if phase is self.warmup else eps

    def calibration(self, group: int) -> StepSizeCalibration | None:
        """The adaptation's record for ``group`` so far (``None`` when the step size is fixed)."""
        if self.target is None:
            return None
        history = [h for phase in (self.warmup, self.sampling) if phase for h in phase.history]
        ends = np.array([h[2] for h in history], np.int64)
        warmup_end = self.phases.warmup_end  # None: an automatic warm-up still running
        if warmup_end is None:
            warmup_end = int(ends[-1]) if ends.size else 0
        return StepSizeCalibration(
            step_size=float(self.base[group]),
            target=self.target,
            step_sizes=np.array([h[0][group] for h in history]),
            acceptance=np.array([h[1][group] for h in history]),
            ends=ends,
            warmup_end=warmup_end,
            warmup_target=WARMUP_ACCEPTANCE,
        )


def run_chunk_size(config: Any, *, adapting: bool) -> int:
    """The chunk length a run of ``config`` uses: its ``chunk_size``, shortened while the step
    size adapts (:func:`adapting_chunk_size`). The run and its precompilation
    (:mod:`llc_explorer.apps.precompile`) both take it from here."""
    if not adapting:
        return config.chunk_size
    return adapting_chunk_size(config.chunk_size, adapting_steps(config))


def adapting_chunk_size(chunk: int, adapting_steps: int) -> int:
    """``chunk``, halved until ``adapting_steps`` hold ``MIN_CHUNKS`` chunks (at least 8 steps)."""
    while chunk > 8 and adapting_steps < MIN_CHUNKS * chunk:
        chunk //= 2
    return chunk
