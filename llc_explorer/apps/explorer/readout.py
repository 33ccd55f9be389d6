"""The explorer's readout: one HTML table of the status, the network's size and exact LLC, the
estimate with its 95% interval and diagnostics, and the warnings, built from a config and a
result (:mod:`llc_explorer.apps.ui.readout` styles it). Pure functions: the sampling thread
writes it, the main thread shows it.
"""

from __future__ import annotations

import math
from fractions import Fraction
from html import escape

from llc_explorer.apps.ui.formatting import DASH, short, significant
from llc_explorer.apps.ui.readout import CSS, muted, table, warning
from llc_explorer.config import LLCConfig, RunConfig
from llc_explorer.dln.local_truth import teacher_llc, truth_note
from llc_explorer.dln.truth import dln_llc, num_params
from llc_explorer.estimator import LLCResult
from llc_explorer.sgmcmc.diagnostics import SYSTEMATIC


def exact_text(llc: Fraction) -> str:
    """An exact learning coefficient: ``50``, or ``19/2 = 9.5`` when it is not whole."""
    return str(llc) if llc.denominator == 1 else f"{llc} = {short(float(llc))}"


NOT_YET = ("estimate λ̂", "95% interval", "relative error", "diverged chains", "steps",
           "speed", "R-hat (loss)", "ESS (loss)", "MALA acceptance")  # fmt: skip
"""The readout's rows of a run, shown with dashes before the first one."""


def network_rows(config: RunConfig | None, result: LLCResult | None = None) -> list[list[str]]:
    """The readout's rows on the network: its size and exact LLC, with what that value is
    (for a model of one's own, its size once a run has one, and no exact LLC)."""
    if config is None:
        return [["parameters d", DASH, ""], ["exact LLC λ", DASH, ""]]
    if not isinstance(config, LLCConfig):
        size = DASH if result is None else f"{result.num_params:,}"
        return [["parameters d", size, ""], ["exact LLC λ", "unknown", muted("your own model")]]
    aoyagi = dln_llc(config.widths, config.rank)
    local = teacher_llc(config.widths, config.rank, config.teacher)
    note = truth_note(None if local is None else local.llc, aoyagi.llc, config.teacher, config.rank)
    exact = (
        ["unknown", muted(escape(note))]
        if local is None
        else [exact_text(local.llc), muted(f"multiplicity {local.multiplicity}; {escape(note)}")]
    )
    return [["parameters d", f"{num_params(config.widths):,}", ""], ["exact LLC λ", *exact]]


def percent(x: float) -> str:
    """A signed percentage to 2 significant digits (a dash when not finite)."""
    return f"{significant(x, 2, sign=True)} %" if math.isfinite(x) else DASH


def run_rows(result: LLCResult) -> list[list[str]]:
    """The readout's rows on a run: estimate, interval, error, divergence, progress, speed
    and convergence diagnostics."""
    c, d = result.config, result.diagnostics
    low, high = result.llc_ci95
    mc_low, mc_high = result.llc_ci95_mc
    estimate = (
        [f"≈ {significant(result.provisional_llc)}",
         muted(f"provisional: the estimate starts after step {result.burn_in_steps:,}")]
        if result.provisional
        else [significant(result.llc_mean),
              f"± {significant(result.llc_stderr, 2)} {muted('(stderr over chains)')}"]
    )  # fmt: skip
    return [
        ["estimate λ̂", *estimate],
        [
            "95% interval",
            f"[{significant(low)}, {significant(high)}]" if math.isfinite(low + high) else DASH,
            muted(
                f"Monte Carlo ± {significant((mc_high - mc_low) / 2, 2)}, "
                f"systematic ± {SYSTEMATIC:.0%}"
            ),
        ],
        ["relative error", percent(100 * result.relative_error), ""],
        ["diverged chains", f"{len(result.diverged_chains)} of {c.chains}", ""],
        [
            "steps",
            f"{result.steps_done:,}",
            muted(f"of {c.steps:,}; burn-in {result.burn_in_steps:,}"),
        ],
        [
            "speed",
            significant(result.steps_per_second),
            muted(f"chain-steps/s; compile {result.compile_seconds:.1f} s"),
        ],
        ["R-hat (loss)", significant(d.rhat), ""],
        ["ESS (loss)", significant(d.ess_bulk), muted(f"bulk; {significant(d.ess_tail)} tail")],
        ["MALA acceptance", significant(d.mala_acceptance, 2), muted(step_note(result))],
    ]


def step_note(result: LLCResult) -> str:
    """The step size a run samples with, and whether it adapted (toward which acceptance)."""
    step = f"step size {significant(result.config.step_size, 2)}"
    calibration = result.calibration
    if calibration is None:
        return f"{step} (fixed)"
    state = "adapting" if result.provisional else "adapted"
    return f"{step} ({state} toward {calibration.target:.2g})"


def warnings_row(result: LLCResult | None) -> list[str]:
    """The readout's last row: every warning of ``result``, highlighted, or "none"."""
    if result is None or not result.warnings:
        return ["warnings", muted("none")]
    return ["warnings", "<br>".join(warning(w) for w in result.warnings)]


READOUT_WIDTHS = (150, 130)
"""Widths (px) of the readout's label and number columns; the details take the rest."""


def readout_html(config: RunConfig | None, result: LLCResult | None, status: str) -> str:
    """The readout: a table of the status, the network's size and exact LLC, the current
    estimate with its 95% interval and diagnostics (dashes before a run), and the warnings.
    Every row is there in every state, so the plots below never move."""
    runs = run_rows(result) if result is not None else [[label, DASH, ""] for label in NOT_YET]
    rows = [["status", escape(status)], *network_rows(config, result), *runs, warnings_row(result)]
    return CSS + table(rows, READOUT_WIDTHS, (False, True, False))
