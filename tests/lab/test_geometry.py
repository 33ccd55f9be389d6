"""The numbers behind the lab's surface pictures against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from llc_explorer.lab.geometry import (
    bisect_increasing,
    posterior_extent,
    posterior_log_density,
    sublevel_volume,
)

LEVELS = np.logspace(-6, -1, 6)


def test_bisection_finds_the_largest_point_below_the_level() -> None:
    found = bisect_increasing(np.square, np.array([0.25, 4.0, 0.0]), np.ones(1))
    # sqrt(0.25); f(1) = 1 < 4, so the bracket's end; nothing is below 0
    assert found == pytest.approx([0.5, 1.0, 0.0], abs=1e-12)


@pytest.mark.parametrize(
    ("surface", "area"),
    [
        ("regular", lambda eps: math.pi * eps),  # disc of radius eps^(1/2)
        ("quartic", lambda eps: math.pi * math.sqrt(eps)),  # disc of radius eps^(1/4)
        # |w1 w2| < sqrt(eps) in the square: 4 sqrt(eps) (1 + log(1/sqrt(eps)))
        ("dln", lambda eps: 4 * math.sqrt(eps) * (1 + 0.5 * math.log(1 / eps))),
    ],
)
def test_sublevel_volume_matches_closed_forms(surface: str, area) -> None:
    exact = np.array([area(eps) for eps in LEVELS])
    assert sublevel_volume(surface, LEVELS) == pytest.approx(exact, rel=1e-3)


def test_posterior_extent_matches_closed_forms() -> None:
    # regular: U - U(0) = (n beta + gamma/2) r^2 in every direction
    assert posterior_extent("regular", 1000.0, 1.0) == pytest.approx(math.sqrt(8 / 1000.5))
    # (w1 w2)^2: along an axis only the prior acts, gamma r^2 / 2 = 8
    for gamma in (1.0, 10.0, 100.0):
        assert posterior_extent("dln", 1000.0, gamma) == pytest.approx(4 / math.sqrt(gamma))


def test_log_density_peaks_at_zero_in_the_middle() -> None:
    log_density, half = posterior_log_density("dln", 1000.0, 10.0, points=101)
    assert log_density.shape == (101, 101) and np.isfinite(log_density).all()
    assert log_density[50, 50] == 0.0 == log_density.max()
    assert half == pytest.approx(1.1 * 4 / math.sqrt(10.0))
    # the edge of the square lies beyond the extent: density below e^-8 there
    assert log_density[50, 0] < -8 and log_density[0, 50] < -8
