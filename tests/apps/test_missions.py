"""The Playground's guided missions and its "show one step" arrows, headless."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from html import escape
from typing import Any

import numpy as np
import pytest
from readouts import readout_rows

from llc_explorer import Playground
from llc_explorer.apps.playground.missions import MISSIONS
from llc_explorer.apps.playground.step_arrows import ARROW_SHARE

Make = Callable[..., Playground]


@pytest.fixture
def make() -> Iterator[Make]:
    """Make Playgrounds (no pause between frames), stopped at the end of the test."""
    made: list[Playground] = []

    def playground(*args: Any, **settings: Any) -> Playground:
        made.append(Playground(*args, frame_interval=0.0, **settings))
        return made[-1]

    yield playground
    for app in made:
        app.stop()
        app.wait(30)


@pytest.mark.parametrize("name", list(MISSIONS))
def test_every_mission_shows_its_box_and_sets_its_controls(make: Make, name: str) -> None:
    mission = MISSIONS[name]
    app = make(name)
    box = app.ui.mission
    assert box.layout.display is None
    assert f"Mission {mission.number}: {escape(mission.title)}" in box.value
    assert f"<b>{escape(mission.question)}</b>" in box.value
    assert "<details>" in box.value and escape(mission.notice) in box.value  # folded
    for setting, value in mission.settings.items():
        assert app.controls[setting].value == value, setting
    assert app.configs and not app.ui.run.disabled


def test_missions_are_numbered_in_order() -> None:
    assert [m.number for m in MISSIONS.values()] == list(range(1, len(MISSIONS) + 1))


def test_no_preset_shows_no_mission_box(make: Make) -> None:
    assert make().ui.mission.layout.display == "none"


def test_explicit_settings_override_the_preset_and_reset_restores_them(make: Make) -> None:
    app = make("diverge", step_size=1.9e-3, chains=4)
    assert app.controls["step_size"].value == 1.9e-3 and app.controls["chains"].value == 4
    assert app.controls["surface"].value == "regular"
    app.controls["surface"].value = "dln"
    app.controls["sampler"].value = "sghmc"
    app.controls["show_step"].value = False
    app.reset()
    assert app.controls["surface"].value == "regular" and app.controls["sampler"].value == "sgld"
    assert app.controls["step_size"].value == 1.9e-3 and app.controls["show_step"].value


def test_reset_restores_a_compare_preset(make: Make) -> None:
    app = make("adam_bias")
    app.controls["compare"].value = False
    app.controls["compare_sampler"].value = "sgnht"
    app.reset()
    assert app.controls["compare"].value and app.controls["compare_sampler"].value == "adam_sgld"
    assert (
        app.controls["compare_step_size"].value
        == MISSIONS["adam_bias"].settings["compare_step_size"]
    )


def test_an_unknown_preset_raises_naming_the_choices() -> None:
    with pytest.raises(ValueError, match="preset must be one of cross, diverge, momentum") as err:
        Playground("crosss")
    assert "did you mean 'cross'" in str(err.value)


def test_diverge_diverges_just_above_4_over_h_and_not_just_below(make: Make) -> None:
    app = make("diverge", steps=2000, chunk_size=1000)
    assert app.run(block=True) and app.status == "done"
    (result,) = app.results
    assert len(result.diverged_chains) == result.config.chains == 32
    assert readout_rows(app.ui.readout.value)["sgld"][3] == "32 of 32"
    app.controls["step_size"].value = 1.9e-3
    app.run(block=True)
    (result,) = app.results
    assert not result.diverged_chains
    assert readout_rows(app.ui.readout.value)["sgld"][3] == "0 of 32"
    # the notice's "about 20 against λ = 1": nβ E[K] = nβ (2/h) / (1 - εh/4), h = 2nβ + gamma
    h = 2 * 1000 + 1
    assert result.llc_mean == pytest.approx(1000 * 2 / h / (1 - 1.9e-3 * h / 4), rel=0.15)


def test_adam_bias_reads_above_the_exact_line_and_sgld_on_it(make: Make) -> None:
    app = make("adam_bias", steps=20_000, chunk_size=10_000)
    app.run(block=True)
    sgld, adam = app.results
    assert sgld.llc_mean == pytest.approx(sgld.tempered_llc, abs=4 * sgld.llc_stderr + 0.02)
    assert adam.llc_mean > sgld.tempered_llc + 4 * adam.llc_stderr


def test_momentum_runs_sgld_and_sghmc_side_by_side_on_the_same_seed(make: Make) -> None:
    app = make("momentum", steps=2000, chunk_size=1000)
    assert app.plots.panels[1].layout.visible
    app.run(block=True)
    left, right = app.results
    assert (left.config.sampler, right.config.sampler) == ("sgld", "sghmc")
    assert left.config.seed == right.config.seed
    # the same noise draws: SGHMC's first move is sqrt(alpha) times SGLD's (from w* = 0)
    friction = right.config.hyperparameter("friction")
    np.testing.assert_allclose(right.path[:, 1], np.sqrt(friction) * left.path[:, 1], rtol=1e-5)
    assert all(len(panel.sources["step"].data["kind"]) == 3 for panel in app.plots.panels)


def potential_gradient_dln(w: np.ndarray, nbeta: float, gamma: float) -> np.ndarray:
    """``U'(w)`` for ``K = (w1 w2)^2``, by hand."""
    w1, w2 = w
    return nbeta * np.array([2 * w1 * w2**2, 2 * w1**2 * w2]) + gamma * w


