"""The SGMCMC update rules of spec section 4 (the paper's five and one variant of AdamSGLD),
as pure ``(init, update)`` pairs over pytrees.

Each sampler reads like an optax transformation: a factory returns a :class:`Sampler` whose
``init(params, hyper)`` builds a small state and whose
``update(params, state, loss_grad, potential, hyper, *, key)`` returns the next parameters
and state. An update knows only the position, the minibatch loss gradient ``g_t``, the
potential it samples and the step size; where the gradient comes from and how chains are run
is the chain runner's business (:mod:`llc_explorer.sgmcmc.chains`); what else the package knows
about each sampler (defaults, ranges, controls) is its spec in :mod:`llc_explorer.sgmcmc.registry`.

Notation (spec section 4): ``U'_t = n*beta * g_t + gamma * (w_t - w*)``, ``eta_t ~ N(0, I)``,
``eps`` the step size, every product elementwise. Every hyperparameter, the step size
included, is a traced array: changing a value never recompiles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

Params = Any  # a pytree of arrays
Array = jax.Array


class Potential(NamedTuple):
    """The tempered, localised potential ``n*beta*L(w) + (gamma/2) * ||w - center||^2``."""

    nbeta: Array
    gamma: Array
    center: Params


class Sampler(NamedTuple):
    """A sampler: ``init(params, hyper) -> state`` and
    ``update(params, state, loss_grad, potential, hyper, *, key) -> (params, state)``.

    ``hyperparams`` is the NamedTuple class of its hyperparameters (all traced values).
    ``metric(state, hyper)`` is the preconditioner ``P_t`` of the Langevin move just made (a
    pytree like the parameters, or a scalar), which defines the MALA acceptance diagnostic
    (:mod:`llc_explorer.sgmcmc.mala`); ``None`` for samplers whose move is not a Langevin proposal
    with drift ``U'`` (AdamSGLD, SGHMC, SGNHT).
    """

    init: Callable[..., Any]
    update: Callable[..., tuple[Params, Any]]
    hyperparams: type[Any]
    metric: Callable[..., Any] | None = None


def potential_gradient(params: Params, loss_grad: Params, potential: Potential) -> Params:
    """``U' = n*beta * g + gamma * (w - w*)``."""
    return jax.tree.map(
        lambda w, g, c: potential.nbeta * g + potential.gamma * (w - c),
        params,
        loss_grad,
        potential.center,
    )


def same_structure(a: Any, b: Any) -> bool:
    """Whether two pytrees have the same structure."""
    structure: Any = jax.tree.structure(a)  # jax's stubs leave PyTreeDef's == undeclared
    return bool(structure == jax.tree.structure(b))


def tree_normal(key: Array, tree: Params) -> Params:
    """Independent standard normal draws shaped like ``tree`` (one draw of ``d`` values)."""
    leaves, treedef = jax.tree.flatten(tree)
    flat = jax.random.normal(key, (sum(leaf.size for leaf in leaves),), leaves[0].dtype)
    offsets = np.cumsum([0] + [leaf.size for leaf in leaves])
    draws = [
        flat[lo:hi].reshape(leaf.shape)
        for lo, hi, leaf in zip(offsets[:-1], offsets[1:], leaves, strict=True)
    ]
    return jax.tree.unflatten(treedef, draws)


def langevin_increment(
    drift: Params, noise: Params, step_size: Array, diffusion: Params | Array | float
) -> Params:
    """``-(eps/2) * drift + sqrt(eps * diffusion) * eta``: one Langevin move.

    ``diffusion`` is a scalar (SGLD: 1; SGHMC: ``alpha``; SGNHT: ``A``) or a pytree (the
    preconditioner ``P_t``, in which case ``drift`` is already ``P_t * U'_t``).
    """
    if not same_structure(diffusion, drift):
        diffusion = jax.tree.map(lambda _: diffusion, drift)
    return jax.tree.map(
        lambda u, e, s: -(step_size / 2) * u + jnp.sqrt(step_size * s) * e,
        drift,
        noise,
        diffusion,
    )


def tree_add(a: Params, b: Params) -> Params:
    """Leafwise ``a + b``."""
    return jax.tree.map(jnp.add, a, b)


# --------------------------------------------------------------------------------------------
# SGLD


class SGLDHyper(NamedTuple):
    """SGLD hyperparameters."""

    step_size: Array


class SGLDState(NamedTuple):
    """SGLD keeps no state."""


