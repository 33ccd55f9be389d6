"""The LLC estimator (spec section 3), in one-shot and streaming form, and the automatic step
size as a value to keep (:func:`calibrate_step_size`). A run's chains start at the teacher
``w*``, sample chunk by chunk, and each chunk's traces become an
:class:`llc_explorer.result.LLCResult` (the estimate's formula is there).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from llc_explorer.config import LLCConfig, RunConfig, make_config, with_auto_step
from llc_explorer.dln.gradients import MinibatchGradient
from llc_explorer.dln.memory import check_memory
from llc_explorer.dln.problem import Target, build_problem, problem_keys
from llc_explorer.dln.truth import num_params
from llc_explorer.errors import ConfigError
from llc_explorer.result import LLCResult, summarize
from llc_explorer.settings import of_kind
from llc_explorer.sgmcmc import run_length
from llc_explorer.sgmcmc.adaptation import (
    StepSchedule,
    StepSizeCalibration,
    require_acceptance,
    run_chunk_size,
)
from llc_explorer.sgmcmc.adaptation import target_acceptance as acceptance_target
from llc_explorer.sgmcmc.chain_state import (
    ChainState,
    chain_hyperparameters,
    init_chains,
    shard_chains,
)
from llc_explorer.sgmcmc.chains import last, run_chains
from llc_explorer.sgmcmc.diagnostics import loss_ceiling
from llc_explorer.sgmcmc.potential import GradientEstimator, Potential
from llc_explorer.sgmcmc.registry import get_sampler
from llc_explorer.sgmcmc.samplers import Sampler
from llc_explorer.sgmcmc.traces import Traces


def check_batchable(configs: Sequence[RunConfig]) -> None:
    """``ConfigError`` unless ``configs`` differ only in per-chain values (the step size and
    the sampler's own hyperparameters: kind ``per_chain`` in :mod:`llc_explorer.settings`)."""

    def rest(config: RunConfig) -> RunConfig:
        per_chain: dict[str, Any] = dict.fromkeys(of_kind("per_chain"), 0.0)
        return dataclasses.replace(config, **per_chain, sampler_hyperparameters=())

    base = rest(configs[0])
    for config in configs[1:]:
        if rest(config) != base:
            raise ConfigError(
                "a batch runs configs that differ only in step size and sampler "
                "hyperparameters; these differ elsewhere"
            )


def chunk_statics(
    config: RunConfig, *, adapting: bool, gradient: GradientEstimator | None = None
) -> tuple[Sampler, GradientEstimator, int]:
    """The static arguments of ``config``'s chunk: the sampler, the gradient estimator (by
    default a DLN's minibatch gradient) and the chunk length (shorter while the step size
    adapts)."""
    chunk = run_chunk_size(config, adapting=adapting)
    if gradient is None:
        gradient = MinibatchGradient(config.batch_size)
    return get_sampler(config.sampler), gradient, chunk


def chunk_arrays(
    configs: Sequence[RunConfig], teacher: Any, *, loss_at_teacher: float, num_params: int
) -> tuple[ChainState, Potential]:
    """The chains' starting state (every config's chains at ``teacher``, each group of
    ``chains`` with its config's hyperparameters, the same noise keys per group) and the
    potential. One setup for the run (:func:`stream_batch`) and for compiling ahead from
    shapes alone (:mod:`llc_explorer.apps.precompile`, under ``jax.eval_shape``), so the two
    cannot drift apart."""
    config = configs[0]
    sampler = get_sampler(config.sampler)
    _, _, chain_key = problem_keys(config.seed, config.prng)
    keys = jnp.tile(jax.random.split(chain_key, config.chains), len(configs))
    hyper = chain_hyperparameters(sampler, configs)
    ceiling = loss_ceiling(loss_at_teacher, config.nbeta, num_params)
    state = init_chains(sampler, teacher, hyper, keys=keys, ceiling=ceiling)
    return state, Potential(jnp.float32(config.nbeta), jnp.float32(config.gamma), teacher)


def stream_batch(
    configs: Sequence[RunConfig],
    *,
    target_acceptance: float | None = None,
    problem: Target | None = None,
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

    ``problem`` is what the chains sample (:class:`Target`): by default the DLN problem that
    ``configs[0]`` (an :class:`LLCConfig`) builds; a model of one's own brings its own
    (:mod:`llc_explorer.models`).
    """
    check_batchable(configs)
    config = configs[0]
    scaled = dataclasses.replace(config, chains=config.chains * len(configs))
    if problem is None:
        check_memory(scaled)  # before the problem is built: nothing allocated yet
        assert isinstance(config, LLCConfig), "a run without a problem runs a DLN"
        problem = build_problem(**{name: getattr(config, name) for name in of_kind("problem")})
    else:
        check_memory(scaled, num_params=problem.num_params, data_bytes=problem.data_bytes)
    if target_acceptance is None and config.adapt_step_size:
        target_acceptance = acceptance_target(problem.num_params)
    sampler, gradient, chunk = chunk_statics(
        config, adapting=target_acceptance is not None, gradient=problem.gradient(config.batch_size)
    )
    configs = [dataclasses.replace(c, chunk_size=chunk) for c in configs]
    phases = run_length.Phases.of(config)
    auto = run_length.AutoLength(config, phases) if config.auto_length else None
    schedule = StepSchedule(
        np.array([c.step_size for c in configs]),
        factor=config.warmup_factor,
        phases=phases,
        target=target_acceptance,
    )
    state, potential = chunk_arrays(
        configs,
        problem.teacher,
        loss_at_teacher=problem.loss_at_teacher,
        num_params=problem.num_params,
    )
    state = shard_chains(state)
    burn_in = config.steps if phases.burn_in_end is None else phases.burn_in_end
    traces = Traces(config, config.chains * len(configs), problem.loss_at_teacher, burn_in=burn_in)
    groups = [slice(k * config.chains, (k + 1) * config.chains) for k in range(len(configs))]
    running = np.array([c.step_size for c in configs])

    def scheduled(start: int, state: ChainState) -> ChainState:
        nonlocal running
        wanted = schedule.for_chunk(start)
        if not np.array_equal(wanted, running):
            state, running = with_step_sizes(state, wanted, config.chains), wanted
        return state

    chunks = run_chains(
        sampler, gradient, problem.data, potential, state,
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
    return stream_config(make_config(widths, rank, **with_auto_step(settings)))


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


def calibrate_config(
    config: RunConfig,
    *,
    target: float | None = None,
    watch: Callable[[Iterator], Iterator] = iter,
    problem: Target | None = None,
) -> StepSizeCalibration | None:
    """Adapt ``config``'s step size over its burn-in (starting from ``config.step_size``) and
    return the result; ``target`` is the MALA acceptance aimed for (default: that of
    :func:`llc_explorer.sgmcmc.adaptation.target_acceptance` for the network). ``ValueError`` for a
    sampler without a MALA acceptance (AdamSGLD, SGHMC, SGNHT). ``watch`` filters the stream
    of partial results (the explorer passes its stoppable stream); ``None`` if it ends before
    the burn-in does; ``problem`` as for :func:`stream_batch`."""
    require_acceptance(config.sampler)
    if target is None and problem is not None:
        target = acceptance_target(problem.num_params)
    elif target is None:
        assert isinstance(config, LLCConfig), "a run without a problem runs a DLN"
        target = acceptance_target(num_params(config.widths))
    with closing(stream_batch([config], problem=problem, target_acceptance=target)) as batches:
        for (result,) in watch(batches):
            if result.warmup_steps is not None and result.steps_done >= result.burn_in_steps:
                return result.calibration
    return None


def calibrate_step_size(
    widths, rank, *, target: float | None = None, **settings: Any
) -> StepSizeCalibration:
    """The automatic step size for ``estimate_llc(widths, rank, **settings)``: the burn-in of
    that run (``steps * burn_in`` steps), adapting from the sampler's default step size
    (``settings["step_size"]`` is ignored). ``ValueError`` for a sampler without a MALA
    acceptance (AdamSGLD, SGHMC, SGNHT) or a bad setting."""
    config = make_config(widths, rank, **{**settings, "step_size": None})
    calibration = calibrate_config(config, target=target)
    assert calibration is not None  # nothing stops the stream here
    return calibration
