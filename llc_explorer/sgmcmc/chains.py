"""Running many chains: ``vmap`` over chains of a jitted ``lax.scan`` over a chunk of steps.

Divergence (spec section 3): a chain has diverged at the first step where its loss or any
parameter is not finite, or where its loss exceeds the chain's ``ceiling`` (a blow-up: a loss
that the tempered posterior cannot reach,
:func:`llc_explorer.sgmcmc.diagnostics.loss_ceiling`). From
then on it is frozen (its parameters stop changing), it records NaN, and its ``diverged_at``
holds that step. Nothing raises.

The wrapper knows neither the model nor the integrator: a *gradient estimator*
(:data:`llc_explorer.sgmcmc.potential.GradientEstimator`) feeds the sampler's ``update``
(:mod:`llc_explorer.sgmcmc.samplers`), and the chains' state
(:mod:`llc_explorer.sgmcmc.chain_state`) carries everything that changes from step to step.

Compiled chunks are cached per sampler, gradient estimator, chunk length and argument
shapes; every number that a user tunes (step size, ``gamma``, ``n*beta``, sampler
hyperparameters, seed, a surface's noise level) is a traced argument, so changing it reuses
the compiled chunk.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from llc_explorer.sgmcmc.chain_state import ChainState
from llc_explorer.sgmcmc.mala import step_acceptance
from llc_explorer.sgmcmc.potential import GradientEstimator, Potential
from llc_explorer.sgmcmc.samplers import Sampler
from llc_explorer.sgmcmc.tree import Tree, all_finite, freeze_where

TRACES = {"count": 0}
"""How many times a chunk function has been traced (a test guard against recompiling)."""


def run_chunk(
    sampler: Sampler,
    estimate: GradientEstimator,
    chunk_steps: int,
    record_path: bool,
    state: ChainState,
    data: Any,
    potential: Potential,
    start: jax.Array,
    total: jax.Array,
) -> tuple[ChainState, jax.Array, jax.Array, Tree | None]:
    """Advance every chain over steps ``start .. start + chunk_steps - 1`` (those ``< total``).

    Returns the new state, the recorded minibatch losses, shape ``(C, chunk_steps)``:
    ``L_{B_t}(w_t)``, or NaN where a chain had diverged or ``t >= total``, the MALA acceptance
    of the move that reached ``w_t`` (same shape; NaN at step 0, where undefined, and where the
    loss is), and, with ``record_path``, the positions ``w_t`` (leaves of shape
    ``(C, chunk_steps, ...)``; a diverged chain repeats its last finite position), else ``None``.
    """
    TRACES["count"] += 1

    def one_chain(
        chain: ChainState, t: jax.Array
    ) -> tuple[ChainState, tuple[jax.Array, jax.Array, Tree | None]]:
        key, batch_key, noise_key = jax.random.split(chain.key, 3)
        loss, grad = estimate(chain.params, data, key=batch_key)
        params, sampler_state = sampler.update(
            chain.params, chain.sampler_state, grad, potential, chain.hyper, key=noise_key
        )
        accepted, mala_norm = step_acceptance(
            sampler,
            chain.params,
            grad,
            potential,
            chain.hyper,
            chain.sampler_state,
            sampler_state,
            chain.mala_norm,
        )
        active = chain.alive & (t < total)
        loss_ok = jnp.isfinite(loss) & (loss <= chain.ceiling)
        step_ok = loss_ok & all_finite(params)
        moved = active & step_ok
        diverging = active & ~step_ok
        diverged_at = jnp.where(
            diverging & (chain.diverged_at < 0), jnp.where(loss_ok, t + 1, t), chain.diverged_at
        )
        new = ChainState(
            params=freeze_where(~moved, chain.params, params),
            sampler_state=freeze_where(~moved, chain.sampler_state, sampler_state),
            hyper=chain.hyper,
            alive=chain.alive & ~diverging,
            diverged_at=diverged_at,
            key=key,
            mala_norm=jnp.where(moved, mala_norm, chain.mala_norm),
            ceiling=chain.ceiling,
        )
        recorded = jnp.where(active & loss_ok, loss, jnp.nan)
        accepted = jnp.where(active & loss_ok, accepted, jnp.nan)
        return new, (recorded, accepted, chain.params if record_path else None)

    def step(
        state: ChainState, t: jax.Array
    ) -> tuple[ChainState, tuple[jax.Array, jax.Array, Tree | None]]:
        return jax.vmap(one_chain, in_axes=(0, None))(state, t)

    steps = start + jnp.arange(chunk_steps, dtype=jnp.int32)
    state, (losses, accepted, path) = jax.lax.scan(step, state, steps)
    path = jax.tree.map(lambda w: jnp.swapaxes(w, 0, 1), path)
    return state, losses.T, accepted.T, path


class ChunkCache:
    """Compiled chunk functions, keyed by sampler (the object: a registered sampler is one
    object), gradient estimator, chunk length, whether the path is recorded, and the argument
    shapes. Two threads asking for the same chunk compile it once (the second waits); chunks
    of different keys compile side by side."""

    def __init__(self) -> None:
        self._compiled: dict[Any, Any] = {}
        self._locks: dict[Any, threading.Lock] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(static: tuple, args: tuple) -> tuple:
        """What a compiled chunk depends on: the static arguments of :func:`run_chunk`
        (sampler, estimator, chunk length, ``record_path``) and the shapes and dtypes of
        ``args`` (arrays or ``jax.ShapeDtypeStruct``)."""
        leaves, treedef = jax.tree.flatten(args)
        shapes = tuple((jnp.shape(x), str(getattr(x, "dtype", type(x)))) for x in leaves)
        return (*static, treedef, shapes)

    def get(self, static: tuple, args: tuple) -> tuple[Any, float]:
        """The compiled chunk ``run_chunk(*static, *args)`` (``static`` = sampler,
        gradient estimator, chunk length, ``record_path``) and the seconds spent compiling it
        now (0 if cached). ``args`` may be shapes alone (``jax.ShapeDtypeStruct``): the chunk
        is then compiled ahead of its first run (:mod:`llc_explorer.apps.precompile`)."""
        key = self.key(static, args)
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key in self._compiled:
                return self._compiled[key], 0.0
            began = time.perf_counter()
            jitted = jax.jit(partial(run_chunk, *static), donate_argnums=0)
            compiled = jitted.lower(*args).compile()
            self._compiled[key] = compiled
            return compiled, time.perf_counter() - began


CHUNKS = ChunkCache()
"""The process-wide cache of compiled chunks."""


class Chunk(NamedTuple):
    """What :func:`run_chains` yields after each chunk: steps ``start .. stop - 1`` done, the
    chains' ``state`` after them, the recorded ``losses`` and MALA ``acceptance`` (chains x
    ``stop - start``, NumPy), the positions (``path``, leaves chains x ``stop - start`` x ...;
    ``None`` unless recorded), and the seconds spent compiling and running so far."""

    start: int
    stop: int
    state: ChainState
    losses: np.ndarray
    acceptance: np.ndarray
    path: Any
    compile_seconds: float
    run_seconds: float


def run_chains(
    sampler: Sampler,
    estimate: GradientEstimator,
    data: Any,
    potential: Potential,
    state: ChainState,
    *,
    steps: int,
    chunk_size: int,
    record_path: bool = False,
    before_chunk: Callable[[int, ChainState], ChainState] | None = None,
) -> Generator[Chunk, None, None]:
    """Run ``steps`` steps of every chain, ``chunk_size`` at a time through one compiled
    :func:`run_chunk` (:data:`CHUNKS`), yielding a :class:`Chunk` after each.
    ``before_chunk(start, state)`` may change the state (its traced hyperparameters) before the
    chunk starting at ``start``. Closing the generator stops sampling. The DLN estimator
    (:mod:`llc_explorer.estimator`) and the surfaces (:mod:`llc_explorer.surfaces.sampling`)
    both run their chains here."""
    static = (sampler, estimate, chunk_size, record_path)
    total = jnp.int32(steps)
    compile_seconds = run_seconds = 0.0
    for start in range(0, steps, chunk_size):
        if before_chunk is not None:
            state = before_chunk(start, state)
        args = (state, data, potential, jnp.int32(start), total)
        compiled, seconds = CHUNKS.get(static, args)
        compile_seconds += seconds
        began = time.perf_counter()
        state, losses, acceptance, path = compiled(*args)
        losses = np.asarray(losses)
        run_seconds += time.perf_counter() - began
        stop = min(start + chunk_size, steps)
        kept = stop - start
        yield Chunk(
            start,
            stop,
            state,
            losses[:, :kept],
            np.asarray(acceptance)[:, :kept],
            jax.tree.map(lambda w, k=kept: np.asarray(w)[:, :k], path),
            compile_seconds,
            run_seconds,
        )


def last(stream: Iterator[Any]) -> Any:
    """The last item of ``stream`` (``None`` if it is empty), the stream run to its end."""
    remaining = deque(stream, maxlen=1)
    return remaining[0] if remaining else None
