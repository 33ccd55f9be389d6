"""The lab's pictures of the two-parameter surfaces (:mod:`llc_explorer.surfaces.library`):
sublevel sets and their volume scaling, the tempered posterior at several localisations, and
sampler paths. Each function computes its data on a grid (or by a short run of the package's
own samplers) and returns a Bokeh layout for the notebook to ``show``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from bokeh.layouts import column, row
from bokeh.models import Column, ColumnDataSource, LinearColorMapper, Row
from bokeh.palettes import Blues256, Category10_10, Greys256
from bokeh.plotting import figure

from llc_explorer.lab.geometry import (
    EXTENT_ENERGY,
    posterior_log_density,
    sublevel_volume,
)
from llc_explorer.surfaces.library import SURFACES, get_surface, tempered_llc
from llc_explorer.surfaces.sampling import estimate_surface_llc

PANEL = 230
"""Width and height of one square panel, in pixels."""

GRID_POINTS = 201
"""Points per axis of every image."""

VOLUME_LEVELS = np.logspace(-6, -1, 26)
"""The ``eps`` of the volume panel: five decades, five points each."""

MOMENTUM_SAMPLERS = ("sgld", "sghmc", "sgnht")
"""The samplers :func:`momentum_paths` compares: no momentum, friction, thermostat."""

PATH_CHUNK = 2000
"""Steps per compiled chunk of :func:`momentum_paths` (one compilation whatever ``steps``)."""

MIN_HALF_WIDTH = 0.1
"""Smallest half-width of the paths' square (chains that hardly moved still show)."""


def square_panel(title: str, half: float) -> figure:
    """An empty square panel over ``[-half, half]^2`` with axes ``w1``, ``w2``."""
    return figure(
        title=title, width=PANEL, height=PANEL, x_range=(-half, half), y_range=(-half, half),
        x_axis_label="w₁", y_axis_label="w₂", match_aspect=True, toolbar_location=None,
    )  # fmt: skip


def sublevel_index(surface: str, levels: Sequence[float]) -> np.ndarray:
    """``#{eps in levels : K(w) < eps}`` (bytes) on the grid over ``[-1, 1]^2`` (rows ``w2``):
    0 outside the largest set, ``len(levels)`` inside the smallest, so the sets show nested."""
    axis = np.linspace(-1.0, 1.0, GRID_POINTS)
    w1, w2 = np.meshgrid(axis, axis)
    loss = get_surface(surface).loss(w1, w2)
    return sum((loss < eps).astype(np.uint8) for eps in levels).astype(np.uint8)


def volume_panel() -> figure:
    """``log10 V(eps)`` against ``log10 eps`` for every surface (solid, named
    ``"volume-<surface>"``) with a dashed line of slope ``lambda`` through its first point:
    ``V(eps) ≈ c eps^lambda log(1/eps)^(m-1)``, so the curve bends away from it when ``m > 1``."""
    fig = figure(
        title="volume of {K < ε} in [-1, 1]² (dashed: slope λ)", width=2 * PANEL + 160,
        height=PANEL + 70, x_axis_label="log₁₀ ε", y_axis_label="log₁₀ V(ε)",
        toolbar_location=None,
    )  # fmt: skip
    x = np.log10(VOLUME_LEVELS)
    for (name, surface), color in zip(SURFACES.items(), Category10_10, strict=False):
        y = np.log10(sublevel_volume(name, VOLUME_LEVELS))
        source = ColumnDataSource({"x": x, "y": y})
        fig.line("x", "y", source=source, color=color, line_width=2, name=f"volume-{name}",
                 legend_label=f"{surface.formula}, λ = {surface.truth.llc}")  # fmt: skip
        reference = y[0] + float(surface.truth.llc) * (x - x[0])
        fig.line(x, reference, color=color, line_dash="dashed", name=f"slope-{name}")
    fig.legend.label_text_font_size = "9pt"
    fig.add_layout(fig.legend[0], "right")
    return fig


def sublevel_sets(levels: Sequence[float] = (1e-1, 1e-2, 1e-3)) -> Column:
    """One panel per surface of :data:`SURFACES` showing the nested sublevel sets
    ``{w in [-1, 1]^2 : K(w) < eps}`` for ``eps`` in ``levels`` (darker: smaller ``eps``), and
    the panel of :func:`volume_panel`, whose slope is ``lambda`` (``V(eps) ∝ eps^lambda`` for
    ``m = 1``; ``(w1 w2)^2`` has ``m = 2``, and its curve reads shallower than 1/2 here)."""
    mapper = LinearColorMapper(palette=Blues256[::-1], low=0, high=len(levels))
    panels = []
    for name, surface in SURFACES.items():
        fig = square_panel(f"{surface.formula}: λ = {surface.truth.llc}", 1.0)
        fig.image(image=[sublevel_index(name, levels)], x=-1, y=-1, dw=2, dh=2,
                  color_mapper=mapper, name=f"sublevel-{name}")  # fmt: skip
        panels.append(fig)
    return column(row(*panels), volume_panel())


