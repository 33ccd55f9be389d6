"""The gradient estimator: minibatch loss and its gradient at the current parameters.

At step ``t`` a chain draws a batch ``B_t`` of ``batch_size`` indices uniformly with
replacement and evaluates ``L_{B_t}(w_t)`` and ``g_t = grad L_{B_t}(w_t)`` in one pass; the
loss is what the LLC estimator records (spec section 3: no extra forward pass).
"""

from __future__ import annotations

import jax

from llc_explorer.data import Dataset
from llc_explorer.dln import Params, loss


def minibatch_loss_and_grad(
    params: Params, data: Dataset, batch_size: int, *, key: jax.Array
) -> tuple[jax.Array, Params]:
    """``(L_B(w), grad L_B(w))`` for a batch ``B`` of ``batch_size`` random rows of ``data``."""
    rows = jax.random.randint(key, (batch_size,), 0, data.x.shape[0])
    return jax.value_and_grad(loss)(params, data.x[rows], data.y[rows])
