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
a group whose chains all diverged keeps its step size), the next chunk runs at the ``eps_k``
of dual averaging (:mod:`llc_explorer.sgmcmc.dual_averaging`) toward the phase's target.

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
from llc_explorer.sgmcmc.dual_averaging import DualAveraging, DualAveragingState, dual_averaging
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
(:func:`llc_explorer.settings.default_warmup_factor`) and a longer run
(:func:`llc_explorer.settings.default_steps`)."""

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


class PhaseAdaptation(NamedTuple):
    """One phase's adaptation: its ``rule`` and ``state``, and whether it is ``frozen``, as it
    is once the next chunk would reach past ``horizon`` (so that the sampling window runs at
    one step size)."""

    rule: DualAveraging
    state: DualAveragingState
    horizon: float
    frozen: bool = False

    @classmethod
    def start(
        cls, step_size: np.ndarray, target: float, horizon: float, *, ceiling: bool = False
    ) -> PhaseAdaptation:
        """Adaptation toward ``target`` from ``step_size``
        (:func:`llc_explorer.sgmcmc.dual_averaging.dual_averaging`)."""
        rule = dual_averaging(target, ceiling=ceiling)
        return cls(rule, rule.init(step_size), horizon)

    @property
    def step_size(self) -> np.ndarray:
        """The step size of each group for the next chunk."""
        return self.rule.final(self.state)

    def after(self, acceptance: np.ndarray, done: int, chunk: int) -> PhaseAdaptation:
        """The adaptation after the chunk that ended at step ``done`` with mean ``acceptance``
        per group (the next chunk is ``chunk`` steps long)."""
        state = self.rule.update(self.state, acceptance)
        return self._replace(state=state, frozen=done + chunk > self.horizon)


class StepSchedule:
    """The step size of each group of chains for every chunk (module docstring): fixed, or
    adapted when ``target`` is given, over the run's ``phases``
    (:class:`llc_explorer.sgmcmc.run_length.Phases`, whose warm-up may end as the run goes).
    ``base`` holds each group's sampling step size (during an adapted warm-up: the warm-up's
    divided by ``factor``). Each phase adapts through a pure state
    (:class:`PhaseAdaptation`), replaced after every chunk; ``history`` records the step
    sizes, mean acceptance and end of every adapting chunk."""

    def __init__(
        self, base: np.ndarray, *, factor: float, phases: Phases, target: float | None
    ) -> None:
        self.base = np.asarray(base, np.float64)
        self.factor, self.phases, self.target = factor, phases, target
        self.warmup: PhaseAdaptation | None = None
        self.sampling: PhaseAdaptation | None = None
        self.history: list[tuple[np.ndarray, np.ndarray, int]] = []
        if target is not None and phases.warmup_end != 0:
            horizon = math.inf if phases.warmup_end is None else phases.warmup_end
            self.warmup = PhaseAdaptation.start(
                self.base * factor, WARMUP_ACCEPTANCE, horizon, ceiling=True
            )

    def for_chunk(self, start: int) -> np.ndarray:
        """The step sizes of the chunk that starts at step ``start``."""
        if self.phases.in_warmup(start):
            return self.warmup.step_size if self.warmup else self.base * self.factor
        if self.target is not None and self.sampling is None:  # the warm-up has just ended
            horizon = self.phases.burn_in_end
            assert horizon is not None  # known once the warm-up has ended
            self.sampling = PhaseAdaptation.start(self.base, self.target, horizon)
        return self.base

    def observe(self, start: int, acceptance: np.ndarray, done: int, chunk: int) -> None:
        """Adapt after the chunk ``start .. done - 1`` with mean ``acceptance`` per group."""
        in_warmup = self.phases.in_warmup(start)
        phase = self.warmup if in_warmup else self.sampling
        if phase is None or phase.frozen:
            return
        self.history.append((phase.step_size, np.asarray(acceptance, np.float64), done))
        phase = phase.after(acceptance, done, chunk)
        if in_warmup:
            self.warmup, self.base = phase, phase.step_size / self.factor
        else:
            self.sampling, self.base = phase, phase.step_size

    def calibration(self, group: int) -> StepSizeCalibration | None:
        """The adaptation's record for ``group`` so far (``None`` when the step size is fixed)."""
        if self.target is None:
            return None
        ends = np.array([h[2] for h in self.history], np.int64)
        warmup_end = self.phases.warmup_end  # None: an automatic warm-up still running
        if warmup_end is None:
            warmup_end = int(ends[-1]) if ends.size else 0
        return StepSizeCalibration(
            step_size=float(self.base[group]),
            target=self.target,
            step_sizes=np.array([h[0][group] for h in self.history]),
            acceptance=np.array([h[1][group] for h in self.history]),
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
