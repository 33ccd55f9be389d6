"""The LLC estimator (spec section 3), in one-shot and streaming form.

Per chain ``c``: ``lambda_hat_c = n*beta * (mean_{B <= t < T} L_{B_t}(w_t^c) - L_n(w*))``, with
``B`` burn-in steps out of ``T`` (steps counted from 0). The estimate is the mean over
chains that did not diverge, with their standard deviation and standard error
``std / sqrt(C)``; the running estimate takes the mean over ``B <= s <= t``. Its 95% interval,
convergence diagnostics and warnings are those of :mod:`llc_explorer.sgmcmc.diagnostics`.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property, partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from llc_explorer.config import (
    LLCConfig,
    make_config,
)
from llc_explorer.dln.gradients import MinibatchGradient
from llc_explorer.dln.local_truth import truth_note
from llc_explorer.dln.problem import Problem, build_problem, problem_keys
from llc_explorer.dln.truth import num_params
from llc_explorer.errors import ConfigError
from llc_explorer.memory import check_memory
from llc_explorer.sgmcmc import run_length
from llc_explorer.sgmcmc.adaptation import (
    TINY_PARAMS,
    StepSchedule,
    StepSizeCalibration,
    run_chunk_size,
)
from llc_explorer.sgmcmc.adaptation import target_acceptance as acceptance_target
from llc_explorer.sgmcmc.chains import (
    ChainState,
    chain_hyperparameters,
    init_chains,
    last,
    run_chains,
    shard_chains,
)
from llc_explorer.sgmcmc.diagnostics import (
    ABOVE_MAXIMUM,
    MALA_MAX,
    SYSTEMATIC,
    TINY_MALA_MAX,
    Diagnostics,
    convergence_warnings,
    diagnose,
    interval95,
    loss_ceiling,
)
from llc_explorer.sgmcmc.registry import REGISTRY, get_sampler, get_spec
from llc_explorer.sgmcmc.run_length import Phases
from llc_explorer.sgmcmc.samplers import Potential
from llc_explorer.sgmcmc.traces import ChainEstimate, Traces, latest_half_estimate


@dataclass(frozen=True)
class LLCResult:
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

    config: LLCConfig
    true_llc: Fraction | None
    multiplicity: int | None
    global_llc: Fraction
    llc_mean: float
    llc_std: float
    llc_stderr: float
    llc_per_chain: np.ndarray
    relative_error: float
    diverged_chains: list[tuple[int, int]]
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
        return truth_note(self.true_llc, self.global_llc, self.config.teacher, self.config.rank)

    def to_datatree(self) -> Any:
        """This result as an ArviZ ``DataTree`` (``posterior``, ``warmup_posterior``,
        ``sample_stats``, ``llc_estimate``: :mod:`llc_explorer.arviz_export`); needs the
        ``arviz`` extra (``pip install ".[arviz]"``)."""
        from llc_explorer.arviz_export import to_datatree

        return to_datatree(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no traces); NaN becomes ``None``."""

        def clean(x: float) -> float | None:
            return None if not math.isfinite(x) else x

        truth = self.true_llc
        return {
            "true_llc": None if truth is None else float(truth),
            "true_llc_fraction": None if truth is None else str(truth),
            "multiplicity": self.multiplicity,
            "global_llc": float(self.global_llc),
            "global_llc_fraction": str(self.global_llc),
            "truth_note": self.truth_note,
            "llc_mean": clean(self.llc_mean),
            "llc_std": clean(self.llc_std),
            "llc_stderr": clean(self.llc_stderr),
            "llc_per_chain": [clean(float(x)) for x in self.llc_per_chain],
            "llc_ci95": [clean(x) for x in self.llc_ci95],
            "llc_ci95_mc": [clean(x) for x in self.llc_ci95_mc],
            "relative_error": clean(self.relative_error),
            "warnings": self.warnings,
            "mala_acceptance": clean(self.diagnostics.mala_acceptance),
            "mala_acceptance_per_chain": [clean(float(x)) for x in self.mala_per_chain],
            "diagnostics": {k: clean(v) for k, v in self.diagnostics._asdict().items()},
            "diverged_chains": [{"chain": c, "step": s} for c, s in self.diverged_chains],
            "loss_at_teacher": self.loss_at_teacher,
            "num_params": self.num_params,
            "steps_done": self.steps_done,
            "burn_in_steps": self.burn_in_steps,
            "warmup_steps": self.warmup_steps,
            "stop_reason": self.stop_reason,
            "criteria": {k: clean(v) for k, v in self.criteria.items()},
            "step_size_source": self.step_size_source,
            "step_size_calibration": None
            if self.calibration is None
            else self.calibration.as_dict(),
            "steps_per_second": self.steps_per_second,
            "compile_seconds": self.compile_seconds,
            "message": self.message,
            "config": self.config.as_dict(),
        }


