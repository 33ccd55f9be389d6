"""The lab's plots of DLN runs, on stand-in results with known traces (built from the fields
of :class:`llc_explorer.result.LLCResult` that the plots read, checked to exist there)."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest
from bokeh.models import BoxAnnotation, GlyphRenderer, Label, LayoutDOM

from llc_explorer.config import RunConfig
from llc_explorer.lab import (
    adaptation,
    error_by_step_size,
    loss_traces,
    running_estimates,
    window_means,
)
from llc_explorer.result import LLCResult
from llc_explorer.sgmcmc.adaptation import StepSizeCalibration

NBETA, STEPS = 100.0, 2500

READ = {"config", "steps_done", "true_llc", "calibration", "warmup_steps"}
"""The result fields the plots read (and the property ``llc_trace``)."""


def fake_result(excess: np.ndarray, calibration: StepSizeCalibration | None = None):
    """A result whose ``n*beta (L_t - L(w*))`` is ``excess`` (chains x steps)."""
    config = SimpleNamespace(nbeta=NBETA, warmup_factor=4.0)
    return SimpleNamespace(
        config=config, llc_trace=excess.astype(np.float64), steps_done=excess.shape[1],
        true_llc=Fraction(5, 2),
        calibration=calibration, warmup_steps=800,
    )  # fmt: skip


def calibration() -> StepSizeCalibration:
    ends = np.arange(250, 2001, 250)
    return StepSizeCalibration(
        step_size=1e-5, target=0.8, step_sizes=np.geomspace(4e-5, 1e-5, ends.size),
        acceptance=np.linspace(0.3, 0.8, ends.size), ends=ends, warmup_end=1500,
        warmup_target=0.5,
    )  # fmt: skip


def named(layout: LayoutDOM, name: str) -> dict[str, np.ndarray]:
    (found,) = layout.select({"type": GlyphRenderer, "name": name})
    return {k: np.asarray(v) for k, v in found.data_source.data.items()}


def test_the_stand_in_reads_only_real_fields() -> None:
    assert {f.name for f in dataclasses.fields(LLCResult)} >= READ
    assert isinstance(LLCResult.llc_trace, property)
    assert {f.name for f in dataclasses.fields(RunConfig)} >= {"nbeta", "warmup_factor"}


def test_loss_traces_keep_finite_positive_points() -> None:
    excess = np.full((2, STEPS), 3.0)
    excess[0, :10] = -1.0  # below L(w*): no place on a log axis
    excess[1, 20:30] = np.nan
    fig = loss_traces(fake_result(excess), "SGLD")
    assert fig.title.text == "SGLD" and fig.y_scale.__class__.__name__ == "LogScale"
    first, second = named(fig, "chain-0"), named(fig, "chain-1")
    assert first["x"].size == STEPS - 10 and second["x"].size == STEPS - 10
    assert np.all(first["y"] > 0) and np.isfinite(second["y"]).all()
    assert first["y"] == pytest.approx(3.0, rel=1e-5)


def test_error_by_step_size_marks_off_scale_and_diverged_points() -> None:
    eps = [1e-6, 1e-5, 1e-4, 1e-3]
    errors = {"sgld": [0.02, 0.3, 5.0, np.nan], "rmsprop_sgld": [-0.01, 0.1, -3.0, 0.4]}
    stored = {"sgld": (np.geomspace(1e-6, 1e-3, 7), np.linspace(0.0, 2.0, 7))}
    fig = error_by_step_size(eps, errors, stored)
    off = fig.select({"type": GlyphRenderer, "name": "off-scale"})
    points = sorted(
        (float(y), marker)
        for r in off
        for y, marker in zip(r.data_source.data["y"], r.data_source.data["marker"], strict=True)
    )
    assert points == [(-1.0, "inverted_triangle"), (1.0, "triangle")]  # -3.0 and 5.0
    assert all(list(r.data_source.data["x"]) == [1e-4] for r in off)
    diverged = named(fig, "diverged")
    assert list(diverged["x"]) == [1e-3] and list(diverged["y"]) == [-1.0]
    faint = named(fig, "stored")
    assert faint["x"].size == 7 and faint["y"].max() == 1.0
    labels = {item.label.value for item in fig.legend[0].items}
    assert {"off scale", "diverged", "sgld: stored full run"} <= labels


def test_running_estimates_shade_the_warm_up() -> None:
    excess = np.full((3, STEPS), 2.5)
    excess[2] = np.inf  # a diverged chain stays out of the mean
    fig = running_estimates(fake_result(excess), burn_ins=(0, 0.5))
    late = named(fig, "burn-in-0.5")
    assert late["x"][0] == STEPS // 2 and late["x"].size == STEPS - STEPS // 2
    assert late["y"] == pytest.approx(2.5, rel=1e-5)
    (band,) = fig.select({"type": BoxAnnotation, "name": "warm-up"})
    assert (band.left, band.right) == (0, 800)
    (label,) = fig.select({"type": Label})
    assert label.text == "warm-up (4× step)"  # noqa: RUF001
    # an automatic step size: the warm-up ends where its calibration says
    auto = running_estimates(fake_result(excess, calibration()))
    (band,) = auto.select({"type": BoxAnnotation, "name": "warm-up"})
    assert band.right == 1500


def test_adaptation_plots_the_calibration_and_its_targets() -> None:
    c = calibration()
    layout = adaptation(fake_result(np.ones((1, STEPS)), c))
    eps, accept = layout.children
    lines = [r.data_source.data for r in accept.select({"type": GlyphRenderer})]
    assert any(np.array_equal(line["y"], c.acceptance) for line in lines)
    assert [0.5, 0.5] in [list(line["y"]) for line in lines]
    assert [0.8, 0.8] in [list(line["y"]) for line in lines]
    (step_line,) = [r.data_source.data for r in eps.select({"type": GlyphRenderer})]
    assert np.array_equal(step_line["y"], c.step_sizes)
    with pytest.raises(ValueError, match="step_size='auto'"):
        adaptation(fake_result(np.ones((1, STEPS))))


def test_window_means_average_over_chains_and_windows() -> None:
    ramp = np.tile(np.arange(STEPS, dtype=np.float64), (2, 1))
    flat = np.full((4, STEPS), 6.0)
    fig = window_means(
        {"first_layer": fake_result(ramp), "minimal": fake_result(flat)},
        window=1000,
        reference={"local (12)": 12.0, "Aoyagi (6)": 6.0},
    )
    ramp_means = named(fig, "windows-first_layer")
    assert list(ramp_means["x"]) == [500.0, 1500.0]  # the partial window is dropped
    assert ramp_means["y"] == pytest.approx([499.5, 1499.5], rel=1e-4)
    assert named(fig, "windows-minimal")["y"] == pytest.approx([6.0, 6.0], rel=1e-5)
    labels = {item.label.value for item in fig.legend[0].items}
    assert {"local (12)", "Aoyagi (6)", "first_layer", "minimal"} <= labels