def recorded_step(app: Playground, panel: int = 0) -> tuple[dict, np.ndarray, np.ndarray]:
    """The arrows' data by kind, and chain 0's last recorded ``w_t`` and move."""
    data = app.plots.panels[panel].sources["step"].data
    rows = {kind: i for i, kind in enumerate(data["kind"])}
    arrows = {k: np.array([data["dx"][i], data["dy"][i]]) for k, i in rows.items()}
    path = app.results[panel].path[0].astype(np.float64)
    return arrows, path[-2], path[-1] - path[-2]


@pytest.mark.parametrize(("sampler", "extra"), [("sgld", {}), ("sghmc", {"friction": 1.0})])
def test_show_step_splits_the_last_move_into_drift_and_noise(
    make: Make, sampler: str, extra: dict
) -> None:
    app = make(surface="dln", sampler=sampler, step_size=1e-3, nbeta=50.0, steps=3000,
               chunk_size=3000, show_step=True, **extra)  # fmt: skip
    panel = app.plots.panels[0]
    assert panel.arrows.visible and all(note.visible for note in panel.step_notes)
    app.run(block=True)
    arrows, w, move = recorded_step(app)
    expected = -(1e-3 / 2) * potential_gradient_dln(w, 50.0, 1.0)  # SGHMC at alpha = 1: SGLD
    np.testing.assert_allclose(arrows["drift"], expected, rtol=1e-6)
    np.testing.assert_allclose(arrows["drift"] + arrows["noise"], move, rtol=0, atol=1e-15)
    np.testing.assert_allclose(arrows["move"], move, rtol=0, atol=1e-15)
    data = panel.sources["step"].data
    assert np.allclose(data["x0"], w[0]) and np.allclose(data["y0"], w[1])  # all from w_t
    drawn = np.hypot(np.subtract(data["x1"], data["x0"]), np.subtract(data["y1"], data["y0"]))
    scale = drawn / np.hypot(data["dx"], data["dy"])  # one magnification for all three
    assert np.allclose(scale, scale[0]) and drawn.max() == pytest.approx(ARROW_SHARE * 3)
    assert panel.step_notes[1].text == "drift (red) + noise (magenta)"


def test_preconditioned_samplers_show_only_the_move_and_say_why(make: Make) -> None:
    app = make(sampler="rmsprop_sgld", steps=500, chunk_size=500, show_step=True)
    app.run(block=True)
    arrows, _, move = recorded_step(app)
    assert list(arrows) == ["move"] and np.allclose(arrows["move"], move)
    assert "drift needs every past gradient" in app.plots.panels[0].step_notes[1].text


def test_with_minibatch_noise_the_drift_drawn_is_its_mean(make: Make) -> None:
    note = make("minibatch").plots.panels[0].step_notes[1].text
    assert note.startswith("mean drift (red) + noise, minibatch's too")


def test_ticking_show_step_neither_stops_a_run_nor_marks_it_stale(make: Make) -> None:
    app = make(steps=2000, chunk_size=1000)
    panel = app.plots.panels[0]
    assert not panel.arrows.visible
    app.run(block=True)
    app.controls["show_step"].value = True
    assert panel.arrows.visible and panel.step_notes[0].visible and app.status == "done"
    assert "stale" not in panel.surface_figure.title.text


@pytest.mark.parametrize(("sampler", "scale"), [("sghmc", "friction"), ("sgnht", "diffusion")])
def test_momentum_samplers_noise_arrow_is_the_same_draw_as_sglds(
    make: Make, sampler: str, scale: str
) -> None:
    """Their drift carries the momentum (SGNHT's thermostat too) rebuilt from the path: what
    is left is ``sqrt(scale * eps) * eta`` with SGLD's ``sqrt(eps) * eta`` on the same seed."""
    app = make(compare=True, compare_sampler=sampler, steps=3000, chunk_size=3000,
               show_step=True)  # fmt: skip
    app.run(block=True)
    sgld_noise = recorded_step(app, 0)[0]["noise"]
    noise = recorded_step(app, 1)[0]["noise"]
    factor = np.sqrt(app.results[1].config.hyperparameter(scale))
    np.testing.assert_allclose(noise, factor * sgld_noise, rtol=1e-3)
