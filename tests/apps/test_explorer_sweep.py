"""The step-size sweep plot on a clipped y axis: an estimate far off is drawn at the edge it
passes (its true value kept for the tooltip), a diverged run at the bottom edge, and the axis
never stretches to fit either (headless)."""

from __future__ import annotations

import math
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest

from llc_explorer import Explorer, dln_llc
from llc_explorer.apps.explorer.plot_data import place, sweep_axis, sweep_bounds, sweep_data

EXACT = float(dln_llc((5, 3, 5), 2).llc)


def result(llc: float, step_size: float, stderr: float = 0.5) -> SimpleNamespace:
    """A stand-in for a finished sweep run: what :func:`sweep_data` reads of an LLCResult."""
    config = SimpleNamespace(step_size=step_size, sampler="sgld", chains=4)
    return SimpleNamespace(
        config=config, llc_mean=llc, llc_stderr=stderr, diverged_chains=(),
        true_llc=Fraction(10), global_llc=Fraction(10),
    )  # fmt: skip


def test_values_off_scale_land_at_the_edge_with_their_true_value_kept() -> None:
    assert place(12.5, 0.0, 20.0) == (12.5, "in")
    assert place(1e5, 0.0, 20.0) == (20.0, "above")
    assert place(-3.0, 0.0, 20.0) == (0.0, "below")
    assert place(math.inf, 0.0, 20.0) == (20.0, "above")
    assert place(math.nan, 0.0, 20.0) == (0.0, "diverged")
    results = [result(12.5, 1e-4, stderr=9.0), result(1e5, 1e-3), result(-3.0, 1e-5)]
    results.append(result(math.nan, 1e-2))
    low, high = sweep_bounds(results)
    assert (low, high) == (0.0, 20.0)  # 0 to twice the exact LLC
    data = sweep_data(results, low, high)
    shown, off, lost = data["sweep"], data["sweep_off_scale"], data["sweep_diverged"]
    assert shown["llc"] == [12.5] and shown["step_size"] == [1e-4]  # in range: unchanged
    assert (shown["lower"], shown["upper"]) == ([3.5], [20.0])  # the whisker cut at the edge
    assert off["step_size"] == [1e-3, 1e-5] and off["llc"] == [20.0, 0.0]
    assert off["marker"] == ["triangle", "inverted_triangle"]
    assert off["value"] == ["100,000", "-3.00"]  # the true values, for the tooltip
    assert lost["step_size"] == [1e-2] and lost["llc"] == [0.0]  # NaN: diverged, bottom edge
    start, end = sweep_axis(low, high)
    assert (start, end) == pytest.approx((-1.0, 21.0))  # a margin of 5% each side
    unknown = [
        SimpleNamespace(**{**vars(r), "true_llc": None, "global_llc": None}) for r in results
    ]
    assert sweep_bounds(unknown) == (0.0, 2 * np.median([12.5, 1e5, -3.0]))  # a model's own


def test_a_run_far_off_stays_off_the_axis_and_in_the_off_scale_source() -> None:
    """sgld on (5, 3, 5) for 300 steps: 1e-3 reads about 11 times the exact LLC (off scale),
    3.2e-3 diverges (NaN); the axis stays at 0 to twice the exact LLC."""
    explorer = Explorer((5, 3, 5), 2, sampler="sgld", n=2000, batch_size=100, chains=4)
    explorer.controls["auto_step"].value = False
    explorer.controls["step_size"].value = 1e-4
    explorer.ui.sweep_samplers.value = ["sgld"]
    explorer.ui.sweep_steps.value = 300
    assert explorer.run_sweep(block=True)
    assert explorer.status == "sweep done: 7 runs"
    far = [r for r in explorer.sweep_results if r.llc_mean > 2 * EXACT]
    assert far, [r.llc_mean for r in explorer.sweep_results]
    start, end = explorer.sweep_plot.y_range.start, explorer.sweep_plot.y_range.end
    assert (start, end) == pytest.approx(sweep_axis(0.0, 2 * EXACT))
    shown = explorer.sources["sweep"].data
    assert all(0 <= y <= 2 * EXACT for y in (*shown["llc"], *shown["lower"], *shown["upper"]))
    off = explorer.sources["sweep_off_scale"].data
    assert off["step_size"] == [r.config.step_size for r in far]
    assert off["llc"] == [2 * EXACT] * len(far) and set(off["marker"]) == {"triangle"}
    lost = explorer.sources["sweep_diverged"].data
    assert all(math.isnan(r.llc_mean) for r in explorer.sweep_results
               if r.config.step_size in lost["step_size"])  # fmt: skip
    assert lost["llc"] == [0.0] * len(lost["step_size"])
    assert len(shown["llc"]) + len(far) + len(lost["llc"]) == 7
