"""The explorer's model side for a model of one's own (:mod:`llc_explorer.models`): the
model checked and made a problem once (:func:`open_model`), and the widgets' settings to a
validated :class:`RunConfig` (:func:`build_model_config`), as
:func:`~llc_explorer.apps.explorer.model.build_config` does for a DLN.

Nothing here touches a widget or a Bokeh object.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, NamedTuple

from llc_explorer.apps.explorer.model import ARCHITECTURE, CHUNK_FLOPS, memory_limit, parse_nbeta
from llc_explorer.config import RunConfig, chunk_size_for
from llc_explorer.dln.memory import check_memory
from llc_explorer.models.estimate import make_model_config, prepare_model
from llc_explorer.models.problem import Loss, ModelProblem

DLN_ONLY = (*ARCHITECTURE, "widths", "rank", "teacher", "n")
"""The explorer's settings that build a DLN (``n``: a model's is its data's number of rows);
a model's explorer has no widget for them."""


class UserModel(NamedTuple):
    """A model of one's own, checked: its problem (its loss, ``w*``, data and ``L_n(w*)``),
    its number of rows ``n`` and of parameters."""

    problem: ModelProblem
    n: int
    num_params: int

    @property
    def about(self) -> str:
        """What the settings panel says of the model (HTML)."""
        return (
            f"your model: d = {self.num_params:,} parameters, n = {self.n:,} rows of data; "
            "no exact LLC is known"
        )


def open_model(loss: Loss, params: Any, data: Any, settings: Mapping[str, Any]) -> UserModel:
    """The model of ``loss`` at ``params`` on ``data``, checked as
    :func:`llc_explorer.estimate_model_llc` checks it (with ``settings``): ``ConfigError``
    names bad input before anything compiles; then ``L_n(w*)`` is computed (compiled once)."""
    config, problem = prepare_model(loss, params, data, dict(settings))
    return UserModel(problem, config.n, problem.num_params)


def build_model_config(
    model: UserModel, values: Mapping[str, Any], limit: int | None = None
) -> RunConfig:
    """A validated run on ``model`` from the explorer's settings (``nbeta`` as text, blank for
    ``n / log n``), in the explorer's short chunks; ``ConfigError`` names a bad setting, or
    gives the memory estimate when it exceeds ``limit`` (default:
    :func:`~llc_explorer.apps.explorer.model.memory_limit`)."""
    settings = {name: value for name, value in values.items() if name not in DLN_ONLY}
    settings["nbeta"] = parse_nbeta(settings["nbeta"])
    config = make_model_config(model.n, model.num_params, **settings)
    chunk = chunk_size_for(
        model.num_params, config.chains, config.batch_size, flops=CHUNK_FLOPS, smallest=8
    )
    config = dataclasses.replace(config, chunk_size=chunk)
    check_memory(
        config,
        memory_limit() if limit is None else limit,
        where="the explorer allows",
        num_params=model.num_params,
        data_bytes=model.problem.data_bytes,
    )
    return config
