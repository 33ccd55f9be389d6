"""The ``llc-explorer`` command line.

``llc-explorer estimate --widths 10,20,20,10 --rank 3 [--sampler ...] [--json]`` runs
:func:`llc_explorer.estimate_llc` and prints the estimate beside the exact LLC;
``sweep``, ``summary`` and ``report`` run and read the benchmark grid
(:mod:`llc_explorer.bench.sweep`). Bad input ends with exit status 2 and one line naming the
problem.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from tqdm import tqdm

from llc_explorer.apps.cache import enable_compilation_cache
from llc_explorer.apps.ui.formatting import significant
from llc_explorer.bench.report import write_report
from llc_explorer.bench.summary import format_step_table, format_table, summarize_rows
from llc_explorer.bench.sweep import (
    SweepSpec,
    load_toml,
    make_spec,
    parse_shard,
    pending,
    read_rows,
    results_path,
    run_sweep,
    shard,
)
from llc_explorer.config import STEPS, TINY_PARAMS, TINY_STEPS, WARMUP_FACTOR, make_config
from llc_explorer.dln.data import INPUT_DISTRIBUTIONS
from llc_explorer.dln.model import TEACHERS
from llc_explorer.errors import ConfigError, did_you_mean
from llc_explorer.estimator import LLCResult, estimate_llc, stream_llc
from llc_explorer.sgmcmc.diagnostics import SYSTEMATIC
from llc_explorer.sgmcmc.prng import PRNGS
from llc_explorer.sgmcmc.registry import REGISTRY, all_hyperparameters, menu_names, sampler_names

ESTIMATE_SETTINGS = (
    *("teacher", "sampler", "step_size", "gamma", "nbeta", "n", "batch_size", "chains", "steps"),
    *("max_steps", "precision", "max_seconds"),
    *("burn_in", "warmup_factor", "seed", "noise", "input_dist", "prng", "chunk_size"),
)
"""The ``estimate`` flags passed on to :func:`llc_explorer.estimate_llc` as keywords (with the
samplers' own hyperparameters)."""

DESCRIPTION = (
    "Estimate the local learning coefficient (LLC) of deep linear networks with SGMCMC and "
    "compare it with the exact value; run and read the paper's benchmark grid."
)


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


def comma_list(convert: Callable[[str], Any], what: str, example: str) -> Callable[[str], list]:
    """An argparse type: comma-separated ``what``, each read by ``convert``
    (``"10,20,20,10"`` -> ``[10, 20, 20, 10]``)."""

    def parse(text: str) -> list:
        try:
            return [convert(part) for part in text.split(",")]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated {what} such as {example}, got {text!r}"
            ) from None

    return parse


def number_or_auto(kind: type, what: str) -> Callable[[str], Any]:
    """An argparse type: ``auto``, or a ``kind`` (``what`` in the error)."""

    def parse(text: str) -> Any:
        if text == "auto":
            return text
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what} or auto, got {text!r}") from None

    return parse


step_size_arg = number_or_auto(float, "a number")
steps_arg = number_or_auto(int, "an int")
int_list = comma_list(int, "ints", "10,20,20,10")
float_list = comma_list(float, "numbers", "1e-7,1e-6")


def flag_arg(text: str) -> bool:
    """An argparse type: on/off, true/false, yes/no or 1/0."""
    value = {"on": True, "true": True, "yes": True, "1": True,
             "off": False, "false": False, "no": False, "0": False}.get(text.lower())  # fmt: skip
    if value is None:
        raise argparse.ArgumentTypeError(f"expected on or off, got {text!r}")
    return value


def setting_defaults() -> dict[str, Any]:
    """The defaults of ``make_config``'s settings, where it declares one (not ``None``)."""
    parameters = inspect.signature(make_config).parameters.items()
    return {name: p.default for name, p in parameters if p.default not in (None, p.empty)}


def shown(name: str, text: str) -> str:
    """``text`` with the default of the setting ``name``, as ``make_config`` declares it."""
    return f"{text} (default {plain(setting_defaults()[name])})"


def sweep_shown(name: str, text: str) -> str:
    """``text`` with the default of the sweep setting ``name``, as :class:`SweepSpec` (or, for
    the architecture draw, ``make_spec``) declares it."""
    fields = {field.name: field.default for field in dataclasses.fields(SweepSpec)}
    value = (
        fields[name] if name in fields else inspect.signature(make_spec).parameters[name].default
    )
    return f"{text} (default {plain(value)})"


