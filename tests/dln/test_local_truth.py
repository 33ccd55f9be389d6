"""The local learning coefficient at a teacher (docs/TRUTH.md): the worked 8,3,4 examples, the
two-layer formula's consistency with Aoyagi's theorem, the merging rule, and the teachers."""

import itertools
from fractions import Fraction

import jax
import numpy as np
import pytest

from llc_explorer import dln_llc, estimate_llc, local_llc, num_params
from llc_explorer.dln.architectures import random_architectures
from llc_explorer.dln.local_truth import (
    local_llc_from_ranks,
    teacher_llc,
    teacher_ranks,
    two_layer_llc,
)
from llc_explorer.dln.model import TEACHERS, make_teacher, product, subproduct_ranks


@pytest.mark.parametrize(
    ("widths", "rank", "minimal", "first_layer"),
    [
        ((8, 3, 4), 0, 6, 12),  # W2 of full column rank: K ~ ||W1||^2, 24 entries
        ((8, 3, 4), 1, Fraction(17, 2), Fraction(25, 2)),
        ((8, 3, 4), 2, 11, 13),
        ((9, 2, 6), 1, Fraction(19, 2), 11),
        ((5, 4, 5), 0, 8, 10),
        ((10, 20, 20, 10), 3, 50, 50),  # layers 2-3 merge; the local value is Aoyagi's
    ],
)
def test_worked_examples_at_both_teachers(widths, rank, minimal, first_layer):
    assert dln_llc(widths, rank).llc == minimal
    assert teacher_llc(widths, rank, "minimal").llc == minimal
    assert teacher_llc(widths, rank, "first_layer").llc == first_layer
    for construction, value in (("minimal", minimal), ("first_layer", first_layer)):
        teacher = make_teacher(jax.random.PRNGKey(0), widths, rank, construction=construction)
        assert local_llc(teacher).llc == value


def consistent_ranks(h0: int, h1: int, h2: int):
    """Every (k1, k2, r) that two matrices of these widths can have."""
    for k1 in range(min(h0, h1) + 1):
        for k2 in range(min(h1, h2) + 1):
            for r in range(max(0, k1 + k2 - h1), min(k1, k2) + 1):
                yield k1, k2, r


def test_two_layer_formula_bounds_and_symmetry():
    checked = 0
    for widths in itertools.product(range(1, 7), repeat=3):
        h0, _, h2 = widths
        for k1, k2, r in consistent_ranks(*widths):
            local = two_layer_llc(widths, k1, k2, r)
            aoyagi = dln_llc(widths, r)
            # local >= global always, equal on the deepest stratum, at most d/2
            assert aoyagi.llc <= local.llc <= Fraction(num_params(widths), 2), (widths, k1, k2)
            if k1 == k2 == r:
                assert local == aoyagi
            # a full-rank product makes the map a submersion: regular, H0 H2 / 2
            if r == min(h0, h2):
                assert local == (Fraction(h0 * h2, 2), 1)
            # reversing the network swaps the two layers
            assert local == two_layer_llc(widths[::-1], k2, k1, r)
            checked += 1
    assert checked > 2000


def test_two_layer_formula_rejects_impossible_ranks():
    with pytest.raises(ValueError, match="no true parameter"):
        two_layer_llc((8, 3, 4), 3, 3, 1)  # Sylvester: rank >= 3 + 3 - 3
    with pytest.raises(ValueError, match="no true parameter"):
        two_layer_llc((8, 3, 4), 1, 3, 2)  # product rank above a layer's


def test_merging_a_full_rank_run_keeps_the_value():
    # 4,6,5,3: layers 2-3 (6 -> 5 -> 3) of full rank 3 merge into one 3 x 6 matrix
    widths = (4, 6, 5, 3)
    ranks = {(0, 0): 2, (1, 1): 5, (2, 2): 3, (0, 1): 2, (1, 2): 3, (0, 2): 2}
    assert local_llc_from_ranks(widths, ranks) == two_layer_llc((4, 6, 3), 2, 3, 2)
    # nothing of full rank to merge and not minimal: unknown, not a wrong number
    stuck = {(0, 0): 2, (1, 1): 2, (2, 2): 3, (0, 1): 1, (1, 2): 2, (0, 2): 1}
    assert local_llc_from_ranks((4, 6, 5, 4), stuck) is None


def test_unknown_local_value_is_reported_as_unknown():
    assert teacher_llc((8, 12, 6, 10), 2, "first_layer") is None
    result = estimate_llc(
        (8, 12, 6, 10), 2, teacher="first_layer", n=1000, chains=2, steps=40, burn_in=0.5
    )
    assert result.true_llc is None and result.multiplicity is None
    assert np.isnan(result.relative_error) and result.global_llc == Fraction(55, 2)
    assert "not known" in result.truth_note and "lower bound" in result.truth_note
    out = result.to_dict()
    assert out["true_llc"] is None and out["global_llc"] == 27.5


@pytest.mark.parametrize("construction", list(TEACHERS))
def test_teacher_ranks_match_the_built_teachers(construction):
    for arch in random_architectures(1e3, 12, seed=4242):
        teacher = make_teacher(
            jax.random.PRNGKey(9), arch.widths, arch.rank, construction=construction
        )
        assert subproduct_ranks(teacher) == teacher_ranks(arch.widths, arch.rank, construction)
        assert local_llc(teacher) == teacher_llc(arch.widths, arch.rank, construction)


def test_minimal_teacher_is_the_same_function_with_every_layer_of_rank_r():
    widths, rank = (6, 9, 4, 7, 5), 2
    minimal = make_teacher(jax.random.PRNGKey(3), widths, rank)
    first = make_teacher(jax.random.PRNGKey(3), widths, rank, construction="first_layer")
    np.testing.assert_allclose(product(minimal), product(first), atol=1e-6)
    assert all(np.linalg.matrix_rank(np.asarray(w, np.float64), tol=1e-4) == rank for w in minimal)
    assert [np.linalg.matrix_rank(np.asarray(w, np.float64), tol=1e-4) for w in first] == [
        2,
        4,
        4,
        5,
    ]


def test_unknown_teacher_name_is_a_value_error():
    with pytest.raises(ValueError, match="teacher must be one of minimal, first_layer"):
        make_teacher(jax.random.PRNGKey(0), (3, 2, 3), 1, construction="random")


def test_chains_measure_the_local_value_at_each_teacher():
    """8,3,4 at rank 0: 12 at the first_layer teacher, 6 at the minimal one, each estimate
    within 3 stderr + 10% of its own value (tolerance of tests/test_estimator.py) and
    inconsistent with the other. Seed 0's W_2 has smallest singular value 0.22, so at
    n*beta = 1e5 its 24 regular directions relax within 4,000 steps at eps 3e-7, before the
    chains drift toward the deeper stratum (docs/TRUTH.md, "finite n*beta")."""
    common = {"sampler": "sgld", "chains": 8, "burn_in": 0.5, "seed": 0}
    first = estimate_llc(
        (8, 3, 4), 0, teacher="first_layer", step_size=3e-7, steps=4000, nbeta=1e5, **common
    )
    minimal = estimate_llc((8, 3, 4), 0, step_size=3e-6, steps=20_000, **common)
    for result, own, other in ((first, 12, 6), (minimal, 6, 12)):
        assert result.true_llc == own and result.global_llc == 6
        assert not result.diverged_chains
        assert abs(result.llc_mean - own) <= 3 * result.llc_stderr + 0.1 * own, result.llc_mean
        assert abs(result.llc_mean - other) > 3 * result.llc_stderr + 0.1 * other
