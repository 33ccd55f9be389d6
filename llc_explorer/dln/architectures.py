"""Seeded random DLN architectures in the paper's size classes (about 1e3 ... 1e8 parameters).

A draw picks the number of matrices ``M`` uniformly in ``[2, 6]``, each width uniformly in
``[w/2, 3w/2]`` with ``w = sqrt(D / M)`` for the class size ``D``, and keeps the draw when its
parameter count lies within half a decade of ``D`` (``D / sqrt(10) <= d <= D * sqrt(10)``).
Each layer is then rank-reduced with probability 1/2 to a rank uniform in
``[1, min(H_j, H_{j-1})]``, as in the paper; the product's rank ``r`` is the smallest width or
reduced rank. The teacher then gives **every** layer rank ``r`` (the ``"minimal"``
construction of :func:`llc_explorer.dln.model.make_teacher`), at which Aoyagi's value is the local
learning coefficient (docs/TRUTH.md); ``layer_ranks`` records those ranks.
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import numpy as np

from llc_explorer.dln.truth import num_params
from llc_explorer.errors import ConfigError

SIZE_CLASSES = (1e3, 1e4, 1e5, 1e6, 1e7, 1e8)
"""The paper's model sizes, in parameters."""

DEPTH_RANGE = (2, 6)
"""Inclusive range of the number of weight matrices ``M``."""


class Architecture(NamedTuple):
    """A DLN architecture: widths (input to output), the ranks its teacher's layers get, and
    the product's rank."""

    widths: tuple[int, ...]
    layer_ranks: tuple[int, ...]
    rank: int

    @property
    def num_params(self) -> int:
        """Parameter count ``d``."""
        return num_params(self.widths)


def size_class(value: float | str) -> float:
    """Parse a size class such as ``1e4`` or ``"1e4"``; ``ValueError`` if it is not listed."""
    try:
        size = float(value)
    except (TypeError, ValueError):
        size = math.nan
    if size not in SIZE_CLASSES:
        listed = ", ".join(f"{s:.0e}" for s in SIZE_CLASSES)
        raise ConfigError(f"size class must be one of {listed}; got {value!r}")
    return size


def random_architecture(rng: np.random.Generator, size: float) -> Architecture:
    """One architecture of about ``size`` parameters drawn with ``rng`` (see module docstring)."""
    while True:
        depth = int(rng.integers(DEPTH_RANGE[0], DEPTH_RANGE[1] + 1))
        base = math.sqrt(size / depth)
        low, high = max(1, math.ceil(base / 2)), max(1, math.floor(3 * base / 2))
        widths = tuple(int(h) for h in rng.integers(low, high + 1, size=depth + 1))
        if size / math.sqrt(10) <= num_params(widths) <= size * math.sqrt(10):
            break
    reduced = [
        int(rng.integers(1, min(h_in, h_out) + 1)) if rng.random() < 0.5 else min(h_in, h_out)
        for h_in, h_out in itertools.pairwise(widths)
    ]
    rank = min(*widths, *reduced)
    return Architecture(widths, (rank,) * depth, rank)


def random_architectures(size: float | str, count: int, *, seed: int) -> list[Architecture]:
    """``count`` architectures of size class ``size``, reproducible from ``seed``."""
    size = size_class(size)
    rng = np.random.default_rng([seed, int(size)])
    return [random_architecture(rng, size) for _ in range(count)]


TINY_PARAMS = (20, 100)
"""Parameter counts ``[low, high)`` of the tiny DLNs (:func:`random_tiny_architectures`)."""


def random_tiny_architectures(count: int, *, seed: int) -> list[Architecture]:
    """``count`` tiny DLNs (``20 <= d < 100``: the size of the tutorial, the Playground and
    other SGMCMC libraries' accuracy tests), reproducible from ``seed``: 2 to 4 matrices,
    widths uniform in ``[1, 7]``, product rank uniform in ``[0, min(widths)]``, every layer of
    the teacher at that rank (the minimal teacher)."""
    rng = np.random.default_rng([seed, 100])
    out: list[Architecture] = []
    while len(out) < count:
        depth = int(rng.integers(2, 5))
        widths = tuple(int(h) for h in rng.integers(1, 8, size=depth + 1))
        if TINY_PARAMS[0] <= num_params(widths) < TINY_PARAMS[1]:
            rank = int(rng.integers(0, min(widths) + 1))
            out.append(Architecture(widths, (rank,) * depth, rank))
    return out
