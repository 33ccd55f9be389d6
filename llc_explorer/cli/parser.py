"""The ``llc-explorer`` argument parser: the ``estimate`` flags derive from
:data:`llc_explorer.settings.SETTINGS` (flag, type, choices, help and default), the
hyperparameter flags from the sampler registry, the ``sweep`` flags from the same settings
with the sweep's own defaults (:class:`llc_explorer.bench.sweep.SweepSpec`)."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
from pathlib import Path
from typing import Any

from llc_explorer import __version__
from llc_explorer.bench.sweep import SweepSpec, make_spec
from llc_explorer.errors import ConfigError, did_you_mean
from llc_explorer.settings import (
    REQUIRED,
    SETTINGS,
    comma_list,
    flag,
    help_text,
    hyperparameter_parse,
    int_list,
    shown,
)
from llc_explorer.sgmcmc.registry import all_hyperparameters

DESCRIPTION = (
    "Estimate the local learning coefficient (LLC) of deep linear networks with SGMCMC and "
    "compare it with the exact value; run and read the paper's benchmark grid."
)

SWEEP_FLAGS = {
    "widths": "widths", "rank": "rank", "size_class": "size_class_name", "archs": "archs",
    "arch_seed": "arch_seed", "samplers": "samplers", "step_sizes": "step_sizes",
    "seeds": "seeds", "steps": "steps", "chains": "chains", "n": "n",
    "batch_size": "batch_size", "burn_in": "burn_in", "gamma": "gamma", "teacher": "teacher",
    "warmup_factor": "warmup_factor",
}  # fmt: skip
"""``sweep`` flag (and TOML key) -> :func:`llc_explorer.bench.sweep.make_spec` argument."""

float_list = comma_list(float, "numbers", "1e-7,1e-6")


class UsageError(ConfigError):
    """A problem with the command line, reported in one line with exit status 2."""


def long_flags(parser: argparse.ArgumentParser) -> list[str]:
    """Every ``--flag`` of ``parser`` and of its subcommands."""
    flags = []
    for action in parser._actions:
        flags += [o for o in action.option_strings if o.startswith("--")]
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                flags += long_flags(sub)
    return list(dict.fromkeys(flags))


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line (no usage block) and exit status 2, a
    mistyped choice or flag with the closest one suggested."""

    def error(self, message: str) -> None:  # type: ignore[override]
        if choice := re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)$", message):
            choices = re.findall(r"'([^']*)'", choice.group(2))
            message += did_you_mean(choice.group(1), choices)
        elif flags := re.match(r"unrecognized arguments: (-\S+)", message):
            message += did_you_mean(flags.group(1), long_flags(self))
        raise UsageError(message)


def add_setting(parser: argparse.ArgumentParser, name: str, default: Any = None) -> None:
    """The flag of the setting ``name`` as declared (its ``default`` given: the one shown);
    parsed values are ``None`` when the flag is absent, so the API's default applies."""
    setting = SETTINGS[name]
    choices = list(setting.choices()) if setting.choices else None
    parser.add_argument(
        flag(name),
        type=setting.parse,
        choices=choices,
        required=setting.default is REQUIRED,
        help=help_text(name, default),
    )


def add_hyperparameter_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per sampler hyperparameter (``--b2``, ``--bias-correction``, ...)."""
    for name in all_hyperparameters():
        parser.add_argument(flag(name), type=hyperparameter_parse(name), help=help_text(name))


def sweep_default(name: str) -> Any:
    """The sweep's default of ``name``, as ``make_spec`` (for the architecture draw) or
    :class:`SweepSpec` declares it."""
    draw = inspect.signature(make_spec).parameters
    fields = {field.name: field.default for field in dataclasses.fields(SweepSpec)}
    return draw[name].default if name in draw else fields[name]


def build_parser() -> Parser:
    """The ``llc-explorer`` argument parser."""
    parser = Parser(prog="llc-explorer", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"llc-explorer {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    est = commands.add_parser(
        "estimate", help="estimate the LLC of one DLN and compare it with the exact value"
    )
    for name in SETTINGS:
        add_setting(est, name)
    add_hyperparameter_flags(est)
    est.add_argument("--json", action="store_true", help="print one JSON object")
    add_sweep_commands(commands)
    return parser


def add_sweep_commands(commands: Any) -> None:
    """The ``sweep``, ``summary`` and ``report`` subcommands."""
    sweep = commands.add_parser("sweep", help="run the benchmark grid (resumable)")
    sweep.add_argument("--config", type=Path, help="TOML file with the settings below")
    sweep.add_argument("--widths", type=int_list, action="append", help="repeatable")
    sweep.add_argument("--rank", type=int, help="product rank for listed --widths")
    sweep.add_argument("--size-class", help="draw architectures of this size (1e3 ... 1e8)")
    for name, kind, text in (
        ("archs", int, "how many architectures to draw"),
        ("arch_seed", int, "seed of the architecture draw"),
    ):
        sweep.add_argument(flag(name), type=kind, help=f"{text} (default {sweep_default(name)})")
    sweep.add_argument(
        "--samplers", type=lambda t: t.split(","), help="comma-separated (default: all)"
    )
    sweep.add_argument("--step-sizes", type=float_list, help="comma-separated step sizes")
    sweep.add_argument(
        "--seeds",
        type=int_list,
        help=f"comma-separated seeds (default {shown(sweep_default('seeds'))})",
    )
    for name in (f.name for f in dataclasses.fields(SweepSpec) if f.name in SETTINGS):
        add_setting(sweep, name, default=sweep_default(name))
    add_hyperparameter_flags(sweep)
    sweep.add_argument("--out", type=Path, required=True, help="results folder")
    sweep.add_argument(
        "--shard", default="0/1", help="run part I of N (I/N), or slurm: the job array's task"
    )
    summary = commands.add_parser("summary", help="paper-style table of sweep results")
    summary.add_argument("results", type=Path, nargs="+", help="results files or folders")
    summary.add_argument(
        "--per-step-size",
        action="store_true",
        help="the median relative error of each sampler at each step size instead",
    )
    report = commands.add_parser("report", help="self-contained HTML report of sweep results")
    report.add_argument("results", type=Path, nargs="+", help="results files or folders")
    report.add_argument(
        "-o", "--output", type=Path, default=Path("report.html"), help="HTML file to write"
    )
