"""The lab's surface figures: Bokeh layouts whose data sources hold finite numbers of the right
shapes, whose volume curves have the slopes lambda, and whose titles carry the tempered value."""

from __future__ import annotations

import numpy as np
import pytest
from bokeh.models import GlyphRenderer, LayoutDOM, Plot

from llc_explorer.lab import momentum_paths, sublevel_sets, tempered_posteriors
from llc_explorer.lab.figures import GRID_POINTS, MOMENTUM_SAMPLERS, VOLUME_LEVELS
from llc_explorer.surfaces.library import SURFACES, tempered_llc


def renderer(layout: LayoutDOM, name: str) -> GlyphRenderer:
    (found,) = layout.select({"type": GlyphRenderer, "name": name})
    return found


def data(layout: LayoutDOM, name: str) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in renderer(layout, name).data_source.data.items()}


@pytest.fixture(scope="module")
def sublevels() -> LayoutDOM:
    return sublevel_sets()


def test_sublevel_panels_show_nested_sets(sublevels: LayoutDOM) -> None:
    plots = list(sublevels.select({"type": Plot}))
    assert len(plots) == len(SURFACES) + 1
    for name, surface in SURFACES.items():
        (image,) = data(sublevels, f"sublevel-{name}")["image"]
        assert image.shape == (GRID_POINTS, GRID_POINTS) and np.isfinite(image).all()
        assert set(np.unique(image)) <= {0.0, 1.0, 2.0, 3.0}
        assert image[GRID_POINTS // 2, GRID_POINTS // 2] == 3  # w* lies in every set
        titles = [p.title.text for p in plots]
        assert f"{surface.formula}: λ = {surface.truth.llc}" in titles


@pytest.mark.parametrize(("surface", "slope"), [("regular", 1.0), ("quartic", 0.5)])
def test_volume_slopes_are_lambda(sublevels: LayoutDOM, surface: str, slope: float) -> None:
    curve = data(sublevels, f"volume-{surface}")
    assert curve["x"].shape == curve["y"].shape == VOLUME_LEVELS.shape
    assert np.isfinite(curve["y"]).all()
    fitted = np.polyfit(curve["x"], curve["y"], 1)[0]
    assert fitted == pytest.approx(slope, rel=0.03)


def test_the_cross_reads_shallower_than_its_lambda(sublevels: LayoutDOM) -> None:
    # (w1 w2)^2 has m = 2: V ~ c eps^(1/2) log(1/eps), so the fitted slope is below 1/2
    curve = data(sublevels, "volume-dln")
    fitted = np.polyfit(curve["x"], curve["y"], 1)[0]
    assert 0.3 < fitted < 0.45
    reference = data(sublevels, "slope-dln")
    assert np.polyfit(reference["x"], reference["y"], 1)[0] == pytest.approx(0.5)


def test_tempered_titles_carry_the_exact_sampler_value() -> None:
    gammas = (1.0, 10.0, 100.0)
    layout = tempered_posteriors("dln", 1000.0, gammas)
    titles = [panel.title.text for panel in layout.children]
    for gamma, title in zip(gammas, titles, strict=True):
        value = tempered_llc("dln", 1000.0, gamma)
        assert title.startswith(f"\N{GREEK SMALL LETTER GAMMA} = {gamma:g}: exact sampler")
        assert title.endswith(f"reads {value:.3f} (λ = 1/2)")
        (image,) = data(layout, f"density-{gamma:g}")["image"]
        assert image.shape == (GRID_POINTS, GRID_POINTS) and np.isfinite(image).all()
        assert image.max() == 0.0


def test_momentum_paths_hold_each_sampler_s_whole_path() -> None:
    layout = momentum_paths("dln", steps=600, seed=1)
    for sampler in MOMENTUM_SAMPLERS:
        path = data(layout, f"path-{sampler}")
        assert path["x"].shape == path["y"].shape == (600,)
        assert np.isfinite(path["x"]).all() and np.isfinite(path["y"]).all()
        assert np.abs(path["x"]).max() > 0  # the chain moved
    plot = next(iter(layout.select({"type": Plot})))
    half = plot.x_range.end
    assert all(np.abs(data(layout, f"path-{s}")["x"]).max() < half for s in MOMENTUM_SAMPLERS)
