"""The gradient estimator: minibatch loss and its gradient at the current parameters.

At step ``t`` a chain draws a batch ``B_t`` of ``batch_size`` indices uniformly with
replacement and evaluates ``L_{B_t}(w_t)`` and ``g_t = grad L_{B_t}(w_t)`` in one pass; the
loss is what the LLC estimator records (spec section 3: no extra forward pass).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax

from llc_explorer.dln.data import Dataset
from llc_explorer.dln.model import Params, loss


def minibatch_loss_and_grad(
    params: Params, data: Dataset, batch_size: int, *, key: jax.Array
) -> tuple[jax.Array, Params]:
    """``(L_B(w), grad L_B(w))`` for a batch ``B`` of ``batch_size`` random rows of ``data``."""
    rows = jax.random.randint(key, (batch_size,), 0, data.x.shape[0])
    return jax.value_and_grad(loss)(params, data.x[rows], data.y[rows])


@dataclass(frozen=True)
class MinibatchGradient:
    """The DLN gradient estimator of :func:`llc_explorer.sgmcmc.chains.run_chunk`: its ``data``
    argument is the :class:`~llc_explorer.dln.data.Dataset` (hashable by value, so compiled
    chunks are cached per batch size)."""

    batch_size: int

    def __call__(self, params: Params, data: Dataset, *, key: jax.Array):
        return minibatch_loss_and_grad(params, data, self.batch_size, key=key)
