"""The state of ``C`` chains, every leaf with a leading chain axis: how it starts (at ``w*``,
with per-chain hyperparameters) and how it is spread over devices. The chains run in
:mod:`llc_explorer.sgmcmc.chains`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from llc_explorer.sgmcmc.samplers import Sampler
from llc_explorer.sgmcmc.tree import Tree


class ChainState(NamedTuple):
    """The state of ``C`` chains; every leaf has a leading chain axis. Each chain carries its
    own sampler hyperparameters, so one batch can run several step sizes side by side.
    ``mala_norm`` is ``|U'_t|^2_{P_t}`` of the last move (NaN before the first), for the MALA
    acceptance of the next (:mod:`llc_explorer.sgmcmc.mala`). ``ceiling`` is the loss above which a
    chain counts as diverged (:mod:`llc_explorer.sgmcmc.chains`)."""

    params: Tree
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
    center: Tree,
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
