"""Two-parameter losses with a known learning coefficient: the Playground's surfaces.

Each surface is a loss ``K(w) >= 0`` of ``w = (w1, w2)`` with ``K(w*) = 0`` at ``w* = 0``.
The sampler targets the localised, tempered posterior of spec section 3,
``p(w) ∝ exp(-n*beta*K(w) - (gamma/2)*||w||^2)``, and the LLC estimate is
``n*beta * E_p[K]``. Its exact limit as ``n*beta -> infinity`` is the learning coefficient
``lambda``, computed here by the package:

- ``(w1 w2)^2``: the smallest DLN (widths 1,1,1 at rank 0), by Aoyagi's theorem
  (:func:`llc_explorer.dln.truth.dln_llc`): ``lambda = 1/2``, ``m = 2``;
- ``w1^2 w2^4``: a normal crossing ``prod_j w_j^(2 k_j)``, ``lambda = min_j 1/(2 k_j)``,
  ``m`` = how many ``j`` attain the minimum (:func:`normal_crossing_llc`): ``1/4``, ``m = 1``;
- ``(w1^2 + w2^2)^k``: ``lambda = d/(2k)``, ``m = 1`` (:func:`radial_llc`): ``1`` for the
  regular quadratic (``k = 1``), ``1/2`` for the quartic (``k = 2``).

At finite ``n*beta`` an exact sampler converges to ``n*beta * E_p[K]``, which differs from
``lambda`` by a term that vanishes as ``n*beta`` grows, only like ``1/log(n*beta)`` when
``m > 1`` (0.110 for ``(w1 w2)^2`` at ``n*beta = 1000``); :func:`tempered_llc` computes it
by quadrature, so a sampler's own error can be told apart from the estimator's
finite-temperature bias.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from llc_explorer.dln.truth import LearningCoefficient, dln_llc
from llc_explorer.errors import ConfigError, lookup

Loss = Callable[[Any, Any], Any]
"""``K(w1, w2)`` written with arithmetic operators only, so it takes JAX or NumPy arrays."""


class Surface(NamedTuple):
    """A two-parameter loss ``K``, how to write it, and its exact learning coefficient."""

    name: str
    formula: str
    loss: Loss
    truth: LearningCoefficient
    source: str


def normal_crossing_llc(powers: Sequence[int]) -> LearningCoefficient:
    """``K = prod_j w_j^(2 k_j)`` (``k_j = powers[j] >= 0``, not all 0) with a prior that is
    positive at 0: ``lambda = min_{k_j > 0} 1/(2 k_j)``, ``m = #{j : 1/(2 k_j) = lambda}``."""
    if not powers or any(k < 0 for k in powers) or not any(powers):
        raise ConfigError(f"powers must be non-negative ints, not all 0; got {list(powers)}")
    poles = [Fraction(1, 2 * k) for k in powers if k > 0]
    llc = min(poles)
    return LearningCoefficient(llc, poles.count(llc))


def radial_llc(dim: int, power: int) -> LearningCoefficient:
    """``K = (||w||^2)^k`` in ``dim`` dimensions: ``lambda = dim/(2k)``, ``m = 1`` (the
    volume of ``{K < t}`` is a ball of radius ``t^(1/(2k))``, so it scales as
    ``t^(dim/(2k))``)."""
    if dim < 1 or power < 1:
        raise ConfigError(f"dim and power must be positive ints; got {dim}, {power}")
    return LearningCoefficient(Fraction(dim, 2 * power), 1)


