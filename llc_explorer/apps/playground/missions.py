"""Guided missions for a teaching lab: ``Playground(preset="cross")`` opens with the settings
of a mission and a box above the controls that asks a question to answer before pressing
Run, with what to notice afterwards folded under it.

Each mission's settings were tried on 2 CPU cores (its run takes about 2-20 s). Its "what to
notice" gives closed forms, and claims that ``tests/apps/test_missions.py`` checks by running
the mission; the run's own numbers are in the readout.
"""

from __future__ import annotations

from html import escape
from typing import Any, NamedTuple

from llc_explorer.errors import lookup


class Mission(NamedTuple):
    """A mission: its ``number`` and ``title``, the ``settings`` of the Playground's controls
    (by :attr:`Controls.widgets` name), the ``question`` to answer before pressing Run and
    what to ``notice`` once it has run."""

    number: int
    title: str
    settings: dict[str, Any]
    question: str
    notice: str


MISSIONS: dict[str, Mission] = {
    "cross": Mission(
        1,
        "the cross",
        {"surface": "dln", "sampler": "sgld", "steps": 100_000, "show_step": True},
        "K(w) = (w₁w₂)² is zero on both axes. Where will the samples pile up?",
        "The cloud fills a cross along both axes, thickest near w* = 0 where the arms meet: "
        "the set where K = 0 is not a point, which is why λ = 1/2 rather than d/2 = 1. Chain "
        "0's drift (red arrow) is tiny next to its noise (magenta): K is flat along the arms, "
        "so the noise carries chains along them and the drift only pulls a stray one back "
        "towards an axis.",
    ),
    "diverge": Mission(
        2,
        "too big a step",
        {
            "surface": "regular",
            "nbeta": 1000.0,
            "gamma": 1.0,
            "sampler": "sgld",
            "step_size": 2.1e-3,
            "steps": 20_000,
            "chunk_size": 500,
            "show_step": True,
        },
        "On K = w₁² + w₂², SGLD multiplies w by 1 - ε h/2 each step, h = 2nβ + gamma = 2001. "
        "Predict the step size above which chains diverge, then try 1.9e-3 and 2.1e-3.",
        "Above ε = 4/h ≈ 2.0e-3 the factor 1 - εh/2 is below -1: every chain flips sign and "
        "grows each step, and all 32 diverge within a few hundred steps. At 1.9e-3 none "
        "diverges, but the estimate is about 20 against λ = 1, the variance inflation "
        "1/(1 - εh/4) = 20: stable is not accurate. There each step's drift, -(εh/2) w = "
        "-1.9 w, overshoots w* = 0: chains zigzag.",
    ),
    "momentum": Mission(
        3,
        "momentum",
        {
            "surface": "dln",
            "sampler": "sgld",
            "compare": True,
            "compare_sampler": "sghmc",
            "steps": 100_000,
            "show_step": True,
        },
        "SGHMC adds momentum to SGLD with the same noise draws (same seed). Which trails will "
        "travel further along the cross?",
        "SGHMC's trails sweep along the arms, further than SGLD's in the same steps (its "
        "drift carries the last move; with the arrows on, the right panel's drift is mostly "
        "momentum). Both estimates end near the dashed line, SGHMC's with the smaller "
        "standard error (the readout's ± column): the same posterior, explored faster.",
    ),
    "minibatch": Mission(
        4,
        "minibatch noise",
        {"surface": "dln", "sampler": "sgld", "noise": 1.0, "steps": 100_000, "show_step": True},
        "The gradient now has minibatch noise: each step scales it by a random factor of "
        "mean 1 and standard deviation 1. Will the estimate move, and which way?",
        "It hardly moves (compare mission 1's estimate, without noise): the noise is "
        "proportional to the gradient, which vanishes on the cross where the samples are, so "
        "trails are jumpier only away from it. At a 10 times larger step (3e-4) it shows: "
        "the estimate rises above the noise-free one at that step.",
    ),
    "adam_bias": Mission(
        5,
        "Adam's bias",
        {
            "surface": "regular",
            "sampler": "sgld",
            "compare": True,
            "compare_sampler": "adam_sgld",
            "compare_step_size": 3e-6,
            "steps": 100_000,
            "show_step": True,
        },
        "On the regular K = w₁² + w₂² an exact sampler reaches λ = 1 (the dashed line is on "
        "the solid one). Will AdamSGLD read above it, below it, or on it?",
        "AdamSGLD reads above the exact line; SGLD sits on it. Adam's drift uses the running "
        "mean of past gradients (b1 = 0.9), which lags behind the position: the pull back "
        "to w* = 0 is too weak and the cloud too wide. Set its b1 to 0 and it reads on the "
        "line, like RMSPropSGLD with the same preconditioner; a larger step makes it worse.",
    ),
    "tempered": Mission(
        6,
        "finite temperature",
        {"surface": "dln", "sampler": "sgld", "nbeta": 100.0, "steps": 100_000, "show_step": False},
        "The solid line is λ = 1/2; the dashed one what an exact sampler reaches at this "
        "nβ. Where will the estimate settle? Then try nβ = 10000.",
        "It settles on the dashed line, well below λ, and at nβ = 10000 both move up towards "
        "1/2 without reaching it: the gap closes only like 1/log(nβ) on this surface, whose "
        "minimum has multiplicity 2. A sampler's own error is its distance to the dashed "
        "line.",
    ),
}
"""The missions by preset name, in the lab's order."""


def get_mission(name: str) -> Mission:
    """The mission ``name``; ``ConfigError`` (a ``ValueError``) naming the choices otherwise."""
    return lookup("preset", name, MISSIONS)


def mission_html(mission: Mission) -> str:
    """The mission box: "Mission n: title", the question in bold, and what to notice folded
    under it."""
    return (
        "<div style='border:1px solid #bbb; border-radius:4px; padding:4px 8px; "
        "line-height:1.35'>"
        f"<div>Mission {mission.number}: {escape(mission.title)}</div>"
        f"<div><b>{escape(mission.question)}</b></div>"
        f"<details><summary>what to notice (after Run)</summary>{escape(mission.notice)}"
        "</details></div>"
    )
