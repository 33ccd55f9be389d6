"""Each run setting is declared once (``llc_explorer.settings.SETTINGS``) and every surface
derives from it: the API's signature and checks, the CLI's flags and ``--help``, the
Explorer's reproduction (its ``estimate_llc`` call and its command line), the sweep and the
report's rerun command. A new setting needs an entry in ``SETTINGS``, a field of
``LLCConfig`` and a non-default example in ``OTHER`` below; then every test here covers it,
and fails for the surface that does not know it. Nothing runs a sampler: configs only."""

from __future__ import annotations

import dataclasses
import inspect
import shlex
from typing import Any

import pytest

from llc_explorer.apps.explorer.exports import changed_settings, command_line, python_code
from llc_explorer.bench.sweep import SweepSpec, make_spec
from llc_explorer.cli.parser import build_parser
from llc_explorer.config import LLCConfig, make_config
from llc_explorer.errors import ConfigError
from llc_explorer.settings import REQUIRED, SETTINGS, flag, flags, help_text, of_kind, shown

WIDTHS, RANK = (5, 3, 5), 1

OTHER: dict[str, Any] = {
    "widths": (4, 3, 2, 4), "rank": 0, "teacher": "first_layer", "sampler": "sgld",
    "step_size": 3e-6, "gamma": 2.0, "nbeta": 500.0, "n": 2_000, "batch_size": 50,
    "chains": 2, "steps": 600, "max_steps": 20_000, "precision": 0.05, "max_seconds": 9.0,
    "burn_in": 0.5, "warmup_factor": 2.0, "seed": 7, "noise": 0.25, "input_dist": "uniform",
    "prng": "threefry", "chunk_size": 64,
}  # fmt: skip
"""A valid value other than the default for every setting."""

BAD: dict[str, Any] = {"n": 1, "chains": 0, "burn_in": 1.5, "gamma": -1.0, "prng": "fats"}
"""Values each setting's own check refuses (a sample: the kinds of check there are)."""


def config_with(name: str, value: Any) -> LLCConfig:
    """``make_config`` with one setting changed (with ``steps="auto"`` for its budget)."""
    base: dict[str, Any] = {"widths": WIDTHS, "rank": RANK, "n": 2_000, name: value}
    if name == "max_steps":
        base["steps"] = "auto"
    return make_config(base.pop("widths"), base.pop("rank"), **base)


def estimate_actions() -> dict[str, Any]:
    """The ``estimate`` subcommand's arguments by name."""
    parser = build_parser()
    estimate = next(a for a in parser._actions if a.dest == "command").choices["estimate"]
    return {action.dest: action for action in estimate._actions}


def test_every_setting_has_an_example_and_a_field() -> None:
    assert set(OTHER) == set(SETTINGS), "give OTHER an example of the new setting"
    fields = {f.name for f in dataclasses.fields(LLCConfig)}
    assert set(SETTINGS) - {"max_steps"} <= fields  # max_steps becomes the budget ``steps``
    assert set(of_kind("problem", "chunk", "shared", "per_chain", "run")) == set(SETTINGS)


@pytest.mark.parametrize("name", list(SETTINGS))
def test_the_api_takes_the_declared_default_and_the_example(name: str) -> None:
    parameter = inspect.signature(make_config).parameters[name]
    default = SETTINGS[name].default
    assert default is REQUIRED or parameter.default == default
    config = config_with(name, OTHER[name])
    held = config.steps if name == "max_steps" else getattr(config, name)
    assert held == OTHER[name]
    if default not in (None, REQUIRED):  # the declared default is what a run gets
        assert getattr(make_config(WIDTHS, RANK), name, default) == default


@pytest.mark.parametrize("name", list(SETTINGS))
def test_the_cli_flag_reads_the_example_and_shows_the_default(name: str) -> None:
    action = estimate_actions()[name]
    assert action.option_strings == [flag(name)] and action.default is None
    assert action.help == help_text(name)
    default = SETTINGS[name].default
    if default is not REQUIRED:
        assert f"(default {shown(default) if default is not None else SETTINGS[name].derived})" in (
            action.help.replace("%%", "%")
        )
    given = {"widths": WIDTHS, "rank": RANK, name: OTHER[name]}
    args = build_parser().parse_args(["estimate", *flags(given)])
    parsed = getattr(args, name)
    assert (tuple(parsed) if isinstance(parsed, list) else parsed) == OTHER[name]


@pytest.mark.parametrize("name", [name for name in SETTINGS if name != "max_steps"])
def test_the_explorer_reproduction_carries_the_setting(name: str) -> None:
    """The Explorer's ``estimate_llc`` call and command line rebuild the same config (every
    setting but ``max_steps``: the Explorer runs a fixed number of steps, no budget)."""
    config = config_with(name, OTHER[name])
    assert name in ("widths", "rank") or name in changed_settings(config)
    namespace: dict[str, Any] = {}
    exec(python_code(config).replace("estimate_llc", "make_config"), namespace)
    assert namespace["result"] == config
    args = build_parser().parse_args(shlex.split(command_line(config))[1:])
    settings = {k: getattr(args, k) for k in SETTINGS if getattr(args, k) is not None}
    hyper = {k: v for k, v in vars(args).items() if k not in SETTINGS and v is not None}
    hyper = {k: v for k, v in hyper.items() if k in dict(config.sampler_hyperparameters)}
    assert make_config(**settings, **hyper) == config


def test_the_sweep_shares_the_declared_defaults() -> None:
    """Every setting a sweep shares over its grid defaults as the API does, except where the
    sweep declares its own (its shorter runs)."""
    shared = [f for f in dataclasses.fields(SweepSpec) if f.name in SETTINGS]
    assert {f.name for f in shared} >= {"chains", "n", "batch_size", "burn_in", "gamma"}
    own = {f.name for f in shared if f.default != SETTINGS[f.name].default}
    assert own <= {"steps", "warmup_factor"}  # steps: 10,000; warm-up: explicit (no derivation)
    for field in shared:
        spec = make_spec(samplers=["sgld"], step_sizes=[1e-6], widths=[WIDTHS], rank=RANK,
                         **{field.name: OTHER[field.name]})  # fmt: skip
        (run,) = spec.runs()
        assert getattr(run.config(), field.name) == OTHER[field.name]


@pytest.mark.parametrize(("name", "value"), BAD.items())
def test_each_declared_check_names_its_setting(name: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=rf"^{name} must be"):
        make_config(WIDTHS, RANK, **{name: value})