def tempered_title(surface: str, nbeta: float, gamma: float) -> str:
    """``"gamma = ..: exact sampler reads <n*beta E_p[K]> (lambda = ..)"`` in Greek letters,
    the value by :func:`llc_explorer.surfaces.library.tempered_llc`."""
    value = tempered_llc(surface, nbeta, gamma)
    llc = get_surface(surface).truth.llc
    return f"\N{GREEK SMALL LETTER GAMMA} = {gamma:g}: exact sampler reads {value:.3f} (λ = {llc})"


def tempered_posteriors(
    surface: str = "dln", nbeta: float = 1000.0, gammas: Sequence[float] = (1.0, 10.0, 100.0)
) -> Row:
    """One panel per ``gamma``: the density ``p(w) ∝ exp(-n*beta K(w) - (gamma/2)||w||^2)``
    relative to its peak (:func:`llc_explorer.lab.geometry.posterior_log_density`) on a log scale
    from ``e^-8`` (white) to 1 (dark), on a square sized to where it is above ``e^-8``, titled by
    :func:`tempered_title`."""
    mapper = LinearColorMapper(palette=Blues256[::-1], low=-EXTENT_ENERGY, high=0.0)
    panels = []
    for gamma in gammas:
        log_density, half = posterior_log_density(surface, nbeta, gamma, GRID_POINTS)
        fig = square_panel(tempered_title(surface, nbeta, gamma), half)
        fig.width = fig.height = PANEL + 70
        fig.title.text_font_size = "8pt"
        image = log_density.astype(np.float32)  # half the bytes shipped to the browser
        fig.image(image=[image], x=-half, y=-half, dw=2 * half, dh=2 * half,
                  color_mapper=mapper, name=f"density-{gamma:g}")  # fmt: skip
        panels.append(fig)
    return row(*panels)


def log_loss_image(surface: str, nbeta: float, half: float) -> np.ndarray:
    """``log10 K(w)`` (float32) on the grid over ``[-half, half]^2``, raised to
    ``log10(1/(100 n*beta))`` where lower (inside the posterior's bulk, where
    ``n*beta K ~ 1``, it is all one colour)."""
    axis = np.linspace(-half, half, GRID_POINTS)
    w1, w2 = np.meshgrid(axis, axis)
    floor = 1 / (100 * nbeta)
    return np.log10(np.maximum(get_surface(surface).loss(w1, w2), floor)).astype(np.float32)


def momentum_paths(
    surface: str = "dln",
    steps: int = 10_000,
    seed: int = 0,
    *,
    nbeta: float = 1000.0,
    gamma: float = 1.0,
) -> Row:
    """SGLD, SGHMC and SGNHT side by side, each one chain of ``steps`` steps from ``w* = 0`` with
    the same ``seed`` and the samplers' default surface settings
    (:func:`llc_explorer.surfaces.sampling.estimate_surface_llc`, which records every position
    ``w_t``), drawn over ``log10 K`` on one square that holds every path. Each panel's line
    (named ``"path-<sampler>"``) holds the whole path."""
    runs = [
        estimate_surface_llc(
            surface,
            sampler=sampler,
            nbeta=nbeta,
            gamma=gamma,
            chains=1,
            steps=steps,
            seed=seed,
            chunk_size=min(steps, PATH_CHUNK),
        )
        for sampler in MOMENTUM_SAMPLERS
    ]
    paths = [run.path[0].astype(np.float64) for run in runs]
    half = 1.1 * max(MIN_HALF_WIDTH, *(float(np.abs(path).max()) for path in paths))
    background = log_loss_image(surface, nbeta, half)
    mapper = LinearColorMapper(palette=Greys256[64:], low=background.min(), high=background.max())
    shared = ColumnDataSource({"image": [background]})  # one copy for the three panels
    panels = []
    for run, path, color in zip(runs, paths, Category10_10, strict=False):
        sampler = run.config.sampler
        fig = square_panel(f"{sampler.upper()}, ε = {run.config.step_size:.0e}", half)
        fig.width = fig.height = PANEL + 70
        fig.image(image="image", source=shared, x=-half, y=-half, dw=2 * half, dh=2 * half,
                  color_mapper=mapper)  # fmt: skip
        source = ColumnDataSource({"x": path[:, 0].astype(np.float32),
                                   "y": path[:, 1].astype(np.float32)})  # fmt: skip
        fig.line("x", "y", source=source, color=color, line_width=1, line_alpha=0.8,
                 name=f"path-{sampler}")  # fmt: skip
        panels.append(fig)
    return row(*panels)
