"""The automatic run length (``steps="auto"``), the size-dependent defaults (acceptance target,
warm-up factor) and the warning for an estimate no LLC can have."""

import itertools
import json
import math
import subprocess
import sys

import numpy as np
import pytest

from llc_explorer import estimate_llc, make_config, stream_llc
from llc_explorer.settings import WARMUP_FACTOR
from llc_explorer.sgmcmc.adaptation import TARGET_ACCEPTANCE, TINY_TARGET, target_acceptance
from llc_explorer.sgmcmc.run_length import (
    MIN_ADAPT,
    MIN_WARMUP,
    RISE_LIMIT,
    WARMUP_SHARE,
    AutoLength,
    Phases,
    converged,
    rise_per_doubling,
)

ALL = np.ones(4, bool)
"""Every one of the synthetic traces' 4 chains alive."""

REGULAR = ((3, 4), 3)
"""A one-matrix DLN: regular, lambda = d/2 = 6 exactly."""


def auto_config(**settings):
    return make_config(*REGULAR, steps="auto", **settings)


def losses(shape_of_time, steps=20_000, chains=4, seed=0):
    """Loss traces (chains x steps) following ``shape_of_time(t)`` plus noise of sd 1e-4."""
    t = np.arange(steps, dtype=np.float64)
    noise = np.random.default_rng(seed).normal(0, 1e-4, (chains, steps))
    return (shape_of_time(t) + noise).astype(np.float32)


