"""What an LLC estimate returns: :class:`LLCResult`, the estimate over chains with its
interval, diagnostics, warnings and traces, and :func:`summarize`, which makes one from a
run's traces (spec section 3).

Per chain ``c``: ``lambda_hat_c = n*beta * (mean_{B <= t < T} L_{B_t}(w_t^c) - L_n(w*))``, with
``B`` burn-in steps out of ``T`` (steps counted from 0). The estimate is the mean over
chains that did not diverge, with their standard deviation and standard error
``std / sqrt(C)``; the running estimate takes the mean over ``B <= s <= t``. Its 95% interval,
convergence diagnostics and warnings are those of :mod:`llc_explorer.sgmcmc.diagnostics`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Any, Generic, TypeVar

import numpy as np

from llc_explorer.config import RunConfig
from llc_explorer.dln.local_truth import truth_note
from llc_explorer.dln.problem import Target
from llc_explorer.sgmcmc import run_length
from llc_explorer.sgmcmc.adaptation import TINY_PARAMS, StepSizeCalibration
from llc_explorer.sgmcmc.diagnostics import (
    ABOVE_MAXIMUM,
    MALA_MAX,
    SYSTEMATIC,
    TINY_MALA_MAX,
    Diagnostics,
    convergence_warnings,
    diagnose,
    interval95,
)
from llc_explorer.sgmcmc.registry import get_spec
from llc_explorer.sgmcmc.run_length import Phases
from llc_explorer.sgmcmc.traces import (
    ChainEstimate,
    ChainEstimateView,
    Traces,
    latest_half_estimate,
)

C = TypeVar("C", bound=RunConfig)


@dataclass(frozen=True)
class LLCResult(ChainEstimateView, Generic[C]):
    """An LLC estimate (complete when ``done``; partial snapshots come from ``stream_llc``).

    ``true_llc`` and ``multiplicity`` are the exact local learning coefficient at the teacher
    the chains start from (``None`` where the package cannot compute it, see
    :mod:`llc_explorer.dln.local_truth`); ``global_llc`` is Aoyagi's value for the whole model,
    never above ``true_llc``.

    ``burn_in_steps`` and ``warmup_steps`` are the run's (with ``steps="auto"`` decided as it
    goes: ``warmup_steps`` is ``None`` while the warm-up runs, and ``burn_in_steps`` then the
    budget); ``stop_reason`` says why it ended (:mod:`llc_explorer.sgmcmc.run_length`; ``None``
    while it runs) and ``warmup_rise`` is the warm-up's last measured rise per doubling.
    """

    config: C
    true_llc: Fraction | None
    multiplicity: int | None
    global_llc: Fraction | None
    estimate: ChainEstimate
    relative_error: float
    loss_trace: np.ndarray
    running_llc: np.ndarray
    mala_trace: np.ndarray
    loss_at_teacher: float
    num_params: int
    steps_done: int
    steps_per_second: float
    compile_seconds: float
    done: bool
    calibration: StepSizeCalibration | None = None
    burn_in_steps: int = 0
    warmup_steps: int | None = 0
    stop_reason: str | None = None
    warmup_rise: float = math.nan

    @property
    def message(self) -> str:
        """A plain sentence on the state of the estimate (empty when nothing needs saying)."""
        chains = self.config.chains
        if len(self.diverged_chains) == chains:
            return (
                f"all {chains} chains diverged (their loss blew up past any value the posterior "
                f"reaches, or became NaN) at step size {self.config.step_size:.3g}: there is no "
                "estimate; try a smaller step size"
            )
        if self.warmup_steps is None:
            return (
                "warm-up: the estimate starts once the chains have left w*; until then a "
                "provisional value (the latest half of the steps) is shown"
            )
        if self.steps_done <= self.burn_in_steps:
            return (
                f"burn-in: the estimate starts after step {self.burn_in_steps:,}; "
                "until then a provisional value (the latest half of the steps) is shown"
            )
        if self.diverged_chains:
            return (
                f"{len(self.diverged_chains)} of {chains} chains diverged (their loss blew up or "
                f"became NaN at step size {self.config.step_size:.3g}) and are excluded"
            )
        return ""

    @property
    def llc_trace(self) -> np.ndarray:
        """``n*beta * (L_{B_t}(w_t) - L_n(w*))`` per chain and step, in float64: each step's
        contribution to the estimate (its mean over the sampling window is a chain's
        estimate)."""
        return self.config.nbeta * (self.loss_trace.astype(np.float64) - self.loss_at_teacher)

    @property
    def provisional(self) -> bool:
        """Whether the burn-in is still running (no estimate yet: see
        :attr:`provisional_llc`)."""
        return self.steps_done <= self.burn_in_steps

    @cached_property
    def provisional_llc(self) -> float:
        """During the burn-in, the mean over the chains still alive of
        :func:`llc_explorer.sgmcmc.traces.latest_half_estimate` at the latest step (NaN before the
        first step and after the burn-in, where :attr:`llc_mean` is the estimate)."""
        if not 0 < self.steps_done <= self.burn_in_steps:
            return math.nan
        diverged = dict(self.diverged_chains)
        alive = [c for c in range(self.config.chains) if c not in diverged]
        if not alive:
            return math.nan
        latest = latest_half_estimate(
            self.loss_trace[alive],
            np.array([self.steps_done - 1]),
            self.config.nbeta,
            self.loss_at_teacher,
        )
        return float(np.mean(latest))

    @cached_property
    def mala_per_chain(self) -> np.ndarray:
        """Each chain's mean MALA acceptance after burn-in (NaN for a diverged chain, before
        the burn-in ends, and for samplers without one: :mod:`llc_explorer.sgmcmc.mala`)."""
        accepted = self.mala_trace[:, self.burn_in_steps :]
        out = np.full(accepted.shape[0], np.nan)
        defined = np.isfinite(accepted).any(axis=1) & np.isfinite(self.llc_per_chain)
        out[defined] = np.nanmean(accepted[defined], axis=1)
        return out

    @cached_property
    def diagnostics(self) -> Diagnostics:
        """R-hat, ESS, MCSE, drift and MALA acceptance of the sampling window
        (:mod:`llc_explorer.sgmcmc.diagnostics`), over the chains that did not diverge."""
        alive = np.isfinite(self.llc_per_chain)
        if self.steps_done <= self.burn_in_steps or not alive.any():
            return Diagnostics.undefined()
        window = slice(self.burn_in_steps, self.steps_done)
        return diagnose(
            self.loss_trace[alive, window],
            self.mala_trace[alive, window],
            self.config.nbeta,
            self.llc_mean,
        )

    @cached_property
    def llc_ci95(self) -> tuple[float, float]:
        """The 95% interval for the LLC: Monte Carlo part plus the systematic allowance
        ``SYSTEMATIC`` (:mod:`llc_explorer.sgmcmc.diagnostics`)."""
        return interval95(self.llc_per_chain, self.diagnostics.mcse, SYSTEMATIC)

    @cached_property
    def llc_ci95_mc(self) -> tuple[float, float]:
        """The Monte Carlo part of :attr:`llc_ci95` alone (Student's t over the chains)."""
        return interval95(self.llc_per_chain, self.diagnostics.mcse)

    @cached_property
    def criteria(self) -> dict[str, float]:
        """The automatic run length's stopping criteria now (:func:`run_length.criteria`), the
        precision they aim at, and the warm-up's last rise per doubling."""
        values = run_length.criteria(self.diagnostics, self.llc_mean, self.llc_ci95_mc)
        return {**values, "precision": self.config.precision, "warmup_rise": self.warmup_rise}

    @cached_property
    def warnings(self) -> list[str]:
        """Plain-words warnings: diverged chains, an estimate no LLC can have, a run stopped
        at its budget, and every convergence diagnostic past its limit
        (:func:`llc_explorer.sgmcmc.diagnostics.convergence_warnings`)."""
        diverged = len(self.diverged_chains)
        out = [self.message] if diverged else []
        if self.llc_mean > (1 + ABOVE_MAXIMUM) * self.num_params / 2:
            out.append(
                f"the estimate {self.llc_mean:,.4g} exceeds d/2 = {self.num_params / 2:,.1f}, "
                "which no learning coefficient can: the chains are not sampling the local "
                "posterior (a step size far too large, or chains carried away in the warm-up); "
                "lower the step size or the warm-up factor"
            )
        if self.stop_reason == "budget":
            out.append(
                f"the run reached its budget ({self.steps_done:,} steps) before the estimate "
                f"converged (Monte Carlo half-width {self.criteria['half_width']:.1%} against "
                f"the target {100 * self.config.precision:.3g}%, or a check below); raise max_steps"
            )
        tiny = self.num_params < TINY_PARAMS
        return out + convergence_warnings(
            self.diagnostics, mala_max=TINY_MALA_MAX if tiny else MALA_MAX
        )

    @property
    def step_size_source(self) -> str:
        """``"auto"`` (adapted during the burn-in: :mod:`llc_explorer.sgmcmc.adaptation`),
        ``"default"`` (the sampler's default) or ``"user"``."""
        if self.calibration is not None:
            return "auto"
        default = get_spec(self.config.sampler).defaults["step_size"]
        return "default" if self.config.step_size == default else "user"

    @property
    def truth_note(self) -> str:
        """Which exact value applies at this teacher, in plain words."""
        if self.global_llc is None:
            return "no exact value: a model of one's own"
        config = self.config
        return truth_note(self.true_llc, self.global_llc, config.teacher, config.rank)  # type: ignore[attr-defined]

    def to_datatree(self) -> Any:
        """This result as an ArviZ ``DataTree``:
        :func:`llc_explorer.export.from_llc_result`; needs the ``arviz`` extra
        (``pip install ".[arviz]"``)."""
        from llc_explorer.export import from_llc_result

        return from_llc_result(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no traces; NaN becomes ``None``):
        :func:`llc_explorer.export.to_dict`."""
        from llc_explorer.export import to_dict

        return to_dict(self)


def summarize(
    config: C,
    problem: Target,
    traces: Traces,
    chains: slice,
    diverged_at: np.ndarray,
    steps_done: int,
    run_seconds: float,
    compile_seconds: float,
    calibration: StepSizeCalibration | None,
    phases: Phases,
) -> LLCResult[C]:
    """Estimate from the first ``steps_done`` recorded steps of the ``chains`` of ``traces``
    (``diverged_at`` is already theirs), in the run's ``phases``."""
    loss, running = traces.loss[chains, :steps_done], traces.running[chains, :steps_done]
    estimate = ChainEstimate.of(running[:, -1], diverged_at)
    truth = problem.truth
    exact = math.nan if truth is None else float(truth.llc)
    return LLCResult(
        config=config,
        true_llc=None if truth is None else truth.llc,
        multiplicity=None if truth is None else truth.multiplicity,
        global_llc=None if problem.global_truth is None else problem.global_truth.llc,
        estimate=estimate,
        relative_error=(estimate.mean - exact) / exact,
        loss_trace=loss,
        running_llc=running,
        mala_trace=traces.acceptance[chains, :steps_done],
        loss_at_teacher=problem.loss_at_teacher,
        num_params=problem.num_params,
        steps_done=steps_done,
        steps_per_second=config.chains * steps_done / run_seconds if run_seconds else math.nan,
        compile_seconds=compile_seconds,
        done=phases.stop_reason is not None,
        calibration=calibration,
        burn_in_steps=traces.burn_in,
        warmup_steps=phases.warmup_end,
        stop_reason=phases.stop_reason,
        warmup_rise=phases.warmup_rise,
    )