def plain(value: Any) -> str:
    """A default as typed on the command line: ``on``/``off``, ``30,000``, ``0.999``, ``0,1``."""
    if isinstance(value, tuple):
        return ",".join(plain(v) for v in value)
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def hyperparameter_help(name: str) -> str:
    """Which registered samplers use ``name``, with their defaults."""
    users = [f"{s.name} {plain(s.defaults[name])}" for s in REGISTRY.values() if name in s.ranges]
    return f"sampler hyperparameter (default: {', '.join(users)})"


def add_hyperparameter_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per sampler hyperparameter (``--b2``, ``--bias-correction``, ...)."""
    flags = {name for s in REGISTRY.values() for name, h in s.ranges.items() if h.flag}
    for name in all_hyperparameters():
        kind = flag_arg if name in flags else float
        parser.add_argument(
            f"--{name.replace('_', '-')}", type=kind, help=hyperparameter_help(name)
        )


def package_version() -> str:
    """The installed package's version (its metadata), or a note that it is not installed
    (run from a source tree)."""
    try:
        return metadata.version("llc_explorer")
    except metadata.PackageNotFoundError:
        return "(not installed: run from a source tree)"


def build_parser() -> Parser:
    """The ``llc-explorer`` argument parser."""
    parser = Parser(prog="llc-explorer", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"llc-explorer {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    est = commands.add_parser(
        "estimate", help="estimate the LLC of one DLN and compare it with the exact value"
    )
    est.add_argument("--widths", type=int_list, required=True, help="input to output: 10,20,20,10")
    est.add_argument("--rank", type=int, required=True, help="rank of the teacher's product")
    est.add_argument(
        "--teacher", choices=list(TEACHERS), help=shown("teacher", "construction of w*")
    )
    est.add_argument("--sampler", choices=sampler_names(), help=shown("sampler", "SGMCMC sampler"))
    est.add_argument(
        "--step-size",
        type=step_size_arg,
        help="eps, or auto (the default for sgld and rmsprop_sgld; the other samplers default "
        "to their fixed step size)",
    )
    est.add_argument("--gamma", type=float, help=shown("gamma", "localisation strength"))
    est.add_argument("--nbeta", type=float, help="n*beta (default n / log n)")
    est.add_argument("--n", type=int, help=shown("n", "dataset size"))
    est.add_argument("--batch-size", type=int, help=shown("batch_size", "minibatch size"))
    est.add_argument("--chains", type=int, help=shown("chains", "independent chains"))
    est.add_argument(
        "--steps",
        type=steps_arg,
        help="steps per chain, or auto: run until the estimate is precise (see --precision) "
        f"and the convergence checks pass, at most --max-steps (default {STEPS:,}; "
        f"{TINY_STEPS:,} below {TINY_PARAMS} parameters)",
    )
    est.add_argument(
        "--max-steps", type=int, help=shown("max_steps", "with --steps auto: the budget in steps")
    )
    est.add_argument(
        "--precision",
        type=float,
        help=shown(
            "precision",
            "with --steps auto: the Monte Carlo half-width of the 95%% interval to reach, "
            "relative to the estimate",
        ),
    )
    est.add_argument(
        "--max-seconds", type=float, help="with --steps auto: a budget in seconds (none)"
    )
    est.add_argument("--burn-in", type=float, help=shown("burn_in", "fraction of steps discarded"))
    est.add_argument(
        "--warmup-factor",
        type=float,
        help=f"step-size multiplier for the burn-in's first part ({WARMUP_FACTOR:g}; 1 below "
        f"{TINY_PARAMS} parameters)",
    )
    est.add_argument("--seed", type=int, help=shown("seed", "seed of data, teacher and chains"))
    est.add_argument("--noise", type=float, help=shown("noise", "target noise sigma"))
    est.add_argument(
        "--input-dist", choices=INPUT_DISTRIBUTIONS, help=shown("input_dist", "inputs x")
    )
    est.add_argument(
        "--prng", choices=list(PRNGS), help=shown("prng", "the chains' noise generator")
    )
    est.add_argument(
        "--chunk-size", type=int, help="steps per compiled chunk (default: from the network size)"
    )
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
    sweep.add_argument(
        "--archs", type=int, help=sweep_shown("archs", "how many architectures to draw")
    )
    sweep.add_argument(
        "--arch-seed", type=int, help=sweep_shown("arch_seed", "seed of the architecture draw")
    )
    sweep.add_argument(
        "--samplers", type=lambda t: t.split(","), help="comma-separated (default: all)"
    )
    sweep.add_argument("--step-sizes", type=float_list, help="comma-separated step sizes")
    sweep.add_argument("--seeds", type=int_list, help=sweep_shown("seeds", "comma-separated seeds"))
    for flag, kind, text in (
        ("--steps", int, "steps per chain"), ("--chains", int, "chains per run"),
        ("--n", int, "dataset size"), ("--batch-size", int, "minibatch size"),
        ("--burn-in", float, "fraction of steps discarded"),
        ("--gamma", float, "localisation strength"),
        ("--warmup-factor", float, "step-size multiplier in the warm-up"),
    ):  # fmt: skip
        sweep.add_argument(flag, type=kind, help=sweep_shown(flag[2:].replace("-", "_"), text))
    sweep.add_argument(
        "--teacher", choices=list(TEACHERS), help=sweep_shown("teacher", "construction of w*")
    )
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


def format_result(result: LLCResult) -> str:
    """A short human-readable report."""
    cfg, d = result.config, result.diagnostics
    low, high = result.llc_ci95
    mc = (result.llc_ci95_mc[1] - result.llc_ci95_mc[0]) / 2
    if result.true_llc is None:
        exact, error = "unknown", "n/a (no exact value at this teacher)"
    else:
        exact = (
            f"{result.true_llc} = {float(result.true_llc):.4g} (multiplicity {result.multiplicity})"
        )
        error = f"{result.relative_error:+.2%}"
    all_diverged = len(result.diverged_chains) == cfg.chains
    estimate = "none (every chain diverged)" if all_diverged else significant(result.llc_mean, 4)
    lines = [
        f"DLN widths {','.join(map(str, cfg.widths))}, rank {cfg.rank}: d = {result.num_params}",
        f"exact LLC      {exact}",
        f"               {result.truth_note}",
        f"estimate       {estimate}  [{cfg.sampler}, eps={cfg.step_size:.3g}"
        f" ({result.step_size_source}), {cfg.chains} chains x {result.steps_done} steps]",
        *(
            [
                f"run length     auto: stopped ({result.stop_reason}) after {result.steps_done:,}"
                f" steps, burn-in {result.burn_in_steps:,} (warm-up {result.warmup_steps or 0:,});"
                f" half-width {result.criteria['half_width']:.1%}"
                f" (target {100 * cfg.precision:.3g}%)"
            ]
            if cfg.auto_length
            else []
        ),
        *(
            [
                f"step size      auto: {cfg.step_size:.3g} in the sampling window (MALA"
                f" acceptance target {c.target:.2g}; warm-up target {c.warmup_target:.2g})"
            ]
            if (c := result.calibration)
            else []
        ),
        f"95% interval   [{significant(low, 4)}, {significant(high, 4)}]: Monte Carlo +/- {mc:.2g}"
        f" (t over chains) and systematic +/- {SYSTEMATIC:.0%}",
        f"relative error {error}",
        f"diverged       {len(result.diverged_chains)} of {cfg.chains}",
        f"diagnostics    R-hat {d.rhat:.3f}, ESS {d.ess_bulk:,.0f} (bulk) / {d.ess_tail:,.0f}"
        f" (tail), MALA acceptance {d.mala_acceptance:.3f}",
        f"speed          {result.steps_per_second:,.0f} chain-steps/s"
        f" (compile {result.compile_seconds:.1f} s)",
    ]
    if all_diverged:  # no interval, error or diagnostics to give
        lines = [line for line in lines if not line.startswith(("95%", "relative", "diagnostics"))]
    if not result.warnings and result.message:
        lines.append(result.message)
    lines += [f"warning: {w}" for w in result.warnings]
    return "\n".join(lines)


def run_estimate(args: argparse.Namespace) -> None:
    """Run the ``estimate`` command."""
    names = (*ESTIMATE_SETTINGS, *all_hyperparameters())
    settings = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
    if args.json or not sys.stderr.isatty():
        result = estimate_llc(args.widths, args.rank, **settings)
    else:
        result = with_progress(stream_llc(args.widths, args.rank, **settings))
    print(json.dumps(result.to_dict()) if args.json else format_result(result))


def with_progress(stream: Iterator[LLCResult]) -> LLCResult:
    """Run ``stream`` to its end behind a progress bar on stderr: chain-steps done, their
    rate and the time left; returns the last result."""
    result = next(stream)
    total = result.config.chains * result.config.steps
    with tqdm(total=total, unit=" chain-steps", unit_scale=True, file=sys.stderr) as bar:
        bar.update(result.config.chains * result.steps_done)
        for result in stream:
            bar.update(result.config.chains * result.steps_done - bar.n)
    return result


SWEEP_FLAGS = {
    "widths": "widths", "rank": "rank", "size_class": "size_class_name", "archs": "archs",
    "arch_seed": "arch_seed", "samplers": "samplers", "step_sizes": "step_sizes",
    "seeds": "seeds", "steps": "steps", "chains": "chains", "n": "n",
    "batch_size": "batch_size", "burn_in": "burn_in", "gamma": "gamma", "teacher": "teacher",
    "warmup_factor": "warmup_factor",
}  # fmt: skip
"""``sweep`` flag (and TOML key) -> :func:`llc_explorer.bench.sweep.make_spec` argument."""


def sweep_spec_of(args: argparse.Namespace) -> SweepSpec:
    """The grid a parsed ``sweep`` command runs: the TOML file's settings, overridden by
    flags; ``ConfigError`` names a bad one."""
    settings = load_toml(args.config) if args.config else {}
    unknown = sorted(set(settings) - set(SWEEP_FLAGS) - set(all_hyperparameters()))
    if unknown:
        known = [*SWEEP_FLAGS, *all_hyperparameters()]
        names = ", ".join(f"{name}{did_you_mean(name, known)}" for name in unknown)
        raise ConfigError(f"unknown sweep setting(s) in {args.config}: {names}")
    given = vars(args)
    settings.update({k: v for k, v in given.items() if k in SWEEP_FLAGS and v is not None})
    hyper = {k: settings.pop(k) for k in all_hyperparameters() if k in settings}
    hyper.update({k: given[k] for k in all_hyperparameters() if given[k] is not None})
    settings.setdefault("samplers", menu_names())
    for name in ("samplers", "step_sizes", "seeds"):
        if name in settings:
            settings[name] = tuple(settings[name])
    return make_spec(hyper=hyper, **{SWEEP_FLAGS[k]: v for k, v in settings.items()})


def run_sweep_command(args: argparse.Namespace) -> None:
    """Run the ``sweep`` command: the grid from the TOML file, overridden by flags."""
    spec = sweep_spec_of(args)
    index, count = parse_shard(args.shard)
    todo = pending(spec, args.out, index, count)
    total = len(shard(spec.runs(), index, count))
    bar = tqdm(total=total, initial=total - len(todo), unit="run", disable=not sys.stderr.isatty())
    with bar:
        for row in run_sweep(spec, args.out, index, count):
            bar.set_postfix_str(f"{row['sampler']} eps={row['step_size']:g}")
            bar.update()
    print(
        f"{total} runs in shard {index}/{count}: results in {results_path(args.out, index, count)}"
    )


def run_command(args: argparse.Namespace) -> None:
    """Dispatch one parsed command."""
    if args.command == "estimate":
        run_estimate(args)
    elif args.command == "sweep":
        run_sweep_command(args)
    elif args.command == "summary":
        rows = read_rows(args.results)
        print(format_step_table(rows) if args.per_step_size else format_table(summarize_rows(rows)))
    else:
        rows = [{**row, "source": str(path)} for path in args.results for row in read_rows([path])]
        write_report(rows, args.output, sources=[str(path) for path in args.results])
        print(f"wrote {args.output}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``llc-explorer`` and ``python -m llc_explorer``."""
    parser = build_parser()
    if not (sys.argv[1:] if argv is None else argv):  # a bare call: what to type, then why
        print(parser.format_usage().rstrip(), file=sys.stderr)
        print("llc-explorer: error: name a command (listed above); --help says more",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        args = parser.parse_args(argv)
        enable_compilation_cache()
        run_command(args)
    except ConfigError as exc:  # bad input, from argparse (UsageError) or from the API
        print(f"llc-explorer: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (``| head``): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception:  # anything else is a bug in llc_explorer
        traceback.print_exc()
        print(
            "llc-explorer: internal error (a bug in llc_explorer, not in your input): please "
            "report it with the traceback above",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