def test_the_warm_up_goes_on_while_the_estimate_rises_and_ends_once_it_is_flat():
    config = auto_config()
    # A chain still leaving w*: its loss rises like log t (a diffusive escape), which puts
    # the same rise into every doubling of the run.
    rising = losses(lambda t: 1e-3 * np.log1p(t))
    rule = AutoLength(config, phases := Phases.of(config))
    ends = [stop for stop in range(64, 20_000, 64) if rule.after_warmup_chunk(rising, ALL, stop)]
    assert ends == [] and phases.warmup_end is None
    rise, level = rise_per_doubling(rising, 16_000, config.nbeta)
    assert rise / level > RISE_LIMIT
    # A chain that has settled: flat loss, so the warm-up ends at the first check.
    flat = losses(lambda t: 1e-3 + 0 * t)
    rule = AutoLength(config, phases := Phases.of(config))
    ends = [stop for stop in range(64, 20_000, 64) if rule.after_warmup_chunk(flat, ALL, stop)]
    assert ends[0] >= MIN_WARMUP and ends[0] < MIN_WARMUP + 64
    assert phases.warmup_end == ends[0]
    assert phases.burn_in_end == ends[0] + max(MIN_ADAPT, ends[0] // 8)


def test_a_warm_up_that_never_flattens_ends_at_its_share_of_the_budget():
    config = auto_config(max_steps=20_000)
    rising = losses(lambda t: 1e-3 * np.log1p(t))
    rule = AutoLength(config, phases := Phases.of(config))
    ends = [stop for stop in range(64, 20_000, 64) if rule.after_warmup_chunk(rising, ALL, stop)]
    assert ends and WARMUP_SHARE * 20_000 <= ends[0] <= WARMUP_SHARE * 20_000 * 1.25 + 64
    assert phases.warmup_end == ends[0]


def test_the_stopping_criteria_each_block_a_stop():
    good = {"half_width": 0.01, "rhat": 1.01, "drift": 0.01, "drift_z": 0.5, "ess": 500.0}
    assert converged(good, 0.02)
    for name, bad in [("half_width", 0.03), ("rhat", 1.2), ("ess", 50.0)]:
        assert not converged({**good, name: bad}, 0.02), name
    assert not converged({**good, "drift": 0.1, "drift_z": 3.0}, 0.02)
    assert converged({**good, "drift": 0.1, "drift_z": 1.0}, 0.02)  # not significant
    assert converged({**good, "rhat": math.nan}, 0.02)  # a single chain has none


def test_an_automatic_run_stops_once_converged_and_reports_why():
    result = estimate_llc(*REGULAR, steps="auto", max_steps=60_000, seed=3)
    assert result.stop_reason == "converged" and result.done
    assert MIN_WARMUP <= result.warmup_steps < result.burn_in_steps < result.steps_done < 60_000
    assert result.criteria["half_width"] <= result.config.precision
    assert result.criteria["rhat"] <= 1.05
    # The estimate averages the sampling window the rule chose, and is right (lambda = 6).
    window = result.loss_trace[:, result.burn_in_steps : result.steps_done]
    by_hand = result.config.nbeta * (window.mean(axis=1, dtype=float) - result.loss_at_teacher)
    assert result.llc_mean == pytest.approx(by_hand.mean(), rel=1e-5)
    assert result.llc_ci95[0] <= 6 <= result.llc_ci95[1]
    assert not result.warnings
    out = result.to_dict()
    assert out["stop_reason"] == "converged" and out["steps_done"] == result.steps_done
    assert out["burn_in_steps"] == result.burn_in_steps
    assert out["warmup_steps"] == result.warmup_steps
    assert set(out["criteria"]) >= {"half_width", "rhat", "drift", "ess", "precision"}


def test_an_automatic_run_that_cannot_converge_stops_at_its_budget_and_says_so():
    stream = stream_llc(*REGULAR, steps="auto", max_steps=10_000, precision=1e-4)
    results = list(stream)
    last = results[-1]
    assert [r.done for r in results].count(True) == 1 and last.done
    assert last.stop_reason == "budget" and last.steps_done == 10_000
    assert any("reached its budget (10,000 steps)" in w for w in last.warnings)
    # While it runs: no stop reason, and the warm-up's end is unknown at first.
    assert results[0].stop_reason is None and results[0].warmup_steps is None
    assert "warm-up" in results[0].message


def test_a_fixed_run_says_it_ran_its_steps():
    result = estimate_llc(*REGULAR, steps=2000, seed=1)
    assert result.stop_reason == "fixed" and result.steps_done == 2000
    assert result.burn_in_steps == 1800 and result.warmup_steps == 1600


def test_the_cli_runs_an_automatic_length():
    done = subprocess.run(
        [sys.executable, "-m", "llc_explorer", "estimate", "--widths", "3,4", "--rank", "3",
         "--steps", "auto", "--max-steps", "60000", "--seed", "3", "--json"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["stop_reason"] == "converged" and out["config"]["auto_length"] is True
    assert out["config"]["steps"] == 60_000  # the budget
    bad = subprocess.run(
        [sys.executable, "-m", "llc_explorer", "estimate", "--widths", "3,4", "--rank", "3",
         "--steps", "many"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert bad.returncode == 2 and "expected an int or auto" in bad.stderr


def test_bad_run_length_settings_are_named():
    for settings, name in [
        ({"steps": "forever"}, "steps"),
        ({"steps": "auto", "max_steps": 100}, "max_steps"),
        ({"steps": "auto", "precision": 0.0}, "precision"),
        ({"steps": "auto", "max_seconds": -1.0}, "max_seconds"),
    ]:
        with pytest.raises(ValueError, match=name):
            make_config(*REGULAR, **settings)


def test_the_acceptance_target_rises_as_the_network_shrinks():
    assert target_acceptance(1000) == pytest.approx(TARGET_ACCEPTANCE)
    assert target_acceptance(10**6) == pytest.approx(TARGET_ACCEPTANCE)
    assert target_acceptance(20) == target_acceptance(99) == TINY_TARGET  # tiny networks
    sizes = [20, 62, 99, 100, 300, 600, 999]
    targets = [target_acceptance(d) for d in sizes]
    assert all(a >= b for a, b in itertools.pairwise(targets))
    assert targets[3] == pytest.approx(1 - 0.2 * math.sqrt(0.1))


def test_tiny_networks_get_no_warm_up_boost():
    assert make_config((2, 3, 5), 1).warmup_factor == 1.0  # d = 21
    assert make_config((10, 20, 20, 10), 3).warmup_factor == WARMUP_FACTOR  # d = 800
    assert make_config((2, 3, 5), 1, warmup_factor=3.0).warmup_factor == 3.0


def test_an_estimate_far_above_d_over_2_is_flagged():
    # SGLD at 15 times its default step: the chains stay finite and below the blow-up limit
    # (issue 27's 0.1, 1e6 times too large, now diverges), but read far too high; no LLC can
    # exceed d/2 = 400.
    result = estimate_llc((10, 20, 20, 10), 3, sampler="sgld", step_size=3e-5, steps=500)
    assert result.llc_mean > 1.2 * 400 and not result.diverged_chains
    assert any("exceeds d/2 = 400.0" in w for w in result.warnings)
    # A good run on a regular network, whose estimate sits near d/2, is not flagged.
    good = estimate_llc(*REGULAR, steps=4000, seed=2)
    assert not any("d/2" in w for w in good.warnings)
