"""The Playground, headless: set widget values, run, and read the Bokeh sources."""

from __future__ import annotations

import numpy as np
import pytest
from bokeh.models import Legend
from readouts import readout_rows

from llc_explorer import SURFACES, Playground
from llc_explorer.apps.playground.model import CLOUD_POINTS, TRAIL_SEGMENTS, contour_grid
from llc_explorer.apps.ui.formatting import significant

FAST = {"steps": 20_000, "chunk_size": 5000, "frame_interval": 0.0}


@pytest.fixture
def app() -> Playground:
    playground = Playground(**FAST)
    yield playground
    playground.stop()
    playground.wait(30)


def test_run_draws_trails_cloud_and_the_running_estimate(app: Playground) -> None:
    assert app.run(block=True) and app.status == "done"
    (result,) = app.results
    panel = app.plots.panels[0]
    src = {name: source.data for name, source in panel.sources.items()}
    assert len(src["trails"]["x0"]) == 32 * TRAIL_SEGMENTS
    assert np.all(np.diff(src["trails"]["alpha"][:TRAIL_SEGMENTS]) > 0)  # older is fainter
    assert 0 < len(src["cloud"]["x"]) <= CLOUD_POINTS and np.isfinite(src["cloud"]["x"]).all()
    assert list(src["heads"]["status"]) == ["alive"] * 32
    assert src["llc"]["mean"][-1] == pytest.approx(result.llc_mean)
    assert src["targets"]["exact"] == [0.5, 0.5]
    assert src["targets"]["tempered"] == [result.tempered_llc] * 2
    for fig in (panel.surface_figure, panel.llc_figure):  # legends under the data, not on it
        assert not any(isinstance(item, Legend) for item in fig.center)
        assert any(isinstance(item, Legend) for item in fig.below)
    assert panel.color_bar in panel.surface_figure.right
    (shading,) = panel.burn_in.boxes
    assert (shading.left, shading.right) == (0, result.config.burn_in_steps)
    row = readout_rows(app.ui.readout.value)["sgld"]
    assert row[0] == significant(result.llc_mean) and row[3] == "0 of 32"


@pytest.mark.parametrize("name", list(SURFACES))
def test_choosing_a_loss_redraws_its_contour_and_exact_line(app: Playground, name: str) -> None:
    app.controls["surface"].value = name
    panel = app.plots.panels[0]
    assert SURFACES[name].formula in panel.surface_figure.title.text
    # the top level is log10 of the largest K on the grid, different for every loss
    top = contour_grid(name, app.configs[0].nbeta, app.configs[0].gamma)["levels"][-1]
    assert panel.contour.fill_renderer.data_source.data["upper_levels"][-1] == top
    assert panel.color_bar.levels[-1] == top  # the colour bar follows the redrawn contour
    exact = readout_rows(app.ui.readout.value)["exact λ"][0]
    assert exact.startswith(f"{SURFACES[name].truth.llc} multiplicity")


def test_compare_mode_runs_two_samplers_with_the_same_seed(app: Playground) -> None:
    app.controls["compare"].value = True
    assert app.plots.panels[1].layout.visible
    app.controls["compare_sampler"].value = "sgld"  # same sampler and step: same chains
    app.run(block=True)
    left, right = app.results
    np.testing.assert_array_equal(left.path, right.path)
    app.controls["compare_sampler"].value = "sghmc"
    app.run(block=True)
    left, right = app.results
    assert (left.config.sampler, right.config.sampler) == ("sgld", "sghmc")
    # Same noise: from w* (where the gradient is 0) SGLD moves sqrt(eps) eta, SGHMC
    # sqrt(alpha eps) eta with the same eta.
    friction = right.config.hyperparameter("friction")
    np.testing.assert_allclose(right.path[:, 1], np.sqrt(friction) * left.path[:, 1], rtol=1e-5)
    assert not np.allclose(left.path[:, -1], right.path[:, -1])
    assert "sghmc" in app.plots.panels[1].surface_figure.title.text
    rows = readout_rows(app.ui.readout.value)
    assert rows["sgld"][0] == significant(left.llc_mean)
    assert rows["sghmc"][0] == significant(right.llc_mean)


