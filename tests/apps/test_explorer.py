"""The explorer, headless: set widgets, run in the background thread, read the Bokeh sources."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest
from bokeh.models import Legend
from readouts import readout_rows

from llc_explorer import Explorer, dln_llc, explore
from llc_explorer.apps.explorer.controls import Controls
from llc_explorer.apps.explorer.model import MEMORY_LIMIT, build_config, memory_limit
from llc_explorer.apps.ui.formatting import significant
from llc_explorer.apps.ui.plot_data import MAX_POINTS, PLOT_LIMIT
from llc_explorer.dln.memory import FRACTION
from llc_explorer.errors import ConfigError
from llc_explorer.sgmcmc.chains import TRACES
from llc_explorer.sgmcmc.registry import REGISTRY

SMALL = {
    "widths": "5,3,5",
    "rank": 2,
    "sampler": "sgld",
    "n": 2000,
    "batch_size": 100,
    "chains": 4,
    "steps": 1000,
    "auto_step": False,  # a fixed step size; the adapting default is tested on its own
}
EXACT = float(dln_llc((5, 3, 5), 2).llc)


def configure(explorer: Explorer, **settings) -> None:
    """Set the small problem's widgets, then ``settings``."""
    for name, value in {**SMALL, **settings}.items():
        explorer.controls[name].value = value


def workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "llc-explorer"]


@pytest.fixture
def explorer() -> Iterator[Explorer]:
    explorer = Explorer()
    configure(explorer)
    yield explorer
    explorer.stop()
    explorer.wait()


def numbers(source) -> np.ndarray:
    """Every number in a source's numeric columns, flattened (multi-line rows included)."""
    values = []
    for column in source.data.values():
        for item in column:
            if isinstance(item, np.ndarray | list):
                values.extend(np.asarray(item, np.float64).ravel())
            elif isinstance(item, int | float | np.number):
                values.append(float(item))
    return np.asarray(values, np.float64)


def test_run_fills_plots_with_exact_line_and_downsampled_traces(explorer: Explorer) -> None:
    steps = 3000
    explorer.controls["steps"].value = steps
    assert explorer.run(block=True)
    assert explorer.status == "done" and explorer.result.done
    exact = explorer.sources["exact"].data
    assert exact["llc"] == [EXACT, EXACT] and exact["step"] == [0, steps]
    loss = explorer.sources["loss"].data
    kept = [*range(0, steps, 2), steps - 1]  # every 2nd step and the last: <= MAX_POINTS + 1
    assert len(kept) <= MAX_POINTS + 1
    assert len(loss["ys"]) == 4 and all(len(row) == len(kept) for row in loss["ys"])
    np.testing.assert_array_equal(loss["xs"][0], kept)
    mean = explorer.sources["mean"].data
    assert np.isfinite(mean["mean"][-1])
    assert mean["mean"][-1] == pytest.approx(explorer.result.llc_mean)
    assert set(explorer.sources["raster"].data["status"]) == {"alive"}
    # one step axis for every plot, from 0 to the run's steps; no legend over the data
    figures = [*explorer.plots.figures.values(), explorer.sweep_plot.layout]
    assert all(fig.x_range is explorer.plots.steps for fig in figures[:-1])
    assert (explorer.plots.steps.start, explorer.plots.steps.end) == (0, steps)
    assert not any(isinstance(item, Legend) for fig in figures for item in fig.center)
    assert sum(isinstance(item, Legend) for fig in figures for item in fig.right) == 4
    rows = readout_rows(explorer.ui.readout.value)
    assert rows["exact LLC λ"][0] == "19/2 = 9.5"
    assert rows["estimate λ̂"][0] == significant(explorer.result.llc_mean)
    assert rows["steps"][0] == f"{steps:,}" and rows["R-hat (loss)"][0] != "—"