def sgld() -> Sampler:
    """SGLD (Welling & Teh 2011): ``w_{t+1} = w_t - (eps/2) U'_t + sqrt(eps) eta_t``."""

    def init(params: Params, hyper: SGLDHyper) -> SGLDState:
        del params, hyper
        return SGLDState()

    def update(params, state, loss_grad, potential, hyper, *, key):
        drift = potential_gradient(params, loss_grad, potential)
        step = langevin_increment(drift, tree_normal(key, params), hyper.step_size, 1.0)
        return tree_add(params, step), state

    def metric(state: SGLDState, hyper: SGLDHyper) -> float:
        del state, hyper
        return 1.0

    return Sampler(init, update, SGLDHyper, metric)


# --------------------------------------------------------------------------------------------
# RMSPropSGLD and AdamSGLD


class RMSPropSGLDHyper(NamedTuple):
    """RMSPropSGLD hyperparameters: ``bias_correction`` is on (1) or off (0)."""

    step_size: Array
    b2: Array
    a: Array
    bias_correction: Array


class AdamSGLDHyper(NamedTuple):
    """AdamSGLD hyperparameters: ``bias_correction`` is on (1) or off (0)."""

    step_size: Array
    b1: Array
    b2: Array
    a: Array
    bias_correction: Array


class RMSPropState(NamedTuple):
    """Step count ``t`` and second moment ``v`` of the loss gradient."""

    t: Array
    v: Params


class AdamState(NamedTuple):
    """Step count ``t``, first moment ``m`` and second moment ``v`` of the loss gradient."""

    t: Array
    m: Params
    v: Params


def debias(moment: Array, decay: Array, count: Array, bias_correction: Array) -> Array:
    """``moment / (1 - decay^t)`` when bias correction is on, else ``moment``."""
    return moment / jnp.where(bias_correction > 0, 1 - decay ** count.astype(decay.dtype), 1.0)


def first_moment(m: Params, loss_grad: Params, b1: Array) -> Params:
    """``m_t = b1 m_{t-1} + (1 - b1) g_t``."""
    return jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, m, loss_grad)


def second_moment(v: Params, loss_grad: Params, b2: Array) -> Params:
    """``v_t = b2 v_{t-1} + (1 - b2) g_t^2``."""
    return jax.tree.map(lambda v, g: b2 * v + (1 - b2) * g * g, v, loss_grad)


def rmsprop_metric(state: RMSPropState | AdamState, hyper: Any) -> Params:
    """``P_t = 1 / (sqrt(vhat_t) + a)`` from the state after step ``t``."""
    return jax.tree.map(
        lambda v: 1 / (jnp.sqrt(debias(v, hyper.b2, state.t, hyper.bias_correction)) + hyper.a),
        state.v,
    )


def preconditioned_move(params, drift, precond, hyper, key) -> Params:
    """``w_{t+1} = w_t - (eps/2) P_t D_t + sqrt(eps P_t) eta_t``."""
    drift = jax.tree.map(jnp.multiply, precond, drift)
    step = langevin_increment(drift, tree_normal(key, params), hyper.step_size, precond)
    return tree_add(params, step)


def rmsprop_sgld() -> Sampler:
    """RMSPropSGLD, pSGLD (Li et al. 2016): ``v_t = b2 v_{t-1} + (1 - b2) g_t^2``,
    ``P_t = 1 / (sqrt(vhat_t) + a)``, ``w_{t+1} = w_t - (eps/2) P_t U'_t + sqrt(eps P_t) eta_t``.
    """

    def init(params, hyper):
        del hyper
        return RMSPropState(jnp.zeros((), jnp.int32), jax.tree.map(jnp.zeros_like, params))

    def update(params, state, loss_grad, potential, hyper, *, key):
        new = RMSPropState(state.t + 1, second_moment(state.v, loss_grad, hyper.b2))
        drift = potential_gradient(params, loss_grad, potential)
        return preconditioned_move(params, drift, rmsprop_metric(new, hyper), hyper, key), new

    return Sampler(init, update, RMSPropSGLDHyper, rmsprop_metric)


def adam_sgld() -> Sampler:
    """AdamSGLD: RMSPropSGLD's ``P_t`` with the drift ``D_t = n*beta * mhat_t + gamma (w_t - w*)``,
    ``m_t = b1 m_{t-1} + (1 - b1) g_t``: ``w_{t+1} = w_t - (eps/2) P_t D_t + sqrt(eps P_t) eta_t``.
    Its drift is not ``U'``, so the move is not a MALA proposal (no ``metric``).
    """

    def init(params, hyper):
        del hyper
        zeros = jax.tree.map(jnp.zeros_like, params)
        return AdamState(jnp.zeros((), jnp.int32), zeros, zeros)

    def update(params, state, loss_grad, potential, hyper, *, key):
        count = state.t + 1
        m = first_moment(state.m, loss_grad, hyper.b1)
        new = AdamState(count, m, second_moment(state.v, loss_grad, hyper.b2))
        mhat = jax.tree.map(lambda m: debias(m, hyper.b1, count, hyper.bias_correction), m)
        drift = potential_gradient(params, mhat, potential)
        return preconditioned_move(params, drift, rmsprop_metric(new, hyper), hyper, key), new

    return Sampler(init, update, AdamSGLDHyper)


