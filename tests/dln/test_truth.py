"""The exact learning coefficient against the spec's cases, brute force, and Aoyagi-Watanabe."""

from fractions import Fraction
from itertools import combinations, product

import pytest

from llc_explorer import dln_llc, num_params
from llc_explorer.dln.truth import aoyagi_formula, satisfies_aoyagi_conditions


def test_truth_cases(truth_cases):
    assert len(truth_cases) >= 19
    for case in truth_cases:
        got = dln_llc(case["widths"], case["rank"])
        assert got.llc == Fraction(case["llc"]), case
        assert isinstance(got.llc, Fraction)
        assert got.multiplicity == case["multiplicity"], case


def brute_force(widths, rank):
    """Evaluate the formula on every subset meeting the conditions; the theorem says one does."""
    deltas = [h - rank for h in widths]
    found = [
        s
        for size in range(2, len(widths) + 1)
        for s in combinations(range(len(widths)), size)
        if satisfies_aoyagi_conditions(deltas, s)
    ]
    assert len(found) == 1, (widths, rank, found)
    return aoyagi_formula(widths, rank, found[0])


def aoyagi_watanabe_2005(widths, rank):
    """Reduced-rank regression (Aoyagi & Watanabe 2005): input M, hidden H, output N, rank r."""
    m, h, n = widths
    r = rank
    if n + r <= m + h and m + r <= n + h and h + r <= m + n:
        core = 2 * (h + r) * (m + n) - (m - n) ** 2 - (h + r) ** 2
        if (m + h + n + r) % 2 == 0:
            return Fraction(core, 8), 1
        return Fraction(core + 1, 8), 2
    if m + h < n + r:
        return Fraction(h * m - h * r + n * r, 2), 1
    if n + h < m + r:
        return Fraction(h * n - h * r + m * r, 2), 1
    return Fraction(m * n, 2), 1


SMALL = [
    (widths, r)
    for depth in (2, 3, 4)
    for widths in product(range(1, 6), repeat=depth + 1)
    for r in range(min(widths) + 1)
]


def test_brute_force_subset_search_agrees():
    assert len(SMALL) > 3000
    for widths, r in SMALL:
        assert dln_llc(widths, r) == brute_force(widths, r), (widths, r)


def test_two_layer_matches_aoyagi_watanabe():
    cases = [(w, r) for w, r in SMALL if len(w) == 3]
    cases += [((m, h, n), r) for m, h, n in product((6, 9, 13), repeat=3) for r in (0, 2, 5)]
    for widths, r in cases:
        got = dln_llc(widths, r)
        assert (got.llc, got.multiplicity) == aoyagi_watanabe_2005(widths, r), (widths, r)
        assert got.llc.denominator in (1, 2, 4, 8)


def test_symmetric_under_reversal_and_bounded_by_half_d():
    for widths, r in SMALL:
        forward = dln_llc(widths, r)
        assert forward == dln_llc(widths[::-1], r)
        assert 0 < forward.llc <= Fraction(num_params(widths), 2)


def test_one_matrix_is_regular():
    assert dln_llc([7, 3], 0) == (Fraction(21, 2), 1)
    assert dln_llc([7, 3], 3) == (Fraction(21, 2), 1)


def test_full_rank_deep_network_is_regular_in_the_product():
    # rank = min width with that width at an end: lambda = d/2 only for M = 1; for deeper
    # networks the product space is smaller than the parameter space.
    assert dln_llc([4, 4, 4], 4).llc < Fraction(num_params([4, 4, 4]), 2)


@pytest.mark.parametrize(
    ("widths", "rank", "fragment"),
    [
        ([5], 0, "at least 2"),
        ([], 0, "at least 2"),
        ("10,20", 0, "sequence"),
        (10, 0, "sequence"),
        ([5, 0, 5], 0, "widths[1]"),
        ([5, -1], 0, "widths[1]"),
        ([5, 2.0], 0, "widths[1]"),
        ([True, 3], 0, "widths[0]"),
        ([5, 3, 5], -1, "[0, 3]"),
        ([5, 3, 5], 4, "[0, 3]"),
        ([5, 3, 5], 1.5, "rank"),
        ([5, 3, 5], True, "rank"),
    ],
)
def test_bad_input_names_the_argument(widths, rank, fragment):
    with pytest.raises(ValueError, match=r"widths|rank") as info:
        dln_llc(widths, rank)
    assert fragment in str(info.value)