def check_batchable(configs: Sequence[LLCConfig]) -> None:
    """``ValueError`` unless ``configs`` differ only in the sampler's own hyperparameters."""

    def rest(config: LLCConfig) -> LLCConfig:
        return dataclasses.replace(config, step_size=0.0, sampler_hyperparameters=())

    base = rest(configs[0])
    for config in configs[1:]:
        if rest(config) != base:
            raise ConfigError(
                "a batch runs configs that differ only in step size and sampler "
                "hyperparameters; these differ elsewhere"
            )


def summarize(
    config: LLCConfig,
    problem: Problem,
    traces: Traces,
    chains: slice,
    diverged_at: np.ndarray,
    steps_done: int,
    run_seconds: float,
    compile_seconds: float,
    calibration: StepSizeCalibration | None,
    phases: Phases,
) -> LLCResult:
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
        global_llc=problem.global_truth.llc,
        llc_mean=estimate.mean,
        llc_std=estimate.std,
        llc_stderr=estimate.stderr,
        llc_per_chain=estimate.per_chain,
        relative_error=(estimate.mean - exact) / exact,
        diverged_chains=estimate.diverged,
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


def stream_batch(
    configs: Sequence[LLCConfig], *, target_acceptance: float | None = None
) -> Generator[list[LLCResult], None, None]:
    """Run ``configs`` (differing only in sampler hyperparameters, see
    :func:`check_batchable`) as one vmapped batch of chains, chunk by chunk, yielding one
    partial :class:`LLCResult` per config after each chunk.

    All configs share the data and the chains' random numbers (the same seed), so their
    differences come from the hyperparameters alone. Chunks that start in the warm-up
    (:attr:`LLCConfig.warmup_steps`, or decided as the run goes with ``steps="auto"``:
    :mod:`llc_explorer.sgmcmc.run_length`) run at ``warmup_factor`` times the step size. The last
    results yielded have ``done=True`` and a ``stop_reason``. Closing the generator stops
    sampling.

    With ``target_acceptance`` (by default that of
    :func:`llc_explorer.sgmcmc.adaptation.target_acceptance` for configs with ``adapt_step_size``,
    else none), each config's step size adapts, in the warm-up and then toward
    that MALA acceptance until the burn-in ends, starting from its own
    (:class:`llc_explorer.sgmcmc.adaptation.StepSchedule`); results then carry the
    ``calibration`` and a config whose ``step_size`` is the sampling one (after the burn-in:
    the one of the sampling window).
    """
    check_batchable(configs)
    config = configs[0]
    check_memory(dataclasses.replace(config, chains=config.chains * len(configs)))
    if target_acceptance is None and config.adapt_step_size:
        target_acceptance = acceptance_target(num_params(config.widths))
    chunk = run_chunk_size(config, adapting=target_acceptance is not None)
    configs = [dataclasses.replace(c, chunk_size=chunk) for c in configs]
    phases = run_length.Phases.of(config)
    auto = run_length.AutoLength(config, phases) if config.auto_length else None
    schedule = StepSchedule(
        np.array([c.step_size for c in configs]),
        factor=config.warmup_factor,
        phases=phases,
        target=target_acceptance,
    )
    problem = build_problem(
        config.widths,
        config.rank,
        n=config.n,
        seed=config.seed,
        noise=config.noise,
        input_dist=config.input_dist,
        teacher=config.teacher,
    )
    potential = Potential(jnp.float32(config.nbeta), jnp.float32(config.gamma), problem.teacher)
    _, _, chain_key = problem_keys(config.seed, config.prng)
    keys = jnp.tile(jax.random.split(chain_key, config.chains), len(configs))
    sampler = get_sampler(config.sampler)
    hyper = chain_hyperparameters(sampler, configs)
    ceiling = loss_ceiling(problem.loss_at_teacher, config.nbeta, problem.num_params)
    state = shard_chains(init_chains(sampler, problem.teacher, hyper, keys=keys, ceiling=ceiling))
    burn_in = config.steps if phases.burn_in_end is None else phases.burn_in_end
    traces = Traces(config, keys.shape[0], problem.loss_at_teacher, burn_in=burn_in)
    groups = [slice(k * config.chains, (k + 1) * config.chains) for k in range(len(configs))]
    running = np.array([c.step_size for c in configs])

    def scheduled(start: int, state: ChainState) -> ChainState:
        nonlocal running
        wanted = schedule.for_chunk(start)
        if not np.array_equal(wanted, running):
            state, running = with_step_sizes(state, wanted, config.chains), wanted
        return state

    chunks = run_chains(
        sampler, MinibatchGradient(config.batch_size), problem.data, potential, state,
        steps=config.steps, chunk_size=chunk, before_chunk=scheduled,
    )  # fmt: skip
    for part in chunks:
        traces.extend(part.start, part.losses, part.acceptance)
        diverged_at = np.asarray(part.state.diverged_at)
        if target_acceptance is not None:
            accepted = group_acceptance(part.acceptance, len(configs))
            schedule.observe(part.start, accepted, part.stop, chunk)
            configs = [
                dataclasses.replace(c, step_size=float(e))
                for c, e in zip(configs, schedule.base, strict=True)
            ]
        if auto is not None and auto.after_warmup_chunk(traces.loss, diverged_at < 0, part.stop):
            traces.burn_in = phases.burn_in_end
        if auto is None and part.stop == config.steps:
            phases.stop_reason = "fixed"
        results = [
            summarize(c, problem, traces, g, diverged_at[g], part.stop, part.run_seconds,
                      part.compile_seconds, schedule.calibration(k), phases)
            for k, (c, g) in enumerate(zip(configs, groups, strict=True))
        ]  # fmt: skip
        if auto is not None and auto.should_stop(part.stop, part.run_seconds,
                                                 partial(sampling_criteria, results)):  # fmt: skip
            yield [dataclasses.replace(r, done=True, stop_reason=phases.stop_reason)
                   for r in results]  # fmt: skip
            chunks.close()
            return
        yield results


