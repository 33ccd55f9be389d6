"""The deep linear network (spec section 1): model, loss, and a teacher of exact product rank.

Widths ``H = (H_0, ..., H_M)`` run input to output; parameters are a tuple of matrices
``W_j`` of shape ``H_j x H_{j-1}``; ``f(x; w) = W_M ... W_1 x``; no biases. The loss is
``L(w) = (1/n) sum_i 0.5 * ||y_i - f(x_i; w)||^2`` (this scaling is the one every step size
in this package is quoted for).
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

Params = tuple[jax.Array, ...]

RANK_TOLERANCE = 1e-5
"""Relative singular-value threshold for the numerical rank of the teacher's product.

The teacher is stored in float32, so a truncated direction survives as singular values of
order ``1e-7 * s_max`` (float32 rounding); genuine ones of a random product sit far above
``1e-5 * s_max`` for the widths this package draws. The check in :func:`make_teacher` fails
loudly if a product ever falls in between.
"""


def forward(params: Params, x: jax.Array) -> jax.Array:
    """``f(x; w) = W_M ... W_1 x`` for a batch ``x`` of shape ``(batch, H_0)``."""
    for w in params:
        x = x @ w.T
    return x


def loss(params: Params, x: jax.Array, y: jax.Array) -> jax.Array:
    """Mean squared loss ``(1/|B|) sum_i 0.5 * ||y_i - f(x_i; w)||^2`` over the batch."""
    residual = y - forward(params, x)
    return 0.5 * jnp.mean(jnp.sum(residual * residual, axis=-1))


def product(params: Sequence[jax.Array | np.ndarray]) -> np.ndarray:
    """The end-to-end matrix ``W_M ... W_1`` in float64 (on the host)."""
    out = np.asarray(params[0], dtype=np.float64)
    for w in params[1:]:
        out = np.asarray(w, dtype=np.float64) @ out
    return out


def numerical_rank(matrix: np.ndarray, tolerance: float = RANK_TOLERANCE) -> int:
    """Number of singular values above ``tolerance * s_max`` (float64 SVD)."""
    singular = np.linalg.svd(np.asarray(matrix, dtype=np.float64), compute_uv=False)
    if singular.size == 0 or singular[0] == 0:
        return 0
    return int(np.sum(singular > tolerance * singular[0]))


def truncate_rank(w: jax.Array, rank: int) -> jax.Array:
    """Best rank-``rank`` approximation of ``w`` (its SVD truncated to ``rank`` values)."""
    u, s, vt = jnp.linalg.svd(w, full_matrices=False)
    return (u[:, :rank] * s[:rank]) @ vt[:rank]


def random_layers(key: jax.Array, widths: Sequence[int]) -> list[jax.Array]:
    """Matrices ``W_j`` with entries ``N(0, 1/H_{j-1})`` in float32."""
    keys = jax.random.split(key, len(widths) - 1)
    return [
        jax.random.normal(k, (h_out, h_in), jnp.float32) / np.sqrt(h_in)
        for k, h_in, h_out in zip(keys, widths[:-1], widths[1:], strict=True)
    ]


def make_teacher(
    key: jax.Array, widths: Sequence[int], rank: int, layer_ranks: Sequence[int] | None = None
) -> Params:
    """A true parameter ``w*`` whose product ``W_M ... W_1`` has rank exactly ``rank``.

    Layers are drawn by :func:`random_layers`; ``layer_ranks`` (default: all full) truncates
    chosen layers, and if the product's generic rank ``min(widths, layer_ranks)`` is still
    above ``rank``, the first layer is truncated to ``rank``. The product's rank is then
    checked by a float64 SVD with :data:`RANK_TOLERANCE`; a mismatch raises ``RuntimeError``.
    """
    layers = random_layers(key, widths)
    if layer_ranks is not None:
        layers = [truncate_rank(w, k) for w, k in zip(layers, layer_ranks, strict=True)]
    generic = min([*widths, *(layer_ranks or [])])
    if generic > rank:
        layers[0] = truncate_rank(layers[0], rank)
    found = numerical_rank(product(layers))
    if found != rank:
        raise RuntimeError(
            f"teacher product has numerical rank {found}, expected {rank} "
            f"(widths={list(widths)}, tolerance {RANK_TOLERANCE})"
        )
    return tuple(layers)
