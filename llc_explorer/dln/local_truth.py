"""The local learning coefficient of a DLN at a given teacher ``w*`` (docs/TRUTH.md).

Aoyagi's value (:func:`llc_explorer.dln.truth.dln_llc`) is the learning coefficient of the whole
model, the minimum over every true parameter. Near one teacher it can be larger. Three facts,
argued in docs/TRUTH.md, compute the local value from the ranks of the teacher's layers and
of their consecutive products:

1. **Minimal teachers.** If every layer has the product's rank ``r``, the local value is
   Aoyagi's ``lambda(H, r)``.
2. **Merging.** A run of two or more consecutive layers whose product has full rank (the
   smaller of the run's two end widths) can be replaced by that product: the local value of
   the shorter network at the merged point is the same.
3. **Two layers** ``(H_0, H_1, H_2)`` with layer ranks ``k_1, k_2`` and product rank ``r``::

       lambda = (H_2 k_1 + k_2 (H_0 - k_1)) / 2
                + lambda_Aoyagi((H_0 - k_1, H_1 - k_1 - k_2 + r, H_2 - k_2), 0)

   (the second term is 0 when one of those widths is 0).

A teacher that these do not reach has no computed local value: :func:`local_llc` returns
``None`` (Aoyagi's value is then only a lower bound).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

import jax
import numpy as np

from llc_explorer.dln.model import TEACHERS, check_teacher, subproduct_ranks, widths_of
from llc_explorer.dln.truth import LearningCoefficient, dln_llc, validate_widths
from llc_explorer.errors import ConfigError

Ranks = Mapping[tuple[int, int], int]
"""``{(i, j): rank(W_j ... W_i)}`` over consecutive layers ``i <= j`` (0-based)."""


def two_layer_llc(widths: Sequence[int], k1: int, k2: int, rank: int) -> LearningCoefficient:
    """Local learning coefficient of the two-layer DLN ``widths`` at a true parameter whose
    layers have ranks ``k1``, ``k2`` and whose product has rank ``rank`` (fact 3 above).

    ``ValueError`` if no pair of matrices has these ranks (``r <= min(k1, k2)``,
    ``k1 <= min(H_0, H_1)``, ``k2 <= min(H_1, H_2)``, Sylvester: ``r >= k1 + k2 - H_1``).
    """
    h0, h1, h2 = validate_widths(widths)
    consistent = (
        0 <= rank <= min(k1, k2)
        and k1 <= min(h0, h1)
        and k2 <= min(h1, h2)
        and rank >= k1 + k2 - h1
    )
    if not consistent:
        raise ConfigError(
            f"no true parameter of widths {h0},{h1},{h2} has layer ranks {k1}, {k2} and "
            f"product rank {rank}"
        )
    residual = (h0 - k1, h1 - k1 - k2 + rank, h2 - k2)
    core = LearningCoefficient(Fraction(0), 1) if min(residual) == 0 else dln_llc(residual, 0)
    regular = Fraction(h2 * k1 + k2 * (h0 - k1), 2)
    return LearningCoefficient(regular + core.llc, core.multiplicity)


def merge_layers(
    widths: Sequence[int], ranks: Ranks, first: int, last: int
) -> tuple[tuple[int, ...], dict[tuple[int, int], int]]:
    """The network with layers ``first..last`` replaced by their product: its widths and the
    ranks of its consecutive products (read off ``ranks``)."""
    shift = last - first

    def start(i: int) -> int:
        return i if i <= first else i + shift

    def end(j: int) -> int:
        return j if j < first else j + shift

    merged = (*widths[: first + 1], *widths[last + 1 :])
    layers = len(merged) - 1
    new = {(i, j): ranks[(start(i), end(j))] for i in range(layers) for j in range(i, layers)}
    return merged, new


def full_rank_run(widths: Sequence[int], ranks: Ranks) -> tuple[int, int] | None:
    """The longest run ``(first, last)`` of two or more layers whose product has full rank
    ``min(H_first, H_{last+1})``, or ``None``."""
    layers = len(widths) - 1
    for length in range(layers, 1, -1):
        for first in range(layers - length + 1):
            last = first + length - 1
            if ranks[(first, last)] == min(widths[first], widths[last + 1]):
                return first, last
    return None


def local_llc_from_ranks(widths: Sequence[int], ranks: Ranks) -> LearningCoefficient | None:
    """Local learning coefficient at a true parameter of the DLN ``widths`` with these
    consecutive-product ``ranks``; ``None`` where facts 1-3 do not determine it."""
    widths = validate_widths(widths)
    while True:
        layers = len(widths) - 1
        rank = ranks[(0, layers - 1)]
        if all(ranks[(i, i)] == rank for i in range(layers)):
            return dln_llc(widths, rank)
        if layers == 2:
            return two_layer_llc(widths, ranks[(0, 0)], ranks[(1, 1)], rank)
        run = full_rank_run(widths, ranks)
        if run is None:
            return None
        widths, ranks = merge_layers(widths, ranks, *run)


def local_llc(teacher: Sequence[jax.Array | np.ndarray]) -> LearningCoefficient | None:
    """Local learning coefficient of a DLN at the true parameter ``teacher`` (its matrices
    ``W_1 .. W_M``), from numerical ranks (:func:`llc_explorer.dln.model.subproduct_ranks`);
    ``None`` where it cannot be computed (module docstring)."""
    return local_llc_from_ranks(widths_of(teacher), subproduct_ranks(teacher))


def teacher_ranks(
    widths: Sequence[int], rank: int, construction: str
) -> dict[tuple[int, int], int]:
    """The consecutive-product ranks of a teacher built by
    :func:`llc_explorer.dln.model.make_teacher` with ``construction``, as they are for its
    random layers (with probability 1): each run's
    rank is the least of its layers' ranks and of its widths."""
    widths = validate_widths(widths)
    layer = TEACHERS[check_teacher(construction)].layer_ranks(widths, rank)
    layers = len(layer)
    return {
        (i, j): min(*layer[i : j + 1], *widths[i : j + 2])
        for i in range(layers)
        for j in range(i, layers)
    }


def teacher_llc(widths: Sequence[int], rank: int, construction: str) -> LearningCoefficient | None:
    """Local learning coefficient at the teacher that ``construction`` builds for the DLN
    ``widths`` of product rank ``rank`` (Aoyagi's value for ``"minimal"``), without building
    it; ``None`` where it cannot be computed."""
    return local_llc_from_ranks(widths, teacher_ranks(widths, rank, construction))


def truth_note(local: Fraction | None, aoyagi: Fraction, teacher: str, rank: int) -> str:
    """Which exact value applies at a ``teacher``-built true parameter, in plain words, given
    its ``local`` learning coefficient (``None``: unknown) and Aoyagi's value ``aoyagi``."""
    value = f"Aoyagi's global value {aoyagi} = {float(aoyagi):.4g}"
    if local is None:
        return (
            f"the local LLC at this {teacher} teacher is not known to the package; "
            f"{value} is only a lower bound"
        )
    if local == aoyagi:
        return f"local at this {teacher} teacher, equal to Aoyagi's global value"
    return (
        f"local at this {teacher} teacher; {value} is the local one at teachers with every "
        f"layer of rank {rank} (teacher 'minimal')"
    )
