"""Pytree arithmetic: the leafwise maths that the samplers, the MALA diagnostic and the chain
runner do on parameters of any structure (a DLN's tuple of matrices, a surface's one vector).

Every function is pure and works under ``jit`` and ``vmap``. Notation: ``x``, ``y`` pytrees of
arrays, ``g`` a loss gradient (a pytree like the parameters), every product elementwise.
Not optax (its ``tree_utils`` have the like): a new dependency to remove about 30 lines.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

Tree = Any  # a pytree of arrays
Array = jax.Array


def broadcast_like(value: Tree | Array | float, tree: Tree) -> Tree:
    """``value`` as a pytree like ``tree``: itself if it has ``tree``'s structure, else the
    scalar ``value`` in place of every leaf."""
    structure: Any = jax.tree.structure(value)  # jax's stubs leave PyTreeDef's == undeclared
    if structure == jax.tree.structure(tree):
        return value
    return jax.tree.map(lambda _: value, tree)


def tree_zeros_like(tree: Tree) -> Tree:
    """Zeros shaped like ``tree``."""
    return jax.tree.map(jnp.zeros_like, tree)


def tree_add(x: Tree, y: Tree) -> Tree:
    """``x + y``."""
    return jax.tree.map(jnp.add, x, y)


def tree_normal(key: Array, tree: Tree) -> Tree:
    """``eta ~ N(0, I_d)`` shaped like ``tree`` (``d`` its number of entries): one draw of
    ``d`` values from ``key``, cut into the leaves in order."""
    leaves, treedef = jax.tree.flatten(tree)
    flat = jax.random.normal(key, (sum(leaf.size for leaf in leaves),), leaves[0].dtype)
    offsets = np.cumsum([0] + [leaf.size for leaf in leaves])
    draws = [
        flat[lo:hi].reshape(leaf.shape)
        for lo, hi, leaf in zip(offsets[:-1], offsets[1:], leaves, strict=True)
    ]
    return jax.tree.unflatten(treedef, draws)


def first_moment(m: Tree, g: Tree, decay: Array) -> Tree:
    """The moving average of the gradient: ``m_t = b1 m_{t-1} + (1 - b1) g_t``."""
    return jax.tree.map(lambda m, g: decay * m + (1 - decay) * g, m, g)


def second_moment(v: Tree, g: Tree, decay: Array) -> Tree:
    """The moving average of the squared gradient: ``v_t = b2 v_{t-1} + (1 - b2) g_t^2``."""
    return jax.tree.map(lambda v, g: decay * v + (1 - decay) * g * g, v, g)


def debias(moment: Array, decay: Array, count: Array, bias_correction: Array) -> Array:
    """The bias-corrected moving average of one leaf after ``t = count`` steps:
    ``mhat_t = m_t / (1 - b^t)`` when ``bias_correction`` is on (> 0), else ``m_t``."""
    return moment / jnp.where(bias_correction > 0, 1 - decay ** count.astype(decay.dtype), 1.0)


def weighted_sq_norm(x: Tree, weight: Tree | Array | float) -> Array:
    """The squared weighted norm ``|x|_P^2 = sum P x^2`` over every entry of every leaf
    (``weight`` ``P`` a pytree like ``x`` or a scalar)."""
    weight = broadcast_like(weight, x)
    leaves = jax.tree.leaves(jax.tree.map(lambda g, p: jnp.sum(p * g * g), x, weight))
    return sum(leaves, jnp.zeros(()))


def all_finite(tree: Tree) -> Array:
    """Whether every entry of every leaf is finite: ``sum(0 * x)`` is 0 then, and NaN as soon
    as one entry is infinite or NaN (a float sum, which XLA:CPU vectorises; a boolean
    ``all(isfinite(x))`` ran at a quarter of its speed)."""
    return jnp.isfinite(sum(jnp.sum(0 * x) for x in jax.tree.leaves(tree)))


def freeze_where(keep_old: Array, old: Tree, new: Tree) -> Tree:
    """``old if keep_old else new``, leafwise (``keep_old`` a scalar)."""
    return jax.tree.map(lambda o, n: jnp.where(keep_old, o, n), old, new)
