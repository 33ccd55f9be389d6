"""What a chain samples and where its gradient comes from: the tempered, localised potential

    U(w) = n*beta * L(w) + (gamma/2) * ||w - w*||^2,

its gradient ``U'`` from a minibatch loss gradient ``g = grad L_B(w)``, and the type of the
gradient estimator that supplies ``g`` (BlackJAX's SGMCMC keeps its gradient estimator apart in
the same way: the samplers, :mod:`llc_explorer.sgmcmc.samplers`, see only ``g`` and ``U'``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax

from llc_explorer.sgmcmc.tree import Array, Tree

GradientEstimator = Callable[..., tuple[Array, Tree]]
"""``estimate(params, data, *, key) -> (L_B(w), grad L_B(w))``, hashable by value (a compiled
chunk is cached per estimator: :mod:`llc_explorer.sgmcmc.chains`). For example
:class:`llc_explorer.dln.gradients.MinibatchGradient` for a DLN and
:class:`llc_explorer.surfaces.library.SurfaceGradient` for a two-parameter surface."""


class Potential(NamedTuple):
    """The tempered, localised potential ``n*beta*L(w) + (gamma/2) * ||w - center||^2``."""

    nbeta: Array
    gamma: Array
    center: Tree


def potential_gradient(params: Tree, loss_grad: Tree, potential: Potential) -> Tree:
    """``U' = n*beta * g + gamma * (w - w*)``."""
    return jax.tree.map(
        lambda w, g, c: potential.nbeta * g + potential.gamma * (w - c),
        params,
        loss_grad,
        potential.center,
    )
