"""The LLC estimator (spec section 3), in one-shot and streaming form.

Per chain ``c``: ``lambda_hat_c = n*beta * (mean_{B <= t < T} L_{B_t}(w_t^c) - L_n(w*))``, with
``B`` burn-in steps out of ``T`` (steps counted from 0). The estimate is the mean over
chains that did not diverge, with their standard deviation and standard error
``std / sqrt(C)``; the running estimate takes the mean over ``B <= s <= t``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from llc_explorer.chains import CHUNKS, init_chains, shard_chains
from llc_explorer.config import SAMPLER_HYPERPARAMETERS, LLCConfig, make_config
from llc_explorer.gradients import MinibatchGradient
from llc_explorer.local_truth import truth_note
from llc_explorer.problem import Problem, build_problem, problem_keys
from llc_explorer.samplers import Potential, get_sampler


@dataclass(frozen=True)
class LLCResult:
    """An LLC estimate (complete when ``done``; partial snapshots come from ``stream_llc``).

    ``true_llc`` and ``multiplicity`` are the exact local learning coefficient at the teacher
    the chains start from (``None`` where the package cannot compute it, see
    :mod:`llc_explorer.local_truth`); ``global_llc`` is Aoyagi's value for the whole model,
    never above ``true_llc``.
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
    loss_at_teacher: float
    num_params: int
    steps_done: int
    steps_per_second: float
    compile_seconds: float
    done: bool

    @property
    def message(self) -> str:
        """A plain sentence on the state of the estimate (empty when nothing needs saying)."""
        chains = self.config.chains
        if len(self.diverged_chains) == chains:
            return f"all {chains} chains diverged: the estimate is NaN (try a smaller step size)"
        if self.steps_done <= self.config.burn_in_steps:
            return "burn-in: no estimate yet"
        if self.diverged_chains:
            return f"{len(self.diverged_chains)} of {chains} chains diverged and are excluded"
        return ""

    @property
    def truth_note(self) -> str:
        """Which exact value applies at this teacher, in plain words."""
        return truth_note(self.true_llc, self.global_llc, self.config.teacher, self.config.rank)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no traces); NaN becomes ``None``."""

        def clean(x: float) -> float | None:
            return None if not math.isfinite(x) else x

        known = self.true_llc is not None
        return {
            "true_llc": float(self.true_llc) if known else None,
            "true_llc_fraction": str(self.true_llc) if known else None,
            "multiplicity": self.multiplicity,
            "global_llc": float(self.global_llc),
            "global_llc_fraction": str(self.global_llc),
            "truth_note": self.truth_note,
            "llc_mean": clean(self.llc_mean),
            "llc_std": clean(self.llc_std),
            "llc_stderr": clean(self.llc_stderr),
            "llc_per_chain": [clean(float(x)) for x in self.llc_per_chain],
            "relative_error": clean(self.relative_error),
            "diverged_chains": [{"chain": c, "step": s} for c, s in self.diverged_chains],
            "loss_at_teacher": self.loss_at_teacher,
            "num_params": self.num_params,
            "steps_done": self.steps_done,
            "steps_per_second": self.steps_per_second,
            "compile_seconds": self.compile_seconds,
            "message": self.message,
            "config": self.config.as_dict(),
        }


def chain_hyperparameters(configs: Sequence[LLCConfig]) -> Any:
    """The sampler's hyperparameter NamedTuple for every chain of ``configs`` in turn: float32
    arrays with one entry per chain (traced, so new values never recompile)."""
    cls = get_sampler(configs[0].sampler).hyperparams
    return cls(
        **{
            name: jnp.asarray(
                [getattr(c, name) for c in configs for _ in range(c.chains)], jnp.float32
            )
            for name in cls._fields
        }
    )


def check_batchable(configs: Sequence[LLCConfig]) -> None:
    """``ValueError`` unless ``configs`` differ only in the sampler's own hyperparameters."""
    names = ("step_size", *SAMPLER_HYPERPARAMETERS)
    base = dataclasses.replace(configs[0], **dict.fromkeys(names))
    for config in configs[1:]:
        if dataclasses.replace(config, **dict.fromkeys(names)) != base:
            raise ValueError(
                "a batch runs configs that differ only in step size and sampler "
                "hyperparameters; these differ elsewhere"
            )


