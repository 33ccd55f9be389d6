"""Predict-then-run questions for the lab notebook, and :func:`check`, which marks an answer.

Every answer is computed from the package's closed forms when asked (never typed in): the
learning coefficients of :mod:`llc_explorer.surfaces.library` and :mod:`llc_explorer.dln`,
the finite-temperature value :func:`~llc_explorer.surfaces.library.tempered_llc`, and SGLD's
update on a quadratic. On ``U(w) = h w^2 / 2`` SGLD (spec section 4) is
``w' = (1 - eps h/2) w + sqrt(eps) eta``: stable iff ``|1 - eps h/2| < 1``, i.e.
``eps < 4/h``, with stationary variance ``eps / (1 - (1 - eps h/2)^2) = (1/h) / (1 - eps h/4)``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import jax

from llc_explorer.config import default_nbeta
from llc_explorer.dln.local_truth import local_llc
from llc_explorer.dln.model import make_teacher
from llc_explorer.dln.truth import dln_llc
from llc_explorer.errors import lookup
from llc_explorer.surfaces.library import (
    SURFACES,
    normal_crossing_llc,
    tempered_llc,
)

GAMMA = "\N{GREEK SMALL LETTER GAMMA}"
"""The letter, by name (ruff's RUF001 takes it for a y)."""

NBETA = 1000.0
"""The ``n*beta`` of the surface questions (the Playground's default)."""


class Exercise(NamedTuple):
    """A question, how its answer is computed and marked, and what to say after.

    ``kind`` is ``"number"`` (right within the relative ``tolerance``; 0: exactly) or
    ``"choice"`` (one of ``options``, compared case-insensitively); ``explain`` may name the
    computed answer as ``{value}``.
    """

    question: str
    expected: Callable[[], Any]
    kind: str
    tolerance: float
    hint: str
    explain: str
    options: tuple[str, ...] = ()


def regular_curvature(nbeta: float, gamma: float) -> float:
    """``h = n*beta * d^2K/dw1^2 + gamma`` at ``w = 0`` on ``K = w1^2 + w2^2``: the curvature of
    the potential ``n*beta K + (gamma/2)||w||^2`` (``2 n*beta + gamma``), with ``d^2K/dw1^2``
    the second difference ``K(1, 0) - 2 K(0, 0) + K(-1, 0)``, exact for a quadratic ``K``."""
    loss = SURFACES["regular"].loss
    return nbeta * (loss(1.0, 0.0) - 2 * loss(0.0, 0.0) + loss(-1.0, 0.0)) + gamma


def sgld_variance_ratio(step_size: float, curvature: float) -> float:
    """SGLD's stationary variance on ``h w^2 / 2`` over the exact ``1/h``: ``1/(1 - eps h/4)``."""
    return 1 / (1 - step_size * curvature / 4)


def first_layer_local() -> str:
    """The local learning coefficient at the ``first_layer`` teacher of widths 8, 3, 4 at rank 0
    (as the notebook builds it), as an option string."""
    teacher = make_teacher(jax.random.PRNGKey(0), (8, 3, 4), 0, construction="first_layer")
    local = local_llc(teacher)
    return str(local.llc) if local is not None else "unknown"


def side(value: float, reference: float, options: tuple[str, str]) -> str:
    """``options[0]`` if ``value > reference``, else ``options[1]``."""
    return options[0] if value > reference else options[1]


EXERCISES: dict[str, Exercise] = {
    "sublevel_slope": Exercise(
        "On (w1² + w2²)², log V(ε) against log ε is a line: what is its slope?",
        lambda: SURFACES["quartic"].truth.llc,
        "number", 0.02,
        "{K < ε} is a disc: how does its radius grow with ε?",
        "The set is a disc of radius ε^(1/4), so V ∝ ε^({value}): the slope is λ.",
    ),
    "crossing_llc": Exercise(
        "By the normal-crossing rule, what is λ for K = w1² w2⁴?",
        lambda: normal_crossing_llc((1, 2)).llc,
        "number", 0.01,
        "Write K as a product of w_j^(2 k_j): λ is the smallest 1/(2 k_j).",
        "λ = min(1/2, 1/4) = {value}, set by the higher power of w2.",
    ),
    "multiplicity": Exercise(
        "What is the multiplicity m of (w1 w2)²?",
        lambda: SURFACES["dln"].truth.multiplicity,
        "number", 0.0,
        "Count how many of the factors' poles 1/(2 k_j) attain the minimum λ.",
        "Both factors give 1/2, so m = {value}: V(ε) ≈ c ε^(1/2) log(1/ε).",
    ),
    "tempered_side": Exercise(
        f"At nβ = 1000 and {GAMMA} = 1, does an exact sampler on (w1 w2)² read above or "
        "below λ = 1/2?",
        lambda: side(tempered_llc("dln", NBETA, 1.0), float(SURFACES["dln"].truth.llc),
                     ("above", "below")),
        "choice", 0.0,
        "With m = 2 the gap to λ shrinks only like 1/log(nβ): which way does it point?",
        "It reads {value}: with m = 2, nβ E[K] sits below λ at any finite nβ, by a gap that "
        "shrinks only like 1/log(nβ).",
        ("above", "below"),
    ),
    "gamma_trend": Exercise(
        f"At nβ = 1000, as {GAMMA} grows from 1 to 100, does the exact sampler's value on "
        "(w1 w2)² go up or down?",
        lambda: side(tempered_llc("dln", NBETA, 100.0), tempered_llc("dln", NBETA, 1.0),
                     ("up", "down")),
        "choice", 0.0,
        f"A larger {GAMMA} cuts the arms of the cross short: where along them is K small?",
        "It goes {value}: the prior clips the arms, the posterior rounds into a blob near w* "
        "and nβ E[K] falls.",
        ("up", "down"),
    ),
    "divergence_step": Exercise(
        f"SGLD on K = w1² + w2² at nβ = 1000, {GAMMA} = 1: above what step size ε do chains "
        "diverge?",
        lambda: 4 / regular_curvature(NBETA, 1.0),
        "number", 0.10,
        f"On U = h w²/2, h = 2nβ + {GAMMA}, SGLD's step is w' = a w + noise: for which ε is "
        "|a| < 1?",
        "ε = 4/h = {value:.3g}: beyond it 1 - εh/2 < -1 and every step flips and grows w.",
    ),
    "variance_ratio": Exercise(
        "SGLD at ε = 2/h on that quadratic: by what factor does its stationary variance exceed "
        "the exact 1/h?",
        lambda: sgld_variance_ratio(2 / regular_curvature(NBETA, 1.0),
                                    regular_curvature(NBETA, 1.0)),
        "number", 0.05,
        "Solve v = (1 - εh/2)² v + ε for the variance v.",
        "v = (1/h)/(1 - εh/4): a factor {value:g}, so the estimate reads that much too high.",
    ),
    "dln_by_hand": Exercise(
        "By Aoyagi's formula, what is λ for the DLN with widths 2, 2, 2 at rank 1 (d/2 = 4)?",
        lambda: dln_llc((2, 2, 2), 1).llc,
        "number", 0.01,
        "Δ_j = H_j - r = (1, 1, 1): find S, then P, l, Mbar and a, and add the r(H_0 + H_M) part.",
        "λ = {value}, half of d/2: the rank-1 teacher is degenerate.",
    ),
    "nbeta_default": Exercise(
        "For n = 100,000 data points, what is the default nβ = n / log n?",
        lambda: default_nbeta(100_000),
        "number", 0.01,
        "log is the natural logarithm.",
        "nβ = 100000 / ln(100000) = {value:,.0f}.",
    ),
    "first_layer_early": Exercise(
        f"SGLD from the first_layer teacher of widths 8, 3, 4 at rank 0 ({GAMMA} = 1): over their "
        "first thousand steps, do the chains read 12 or 6?",
        first_layer_local,
        "choice", 0.0,
        "Early on the chains are near w*, where W2 stays injective: which entries does K then "
        "depend on?",
        "{value}: near this teacher K behaves like |W1|², regular in its 24 entries.",
        ("12", "6"),
    ),
    "first_layer_late": Exercise(
        "The same chains after tens of thousands of steps: do they read 12 or 6?",
        lambda: str(dln_llc((8, 3, 4), 0).llc),
        "choice", 0.0,
        "Given time, W2 can shrink too: which set of true parameters holds most of the "
        "posterior's mass?",
        "{value}, Aoyagi's global value: the chains drift toward W1 = W2 = 0, the deepest set.",
        ("12", "6"),
    ),
}  # fmt: skip
"""The registry: exercise name -> :class:`Exercise`."""


def expected(name: str) -> Any:
    """The answer to exercise ``name``, computed now; ``ValueError`` listing the names."""
    return lookup("exercise", name, EXERCISES).expected()


def as_choice(answer: Any) -> str | None:
    """``answer`` as an option string (stripped, lower case; a whole number as its digits),
    or ``None`` if it is neither a string nor a whole number."""
    if isinstance(answer, str):
        return answer.strip().lower()
    if is_number(answer) and float(answer).is_integer():
        return str(int(answer))
    return None


def is_number(answer: Any) -> bool:
    """Whether ``answer`` is a real number (int, float, Fraction, NumPy scalar), not a bool."""
    return isinstance(answer, numbers.Real) and not isinstance(answer, bool)


def marked(exercise: Exercise, answer: Any, value: Any) -> bool | str:
    """Whether ``answer`` is right, or a line saying what kind of answer is wanted."""
    if exercise.kind == "choice":
        choice = as_choice(answer)
        if choice not in exercise.options:
            return f"answer with one of {', '.join(map(repr, exercise.options))}, not {answer!r}."
        return choice == value
    if not is_number(answer):
        return f"answer with a number (an int, a float or a Fraction), not {answer!r}."
    if exercise.tolerance == 0:
        return answer == value
    return math.isfinite(answer) and abs(answer - value) <= exercise.tolerance * abs(value)


def check(name: str, answer: Any) -> bool:
    """Mark ``answer`` to exercise ``name``, print one plain-text line saying so (the
    explanation when right, the hint when not) and return whether it was right.
    ``ValueError`` listing the names for an unknown ``name``."""
    exercise = lookup("exercise", name, EXERCISES)
    if answer is None or answer is ...:
        print(f"{name}: write your prediction in `answer` first, then rerun this cell.")
        return False
    value = exercise.expected()
    verdict = marked(exercise, answer, float(value) if exercise.tolerance else value)
    if isinstance(verdict, str):
        print(f"✗ {name}: {verdict}")
        return False
    if verdict:
        print(f"✓ {name}: right. " + exercise.explain.format(value=value))
    else:
        print(f"✗ {name}: not quite. Hint: {exercise.hint}")
    return bool(verdict)
