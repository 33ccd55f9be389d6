"""Recipes for networks written with Equinox or Flax NNX: each splits a model into the
float parameters the chains sample and the rest, and returns ``(loss, params)`` for
:func:`llc_explorer.estimate_model_llc`. ``model_loss(model, batch) -> scalar`` is the mean
loss of a minibatch, written against the model as one writes it for training.

Neither library is a dependency of ``llc_explorer`` (``pip install ".[models]"``); each is
imported when its recipe is called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llc_explorer.models.problem import Loss

INSTALL = 'pip install ".[models]" (in a clone of llc_explorer)'


def from_equinox(model: Any, model_loss: Callable[[Any, Any], Any]) -> tuple[Loss, Any]:
    """``(loss, params)`` of an Equinox module: ``params`` its inexact arrays
    (``eqx.partition(model, eqx.is_inexact_array)``), the rest closed over and recombined with
    ``eqx.combine`` in the loss."""
    try:
        import equinox as eqx
    except ImportError:
        raise ImportError(f"from_equinox needs equinox: {INSTALL}") from None
    params, static = eqx.partition(model, eqx.is_inexact_array)

    def loss(params: Any, batch: Any) -> Any:
        return model_loss(eqx.combine(params, static), batch)

    return loss, params


def from_nnx(model: Any, model_loss: Callable[[Any, Any], Any]) -> tuple[Loss, Any]:
    """``(loss, params)`` of a Flax NNX module: ``params`` its ``nnx.Param`` state
    (``nnx.split(model, nnx.Param, ...)``), the graph and the other state (batch statistics,
    random-number state) closed over and merged back with ``nnx.merge`` in the loss."""
    try:
        from flax import nnx
    except ImportError:
        raise ImportError(f"from_nnx needs flax: {INSTALL}") from None
    graph, params, *rest = nnx.split(model, nnx.Param, ...)

    def loss(params: Any, batch: Any) -> Any:
        return model_loss(nnx.merge(graph, params, *rest), batch)

    return loss, params
