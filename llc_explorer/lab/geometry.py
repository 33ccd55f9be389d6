"""The numbers behind the lab's surface pictures: sublevel-set volumes and the tempered
posterior's density, on the two-parameter surfaces of :mod:`llc_explorer.surfaces.library`.

Every surface ``K`` there is even in ``w1`` and in ``w2`` and nondecreasing in ``|w2|`` at fixed
``w1`` and along every ray from ``w* = 0``; both facts reduce the areas and extents below to
bisections of ``K`` itself, so they hold for any surface written with ``surface.loss``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from llc_explorer.surfaces.library import get_surface

BISECTIONS = 60
"""Halvings of each bisection (the bracket shrinks by ``2^-60``: float64 resolution)."""

VOLUME_POINTS = 4001
"""Points of the log-spaced ``w1`` grid of :func:`sublevel_volume`."""

SMALLEST_W = 1e-12
"""Lower end of that grid: the strip ``|w1| < 1e-12`` adds at most ``4e-12`` to the area."""

EXTENT_ENERGY = 8.0
"""The posterior's plotted extent reaches where ``U(w) - U(0) = 8`` (density ``e^-8 ≈ 3e-4``
of its peak)."""

EXTENT_DIRECTIONS = 90
"""Directions from ``w*`` searched for that extent (half a turn: the density is even)."""


def bisect_increasing(
    f: Callable[[np.ndarray], np.ndarray], level: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """The largest ``x`` in ``[0, high]`` with ``f(x) < level``, elementwise, for ``f``
    nondecreasing on ``[0, high]`` (``high`` itself where ``f(high) < level``)."""
    lo, hi = np.zeros_like(level), np.broadcast_to(high, level.shape).astype(np.float64)
    inside = f(hi) < level
    for _ in range(BISECTIONS):
        mid = (lo + hi) / 2
        below = f(mid) < level
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return np.where(inside, hi, lo)


def sublevel_volume(surface: str, levels: np.ndarray) -> np.ndarray:
    """``V(eps) = |{w in [-1, 1]^2 : K(w) < eps}|`` for each ``eps`` in ``levels``.

    ``V(eps) = 4 * integral_0^1 b_eps(w1) dw1`` with ``b_eps(w1) = sup{w2 in [0, 1] : K(w1, w2)
    < eps}`` found by bisection, the integral a trapezoid sum over ``w1 = e^u``, ``u`` evenly
    spaced on ``[log 1e-12, 0]`` (``dw1 = w1 du``), which resolves ``b`` near ``w1 = 0``.
    """
    loss = get_surface(surface).loss
    eps = np.asarray(levels, np.float64)[:, None]
    u = np.linspace(np.log(SMALLEST_W), 0.0, VOLUME_POINTS)
    w1 = np.exp(u)[None, :]
    width = bisect_increasing(
        lambda w2: loss(w1, w2), np.broadcast_to(eps, (eps.size, u.size)), np.ones(1)
    )
    return 4 * np.trapezoid(width * w1, u, axis=1)


def potential(surface: str, nbeta: float, gamma: float, w1: np.ndarray, w2: np.ndarray):
    """``U(w) = n*beta K(w) + (gamma/2) ||w||^2``, the tempered posterior's negative log
    density up to a constant (spec section 3, ``w* = 0``)."""
    return nbeta * get_surface(surface).loss(w1, w2) + 0.5 * gamma * (w1**2 + w2**2)


def posterior_extent(surface: str, nbeta: float, gamma: float) -> float:
    """The largest ``r`` over ``EXTENT_DIRECTIONS`` directions ``theta`` with
    ``U(r cos theta, r sin theta) < U(0) + EXTENT_ENERGY``: ``U`` increases along rays, and at
    ``r = sqrt(2 * EXTENT_ENERGY / gamma)`` the prior term alone reaches the energy."""
    theta = np.linspace(0.0, np.pi, EXTENT_DIRECTIONS, endpoint=False)
    c, s = np.cos(theta), np.sin(theta)
    reach = np.sqrt(2 * EXTENT_ENERGY / gamma) * np.ones_like(theta)
    radius = bisect_increasing(
        lambda r: potential(surface, nbeta, gamma, r * c, r * s),
        np.full_like(theta, EXTENT_ENERGY),
        reach,
    )
    return float(radius.max())


def posterior_log_density(
    surface: str, nbeta: float, gamma: float, points: int = 201
) -> tuple[np.ndarray, float]:
    """``log(p(w) / p(0)) = -(U(w) - U(0))`` on a ``points x points`` grid over ``[-a, a]^2``,
    ``a = 1.1 *`` :func:`posterior_extent` (rows ``w2``, columns ``w1``), and ``a``."""
    half = 1.1 * posterior_extent(surface, nbeta, gamma)
    axis = np.linspace(-half, half, points)
    w1, w2 = np.meshgrid(axis, axis)
    return -potential(surface, nbeta, gamma, w1, w2), half
