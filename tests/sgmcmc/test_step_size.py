"""The automatic step size: dual averaging, the adapting run, ``--step-size auto``, Auto button."""

import json
import math

import numpy as np
import pytest

from llc_explorer import calibrate_step_size, estimate_llc, make_config
from llc_explorer.cli import main
from llc_explorer.config import REFERENCE_NBETA
from llc_explorer.sgmcmc.adaptation import (
    MIN_CHUNKS,
    WARMUP_ACCEPTANCE,
    StepSchedule,
    adapting_chunk_size,
    target_acceptance,
)
from llc_explorer.sgmcmc.dual_averaging import dual_averaging
from llc_explorer.sgmcmc.registry import REGISTRY
from llc_explorer.sgmcmc.run_length import Phases


def test_dual_averaging_finds_the_step_size_of_the_target_acceptance():
    # Two groups with acceptance a(eps) = exp(-eps / scale): the target 0.8 is reached at
    # eps = scale * log(1.25). Start two decades off, on either side.
    scales = np.array([1e-6, 1e-3])
    rule = dual_averaging(0.8)
    state = rule.init(np.array([1e-8, 1e-1]))
    for _ in range(300):
        state = rule.update(state, np.exp(-rule.final(state) / scales))
    np.testing.assert_allclose(rule.final(state), scales * math.log(1.25), rtol=0.05)


def test_dual_averaging_is_pure():
    """An update returns a new state and leaves the old one as it was: the same update of the
    same state gives the same step sizes again."""
    rule = dual_averaging(0.8)
    start = rule.init(np.array([1e-6, 1e-6]))
    kept = [np.copy(x) for x in start]
    again = rule.update(start, np.array([0.5, 0.9]))
    assert (start.step, again.step) == (0, 1)
    for before, now in zip(kept, start, strict=True):
        np.testing.assert_array_equal(before, now)
    twice = rule.update(start, np.array([0.5, 0.9]))
    np.testing.assert_array_equal(rule.final(twice), rule.final(again))


def test_ceiling_holds_without_windup():
    # Acceptance 1 for 50 chunks would push eps up; with a ceiling it stays at the start, and
    # the first chunks of low acceptance lower it at once (no wound-up H to unwind).
    rule = dual_averaging(0.6, ceiling=True)
    state = rule.init(np.array([1e-6]))
    for _ in range(50):
        state = rule.update(state, np.array([1.0]))
    assert rule.final(state)[0] == pytest.approx(1e-6)
    for _ in range(3):
        state = rule.update(state, np.array([0.2]))
    assert rule.final(state)[0] < 0.8e-6


def test_a_group_whose_chains_all_diverged_keeps_its_step_size():
    """Its acceptance is NaN: shrinking its step would only misreport the step they diverged
    at, while the other group adapts as before."""
    rule = dual_averaging(0.8)
    state = rule.init(np.array([1e-6, 1e-6]))
    for _ in range(5):
        state = rule.update(state, np.array([np.nan, 0.2]))
    step_size = rule.final(state)
    assert step_size[0] == pytest.approx(1e-6) and step_size[1] < 1e-7


def test_the_automatic_step_size_starts_smaller_at_a_large_nbeta():
    """At n*beta = 1e6 the default start (2e-7) made every chain of this tiny DLN diverge
    within 50 steps; scaled by 8,686 / 1e6 the adaptation takes over and none does."""
    config = make_config([1, 4, 5, 3], 1, nbeta=1e6, step_size="auto")
    default = make_config([1, 4, 5, 3], 1, step_size="auto").step_size
    assert config.step_size == pytest.approx(default * REFERENCE_NBETA / 1e6)
    result = estimate_llc([1, 4, 5, 3], 1, nbeta=1e6, n=1_000_000, steps=10_000)
    assert not result.diverged_chains
    assert result.llc_mean == pytest.approx(1.5, rel=0.3)  # +12% at n*beta 1e3 ... 1e6


def test_adaptation_freezes_before_the_sampling_window():
    schedule = StepSchedule(np.array([1e-6]), factor=1.0, phases=Phases(0, 1000), target=0.8)
    for start in range(0, 1000, 100):  # every chunk adapts, 900..1000 the last
        before = schedule.for_chunk(start).copy()
        schedule.observe(start, np.array([0.95]), start + 100, 100)
        assert schedule.base[0] > before[0]
    frozen = schedule.base.copy()
    schedule.observe(1000, np.array([0.1]), 1100, 100)
    np.testing.assert_array_equal(schedule.for_chunk(1100), frozen)
    calibration = schedule.calibration(0)
    assert calibration.ends.tolist() == list(range(100, 1001, 100))
    assert calibration.step_size == frozen[0]
    assert adapting_chunk_size(1024, 9000) * MIN_CHUNKS <= 9000


