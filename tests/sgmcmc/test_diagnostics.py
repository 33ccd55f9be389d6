"""The 95% interval, the convergence diagnostics and their plain-words warnings."""

import json
import math

import numpy as np
import pytest

from llc_explorer import estimate_llc
from llc_explorer.cli import main
from llc_explorer.sgmcmc.diagnostics import (
    DRIFT_LIMIT,
    MALA_MIN,
    RHAT_LIMIT,
    SYSTEMATIC,
    Diagnostics,
    convergence_warnings,
    diagnose,
    interval95,
)


def test_interval_is_student_t_over_chains():
    per_chain = np.array([10.0, 12.0, 11.0, 13.0])
    low, high = interval95(per_chain)
    half = 3.182446 * per_chain.std(ddof=1) / 2  # t_{0.975, 3}
    assert (low, high) == pytest.approx((11.5 - half, 11.5 + half))
    # A diverged chain (NaN) is left out; one chain falls back to 1.96 MCSE.
    assert interval95(np.array([np.nan, 4.0]), mcse=0.5) == pytest.approx((3.02, 4.98), abs=1e-3)
    assert all(math.isnan(x) for x in interval95(np.array([np.nan, np.nan])))


def test_result_interval_adds_the_systematic_allowance():
    result = estimate_llc((6, 5, 4), 2, steps=2000)
    (low, high), (mc_low, mc_high) = result.llc_ci95, result.llc_ci95_mc
    assert mc_low < result.llc_mean < mc_high
    assert low == pytest.approx(mc_low - SYSTEMATIC * result.llc_mean)
    assert high == pytest.approx(mc_high + SYSTEMATIC * result.llc_mean)


def test_interval_covers_95_percent_with_four_chains():
    # 4,000 synthetic runs of 4 unbiased chains each: the t interval covers the mean in 95% of
    # them (binomial SE 0.34%); a normal (1.96) interval would cover only about 86%.
    rng = np.random.default_rng(7)
    covered = [
        low <= 0.0 <= high
        for low, high in (interval95(rng.normal(size=4) * 3.0) for _ in range(4000))
    ]
    assert 0.935 < np.mean(covered) < 0.965


def diagnostics_of(draws, acceptance=None, estimate=10.0):
    acceptance = np.full_like(draws, np.nan) if acceptance is None else acceptance
    return diagnose(draws, acceptance, nbeta=1.0, estimate=estimate)


def test_agreeing_independent_chains_raise_no_warning():
    rng = np.random.default_rng(0)
    d = diagnostics_of(10.0 + rng.normal(size=(4, 2000)), np.full((4, 2000), 0.95))
    assert d.rhat < 1.01 and d.ess_bulk > 6000 and abs(d.drift) < 0.01
    assert d.mala_acceptance == pytest.approx(0.95)
    assert d.mcse == pytest.approx(1 / math.sqrt(8000), rel=0.2)
    assert convergence_warnings(d) == []


def test_disagreeing_chains_warn_in_plain_words():
    rng = np.random.default_rng(1)
    draws = 10.0 + rng.normal(size=(4, 2000)) + np.array([[0.0], [0.0], [0.0], [2.0]])
    d = diagnostics_of(draws)
    assert d.rhat > RHAT_LIMIT
    assert any(w.startswith(f"R-hat {d.rhat:.3f}") and "chains disagree" in w
               for w in convergence_warnings(d))  # fmt: skip


def test_drifting_and_autocorrelated_chains_warn():
    rng = np.random.default_rng(2)
    # A random walk per chain: almost no effective draws; a common upward trend: drift.
    walk = np.cumsum(rng.normal(size=(4, 2000)), axis=1) * 0.01
    trend = np.linspace(9.0, 11.0, 2000)
    d = diagnostics_of(trend + walk)
    assert d.drift > DRIFT_LIMIT and d.drift_z > 2
    text = " ".join(convergence_warnings(d))
    assert "still rising" in text and "effective sample size" in text


def test_low_mala_acceptance_warns():
    d = Diagnostics(1.0, 1000.0, 1000.0, 0.1, 0.0, 0.0, MALA_MIN - 0.1)
    (warning,) = convergence_warnings(d)
    assert f"MALA acceptance {MALA_MIN - 0.1:.2f}" in warning and "lower the step size" in warning


def test_very_high_mala_acceptance_warns_of_a_small_step():
    d = Diagnostics(1.0, 1000.0, 1000.0, 0.1, 0.0, 0.0, 0.99)
    (warning,) = convergence_warnings(d)
    assert "MALA acceptance 0.99" in warning and "raise the step size" in warning
    assert convergence_warnings(d._replace(mala_acceptance=0.8)) == []


def test_a_result_carries_interval_warnings_and_mala(capsys):
    short = estimate_llc((10, 20, 20, 10), 3, steps=1000)  # far too short: chains disagree
    low, high = short.llc_ci95
    assert low < short.llc_mean < high
    assert any("R-hat" in w for w in short.warnings)
    out = short.to_dict()
    assert out["llc_ci95"] == [low, high] and out["warnings"] == short.warnings
    assert 0 < out["mala_acceptance"] <= 1 and len(out["mala_acceptance_per_chain"]) == 4
    assert main(["estimate", "--widths", "10,20,20,10", "--rank", "3", "--steps", "1000"]) == 0
    text = capsys.readouterr().out
    assert "95% interval   [" in text and "warning: R-hat" in text and "MALA acceptance" in text


def test_all_diverged_says_so_in_the_warnings():
    result = estimate_llc((4, 3, 4), 1, sampler="sgld", step_size=10.0, steps=200)
    assert result.warnings and "diverged" in result.warnings[0]
    assert all(math.isnan(x) for x in result.llc_ci95)
    assert json.loads(json.dumps(result.to_dict()))["llc_ci95"] == [None, None]