class AdaptiveDriftSGLDHyper(NamedTuple):
    """Adaptive-drift SGLD hyperparameters: ``a`` is the stability constant ``lambda``,
    ``drift_weight`` the weight ``a_d`` of the Adam direction."""

    step_size: Array
    b1: Array
    b2: Array
    a: Array
    drift_weight: Array


def adaptive_drift_sgld() -> Sampler:
    """SGLD with an adaptive drift, the Adam-SGLD of Kim, Song & Liang (2020):
    ``w_{t+1} = w_t - (eps/2) (U'_t + a_d m_t / (sqrt(v_t) + lambda)) + sqrt(eps) eta_t``,
    ``m_t``, ``v_t`` as in AdamSGLD without bias correction. The Adam direction is added to the
    drift as a bias; the noise is not preconditioned (AdamSGLD preconditions both).
    """

    def init(params, hyper):
        del hyper
        zeros = jax.tree.map(jnp.zeros_like, params)
        return AdamState(jnp.zeros((), jnp.int32), zeros, zeros)

    def update(params, state, loss_grad, potential, hyper, *, key):
        m = first_moment(state.m, loss_grad, hyper.b1)
        v = second_moment(state.v, loss_grad, hyper.b2)
        drift = jax.tree.map(
            lambda u, m, v: u + hyper.drift_weight * m / (jnp.sqrt(v) + hyper.a),
            potential_gradient(params, loss_grad, potential),
            m,
            v,
        )
        step = langevin_increment(drift, tree_normal(key, params), hyper.step_size, 1.0)
        return tree_add(params, step), AdamState(state.t + 1, m, v)

    return Sampler(init, update, AdaptiveDriftSGLDHyper)


# --------------------------------------------------------------------------------------------
# SGHMC and SGNHT


class SGHMCHyper(NamedTuple):
    """SGHMC hyperparameters: ``friction`` is ``alpha`` in (0, 1]."""

    step_size: Array
    friction: Array


class SGHMCState(NamedTuple):
    """SGHMC momentum ``p``."""

    momentum: Params


def sghmc() -> Sampler:
    """SGHMC (Chen, Fox, Guestrin 2014):
    ``p_{t+1} = (1 - alpha) p_t - (eps/2) U'_t + sqrt(alpha eps) eta_t``,
    ``w_{t+1} = w_t + p_{t+1}``.
    """

    def init(params, hyper):
        del hyper
        return SGHMCState(jax.tree.map(jnp.zeros_like, params))

    def update(params, state, loss_grad, potential, hyper, *, key):
        drift = potential_gradient(params, loss_grad, potential)
        kick = langevin_increment(drift, tree_normal(key, params), hyper.step_size, hyper.friction)
        momentum = jax.tree.map(lambda p, k: (1 - hyper.friction) * p + k, state.momentum, kick)
        return tree_add(params, momentum), SGHMCState(momentum)

    return Sampler(init, update, SGHMCHyper)


class SGNHTHyper(NamedTuple):
    """SGNHT hyperparameters: ``diffusion`` is ``A``."""

    step_size: Array
    diffusion: Array


class SGNHTState(NamedTuple):
    """SGNHT momentum ``p`` and thermostat ``xi``."""

    momentum: Params
    xi: Array


def sgnht() -> Sampler:
    """SGNHT (Ding et al. 2014):
    ``p_{t+1} = p_t - xi_t p_t - (eps/2) U'_t + sqrt(A eps) eta_t``, ``w_{t+1} = w_t + p_{t+1}``,
    ``xi_{t+1} = xi_t + (p_{t+1} . p_{t+1} / d - eps/2)``, ``xi_0 = A``, ``p_0 = 0``.
    """

    def init(params, hyper):
        return SGNHTState(jax.tree.map(jnp.zeros_like, params), jnp.asarray(hyper.diffusion))

    def update(params, state, loss_grad, potential, hyper, *, key):
        drift = potential_gradient(params, loss_grad, potential)
        kick = langevin_increment(drift, tree_normal(key, params), hyper.step_size, hyper.diffusion)
        momentum = jax.tree.map(lambda p, k: p - state.xi * p + k, state.momentum, kick)
        leaves = jax.tree.leaves(momentum)
        dim = sum(p.size for p in leaves)
        kinetic = sum(jnp.vdot(p, p) for p in leaves) / dim
        xi = state.xi + (kinetic - hyper.step_size / 2)
        return tree_add(params, momentum), SGNHTState(momentum, xi)

    return Sampler(init, update, SGNHTHyper)
