"""The SGMCMC update rules of spec section 4 (the paper's five and one variant of AdamSGLD),
as pure ``(init, update)`` pairs over pytrees.

Each sampler reads like an optax transformation: a factory returns a :class:`Sampler` whose
``init(params, hyper)`` builds a small state and whose
``update(params, state, loss_grad, potential, hyper, *, key)`` returns the next parameters
and state. An update knows only the position, the minibatch loss gradient ``g_t``, the
potential it samples (:mod:`llc_explorer.sgmcmc.potential`) and the step size; it makes its
move with :mod:`llc_explorer.sgmcmc.langevin` and keeps its state with the pytree maths of
:mod:`llc_explorer.sgmcmc.tree`. Where the gradient comes from and how chains are run is the
chain runner's business (:mod:`llc_explorer.sgmcmc.chains`); what else the package knows about
each sampler (defaults, ranges, controls) is its spec in :mod:`llc_explorer.sgmcmc.registry`.

Notation (spec section 4): ``U'_t = n*beta * g_t + gamma * (w_t - w*)``, ``eta_t ~ N(0, I)``,
``eps`` the step size, every product elementwise. Every hyperparameter, the step size
included, is a traced array: changing a value never recompiles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from llc_explorer.sgmcmc.langevin import langevin_increment, langevin_step, preconditioned_step
from llc_explorer.sgmcmc.potential import potential_gradient
from llc_explorer.sgmcmc.tree import (
    Array,
    debias,
    first_moment,
    second_moment,
    tree_add,
    tree_zeros_like,
)
from llc_explorer.sgmcmc.tree import Tree as Params


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
        return langevin_step(key, params, drift, hyper.step_size), state

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


def adam_init(params: Params, hyper: Any) -> AdamState:
    """``t = 0``, ``m_0 = v_0 = 0``."""
    del hyper
    zeros = tree_zeros_like(params)
    return AdamState(jnp.zeros((), jnp.int32), zeros, zeros)


def rmsprop_metric(state: RMSPropState | AdamState, hyper: Any) -> Params:
    """``P_t = 1 / (sqrt(vhat_t) + a)`` from the state after step ``t``."""
    return jax.tree.map(
        lambda v: 1 / (jnp.sqrt(debias(v, hyper.b2, state.t, hyper.bias_correction)) + hyper.a),
        state.v,
    )


def rmsprop_sgld() -> Sampler:
    """RMSPropSGLD, pSGLD (Li et al. 2016): ``v_t = b2 v_{t-1} + (1 - b2) g_t^2``,
    ``P_t = 1 / (sqrt(vhat_t) + a)``, ``w_{t+1} = w_t - (eps/2) P_t U'_t + sqrt(eps P_t) eta_t``.
    """

    def init(params, hyper):
        del hyper
        return RMSPropState(jnp.zeros((), jnp.int32), tree_zeros_like(params))

    def update(params, state, loss_grad, potential, hyper, *, key):
        new = RMSPropState(state.t + 1, second_moment(state.v, loss_grad, hyper.b2))
        drift = potential_gradient(params, loss_grad, potential)
        precond = rmsprop_metric(new, hyper)
        return preconditioned_step(key, params, drift, precond, hyper.step_size), new

    return Sampler(init, update, RMSPropSGLDHyper, rmsprop_metric)


def adam_sgld() -> Sampler:
    """AdamSGLD: RMSPropSGLD's ``P_t`` with the drift ``D_t = n*beta * mhat_t + gamma (w_t - w*)``,
    ``m_t = b1 m_{t-1} + (1 - b1) g_t``: ``w_{t+1} = w_t - (eps/2) P_t D_t + sqrt(eps P_t) eta_t``.
    Its drift is not ``U'``, so the move is not a MALA proposal (no ``metric``).
    """

    def update(params, state, loss_grad, potential, hyper, *, key):
        count = state.t + 1
        m = first_moment(state.m, loss_grad, hyper.b1)
        new = AdamState(count, m, second_moment(state.v, loss_grad, hyper.b2))
        mhat = jax.tree.map(lambda m: debias(m, hyper.b1, count, hyper.bias_correction), m)
        drift = potential_gradient(params, mhat, potential)
        precond = rmsprop_metric(new, hyper)
        return preconditioned_step(key, params, drift, precond, hyper.step_size), new

    return Sampler(adam_init, update, AdamSGLDHyper)


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

    def update(params, state, loss_grad, potential, hyper, *, key):
        m = first_moment(state.m, loss_grad, hyper.b1)
        v = second_moment(state.v, loss_grad, hyper.b2)
        drift = jax.tree.map(
            lambda u, m, v: u + hyper.drift_weight * m / (jnp.sqrt(v) + hyper.a),
            potential_gradient(params, loss_grad, potential),
            m,
            v,
        )
        params = langevin_step(key, params, drift, hyper.step_size)
        return params, AdamState(state.t + 1, m, v)

    return Sampler(adam_init, update, AdaptiveDriftSGLDHyper)


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
        return SGHMCState(tree_zeros_like(params))

    def update(params, state, loss_grad, potential, hyper, *, key):
        drift = potential_gradient(params, loss_grad, potential)
        kick = langevin_increment(key, params, drift, hyper.step_size, hyper.friction)
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
        return SGNHTState(tree_zeros_like(params), jnp.asarray(hyper.diffusion))

    def update(params, state, loss_grad, potential, hyper, *, key):
        drift = potential_gradient(params, loss_grad, potential)
        kick = langevin_increment(key, params, drift, hyper.step_size, hyper.diffusion)
        momentum = jax.tree.map(lambda p, k: p - state.xi * p + k, state.momentum, kick)
        leaves = jax.tree.leaves(momentum)
        dim = sum(p.size for p in leaves)
        kinetic = sum(jnp.vdot(p, p) for p in leaves) / dim
        xi = state.xi + (kinetic - hyper.step_size / 2)
        return tree_add(params, momentum), SGNHTState(momentum, xi)

    return Sampler(init, update, SGNHTHyper)
