"""One real step of each sampler, redone by hand from the update rule the lab's table writes.

The step is taken on a small two-layer DLN, ``0.5 * mean_i ||y_i - W2 W1 x_i||^2`` with
``W1`` of shape 3 x 2 and ``W2`` 2 x 3, from a point near its teacher, with one real
minibatch gradient ``g``, the potential gradient ``U' = n*beta g + gamma (w - w*)`` and the
noise ``eta`` the sampler draws from the same key (spec section 4).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from llc_explorer.sgmcmc.potential import Potential, potential_gradient
from llc_explorer.sgmcmc.registry import REGISTRY
from llc_explorer.sgmcmc.tree import tree_normal

STEP_SIZE = 1e-3
"""The step size of the checked step."""


def dln_loss(params: dict[str, jax.Array], x: jax.Array, y: jax.Array) -> jax.Array:
    """``0.5 * mean_i ||y_i - W2 W1 x_i||^2``."""
    residual = y - x @ params["W1"].T @ params["W2"].T
    return 0.5 * jnp.mean(jnp.sum(residual**2, axis=-1))


def agree(tree_a: Any, tree_b: Any) -> bool:
    """Whether two pytrees agree leaf by leaf to 1e-6."""
    close = jax.tree.map(lambda a, b: bool(jnp.allclose(a, b, atol=1e-6)), tree_a, tree_b)
    return all(jax.tree.leaves(close))


def update_rule_checks(seed: int = 0) -> dict[str, bool]:
    """For each sampler, whether its ``update`` equals the rule computed by hand:

    - SGLD: ``w - (eps/2) U' + sqrt(eps) eta``;
    - RMSPropSGLD and AdamSGLD (their first step, where Adam's bias-corrected mean is ``g``):
      ``w - (eps/2) P U' + sqrt(eps P) eta`` with ``P = 1/(sqrt(v_hat) + a)``,
      ``v_hat = (1 - b2) g^2 / (1 - b2)``;
    - SGHMC from ``p_0 = 0``: ``w + p_1``, ``p_1 = -(eps/2) U' + sqrt(alpha eps) eta``;
    - SGNHT from ``p_0 = 0``, ``xi_0 = A``: ``w + p_1``, ``p_1 = -(eps/2) U' + sqrt(A eps) eta``,
      and ``xi_1 = A + p_1 . p_1 / d - eps/2``.
    """
    keys = jax.random.split(jax.random.key(seed), 4)
    center = {"W1": jax.random.normal(keys[0], (3, 2)), "W2": jax.random.normal(keys[1], (2, 3))}
    x = jax.random.normal(keys[2], (16, 2))
    y = x @ center["W1"].T @ center["W2"].T
    params = jax.tree.map(lambda w: w + 0.05, center)
    grad = jax.grad(dln_loss)(params, x, y)
    potential = Potential(nbeta=jnp.float32(50.0), gamma=jnp.float32(1.0), center=center)
    eta = tree_normal(keys[3], params)
    u = potential_gradient(params, grad, potential)
    eps = jnp.float32(STEP_SIZE)

    def one_step(name: str) -> tuple[Any, Any, dict[str, float]]:
        spec = REGISTRY[name]
        values = {**spec.defaults, "step_size": eps}
        hyper = spec.sampler.hyperparams(**{k: jnp.float32(v) for k, v in values.items()})
        state = spec.sampler.init(params, hyper)
        new, state = spec.sampler.update(params, state, grad, potential, hyper, key=keys[3])
        return new, state, values

    def move(p: Any) -> Any:
        return jax.tree.map(jnp.add, params, p)

    checks = {}
    new, _, _ = one_step("sgld")
    checks["sgld"] = agree(new, jax.tree.map(lambda w, g, e: w - eps / 2 * g + jnp.sqrt(eps) * e,
                                             params, u, eta))  # fmt: skip
    b2, a = REGISTRY["rmsprop_sgld"].defaults["b2"], REGISTRY["rmsprop_sgld"].defaults["a"]
    pre = jax.tree.map(lambda g: 1 / (jnp.sqrt((1 - b2) * g**2 / (1 - b2)) + a), grad)
    by_hand = jax.tree.map(lambda w, p, g, e: w - eps / 2 * p * g + jnp.sqrt(eps * p) * e,
                           params, pre, u, eta)  # fmt: skip
    for name in ("rmsprop_sgld", "adam_sgld"):  # Adam's first step: its mean of g is g
        checks[name] = agree(one_step(name)[0], by_hand)
    new, _, values = one_step("sghmc")
    alpha = values["friction"]
    p1 = jax.tree.map(lambda g, e: -eps / 2 * g + jnp.sqrt(alpha * eps) * e, u, eta)
    checks["sghmc"] = agree(new, move(p1))
    new, state, values = one_step("sgnht")
    diffusion = values["diffusion"]
    p1 = jax.tree.map(lambda g, e: -eps / 2 * g + jnp.sqrt(diffusion * eps) * e, u, eta)
    d = sum(w.size for w in jax.tree.leaves(params))
    xi1 = diffusion + sum(jnp.vdot(p, p) for p in jax.tree.leaves(p1)) / d - eps / 2
    checks["sgnht"] = agree(new, move(p1)) and bool(jnp.allclose(state.xi, xi1))
    return checks
