"""The LLC of a model of one's own (:mod:`llc_explorer.models.problem`), by the estimator the
DLNs use: the same chain runner, samplers, automatic step size and run length, interval,
diagnostics and warnings (:func:`llc_explorer.estimator.stream_batch`), at ``w* = params``.

Settings are those of :func:`llc_explorer.estimate_llc` that do not build a DLN (every
setting of :data:`llc_explorer.settings.SETTINGS` but those of kind ``problem``, the seed
aside): ``n`` is the data's number of rows and ``n*beta`` defaults to ``n / log n``. The
result's exact values are ``None``; the interval's systematic part (5%) was calibrated on
DLNs only.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import jax

from llc_explorer.config import RunConfig, resolve_run, with_auto_step
from llc_explorer.errors import ConfigError
from llc_explorer.estimator import stream_batch
from llc_explorer.models.problem import (
    Loss,
    ModelProblem,
    check_data,
    check_loss,
    check_params,
    model_problem,
)
from llc_explorer.result import LLCResult
from llc_explorer.settings import SETTINGS
from llc_explorer.sgmcmc.chains import last

MODEL_SETTINGS = tuple(
    name for name, s in SETTINGS.items() if s.kind != "problem" or name == "seed"
)
"""The settings a model's run takes (the seed seeds the chains' noise and minibatches)."""


def make_model_config(n: int, num_params: int, /, **settings: Any) -> RunConfig:
    """The resolved run on ``n`` rows and ``num_params`` parameters; ``ConfigError`` names a
    bad setting, or one that builds a DLN (``widths``, ``teacher``, ...)."""
    if "n" in settings:
        raise ConfigError(f"n is the number of rows in data ({n:,}); it is not a setting here")
    values = resolve_run(num_params, {**settings, "n": n}, (*MODEL_SETTINGS, "n"))
    return RunConfig(**values)


def prepare_model(
    loss: Loss, params: Any, data: Any, settings: dict[str, Any]
) -> tuple[RunConfig, ModelProblem]:
    """The run and the problem of a model: parameters, data, settings and loss checked
    (``ConfigError`` names bad input before anything compiles), then ``L_n(w*)`` computed."""
    params = check_params(params)
    data, n = check_data(data)
    size = sum(leaf.size for leaf in jax.tree.leaves(params))
    config = make_model_config(n, size, **with_auto_step(settings))
    check_loss(loss, params, data, config.batch_size)
    return config, model_problem(loss, params, data)


def stream_model_llc(
    loss: Loss, params: Any, data: Any, **settings: Any
) -> Generator[LLCResult[RunConfig], None, None]:
    """Streaming form of :func:`estimate_model_llc`: a partial result after every chunk."""
    config, problem = prepare_model(loss, params, data, settings)
    for (result,) in stream_batch([config], problem=problem):
        yield result


def estimate_model_llc(loss: Loss, params: Any, data: Any, **settings: Any) -> LLCResult[RunConfig]:
    """The LLC of the model ``loss`` at ``params``, on ``data``.

    ``loss(params, batch) -> scalar`` is the mean loss of a minibatch (a pytree of arrays
    sharing a leading axis, as ``data``); ``params`` is any pytree of float arrays (the point
    ``w*``); ``data`` is a pytree of arrays sharing a leading axis of length ``n``. Settings as
    for :func:`llc_explorer.estimate_llc` (sampler, step_size, ``"auto"`` by default where the
    sampler has a MALA acceptance, nbeta, gamma, batch_size, chains, steps, burn_in, seed, ...
    and the sampler's hyperparameters), less those that build a DLN. Bad input raises
    :class:`llc_explorer.ConfigError` before anything compiles.
    """
    return last(stream_model_llc(loss, params, data, **settings))