def test_huge_step_size_marks_every_chain_diverged_and_plots_no_nonfinite(
    explorer: Explorer,
) -> None:
    explorer.controls["step_size"].value = 0.05
    explorer.run(block=True)
    raster = explorer.sources["raster"].data
    status = zip(raster["chain"], raster["status"], strict=True)
    diverged = {chain for chain, state in status if state == "diverged"}
    assert diverged == {0, 1, 2, 3}
    assert explorer.sources["diverged_count"].data["count"][-1] == 4
    for name in ("raster", "diverged_count", "exact"):
        assert np.all(np.isfinite(numbers(explorer.sources[name]))), name
    for name in ("loss", "running", "mean"):
        values = numbers(explorer.sources[name])
        assert not np.any(np.isinf(values)), name
        assert np.all(np.abs(values[np.isfinite(values)]) <= PLOT_LIMIT), name
    rows = readout_rows(explorer.ui.readout.value)
    assert rows["diverged chains"][0] == "4 of 4" and rows["estimate λ̂"][0] == "—"
    assert "all 4 chains diverged" in rows["warnings"][0]


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("rank", 99, "rank"),
        ("widths", "10,x", "widths"),
        ("widths", ",", "widths"),
        ("batch_size", 5000, "batch_size"),
        ("steps", 10**9, "GiB, over the 2.0 GiB the explorer allows; most of it for steps"),
    ],
)
def test_invalid_settings_show_message_and_disable_run(
    explorer: Explorer, name: str, value, says: str
) -> None:
    explorer.controls[name].value = value
    assert says in explorer.ui.message.value and "color:#c00" in explorer.ui.message.value
    assert explorer.ui.run.disabled and explorer.ui.sweep.disabled
    assert explorer.run() is False and not workers()
    configure(explorer)
    assert explorer.ui.message.value == "" and not explorer.ui.run.disabled


def test_simple_architecture_widgets_build_the_widths(explorer: Explorer) -> None:
    explorer.controls["widths"].value = ""
    for name, value in [("input_width", 4), ("hidden_layers", 3), ("hidden_width", 6)]:
        explorer.controls[name].value = value
    explorer.controls["output_width"].value = 2
    assert explorer.config.widths == (4, 6, 6, 6, 2)
    explorer.controls["hidden_layers"].value = -1
    assert "hidden layers" in explorer.ui.message.value and explorer.ui.run.disabled


