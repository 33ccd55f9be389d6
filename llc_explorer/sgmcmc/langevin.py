"""The Langevin move that every sampler makes, as BlackJAX's SGMCMC separates it: the
integrator step knows only the position ``w_t``, a drift ``D_t``, the step size ``eps`` and
the noise it draws. What the drift is (the potential gradient ``U'_t``, preconditioned or
biased) and what state the sampler keeps is the sampler's business
(:mod:`llc_explorer.sgmcmc.samplers`).

Notation (spec section 4): ``eta_t ~ N(0, I)`` shaped like ``w_t``, every product elementwise.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from llc_explorer.sgmcmc.tree import Array, Tree, broadcast_like, tree_add, tree_normal


def langevin_increment(
    key: Array, params: Tree, drift: Tree, step_size: Array, diffusion: Tree | Array | float
) -> Tree:
    """``-(eps/2) * D_t + sqrt(eps * A) * eta_t``, with ``eta_t`` drawn from ``key``: one
    Langevin move of the position (SGLD, RMSPropSGLD) or of the momentum (SGHMC, SGNHT).

    The diffusion ``A`` is a scalar (SGLD: 1; SGHMC: ``alpha``; SGNHT: ``A``) or a pytree like
    ``w`` (the preconditioner ``P_t``, in which case the drift is already ``P_t * U'_t``).
    """
    return jax.tree.map(
        lambda u, e, s: -(step_size / 2) * u + jnp.sqrt(step_size * s) * e,
        drift,
        tree_normal(key, params),
        broadcast_like(diffusion, drift),
    )


def langevin_step(key: Array, params: Tree, drift: Tree, step_size: Array) -> Tree:
    """``w_{t+1} = w_t - (eps/2) D_t + sqrt(eps) eta_t``."""
    return tree_add(params, langevin_increment(key, params, drift, step_size, 1.0))


def preconditioned_step(
    key: Array, params: Tree, drift: Tree, precond: Tree, step_size: Array
) -> Tree:
    """``w_{t+1} = w_t - (eps/2) P_t D_t + sqrt(eps P_t) eta_t``."""
    drift = jax.tree.map(jnp.multiply, precond, drift)
    return tree_add(params, langevin_increment(key, params, drift, step_size, precond))
