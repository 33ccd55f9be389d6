"""The exact learning coefficient of a deep linear network (spec section 2).

Aoyagi (2024), Theorem 1. With ``Delta_j = H_j - r`` for ``j = 0..M`` there is exactly one
subset ``S`` of layer indices, ``|S| = l + 1 >= 2``, with

1. ``max_{j in S} Delta_j < min_{k not in S} Delta_k``,
2. ``P := sum_{j in S} Delta_j >= l * max_{j in S} Delta_j``,
3. ``P < l * min_{k not in S} Delta_k``,

and then, with ``Mbar = ceil(P / l)`` and ``a = P - (Mbar - 1) * l``::

    lambda = (r (H_0 + H_M) - r^2) / 2 + a (l - a) / (4 l) - l (l - 1) / 4 * (P / l)^2
             + 1/2 * sum_{i < j in S} Delta_i Delta_j
    m      = a (l - a) + 1

A single matrix (``M = 1``) is a regular model: ``lambda = H_0 H_1 / 2``, ``m = 1``.
Everything is computed in exact rational arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from itertools import combinations, pairwise
from numbers import Integral
from typing import NamedTuple

from llc_explorer.errors import ConfigError


class LearningCoefficient(NamedTuple):
    """The exact learning coefficient ``llc`` and its multiplicity."""

    llc: Fraction
    multiplicity: int


def validate_widths(widths: Sequence[int]) -> tuple[int, ...]:
    """Return ``widths`` as a tuple of ints, or raise ``ValueError`` naming the problem. A
    one-dimensional array (NumPy's, or JAX's) counts as a sequence."""
    if getattr(widths, "ndim", None) == 1:
        widths = widths.tolist()  # type: ignore[attr-defined]
    if isinstance(widths, str | bytes) or not isinstance(widths, Sequence):
        raise ConfigError(
            f"widths must be a sequence of at least 2 positive ints (input to output), "
            f"got {widths!r}"
        )
    if len(widths) < 2:
        raise ConfigError(
            f"widths must list at least 2 layer widths (input and output), got {len(widths)}"
        )
    for j, h in enumerate(widths):
        if isinstance(h, bool) or not isinstance(h, Integral) or h < 1:
            raise ConfigError(f"widths[{j}] must be a positive int (>= 1), got {h!r}")
    return tuple(int(h) for h in widths)


def validate_rank(rank: int, widths: Sequence[int]) -> int:
    """Return ``rank`` as an int, or raise ``ValueError`` if not in ``[0, min(widths)]``."""
    top = min(widths)
    if isinstance(rank, bool) or not isinstance(rank, Integral) or not 0 <= rank <= top:
        raise ConfigError(f"rank must be an int in [0, min(widths)] = [0, {top}], got {rank!r}")
    return int(rank)


def aoyagi_subset(deltas: Sequence[int]) -> tuple[int, ...] | None:
    """Indices of the unique subset ``S`` of Aoyagi's theorem, found over sorted prefixes.

    Returns ``None`` if no prefix satisfies the three conditions (which the theorem rules out
    for valid input).
    """
    order = sorted(range(len(deltas)), key=lambda j: deltas[j])
    for size in range(2, len(deltas) + 1):
        subset = tuple(order[:size])
        if satisfies_aoyagi_conditions(deltas, subset):
            return subset
    return None


def satisfies_aoyagi_conditions(deltas: Sequence[int], subset: Sequence[int]) -> bool:
    """Whether ``subset`` meets conditions 1-3 of Aoyagi's theorem for these ``deltas``."""
    inside = [deltas[j] for j in subset]
    outside = [deltas[k] for k in range(len(deltas)) if k not in subset]
    ell = len(inside) - 1
    total = sum(inside)
    if outside and not max(inside) < min(outside):
        return False
    if total < ell * max(inside):
        return False
    return not outside or total < ell * min(outside)


def dln_llc(widths: Sequence[int], rank: int) -> LearningCoefficient:
    """Exact learning coefficient and multiplicity of a DLN with ``widths`` (input to output)
    at a true parameter whose product ``W_M ... W_1`` has rank ``rank``.
    """
    widths = validate_widths(widths)
    r = validate_rank(rank, widths)
    if len(widths) == 2:
        return LearningCoefficient(Fraction(widths[0] * widths[1], 2), 1)
    deltas = [h - r for h in widths]
    subset = aoyagi_subset(deltas)
    if subset is None:  # pragma: no cover - the theorem guarantees a subset exists
        raise AssertionError(f"no Aoyagi subset for widths={widths}, rank={r}")
    return aoyagi_formula(widths, r, subset)


def aoyagi_formula(widths: Sequence[int], r: int, subset: Sequence[int]) -> LearningCoefficient:
    """Evaluate Aoyagi's ``lambda`` and ``m`` for a given subset ``S`` (see module docstring)."""
    inside = [widths[j] - r for j in subset]
    ell = len(inside) - 1
    total = sum(inside)
    mbar = math.ceil(Fraction(total, ell))
    a = total - (mbar - 1) * ell
    pairs = sum(di * dj for di, dj in combinations(inside, 2))
    llc = (
        Fraction(r * (widths[0] + widths[-1]) - r * r, 2)
        + Fraction(a * (ell - a), 4 * ell)
        - Fraction(ell * (ell - 1), 4) * Fraction(total, ell) ** 2
        + Fraction(pairs, 2)
    )
    return LearningCoefficient(llc, a * (ell - a) + 1)


def num_params(widths: Sequence[int]) -> int:
    """Parameter count ``d = sum_j H_j * H_{j-1}``."""
    return sum(h_in * h_out for h_in, h_out in pairwise(widths))
