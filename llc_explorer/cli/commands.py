"""What each ``llc-explorer`` command does with its parsed arguments: ``estimate`` runs
:func:`llc_explorer.estimate_llc` and prints the estimate beside the exact LLC (or one JSON
object); ``sweep``, ``summary`` and ``report`` run and read the benchmark grid
(:mod:`llc_explorer.bench`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator

from tqdm import tqdm

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
from llc_explorer.cli.parser import SWEEP_FLAGS
from llc_explorer.errors import ConfigError, did_you_mean
from llc_explorer.estimator import estimate_llc, stream_llc
from llc_explorer.result import LLCResult
from llc_explorer.settings import SETTINGS
from llc_explorer.sgmcmc.diagnostics import SYSTEMATIC
from llc_explorer.sgmcmc.registry import all_hyperparameters, menu_names


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
    names = (*(name for name in SETTINGS if name not in ("widths", "rank")), *all_hyperparameters())
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