def sampling_criteria(results: Sequence[LLCResult]) -> list[dict[str, float]] | None:
    """Each result's stopping criteria (:attr:`LLCResult.criteria`); ``None`` before the
    sampling window."""
    if results[0].steps_done <= results[0].burn_in_steps:
        return None
    return [r.criteria for r in results]


def group_acceptance(acceptance: np.ndarray, groups: int) -> np.ndarray:
    """Mean MALA acceptance per group of consecutive chains over a chunk (``acceptance``:
    chains x steps); NaN for a group whose chains all diverged."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows and groups
        per_chain = np.nanmean(acceptance, axis=1)
        return np.nanmean(per_chain.reshape(groups, -1), axis=1)


def with_step_sizes(state: ChainState, step_sizes: np.ndarray, chains: int) -> ChainState:
    """``state`` with each group of ``chains`` chains at its entry of ``step_sizes`` (a traced
    value: nothing recompiles), placed as the old step sizes were (sharded over devices)."""
    old = state.hyper.step_size
    new = jnp.asarray(np.repeat(step_sizes, chains), jnp.float32)
    return state._replace(hyper=state.hyper._replace(step_size=jax.device_put(new, old.sharding)))


def stream_config(config: LLCConfig) -> Generator[LLCResult, None, None]:
    """Run one ``config`` chunk by chunk, yielding a partial :class:`LLCResult` after each
    chunk (see :func:`stream_batch`)."""
    for (result,) in stream_batch([config]):
        yield result


def stream_llc(widths, rank, **settings: Any) -> Generator[LLCResult, None, None]:
    """Streaming form of :func:`estimate_llc`: yields a partial result after every chunk.

    ``step_size="auto"`` adapts the step size between the warm-up and the end of the burn-in,
    starting from the sampler's default, toward the MALA acceptance of
    :func:`llc_explorer.sgmcmc.adaptation.target_acceptance` (0.8 from 1,000 parameters up;
    :mod:`llc_explorer.sgmcmc.adaptation`). It is the default (``step_size`` absent or ``None``) for
    the samplers that have a MALA acceptance (SGLD, RMSPropSGLD); AdamSGLD, SGHMC and SGNHT
    default to their fixed step size.
    """
    step_size = settings.get("step_size")
    sampler = settings.get("sampler") or "rmsprop_sgld"
    if step_size is None and sampler in REGISTRY and get_sampler(sampler).metric is not None:
        step_size = "auto"
    config = make_config(widths, rank, **{**settings, "step_size": step_size})
    return stream_config(config)


def estimate_llc(widths, rank, **settings: Any) -> LLCResult:
    """Estimate the LLC of the DLN ``widths`` at a teacher of product rank ``rank``.

    ``settings`` are those of :func:`llc_explorer.config.make_config` (teacher, sampler,
    step_size (a number, or ``"auto"``, the default where the sampler allows it: see
    :func:`stream_llc`), gamma, nbeta, n, batch_size, chains, steps, burn_in, warmup_factor,
    seed, noise, input_dist, prng, chunk_size and the sampler's own hyperparameters). Bad
    settings raise :class:`llc_explorer.ConfigError` (a ``ValueError``) before anything runs;
    diverging chains are reported in the result, never raised.
    """
    return last(stream_llc(widths, rank, **settings))