class Traces:
    """The recorded losses and the running estimate of ``C`` chains, filled chunk by chunk.

    ``running[c, t] = n*beta * (mean_{B <= s <= t} L_s^c - L_n(w*))`` (NaN for ``t < B``) is
    extended from a per-chain running sum, so each chunk costs time in its own length only.
    Entries before ``steps_done`` never change again: results hold views, not copies.
    """

    def __init__(self, config: Any, chains: int, loss_at_teacher: float) -> None:
        """``config`` gives ``steps``, ``burn_in_steps`` and ``nbeta`` (an :class:`LLCConfig`
        or a :class:`llc_explorer.surface_sampling.SurfaceConfig`)."""
        shape = (chains, config.steps)
        self.loss = np.full(shape, np.nan, np.float32)
        self.running = np.full(shape, np.nan)
        self.burn_in = config.burn_in_steps
        self.nbeta = config.nbeta
        self.loss0 = loss_at_teacher
        self.total = np.zeros(chains)

    def extend(self, start: int, losses: np.ndarray) -> None:
        """Record ``losses`` (chains x k) as steps ``start .. start + k - 1``."""
        stop = start + losses.shape[1]
        self.loss[:, start:stop] = losses
        first = max(start, self.burn_in)
        if first >= stop:
            return
        sums = self.total[:, None] + np.cumsum(losses[:, first - start :], axis=1, dtype=float)
        counts = np.arange(first - self.burn_in + 1, stop - self.burn_in + 1)
        self.running[:, first:stop] = self.nbeta * (sums / counts - self.loss0)
        self.total = sums[:, -1]


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


def summarize(
    config: LLCConfig,
    problem: Problem,
    traces: Traces,
    chains: slice,
    diverged_at: np.ndarray,
    steps_done: int,
    run_seconds: float,
    compile_seconds: float,
) -> LLCResult:
    """Estimate from the first ``steps_done`` recorded steps of the ``chains`` of ``traces``
    (``diverged_at`` is already theirs)."""
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
        loss_at_teacher=problem.loss_at_teacher,
        num_params=problem.num_params,
        steps_done=steps_done,
        steps_per_second=config.chains * steps_done / run_seconds if run_seconds else math.nan,
        compile_seconds=compile_seconds,
        done=steps_done == config.steps,
    )


def stream_batch(configs: Sequence[LLCConfig]) -> Iterator[list[LLCResult]]:
    """Run ``configs`` (differing only in sampler hyperparameters, see
    :func:`check_batchable`) as one vmapped batch of chains, chunk by chunk, yielding one
    partial :class:`LLCResult` per config after each chunk.

    All configs share the data and the chains' random numbers (the same seed), so their
    differences come from the hyperparameters alone. The last results yielded have
    ``done=True``. Closing the generator stops sampling.
    """
    check_batchable(configs)
    config = configs[0]
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
    _, _, chain_key = problem_keys(config.seed)
    keys = jnp.tile(jax.random.split(chain_key, config.chains), len(configs))
    hyper = chain_hyperparameters(configs)
    state = shard_chains(init_chains(config.sampler, problem.teacher, hyper, keys=keys))
    traces = Traces(config, keys.shape[0], problem.loss_at_teacher)
    groups = [slice(k * config.chains, (k + 1) * config.chains) for k in range(len(configs))]
    total = jnp.int32(config.steps)
    chunk = config.chunk_size
    static = (config.sampler, MinibatchGradient(config.batch_size), chunk, False)
    run_seconds = compile_seconds = 0.0
    for start in range(0, config.steps, chunk):
        args = (state, problem.data, potential, jnp.int32(start), total)
        compiled, seconds = CHUNKS.get(static, args)
        compile_seconds += seconds
        began = time.perf_counter()
        state, losses, _ = compiled(*args)
        losses = np.asarray(losses)
        run_seconds += time.perf_counter() - began
        done = min(start + chunk, config.steps)
        traces.extend(start, losses[:, : done - start])
        diverged_at = np.asarray(state.diverged_at)
        yield [
            summarize(c, problem, traces, g, diverged_at[g], done, run_seconds, compile_seconds)
            for c, g in zip(configs, groups, strict=True)
        ]


def stream_config(config: LLCConfig) -> Iterator[LLCResult]:
    """Run one ``config`` chunk by chunk, yielding a partial :class:`LLCResult` after each
    chunk (see :func:`stream_batch`)."""
    for (result,) in stream_batch([config]):
        yield result


def stream_llc(widths, rank, **settings: Any) -> Iterator[LLCResult]:
    """Streaming form of :func:`estimate_llc`: yields a partial result after every chunk."""
    return stream_config(make_config(widths, rank, **settings))


def estimate_llc(widths, rank, **settings: Any) -> LLCResult:
    """Estimate the LLC of the DLN ``widths`` at a teacher of product rank ``rank``.

    ``settings`` are those of :func:`llc_explorer.config.make_config` (teacher, sampler, step_size,
    gamma, nbeta, n, batch_size, chains, steps, burn_in, seed, noise, input_dist,
    chunk_size and the sampler's own hyperparameters). Bad settings raise ``ValueError``
    before anything runs; diverging chains are reported in the result, never raised.
    """
    (result,) = deque(stream_llc(widths, rank, **settings), maxlen=1)
    return result