def test_an_error_while_sampling_is_shown_not_raised(
    explorer: Explorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(config):
        raise RuntimeError("out of cheese")
        yield

    monkeypatch.setattr("llc_explorer.apps.explorer.sampling.stream_config", broken)
    assert explorer.run(block=True)
    assert explorer.status == "error: RuntimeError: out of cheese"
    assert "out of cheese" in explorer.ui.readout.value


def wait_for_result(explorer: Explorer, timeout: float = 60.0) -> None:
    began = time.perf_counter()
    while explorer.result is None and time.perf_counter() - began < timeout:
        time.sleep(0.01)
        explorer.flush()  # what the kernel's event loop does in a notebook
    assert explorer.result is not None


def test_stop_ends_a_long_run_within_a_second(explorer: Explorer) -> None:
    explorer.controls["chains"].value = 2
    explorer.controls["steps"].value = 10**7
    explorer.run()
    wait_for_result(explorer)  # past building data and compiling
    began = time.perf_counter()
    explorer.stop()
    assert explorer.wait(1.0)
    assert time.perf_counter() - began < 1.0
    assert explorer.status == "run stopped" and not explorer.result.done


def test_changing_a_setting_stops_the_run_and_marks_plots_stale(explorer: Explorer) -> None:
    explorer.controls["chains"].value = 2
    explorer.controls["steps"].value = 10**7
    explorer.run()
    wait_for_result(explorer)
    explorer.controls["seed"].value = 1
    assert explorer.wait(2.0)
    assert "stale" in explorer.status
    assert "stale" in explorer.plots.figures["loss"].title.text
    explorer.run(block=False)
    assert "stale" not in explorer.plots.figures["loss"].title.text


def test_changing_only_the_step_size_does_not_recompile(explorer: Explorer) -> None:
    explorer.run(block=True)
    traces = TRACES["count"]
    explorer.controls["step_size"].value = 3e-6
    assert explorer.controls["step_size_slider"].value == pytest.approx(3e-6)
    explorer.run(block=True)
    assert explorer.result.done and explorer.result.config.step_size == 3e-6
    assert TRACES["count"] == traces


def test_reset_leaves_no_thread_and_restores_defaults(explorer: Explorer) -> None:
    explorer.controls["steps"].value = 10**7
    explorer.controls["chains"].value = 2
    explorer.run()
    explorer.reset()
    assert not workers() and not explorer.running
    assert explorer.controls["widths"].value == "" and explorer.controls["n"].value == 100_000
    assert explorer.sources["loss"].data["ys"] == [] and explorer.result is None
    assert explorer.status == "ready"


def test_sampler_hyperparameters_shown_only_for_their_sampler(explorer: Explorer) -> None:
    explorer.controls["sampler"].value = "sghmc"
    shown = {
        name
        for name in ("b1", "b2", "a", "friction", "diffusion")
        if explorer.controls[name].layout.display != "none"
    }
    assert shown == {"friction"}
    assert explorer.controls["step_size"].value == REGISTRY["sghmc"].defaults["step_size"]
    explorer.controls["sampler"].value = "adam_sgld"
    assert explorer.controls["friction"].layout.display == "none"
    assert explorer.controls["b1"].layout.display != "none"
    assert explorer.config is not None and explorer.config.hyperparameter("b1") == 0.9


def test_sweep_runs_other_samplers_with_their_own_defaults() -> None:
    """The chosen sampler's hyperparameters (rmsprop_sgld's a, b2) go to its own runs only."""
    explorer = Explorer((5, 3, 5), 2, n=2000, a=0.2)
    explorer.ui.sweep_samplers.value = ["sgld", "rmsprop_sgld"]
    explorer.ui.sweep_steps.value = 300
    assert explorer.run_sweep(block=True)
    assert explorer.status == "sweep done: 14 runs"
    by_sampler = {r.config.sampler: r.config for r in explorer.sweep_results}
    assert by_sampler["rmsprop_sgld"].hyperparameter("a") == 0.2
    assert list(by_sampler["sgld"].hyperparameters()) == ["step_size"]


def test_sweep_fills_its_source_for_the_selected_samplers(explorer: Explorer) -> None:
    explorer.ui.sweep_samplers.value = ["sgld", "sghmc"]
    explorer.ui.sweep_steps.value = 400
    assert explorer.run_sweep(block=True)
    assert explorer.status == "sweep done: 14 runs"
    sweep, lost = explorer.sources["sweep"].data, explorer.sources["sweep_diverged"].data
    assert len(sweep["step_size"]) + len(lost["step_size"]) == 14
    assert set(sweep["sampler"]) | set(lost["sampler"]) == {"sgld", "sghmc"}
    sizes = sorted(set(sweep["step_size"]) | set(lost["step_size"]))
    center = REGISTRY["sgld"].defaults["step_size"]  # sgld is chosen: the sweep centres here
    assert sizes[0] == pytest.approx(center / 10**1.5)
    assert sizes[-1] == pytest.approx(center * 10**1.5)
    assert np.all(np.isfinite(numbers(explorer.sources["sweep"])))
    assert explorer.sweep_plot.exact.location == EXACT


def test_explore_starts_a_run_and_displays_as_a_widget() -> None:
    explorer = explore([5, 3, 5], 2, sampler="sgld", n=2000, steps=400)
    assert explorer.controls["hidden_width"].value == 3 and explorer.controls["widths"].value == ""
    assert explorer.wait(60) and explorer.result.done
    assert explorer.result.config.widths == (5, 3, 5)
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_typed_step_size_survives_the_slider_snapping_to_its_grid():
    explorer = Explorer()
    explorer.controls["auto_step"].value = False
    explorer.controls["step_size"].value = 2e-7
    slider = explorer.controls["step_size_slider"]
    slider.value = 10 ** round(math.log10(2e-7), 1)  # what the browser sends back: 1.995e-7
    assert explorer.controls["step_size"].value == 2e-7
    slider.value = 1e-5  # a real move
    assert explorer.controls["step_size"].value == 1e-5
    slider.value = 10**-4.5  # a move to a grid point: the entry shows 2 digits, and they run
    assert explorer.controls["step_size"].value == 3.2e-5 == explorer.config.step_size


def test_teacher_setting_changes_the_exact_value_shown(explorer: Explorer) -> None:
    configure(explorer, widths="8,3,4", rank=0, steps=200)
    assert readout_rows(explorer.ui.readout.value)["exact LLC λ"][0] == "6"
    explorer.controls["teacher"].value = "first_layer"
    assert explorer.config.teacher == "first_layer"
    assert readout_rows(explorer.ui.readout.value)["exact LLC λ"][0] == "12"
    assert explorer.run(block=True)
    assert explorer.result.true_llc == 12 and explorer.result.global_llc == 6
    assert explorer.sources["exact"].data["llc"] == [12.0, 12.0]
    configure(explorer, widths="8,12,6,10", rank=2, steps=200)
    assert readout_rows(explorer.ui.readout.value)["exact LLC λ"][0] == "unknown"
    assert "lower bound" in explorer.ui.readout.value
    assert explorer.run(block=True)
    assert all(math.isnan(v) for v in explorer.sources["exact"].data["llc"])


def test_the_memory_limit_follows_an_accelerators_free_memory() -> None:
    assert memory_limit() == memory_limit(None) == MEMORY_LIMIT  # a CPU reports no stats
    h100 = {"bytes_limit": 80 * 2**30, "bytes_in_use": 10 * 2**30}
    assert memory_limit(h100) == int(FRACTION * 70 * 2**30)
    values = {**Controls().values(), "widths": "1000,1000,1000,1000,1000,1000", "chains": 64}
    with pytest.raises(ConfigError, match=r"over the 2\.0 GiB the explorer allows"):
        build_config(values)  # 5e6 parameters x 64 chains x (2 + 6) copies: about 9.5 GiB
    assert build_config(values, limit=memory_limit(h100)).chains == 64


def test_the_first_run_adapts_the_step_size_and_its_code_says_so() -> None:
    explorer = Explorer()
    assert explorer.controls["auto_step"].value and explorer.controls["step_size"].disabled
    configure(explorer, auto_step=True, steps=2000)
    assert explorer.config.adapt_step_size
    assert explorer.run(block=True) and explorer.result.done
    result = explorer.result
    assert result.step_size_source == "auto" and result.calibration is not None
    assert result.config.step_size == result.calibration.step_size != SMALL_DEFAULT_STEP
    assert "adapted toward" in readout_rows(explorer.ui.readout.value)["MALA acceptance"][1]
    assert explorer.show_code() and "step_size='auto'" in explorer.ui.code.value
    namespace: dict = {}
    exec(explorer.ui.code.value, namespace)
    assert namespace["result"].llc_mean == result.llc_mean  # the same adaptation, bit for bit


SMALL_DEFAULT_STEP = REGISTRY["sgld"].defaults["step_size"]


def test_samplers_without_a_mala_acceptance_grey_the_adapt_box_out() -> None:
    explorer = Explorer()
    explorer.controls["sampler"].value = "sghmc"
    box = explorer.controls["auto_step"]
    assert box.disabled and "cannot adapt" in box.tooltip
    assert not explorer.controls["step_size"].disabled
    assert explorer.config is not None and not explorer.config.adapt_step_size
    explorer.controls["sampler"].value = "sgld"
    assert not box.disabled and box.value and explorer.controls["step_size"].disabled


def test_auto_step_size_button_sets_a_fixed_step_and_clears_the_box(explorer: Explorer) -> None:
    configure(explorer, auto_step=True, steps=2000)
    assert explorer.auto_step_size(block=True)
    explorer.wait()
    assert not explorer.controls["auto_step"].value
    chosen = explorer.controls["step_size"].value
    assert not explorer.controls["step_size"].disabled and explorer.config.step_size == chosen
    assert not explorer.config.adapt_step_size


def test_the_defaults_on_a_fresh_1e3_benchmark_dln_land_within_5_percent() -> None:
    # As a user would: the 1e3 size-class button (architecture seed 72031, used nowhere
    # else), then Run with every other setting at its default (automatic step size).
    explorer = Explorer()
    explorer.ui.arch_seed.value = 72031
    explorer.ui.size_classes["1e3"].click()
    assert "d = " in explorer.ui.drawn.value
    assert explorer.run(block=True) and explorer.result.done
    assert explorer.result.step_size_source == "auto"
    assert abs(explorer.result.relative_error) < 0.05, explorer.result.relative_error


def test_the_defaults_on_a_fresh_1e4_benchmark_dln_land_within_5_percent() -> None:
    # Issue 25: the 1e4 size-class button (architecture seed 75931, drawn for this test after
    # the defaults were fixed and used nowhere else), then Run with every other setting at
    # its default (automatic step size, 30,000 steps).
    explorer = Explorer()
    explorer.ui.arch_seed.value = 75931
    explorer.ui.size_classes["1e4"].click()
    assert "d = " in explorer.ui.drawn.value and explorer.config.steps == 30_000
    assert explorer.run(block=True) and explorer.result.done
    assert explorer.result.step_size_source == "auto" and not explorer.result.diverged_chains
    assert abs(explorer.result.relative_error) < 0.05, explorer.result.relative_error


def test_a_size_class_too_slow_or_too_large_here_is_greyed_out_with_its_reason() -> None:
    """Issue 25: a class that cannot run well on this machine says so instead of running
    badly. A million steps of a 1e5 DLN take days on any CPU; 30,000 take minutes."""
    explorer = Explorer()
    button = explorer.ui.size_classes["1e5"]
    assert not button.disabled and "draw a random DLN" in button.tooltip
    assert explorer.ui.size_classes["1e8"].disabled  # 1e8 parameters x 4 chains: over 2 GiB
    assert "GiB, over the 2.0 GiB allowed" in explorer.ui.size_classes["1e8"].tooltip
    explorer.controls["steps"].value = 1_000_000
    assert button.disabled and "min per run here (4 chains x 1,000,000 steps)" in button.tooltip
    assert (
        "1e5 (about " in explorer.ui.size_note.value
        and "min a run here)" in explorer.ui.size_note.value
    )
    explorer.controls["steps"].value = 30_000
    assert not button.disabled and "1e5" not in explorer.ui.size_note.value
