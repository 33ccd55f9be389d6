"""A model of one's own as a problem for the chains: its loss, the point ``w*`` to estimate
at, its data, and the checks a user's input meets before anything compiles.

``loss(params, batch) -> scalar`` is the mean loss over a minibatch ``batch`` (a pytree of
arrays sharing a leading axis); ``params`` is any pytree of float arrays; ``data`` is a pytree
of arrays sharing a leading axis of length ``n``. At each step a chain draws ``batch_size``
rows uniformly with replacement, ``B_t``, and evaluates ``L_{B_t}(w_t)`` and its gradient in
one pass, as for a DLN (:mod:`llc_explorer.dln.gradients`), so a DLN written as a model
samples the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from llc_explorer.dln.truth import LearningCoefficient
from llc_explorer.errors import ConfigError

Loss = Callable[[Any, Any], jax.Array]
CHUNK_ROWS = 4096
"""Rows per pass of the full-data loss ``L_n(w*)``."""


@dataclass(frozen=True)
class ModelGradient:
    """The gradient estimator of a model: ``(L_B(w), grad L_B(w))`` on ``batch_size`` random
    rows (hashable by the loss function and the batch size, so compiled chunks are cached per
    model)."""

    loss: Loss
    batch_size: int

    def __call__(self, params: Any, data: Any, *, key: jax.Array) -> tuple[jax.Array, Any]:
        n = jax.tree.leaves(data)[0].shape[0]
        rows = jax.random.randint(key, (self.batch_size,), 0, n)
        batch = jax.tree.map(lambda leaf: leaf[rows], data)
        return jax.value_and_grad(self.loss)(params, batch)


class ModelProblem(NamedTuple):
    """A model as the chains see it (:class:`llc_explorer.dln.problem.Target`): no exact
    LLC is known."""

    loss: Loss
    teacher: Any
    data: Any
    loss_at_teacher: float
    num_params: int
    data_bytes: int
    truth: LearningCoefficient | None = None
    global_truth: LearningCoefficient | None = None

    def gradient(self, batch_size: int) -> ModelGradient:
        """The model's minibatch gradient estimator."""
        return ModelGradient(self.loss, batch_size)


@partial(jax.jit, static_argnames=("loss", "chunk_rows"))
def full_loss(loss: Loss, params: Any, data: Any, *, chunk_rows: int = CHUNK_ROWS) -> jax.Array:
    """``L_n(w) = (1/n) sum_i loss(w, row_i)``, one row at a time, ``chunk_rows`` rows per
    pass (so any ``n`` fits in memory)."""
    one_row = jax.tree.map(lambda leaf: leaf[:, None], data)
    per_row = jax.lax.map(partial(loss, params), one_row, batch_size=chunk_rows)
    return jnp.mean(per_row)


def leaf_names(tree: Any) -> list[str]:
    """Each leaf's path in ``tree``, as ``jax.tree_util.keystr`` writes it (``['w'][0]``)."""
    return [jax.tree_util.keystr(path) for path, _ in jax.tree_util.tree_leaves_with_path(tree)]


def check_params(params: Any) -> Any:
    """``params`` with every leaf a float array; ``ConfigError`` names a leaf that is not."""
    leaves = jax.tree.leaves(params)
    if not leaves:
        raise ConfigError("params has no arrays: give the point w* to estimate at")
    for name, leaf in zip(leaf_names(params), leaves, strict=True):
        dtype = jnp.result_type(leaf)
        if not jnp.issubdtype(dtype, jnp.floating):
            raise ConfigError(
                f"params{name} has dtype {dtype}; the LLC samples float parameters only "
                "(convert it, or close over it in the loss)"
            )
    return jax.tree.map(jnp.asarray, params)


def check_data(data: Any) -> tuple[Any, int]:
    """``data`` as arrays and its length ``n``; ``ConfigError`` when its leaves do not share
    a leading axis of at least 2 rows."""
    leaves = [jnp.asarray(leaf) for leaf in jax.tree.leaves(data)]
    if not leaves:
        raise ConfigError("data has no arrays: give a pytree of arrays with one row per example")
    lengths = {
        name: leaf.shape[0] if leaf.ndim else None
        for name, leaf in zip(leaf_names(data), leaves, strict=True)
    }
    if len(set(lengths.values())) != 1 or None in lengths.values():
        shown = ", ".join(f"data{name}: {length}" for name, length in lengths.items())
        raise ConfigError(f"data's arrays must share their leading axis (rows); got {shown}")
    n = leaves[0].shape[0]
    if n < 2:
        raise ConfigError(f"data has {n} row; the estimate needs at least 2")
    return jax.tree.map(jnp.asarray, data), n


def check_loss(loss: Loss, params: Any, data: Any, batch_size: int) -> None:
    """``ConfigError`` unless ``loss(params, batch)`` on a batch of ``batch_size`` rows
    returns a float scalar: traced on shapes alone (nothing runs or compiles)."""
    if not callable(loss):
        raise ConfigError(f"loss must be a function loss(params, batch); got {type(loss).__name__}")
    batch = jax.tree.map(
        lambda leaf: jax.ShapeDtypeStruct((batch_size, *leaf.shape[1:]), leaf.dtype), data
    )
    try:
        out = jax.eval_shape(loss, params, batch)
    except Exception as exc:  # the user's function, on shapes: any failure is bad input
        raise ConfigError(
            f"loss(params, batch) fails on a batch of {batch_size} rows: {exc}"
        ) from exc
    shape = getattr(out, "shape", None)
    if shape != () or not jnp.issubdtype(out.dtype, jnp.floating):
        raise ConfigError(
            "loss(params, batch) must return a float scalar (the batch's mean loss); it "
            f"returns {jax.tree.map(lambda x: f'{x.dtype}{list(x.shape)}', out)}"
        )


def model_problem(loss: Loss, params: Any, data: Any) -> ModelProblem:
    """The problem of checked ``params`` and ``data`` (:func:`check_params`,
    :func:`check_data`, :func:`check_loss`), with ``L_n(w*)`` (the first compiled step)."""
    size = sum(leaf.size for leaf in jax.tree.leaves(params))
    data_bytes = sum(leaf.nbytes for leaf in jax.tree.leaves(data))
    at_center = float(full_loss(loss, params, data))
    return ModelProblem(loss, params, data, at_center, size, data_bytes)