def test_auto_run_reaches_the_target_acceptance_in_its_sampling_window():
    result = estimate_llc((8, 5, 6), 2, step_size="auto", steps=8000, seed=1, warmup_factor=4.0)
    c = result.calibration
    assert result.step_size_source == "auto" and result.config.step_size == c.step_size
    default = REGISTRY["rmsprop_sgld"].defaults["step_size"]
    # The warm-up starts at 4 x the default, never steps above it, and aims at
    # WARMUP_ACCEPTANCE (here the ceiling holds it above); the sampling step then adapts until
    # the sampling window, never inside it.
    warm = c.ends <= c.warmup_end
    assert c.warmup_end == result.config.warmup_steps and warm.any() and (~warm).any()
    assert c.step_sizes[0] == pytest.approx(4 * default)
    assert c.step_sizes[warm].max() <= 4 * default * (1 + 1e-9)
    assert c.ends[-1] <= result.config.burn_in_steps
    late_warmup = c.acceptance[warm][len(c.acceptance[warm]) // 2 :].mean()
    assert late_warmup > WARMUP_ACCEPTANCE - 0.1
    assert abs(result.diagnostics.mala_acceptance - target_acceptance(result.num_params)) < 0.05
    # The adapted step size differs from the default by more than the adaptation's noise.
    assert abs(math.log(c.step_size / default)) > 0.3
    again = calibrate_step_size((8, 5, 6), 2, steps=8000, seed=1, warmup_factor=4.0)
    assert again.step_size == pytest.approx(c.step_size)


def test_momentum_samplers_refuse_auto():
    with pytest.raises(ValueError, match=r"sghmc .* does not have"):
        calibrate_step_size((4, 3, 4), 1, sampler="sghmc")
    with pytest.raises(ValueError, match=r"sgnht .* does not have"):
        estimate_llc((4, 3, 4), 1, sampler="sgnht", step_size="auto")
    assert main(["estimate", "--widths", "4,3,4", "--rank", "1", "--sampler", "sgnht",
                 "--step-size", "auto"]) == 2  # fmt: skip
    assert main(["estimate", "--widths", "4,3,4", "--rank", "1", "--step-size", "fast"]) == 2


def test_cli_auto_reports_its_choice(capsys):
    argv = ["estimate", "--widths", "6,5,4", "--rank", "2", "--steps", "3000"]
    assert main([*argv, "--step-size", "auto", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    chosen = calibrate_step_size((6, 5, 4), 2, steps=3000)
    assert out["step_size_source"] == "auto"
    assert out["config"]["step_size"] == pytest.approx(chosen.step_size)
    assert out["step_size_calibration"]["acceptance"] == pytest.approx(chosen.acceptance.tolist())
    assert main([*argv, "--step-size", "auto"]) == 0
    default = REGISTRY["rmsprop_sgld"].defaults["step_size"]
    assert f"auto: {chosen.step_size:.3g} in the sampling window" in capsys.readouterr().out
    # auto is the default for RMSPropSGLD; a step size given is kept (and named).
    assert main([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["step_size_source"] == "auto"
    assert main([*argv, "--json", "--step-size", str(default)]) == 0
    assert json.loads(capsys.readouterr().out)["step_size_source"] == "default"
    assert main([*argv, "--json", "--step-size", "1e-7"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["step_size_source"] == "user" and out["config"]["step_size"] == 1e-7
    assert main([*argv, "--json", "--sampler", "sghmc"]) == 0  # no MALA acceptance: fixed
    assert json.loads(capsys.readouterr().out)["step_size_source"] == "default"


def test_auto_step_size_estimate_is_close_on_a_small_dln():
    # Two layers, 20,000 steps, 4 chains: the estimate at the automatic step size lies within
    # 3 standard errors + 10% of the exact LLC (the verification tolerance of docs/TRUTH.md).
    result = estimate_llc((8, 5, 6), 2, step_size="auto", steps=20_000, seed=3)
    exact = float(result.true_llc)
    assert abs(result.llc_mean - exact) < 3 * result.llc_stderr + 0.1 * exact


def test_explorer_auto_button_sets_the_step_size():
    from llc_explorer import Explorer

    explorer = Explorer(widths=[6, 5, 4], rank=2, steps=3000)
    explorer.ui.auto.click()
    assert explorer.wait(120)
    chosen = calibrate_step_size((6, 5, 4), 2, steps=3000).step_size
    assert explorer.controls["step_size"].value == pytest.approx(chosen, rel=0.05)
    assert explorer.status.startswith("auto step size:") and "press Run" in explorer.status
    explorer.controls["sampler"].value = "sghmc"
    explorer.auto_step_size(block=True)
    assert "carry momentum" in explorer.status
