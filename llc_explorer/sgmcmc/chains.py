"""Running many chains: ``vmap`` over chains of a jitted ``lax.scan`` over a chunk of steps.

Divergence (spec section 3): a chain has diverged at the first step where its loss or any
parameter is not finite, or where its loss exceeds the chain's ``ceiling`` (a blow-up: a loss
that the tempered posterior cannot reach,
:func:`llc_explorer.sgmcmc.diagnostics.loss_ceiling`). From
then on it is frozen (its parameters stop changing), it records NaN, and its ``diverged_at``
holds that step. Nothing raises.

The wrapper knows neither the model nor the integrator: a *gradient estimator*
``estimate(params, data, *, key) -> (L_B(w), grad L_B(w))`` (a hashable callable, such as
:class:`llc_explorer.dln.gradients.MinibatchGradient` for a DLN or
:class:`llc_explorer.surfaces.library.SurfaceGradient` for a two-parameter surface) feeds the
sampler's ``update`` (:mod:`llc_explorer.sgmcmc.samplers`).

Compiled chunks are cached per sampler, gradient estimator, chunk length and argument
shapes; every number that a user tunes (step size, ``gamma``, ``n*beta``, sampler
hyperparameters, seed, a surface's noise level) is a traced argument, so changing it reuses
the compiled chunk.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from llc_explorer.sgmcmc.mala import acceptance, weighted_sq_norm
from llc_explorer.sgmcmc.samplers import Params, Potential, Sampler, potential_gradient

GradientEstimator = Callable[..., tuple[jax.Array, Params]]
"""``estimate(params, data, *, key) -> (L_B(w), grad L_B(w))``, hashable by value."""


class ChainState(NamedTuple):
    """The state of ``C`` chains; every leaf has a leading chain axis. Each chain carries its
    own sampler hyperparameters, so one batch can run several step sizes side by side.
    ``mala_norm`` is ``|U'_t|^2_{P_t}`` of the last move (NaN before the first), for the MALA
    acceptance of the next (:mod:`llc_explorer.sgmcmc.mala`). ``ceiling`` is the loss above which a
    chain counts as diverged (module docstring)."""

    params: Params
    sampler_state: Any
    hyper: Any
    alive: jax.Array
    diverged_at: jax.Array
    key: jax.Array
    mala_norm: jax.Array
    ceiling: jax.Array


def chain_hyperparameters(sampler: Sampler, configs: Sequence[Any]) -> Any:
    """The sampler's hyperparameter NamedTuple for every chain of ``configs`` in turn (each
    config has ``chains`` and ``hyperparameters()``): float32 arrays with one entry per chain
    (traced, so new values never recompile; a flag becomes 1.0 or 0.0)."""
    values = [c.hyperparameters() for c in configs for _ in range(c.chains)]
    return sampler.hyperparams(
        **{
            name: jnp.asarray([float(v[name]) for v in values], jnp.float32)
            for name in sampler.hyperparams._fields
        }
    )


@partial(jax.jit, static_argnums=0)
def init_chains(
    sampler: Sampler,
    center: Params,
    hyper: Any,
    *,
    keys: jax.Array,
    ceiling: float | jax.Array = math.inf,
) -> ChainState:
    """Chains started at ``center`` (``w*``): one per entry of ``keys``, with the per-chain
    hyperparameters ``hyper`` (every leaf has a leading chain axis) and the loss ``ceiling``
    above which a chain counts as diverged (default: none). Jitted: one compile instead of one
    per small operation."""
    chains = keys.shape[0]
    init = sampler.init
    params = jax.tree.map(lambda w: jnp.broadcast_to(w, (chains, *w.shape)), center)
    sampler_state = jax.vmap(init)(params, hyper)
    # Every leaf gets its own buffer: the state is donated to each chunk, and a sampler's
    # init may alias leaves (SGNHT's xi_0 = A is the hyperparameter itself).
    params, sampler_state, hyper = jax.tree.map(jnp.copy, (params, sampler_state, hyper))
    return ChainState(
        params=params,
        sampler_state=sampler_state,
        hyper=hyper,
        alive=jnp.ones((chains,), bool),
        diverged_at=jnp.full((chains,), -1, jnp.int32),
        key=keys,
        mala_norm=jnp.full((chains,), jnp.nan, jnp.float32),
        ceiling=jnp.full((chains,), ceiling, jnp.float32),
    )


def shard_chains(state: ChainState) -> ChainState:
    """Spread the chain axis over all visible devices (when the chain count divides evenly).

    ``jit`` then partitions every chunk so each device advances its own chains; results do not
    depend on the device count. On a CPU, ``XLA_FLAGS=--xla_force_host_platform_device_count=N``
    (set before JAX starts) makes N host devices, one per core.
    """
    devices = jax.devices()
    if len(devices) == 1 or state.alive.shape[0] % len(devices):
        return state
    mesh = Mesh(np.array(devices), ("chains",))
    return jax.device_put(state, NamedSharding(mesh, PartitionSpec("chains")))


def all_finite(tree: Any) -> jax.Array:
    """Whether every entry of every leaf is finite: ``sum(0 * x)`` is 0 then, and NaN as soon
    as one entry is infinite or NaN (a float sum, which XLA:CPU vectorises; a boolean
    ``all(isfinite(x))`` ran at a quarter of its speed)."""
    return jnp.isfinite(sum(jnp.sum(0 * x) for x in jax.tree.leaves(tree)))


def freeze_where(keep_old: jax.Array, old: Any, new: Any) -> Any:
    """Leafwise ``old if keep_old else new`` (``keep_old`` is a scalar)."""
    return jax.tree.map(lambda o, n: jnp.where(keep_old, o, n), old, new)


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
) -> tuple[ChainState, jax.Array, jax.Array, Params | None]:
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
    ) -> tuple[ChainState, tuple[jax.Array, jax.Array, Params | None]]:
        key, batch_key, noise_key = jax.random.split(chain.key, 3)
        loss, grad = estimate(chain.params, data, key=batch_key)
        params, sampler_state = sampler.update(
            chain.params, chain.sampler_state, grad, potential, chain.hyper, key=noise_key
        )
        if sampler.metric is None:
            accepted = mala_norm = jnp.float32(jnp.nan)
        else:
            # The move w_{t-1} -> w_t ran with P_{t-1} (the old state's metric): its acceptance
            # needs |U'_t|^2 in that metric; the next move's needs it in P_t.
            drift = potential_gradient(chain.params, grad, potential)
            after = weighted_sq_norm(drift, sampler.metric(chain.sampler_state, chain.hyper))
            accepted = acceptance(chain.hyper.step_size, chain.mala_norm, after)
            mala_norm = weighted_sq_norm(drift, sampler.metric(sampler_state, chain.hyper))
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
    ) -> tuple[ChainState, tuple[jax.Array, jax.Array, Params | None]]:
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
