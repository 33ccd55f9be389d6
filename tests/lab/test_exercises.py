"""The lab's exercises: the checker's lines and verdicts for every exercise, and each computed
answer against an independent computation (a hand-worked formula, the quadrature, or a real
SGLD run on the regular surface)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from llc_explorer.dln.local_truth import teacher_llc
from llc_explorer.dln.truth import dln_llc
from llc_explorer.lab import EXERCISES, check, expected
from llc_explorer.surfaces.library import normal_crossing_llc, tempered_llc
from llc_explorer.surfaces.sampling import estimate_surface_llc

CURVATURE = 2 * 1000.0 + 1.0
"""``h = 2 n*beta + gamma`` of ``n*beta (w1^2 + w2^2) + (gamma/2)|w|^2`` at 1000 and 1."""

RUN = {"sampler": "sgld", "nbeta": 1000.0, "gamma": 1.0, "chains": 4, "steps": 3000}
"""The SGLD runs on the regular surface (one shape, so one compilation); burn-in 0.5."""


def wrong_answer(name: str):
    """A clearly wrong answer of the right type."""
    exercise = EXERCISES[name]
    if exercise.kind == "choice":
        (other,) = set(exercise.options) - {expected(name)}
        return other
    return 3 * float(expected(name)) + 1


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_right_answer_is_marked_right(name: str, capsys: pytest.CaptureFixture) -> None:
    assert check(name, expected(name)) is True
    line = capsys.readouterr().out
    assert line.startswith(f"✓ {name}: right. ")
    assert line.count("\n") == 1


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_a_wrong_answer_gets_the_hint(name: str, capsys: pytest.CaptureFixture) -> None:
    assert check(name, wrong_answer(name)) is False
    assert capsys.readouterr().out == f"✗ {name}: not quite. Hint: {EXERCISES[name].hint}\n"


@pytest.mark.parametrize("name", sorted(EXERCISES))
@pytest.mark.parametrize("blank", [None, ...])
def test_no_answer_yet_prompts(name: str, blank: object, capsys: pytest.CaptureFixture) -> None:
    assert check(name, blank) is False
    prompt = f"{name}: write your prediction in `answer` first, then rerun this cell.\n"
    assert capsys.readouterr().out == prompt


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_each_exercise_is_complete(name: str) -> None:
    exercise = EXERCISES[name]
    assert exercise.question.endswith("?") and exercise.hint and exercise.explain
    assert exercise.kind in ("number", "choice") and callable(exercise.expected)
    if exercise.kind == "choice":
        assert expected(name) in exercise.options and len(exercise.options) == 2
    else:
        assert 0 <= exercise.tolerance <= 0.1 and not exercise.options


def test_an_unknown_name_lists_the_names() -> None:
    with pytest.raises(ValueError, match=r"sublevel_slope.*first_layer_late"):
        check("sublevel_slop", 0.5)
    with pytest.raises(ValueError, match="exercise must be one of"):
        expected("nope")


@pytest.mark.parametrize(
    ("name", "answer", "wanted"),
    [
        ("sublevel_slope", "1/2", "answer with a number"),
        ("multiplicity", True, "answer with a number"),
        ("tempered_side", "left", "answer with one of 'above', 'below'"),
        ("tempered_side", 0.5, "answer with one of 'above', 'below'"),
        ("first_layer_early", 8, "answer with one of '12', '6'"),
    ],
)
def test_an_answer_of_the_wrong_kind_says_what_is_wanted(
    name: str, answer: object, wanted: str, capsys: pytest.CaptureFixture
) -> None:
    assert check(name, answer) is False
    line = capsys.readouterr().out
    assert line.startswith(f"✗ {name}: {wanted}") and line.count("\n") == 1


@pytest.mark.parametrize(
    ("name", "answer"),
    [
        ("sublevel_slope", 0.5), ("sublevel_slope", Fraction(1, 2)), ("sublevel_slope", 0.505),
        ("sublevel_slope", np.float32(0.5)), ("multiplicity", 2), ("multiplicity", np.int64(2)),
        ("multiplicity", 2.0), ("dln_by_hand", Fraction(2)), ("nbeta_default", 8686),
        ("divergence_step", 2e-3), ("variance_ratio", np.float64(2.0)),
        ("tempered_side", "  Below "), ("gamma_trend", "DOWN"), ("first_layer_early", 12),
        ("first_layer_early", "12"), ("first_layer_late", 6), ("first_layer_late", 6.0),
    ],
)  # fmt: skip
def test_answers_of_every_accepted_type(name: str, answer: object) -> None:
    assert check(name, answer) is True


@pytest.mark.parametrize(
    ("name", "answer"),
    [("sublevel_slope", 0.511), ("multiplicity", 2.001), ("divergence_step", 2.3e-3),
     ("variance_ratio", 2.11), ("nbeta_default", 8800), ("sublevel_slope", math.nan)],
)  # fmt: skip
def test_answers_just_outside_the_tolerance_are_wrong(name: str, answer: object) -> None:
    assert check(name, answer) is False


def test_surface_answers_agree_with_independent_computations() -> None:
    # {(w1^2 + w2^2)^2 < eps} is the disc of radius eps^(1/4): area pi eps^(1/2)
    area = [math.pi * math.sqrt(eps) for eps in (1e-6, 1e-2)]
    assert expected("sublevel_slope") == pytest.approx(
        math.log(area[1] / area[0]) / 4 / math.log(10)
    )
    assert expected("crossing_llc") == Fraction(1, 4)
    # the quadrature's finite-temperature value tends to lambda when m = 1
    assert tempered_llc("crossing", 1e8, 1.0) == pytest.approx(expected("crossing_llc"), rel=0.02)
    assert expected("multiplicity") == dln_llc((1, 1, 1), 0).multiplicity == 2
    assert normal_crossing_llc((1, 1)).multiplicity == 2
    below = tempered_llc("dln", 1000.0, 1.0) < 0.5
    assert expected("tempered_side") == ("below" if below else "above") == "below"
    falls = tempered_llc("dln", 1000.0, 100.0) < tempered_llc("dln", 1000.0, 1.0)
    assert expected("gamma_trend") == ("down" if falls else "up") == "down"


def test_dln_answers_agree_with_the_worked_formulas() -> None:
    # 2,2,2 at r = 1: Delta = (1, 1, 1), S = all, l = 2 (size), P = 3, Mbar = 2, a = 1
    r, size, p, a = 1, 2, 3, 1
    by_hand = (
        Fraction(r * (2 + 2) - r * r, 2) + Fraction(a * (size - a), 4 * size)
        - Fraction(size * (size - 1), 4) * Fraction(p, size) ** 2 + Fraction(1 + 1 + 1, 2)
    )  # fmt: skip
    assert expected("dln_by_hand") == by_hand == 2
    assert expected("nbeta_default") == pytest.approx(100_000 / math.log(100_000), rel=1e-12)
    # spec section 2: lambda_local = H0 H1 / 2 + r (H2 - H1) / 2 = 12; Aoyagi's: S = {1, 2}
    # (Delta 3, 4), l = 1, so lambda = Delta_1 Delta_2 / 2 = 6
    assert expected("first_layer_early") == str(teacher_llc((8, 3, 4), 0, "first_layer").llc)
    assert expected("first_layer_early") == str(8 * 3 // 2 + 0 * (4 - 3) // 2) == "12"
    assert expected("first_layer_late") == str(3 * 4 // 2) == "6"


def test_the_divergence_step_is_where_real_sgld_diverges() -> None:
    edge = expected("divergence_step")
    assert edge == pytest.approx(4 / CURVATURE, rel=1e-6)
    stable = estimate_surface_llc("regular", step_size=0.9 * edge, **RUN)
    unstable = estimate_surface_llc("regular", step_size=1.1 * edge, **RUN)
    assert stable.diverged_chains == []
    # |1 - eps h/2| = 1.2 per step: float32 overflows within a few hundred steps
    assert len(unstable.diverged_chains) == 4


def test_sgld_at_half_the_edge_doubles_the_variance() -> None:
    eps = 2 / CURVATURE
    assert expected("variance_ratio") == pytest.approx(1 / (1 - eps * CURVATURE / 4)) == 2
    run = estimate_surface_llc("regular", step_size=eps, **RUN, burn_in=0.5)
    exact = tempered_llc("regular", 1000.0, 1.0)
    # at eps = 2/h, w_{t+1} = sqrt(eps) eta_t: the kept draws are independent and
    # n*beta K = n*beta eps chi^2_2 has standard deviation equal to its mean, so the mean over
    # chains x steps/2 = 6,000 draws has relative standard error 1.3%: allow 4 of them (5%)
    draws = RUN["chains"] * RUN["steps"] / 2
    stderr = expected("variance_ratio") * exact / math.sqrt(draws)
    assert abs(run.llc_mean - expected("variance_ratio") * exact) < 4 * stderr