SURFACES: dict[str, Surface] = {
    surface.name: surface
    for surface in (
        Surface(
            "dln",
            "(w₁w₂)²",
            lambda w1, w2: (w1 * w2) ** 2,
            dln_llc((1, 1, 1), 0),
            "the DLN with widths 1,1,1 at rank 0 (Aoyagi's theorem)",
        ),
        Surface(
            "crossing",
            "w₁²w₂⁴",
            lambda w1, w2: w1**2 * w2**4,
            normal_crossing_llc((1, 2)),
            "a normal crossing: min over j of 1/(2 k_j)",
        ),
        Surface(
            "regular",
            "w₁² + w₂²",
            lambda w1, w2: w1**2 + w2**2,
            radial_llc(2, 1),
            "a regular model: d/2",
        ),
        Surface(
            "quartic",
            "(w₁² + w₂²)²",
            lambda w1, w2: (w1**2 + w2**2) ** 2,
            radial_llc(2, 2),
            "a power of a quadratic: d/(2k)",
        ),
    )
}
"""The registry: surface name -> :class:`Surface`. Tests and the Playground iterate over it."""


def get_surface(name: str) -> Surface:
    """The surface registered under ``name``; ``ConfigError`` listing the choices otherwise."""
    return lookup("surface", name, SURFACES)


def surface_loss(surface: Surface, w: jax.Array) -> jax.Array:
    """``K(w)`` for ``w`` of shape ``(2,)``."""
    return surface.loss(w[0], w[1])


QUADRATURE_POINTS = 1601
"""Points per axis of :func:`tempered_llc`'s log-spaced grid (relative error below 1e-6 for
``n*beta`` up to 1e8; ``tests/surfaces/test_surfaces.py`` checks closed forms)."""


@functools.lru_cache(maxsize=64)
def tempered_llc(name: str, nbeta: float, gamma: float) -> float:
    """``n*beta * E_p[K]`` under ``p(w) ∝ exp(-n*beta K(w) - (gamma/2)||w||^2)``: the value an
    exact sampler's LLC estimate converges to at this temperature and localisation.

    Every surface is even in ``w1`` and in ``w2``, so one quadrant suffices; there the
    integrals are trapezoid sums over ``w_j = exp(u_j)``, ``u_j`` evenly spaced from
    ``log 1e-12`` to ``log(12/sqrt(gamma))``, which resolves the ridges of width
    ``~ (n*beta)^(-1/2)`` along the axes.
    """
    if not (math.isfinite(nbeta) and nbeta > 0 and math.isfinite(gamma) and gamma > 0):
        raise ConfigError(f"nbeta and gamma must be finite and > 0; got {nbeta}, {gamma}")
    loss = get_surface(name).loss
    u = np.linspace(math.log(1e-12), math.log(12 / math.sqrt(gamma)), QUADRATURE_POINTS)
    w = np.exp(u)
    w1, w2 = w[:, None], w[None, :]
    energy = nbeta * loss(w1, w2)
    weight = np.exp(-energy - 0.5 * gamma * (w1**2 + w2**2)) * w1 * w2
    return float((energy * weight).sum() / weight.sum())


@dataclass(frozen=True)
class SurfaceGradient:
    """The gradient estimator of a surface, with synthetic minibatch noise of level ``sigma``
    (the traced ``data`` argument of :func:`llc_explorer.sgmcmc.chains.run_chunk`).

    ``L_B(w) = chi * K(w)`` and ``grad L_B(w) = chi * grad K(w)`` with the log-normal
    ``chi = exp(s z - s^2/2)``, ``z ~ N(0, 1)``, ``s^2 = log(1 + sigma^2)``: positive, mean 1,
    standard deviation ``sigma`` (``chi = 1`` when ``sigma = 0``). As the minibatch loss of a
    realizable model, it is unbiased and its noise vanishes where ``K`` does.
    """

    surface: str

    def __call__(self, params: jax.Array, sigma: jax.Array, *, key: jax.Array):
        loss, grad = jax.value_and_grad(functools.partial(surface_loss, SURFACES[self.surface]))(
            params
        )

        def draw_chi() -> jax.Array:
            s = jnp.sqrt(jnp.log1p(sigma**2))
            return jnp.exp(s * jax.random.normal(key, (), params.dtype) - s**2 / 2)

        # sigma is the same for every chain, so this stays a branch: no draw without noise
        chi = jax.lax.cond(sigma > 0, draw_chi, lambda: jnp.ones((), params.dtype))
        return chi * loss, chi * grad