def test_large_step_size_shows_diverged_chains_without_raising(app: Playground) -> None:
    app.controls["step_size"].value = 0.05
    app.run(block=True)
    heads = app.plots.panels[0].sources["heads"].data
    assert list(heads["status"]) == ["diverged"] * 32
    assert np.isfinite(heads["x"]).all() and np.max(np.abs(heads["x"])) <= 3.0  # in the box
    assert app.status == "done" and readout_rows(app.ui.readout.value)["sgld"][3] == "32 of 32"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("gamma", 0.0, "gamma must be a number in [1e-6, 1e6]; got 0.0"),
        ("chains", 0, "chains must be an int, at least 1"),
        ("compare_step_size", -1.0, "compare sampler: step_size must be"),
        ("nbeta", 1e300, "nbeta must be a number in (0, 1e12]"),
        ("gamma", 1e-300, "gamma must be a number in [1e-6, 1e6]"),
        ("chunk_size", 10**8, "chunk_size must be an int, at least 1, at most 100000"),
    ],
)
def test_invalid_settings_show_a_message_and_disable_run(
    app: Playground, name: str, value: float, message: str
) -> None:
    app.controls["compare"].value = name.startswith("compare_")
    app.controls[name].value = value
    assert message in app.ui.message.value
    assert app.ui.run.disabled and not app.run()
    app.reset()
    assert app.ui.message.value == "" and not app.ui.run.disabled


@pytest.mark.parametrize(("name", "value"), [("seed", 3), ("step_size", 2e-5)])
def test_changing_a_setting_stops_the_run(app: Playground, name: str, value: float) -> None:
    app.controls["steps"].value = 2_000_000
    app.controls["chains"].value = 8
    app.controls["chunk_size"].value = 500
    app.run()
    app.controls[name].value = value  # the step size also moves its slider: two callbacks
    assert app.wait(10) and app.status == "stopped: settings changed (press Run)"


def test_a_finished_run_goes_stale_and_keeps_its_own_settings_in_the_readout(
    app: Playground,
) -> None:
    app.run(block=True)
    app.controls["steps"].value = 50_000
    assert "stale" in app.plots.panels[0].surface_figure.title.text
    shown = readout_rows(app.ui.readout.value)["sgld"][4]
    assert shown == "20,000 of 20,000"  # the run shown, not the new one
    app.run(block=True)
    assert "stale" not in app.plots.panels[0].surface_figure.title.text


def test_a_loss_chosen_while_settings_are_invalid_is_drawn_once_they_are_valid(
    app: Playground,
) -> None:
    app.controls["steps"].value = 0
    app.controls["surface"].value = "quartic"
    app.controls["compare"].value = True
    assert not app.plots.panels[1].layout.visible  # nothing drawn while invalid
    app.controls["steps"].value = 20_000
    assert SURFACES["quartic"].formula in app.plots.panels[0].surface_figure.title.text
    assert app.plots.panels[1].layout.visible


def test_reset_restores_the_settings_it_was_created_with(app: Playground) -> None:
    app.controls["steps"].value = 1234
    app.controls["sampler"].value = "sgnht"
    app.reset()
    assert app.controls["steps"].value == FAST["steps"]
    assert app.controls["sampler"].value == "sgld" and app.status == "ready"


def test_sampler_choice_restores_its_default_step_and_shows_its_hyperparameters(
    app: Playground,
) -> None:
    app.controls["sampler"].value = "sghmc"
    assert app.controls["step_size"].value == 3e-5
    assert app.controls["friction"].layout.display is None
    assert app.controls["b2"].layout.display == "none"
    app.controls["sampler"].value = "rmsprop_sgld"
    assert (
        app.configs[0].hyperparameter("b2") == 0.9999
        and app.configs[0].hyperparameter("friction") is None
    )
