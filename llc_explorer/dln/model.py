"""The deep linear network (spec section 1): model, loss, and a teacher of exact product rank.

Widths ``H = (H_0, ..., H_M)`` run input to output; parameters are a tuple of matrices
``W_j`` of shape ``H_j x H_{j-1}``; ``f(x; w) = W_M ... W_1 x``; no biases. The loss is
``L(w) = (1/n) sum_i 0.5 * ||y_i - f(x_i; w)||^2`` (this scaling is the one every step size
in this package is quoted for).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from llc_explorer.dln.truth import num_params
from llc_explorer.errors import lookup

Params = tuple[jax.Array, ...]

RANK_TOLERANCE = 1e-5
"""Directions cut from the teacher must fall below ``RANK_TOLERANCE * s_1`` in its product.

The teacher is stored in float32, so a truncated direction survives as singular values of
order ``1e-7 * s_1`` (float32 rounding), not zero.
"""

RANK_GAP = 100.0
"""A kept direction must stand at least ``RANK_GAP`` times above the largest cut one (and
above ``1e-12 * s_1``, the float64 SVD's resolution): the rank is read off a clear gap."""


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


def has_rank(matrix: np.ndarray, rank: int) -> bool:
    """Whether ``matrix`` has numerical rank ``rank``: ``s_{r+1} <= RANK_TOLERANCE * s_1``,
    ``s_r >= RANK_GAP * s_{r+1}`` and ``s_r > 1e-12 * s_1`` (float64 SVD, ``s`` descending)."""
    s = np.linalg.svd(np.asarray(matrix, dtype=np.float64), compute_uv=False)
    top = s[0] if s.size else 0.0
    cut = s[rank] if rank < s.size else 0.0
    if rank == 0:
        return cut <= RANK_TOLERANCE * max(top, np.finfo(np.float64).tiny) or top == 0.0
    kept = s[rank - 1]
    return cut <= RANK_TOLERANCE * top and kept >= RANK_GAP * cut and kept > 1e-12 * top


def truncate_rank(w: jax.Array, rank: int) -> jax.Array:
    """Best rank-``rank`` approximation of ``w`` (its float64 SVD truncated to ``rank`` values),
    returned in ``w``'s dtype."""
    u, s, vt = np.linalg.svd(np.asarray(w, dtype=np.float64), full_matrices=False)
    return jnp.asarray((u[:, :rank] * s[None, :rank]) @ vt[:rank], dtype=w.dtype)


@partial(jax.jit, static_argnums=1)
def random_layers(key: jax.Array, widths: tuple[int, ...]) -> list[jax.Array]:
    """Matrices ``W_j`` with entries ``N(0, 1/H_{j-1})`` in float32 (one draw of ``d`` values;
    jitted: one compile, the same numbers as op by op)."""
    flat = jax.random.normal(key, (num_params(widths),), jnp.float32)
    layers, start = [], 0
    for h_in, h_out in itertools.pairwise(widths):
        layers.append(flat[start : start + h_in * h_out].reshape(h_out, h_in) / np.sqrt(h_in))
        start += h_in * h_out
    return layers


def minimal_layers(layers: Sequence[jax.Array], rank: int) -> list[jax.Array]:
    """Every layer of rank ``rank``, chained: ``W_1`` truncated to rank ``rank``, then
    ``W_j = G_j Q_{j-1} Q_{j-1}^T`` with ``Q_{j-1}`` an orthonormal basis of ``im W_{j-1}``
    (float64, ``Q_j`` from a QR of ``G_j Q_{j-1}``).

    Since ``W_j W_{j-1} = G_j W_{j-1}``, the product equals that of :func:`first_layer_layers`
    on the same draw ``G``: the same function, at another point of its fibre.
    """
    first = np.asarray(layers[0], np.float64)
    u, s, vt = np.linalg.svd(first, full_matrices=False)
    out = [jnp.asarray((u[:, :rank] * s[None, :rank]) @ vt[:rank], dtype=layers[0].dtype)]
    basis = u[:, :rank]
    for w in layers[1:]:
        image = np.asarray(w, np.float64) @ basis
        out.append(jnp.asarray(image @ basis.T, dtype=w.dtype))
        basis = np.linalg.qr(image)[0]
    return out


def widths_of(params: Sequence[jax.Array | np.ndarray]) -> tuple[int, ...]:
    """The widths ``(H_0, ..., H_M)`` of the matrices ``W_1 .. W_M``."""
    return (np.shape(params[0])[1], *(np.shape(w)[0] for w in params))


def minimal_ranks(widths: Sequence[int], rank: int) -> list[int]:
    """The layer ranks of a ``"minimal"`` teacher: ``rank`` for every layer."""
    return [rank] * (len(widths) - 1)


def first_layer_ranks(widths: Sequence[int], rank: int) -> list[int]:
    """The layer ranks of a ``"first_layer"`` teacher: full, except the first layer's, which is
    ``rank`` when the widths allow more."""
    ranks = [min(h_in, h_out) for h_in, h_out in itertools.pairwise(widths)]
    if min(widths) > rank:
        ranks[0] = rank
    return ranks


def first_layer_layers(layers: Sequence[jax.Array], rank: int) -> list[jax.Array]:
    """The first layer truncated to rank ``rank`` when the widths allow more, the others kept
    full rank (the construction used before docs/TRUTH.md; its local LLC can exceed
    Aoyagi's)."""
    first = first_layer_ranks(widths_of(layers), rank)[0]
    head = truncate_rank(layers[0], first) if first < min(layers[0].shape) else layers[0]
    return [head, *layers[1:]]


class Teacher(NamedTuple):
    """A teacher construction: ``build(layers, rank)``, the ``layer_ranks(widths, rank)`` it
    gives its random layers, and what it is, in words."""

    build: Callable[[Sequence[jax.Array], int], list[jax.Array]]
    layer_ranks: Callable[[Sequence[int], int], list[int]]
    description: str


TEACHERS: dict[str, Teacher] = {
    "minimal": Teacher(
        minimal_layers,
        minimal_ranks,
        "every layer has the product's rank r: Aoyagi's value is the local one (default)",
    ),
    "first_layer": Teacher(
        first_layer_layers,
        first_layer_ranks,
        "first layer truncated to rank r, the others full rank: the local value can exceed "
        "Aoyagi's",
    ),
}
"""The teacher constructions of :func:`make_teacher`, by name. From the same key both give
the same product ``W_M ... W_1``, hence the same data; they differ in where on the set of
true parameters the chains start (docs/TRUTH.md)."""


def check_teacher(construction: str) -> str:
    """``construction`` if it names a teacher construction, else ``ConfigError``."""
    lookup("teacher", construction, TEACHERS)
    return construction


def make_teacher(
    key: jax.Array,
    widths: Sequence[int],
    rank: int,
    *,
    construction: str = "minimal",
    attempts: int = 10,
) -> Params:
    """A true parameter ``w*`` whose product ``W_M ... W_1`` has rank exactly ``rank``.

    Layers are drawn by :func:`random_layers` and brought to rank by ``construction``
    (:data:`TEACHERS`): ``"minimal"`` (default) puts every layer at rank ``rank``, where
    Aoyagi's global learning coefficient is also the local one at ``w*``;
    ``"first_layer"`` truncates only the first layer. The product's rank is checked by
    :func:`has_rank` (a ``"minimal"`` layer has rank at most ``rank`` by construction, so a
    product of rank ``rank`` leaves each exactly ``rank``); a draw that fails is redrawn
    (``attempts`` times in all) and then ``RuntimeError`` is raised.
    """
    build = TEACHERS[check_teacher(construction)].build
    for attempt in range(attempts):
        layers = build(random_layers(jax.random.fold_in(key, attempt), tuple(widths)), rank)
        if has_rank(product(layers), rank):
            return tuple(layers)
    raise RuntimeError(
        f"could not draw a teacher whose product has a clear numerical rank {rank} "
        f"(widths={list(widths)}, {attempts} attempts; see llc_explorer.dln.model.has_rank)"
    )


def numerical_rank(matrix: jax.Array | np.ndarray) -> int:
    """The number of singular values above ``RANK_TOLERANCE * s_1`` (float64 SVD)."""
    s = np.linalg.svd(np.asarray(matrix, dtype=np.float64), compute_uv=False)
    return int(np.sum(s > RANK_TOLERANCE * s[0])) if s.size and s[0] > 0 else 0


def subproduct_ranks(params: Sequence[jax.Array | np.ndarray]) -> dict[tuple[int, int], int]:
    """``{(i, j): rank(W_j ... W_i)}`` for every run of consecutive layers ``i <= j``
    (0-based), by :func:`numerical_rank`."""
    return {
        (i, j): numerical_rank(product(params[i : j + 1]))
        for i in range(len(params))
        for j in range(i, len(params))
    }
