"""The synthetic regression data of spec section 1, built in row chunks.

``x_i ~ N(0, I_{H_0})`` (or uniform on ``[-a, a]^{H_0}``), ``y_i = f(x_i; w*) + sigma * xi_i``.
The targets and the full-data loss ``L_n(w*)`` are computed ``chunk_rows`` rows at a time
(``lax.map`` with ``batch_size``), so a large model never holds an ``n x H_j`` activation
array in one piece: only the dataset itself is stored whole.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp

from llc_explorer.dln.model import Params, forward, loss
from llc_explorer.errors import not_one_of

INPUT_DISTRIBUTIONS = ("normal", "uniform")


class Dataset(NamedTuple):
    """Inputs ``x`` of shape ``(n, H_0)`` and targets ``y`` of shape ``(n, H_M)``."""

    x: jax.Array
    y: jax.Array


def chunk_rows_for(widths: tuple[int, ...], budget_bytes: int = 256 * 2**20) -> int:
    """Rows per chunk so that one chunk's widest activation stays within ``budget_bytes``."""
    return max(1, budget_bytes // (4 * max(widths)))


@partial(jax.jit, static_argnames=("n", "input_dist", "chunk_rows"))
def make_dataset(
    key: jax.Array,
    teacher: Params,
    *,
    n: int,
    noise: float | jax.Array = 0.0,
    input_dist: str = "normal",
    input_bound: float | jax.Array = 1.0,
    chunk_rows: int = 4096,
) -> Dataset:
    """Draw ``n`` inputs and their teacher outputs (plus ``noise * N(0, I)``)."""
    key_x, key_noise = jax.random.split(key)
    shape = (n, teacher[0].shape[1])
    if input_dist == "normal":
        x = jax.random.normal(key_x, shape, jnp.float32)
    elif input_dist == "uniform":
        x = jax.random.uniform(key_x, shape, jnp.float32, -input_bound, input_bound)
    else:
        raise not_one_of("input_dist", input_dist, INPUT_DISTRIBUTIONS)
    y = jax.lax.map(partial(forward, teacher), x, batch_size=chunk_rows)
    y = y + noise * jax.random.normal(key_noise, y.shape, jnp.float32)
    return Dataset(x, y)


@partial(jax.jit, static_argnames=("chunk_rows",))
def full_loss(params: Params, data: Dataset, *, chunk_rows: int = 4096) -> jax.Array:
    """``L_n(w) = (1/n) sum_i 0.5 * ||y_i - f(x_i; w)||^2``, accumulated in row chunks."""
    per_row = jax.lax.map(
        lambda xy: loss(params, xy[0][None], xy[1][None]), (data.x, data.y), batch_size=chunk_rows
    )
    return jnp.mean(per_row)
