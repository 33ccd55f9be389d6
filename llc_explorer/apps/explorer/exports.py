"""What a run in the explorer leaves behind: the ``estimate_llc`` call and the
``llc-explorer estimate`` line that reproduce it (every setting that differs from the
defaults, and the step size (a number, or ``auto`` when it adapts) and chunk length always,
since the explorer runs in its own chunks; for a model of one's own, the
``estimate_model_llc`` call alone, as the command line has no model), and the run's traces
and summary as a zip file for the browser to download. Pure functions: nothing here touches
a widget.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import io
import json
import zipfile
from html import escape
from typing import Any

from llc_explorer.config import LLCConfig, RunConfig, make_config
from llc_explorer.estimator import LLCResult
from llc_explorer.models.estimate import MODEL_SETTINGS, make_model_config
from llc_explorer.settings import REQUIRED, SETTINGS, flags

ALWAYS = ("step_size", "chunk_size")
"""Settings every reproduction states: the explorer's step size (a fixed one, or ``"auto"``:
``estimate_llc``'s default depends on the sampler) and its chunks, which are short (the
warm-up switches and the step size adapts at chunk boundaries)."""

FIELDS = tuple(
    name
    for name, setting in SETTINGS.items()
    if setting.default is not REQUIRED and name in {f.name for f in dataclasses.fields(LLCConfig)}
)
"""The settings a config holds, in their declared order (not the widths and the rank, which
every reproduction gives, nor ``max_steps``, which a config of a fixed length does not keep)."""

MODEL_FIELDS = tuple(name for name in FIELDS if name in MODEL_SETTINGS)
"""The settings a model's config holds (not ``n``, the number of rows of its data)."""


def changed_settings(config: RunConfig, num_params: int | None = None) -> dict[str, Any]:
    """The settings of ``config`` that ``estimate_llc`` (for a model's run, of ``num_params``
    parameters: ``estimate_model_llc``) needs to reproduce it exactly, in their declared
    order: each that differs from its default (:data:`llc_explorer.settings.SETTINGS`; for a
    derived one, such as ``nbeta``, the value the others imply), the sampler's own
    hyperparameters that differ from its defaults, then ``ALWAYS``."""
    names = FIELDS if isinstance(config, LLCConfig) else MODEL_FIELDS
    declared = {name: SETTINGS[name].default for name in names}
    given = {name: getattr(config, name) for name, value in declared.items() if value is not None}
    if isinstance(config, LLCConfig):
        implied: RunConfig = make_config(config.widths, config.rank, **given)
    else:  # the rest at their defaults
        assert num_params is not None, "a model's run needs its number of parameters"
        implied = make_model_config(config.n, num_params, **given)
    default = {name: getattr(implied, name) if value is None else value
               for name, value in declared.items()}  # fmt: skip
    out = {
        name: getattr(config, name)
        for name in names
        if name not in ALWAYS and getattr(config, name) != default[name]
    }
    own = dict(implied.sampler_hyperparameters)
    out |= {name: value for name, value in config.sampler_hyperparameters if value != own[name]}
    step = "auto" if config.adapt_step_size else config.step_size
    return out | {"step_size": step, "chunk_size": config.chunk_size}


def python_code(config: RunConfig, num_params: int | None = None) -> str:
    """The ``estimate_llc`` call that reproduces ``config``'s run, or for a model's run (of
    ``num_params`` parameters) the ``estimate_model_llc`` call, on the user's ``loss``,
    ``params`` and ``data``."""
    if isinstance(config, LLCConfig):
        call, args = "estimate_llc", [repr(list(config.widths)), str(config.rank)]
    else:
        call, args = "estimate_model_llc", ["loss", "params", "data"]
    args += [f"{k}={v!r}" for k, v in changed_settings(config, num_params).items()]
    return f"from llc_explorer import {call}\n\nresult = {call}(" + ", ".join(args) + ")"


def command_line(config: LLCConfig) -> str:
    """The ``llc-explorer estimate`` line that reproduces ``config``'s run (its flags by
    :func:`llc_explorer.settings.flags`)."""
    settings = {"widths": config.widths, "rank": config.rank, **changed_settings(config)}
    return " ".join(["llc-explorer estimate", *flags(settings)])


def as_code(config: RunConfig, num_params: int | None = None) -> str:
    """What "As code" shows: :func:`python_code`, and for a DLN :func:`command_line` too (the
    command line has no model of one's own)."""
    if isinstance(config, LLCConfig):
        line = command_line(config)
        return f"{python_code(config)}\n\n# the same on the command line:\n# {line}"
    given = "# loss, params and data: your model, as given to Explorer.for_model"
    return f"{given}\n{python_code(config, num_params)}"


def run_archive(result: LLCResult) -> bytes:
    """A zip of ``traces.csv`` (chain, step, minibatch loss, running estimate, MALA acceptance
    for every recorded step), ``summary.json`` (:meth:`LLCResult.to_dict`) and
    ``reproduce.py`` (:func:`python_code`)."""
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["chain", "step", "loss", "running_llc", "mala_acceptance"])
    for chain in range(result.loss_trace.shape[0]):
        columns = (result.loss_trace[chain], result.running_llc[chain], result.mala_trace[chain])
        for step, values in enumerate(zip(*columns, strict=True)):
            writer.writerow([chain, step, *(f"{float(v):.9g}" for v in values)])
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("traces.csv", table.getvalue())
        zipped.writestr("summary.json", json.dumps(result.to_dict(), indent=1))
        zipped.writestr("reproduce.py", python_code(result.config, result.num_params) + "\n")
    return archive.getvalue()


def download_link(archive: bytes, config: RunConfig, steps_done: int) -> str:
    """An HTML link that makes the browser save ``archive`` (a data URI: no server needed)."""
    network = (
        f"{'-'.join(map(str, config.widths))}-r{config.rank}"
        if isinstance(config, LLCConfig)
        else "model"
    )
    name = f"llc-run-{network}-seed{config.seed}.zip"
    data = base64.b64encode(archive).decode()
    size = (
        f"{len(archive) / 2**20:.1f} MiB"
        if len(archive) > 2**20
        else f"{len(archive) / 1024:.0f} KiB"
    )
    return (
        f'<a download="{escape(name)}" href="data:application/zip;base64,{data}">'
        f"⬇ Download this run</a> ({escape(name)}, {size}: traces.csv for "
        f"{steps_done:,} steps, summary.json, reproduce.py)"
    )
