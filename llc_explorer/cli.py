"""The ``llc-explorer`` command line.

``llc-explorer estimate --widths 10,20,20,10 --rank 3 [--sampler ...] [--json]`` runs
:func:`llc_explorer.estimate_llc` and prints the estimate beside the exact LLC. Bad input
ends with exit status 2 and one line naming the problem.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from llc_explorer.cache import enable_compilation_cache
from llc_explorer.config import SAMPLER_HYPERPARAMETERS
from llc_explorer.estimator import LLCResult, estimate_llc
from llc_explorer.samplers import SAMPLERS

ESTIMATE_SETTINGS = (
    *("sampler", "step_size", "gamma", "nbeta", "n", "batch_size", "chains", "steps"),
    *("burn_in", "seed", "noise", "input_dist", "chunk_size", *SAMPLER_HYPERPARAMETERS),
)
"""The ``estimate`` flags passed on to :func:`llc_explorer.estimate_llc` as keywords."""


class UsageError(Exception):
    """A problem with the command line, reported in one line with exit status 2."""


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line (no usage block) and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def int_list(text: str) -> list[int]:
    """``"10,20,20,10"`` -> ``[10, 20, 20, 10]``."""
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated ints such as 10,20,20,10, got {text!r}"
        ) from None


def build_parser() -> Parser:
    """The ``llc-explorer`` argument parser."""
    parser = Parser(prog="llc-explorer", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    est = commands.add_parser(
        "estimate", help="estimate the LLC of one DLN and compare it with the exact value"
    )
    est.add_argument("--widths", type=int_list, required=True, help="input to output: 10,20,20,10")
    est.add_argument("--rank", type=int, required=True, help="rank of the teacher's product")
    est.add_argument("--sampler", choices=list(SAMPLERS), default="rmsprop_sgld")
    est.add_argument("--step-size", type=float, help="eps (default: the sampler's)")
    est.add_argument("--gamma", type=float, default=1.0, help="localisation strength")
    est.add_argument("--nbeta", type=float, help="n*beta (default n / log n)")
    est.add_argument("--n", type=int, default=100_000, help="dataset size")
    est.add_argument("--batch-size", type=int, default=100)
    est.add_argument("--chains", type=int, default=4)
    est.add_argument("--steps", type=int, default=10_000)
    est.add_argument("--burn-in", type=float, default=0.9, help="fraction of steps discarded")
    est.add_argument("--seed", type=int, default=0)
    est.add_argument("--noise", type=float, default=0.0, help="target noise sigma")
    est.add_argument("--input-dist", choices=["normal", "uniform"], default="normal")
    est.add_argument("--chunk-size", type=int, help="steps per compiled chunk")
    for name in SAMPLER_HYPERPARAMETERS:
        est.add_argument(f"--{name.replace('_', '-')}", type=float, help="sampler hyperparameter")
    est.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def format_result(result: LLCResult) -> str:
    """A short human-readable report."""
    cfg = result.config
    lines = [
        f"DLN widths {','.join(map(str, cfg.widths))}, rank {cfg.rank}: d = {result.num_params}",
        f"exact LLC      {result.true_llc} = {float(result.true_llc):.4g}"
        f" (multiplicity {result.multiplicity})",
        f"estimate       {result.llc_mean:.4g} +/- {result.llc_stderr:.2g} (stderr)"
        f"  [{cfg.sampler}, eps={cfg.step_size:g}, {cfg.chains} chains x {cfg.steps} steps]",
        f"relative error {result.relative_error:+.2%}",
        f"diverged       {len(result.diverged_chains)} of {cfg.chains}",
        f"speed          {result.steps_per_second:,.0f} chain-steps/s"
        f" (compile {result.compile_seconds:.1f} s)",
    ]
    if result.message:
        lines.append(result.message)
    return "\n".join(lines)


def run_estimate(args: argparse.Namespace) -> None:
    """Run the ``estimate`` command."""
    settings = {name: getattr(args, name) for name in ESTIMATE_SETTINGS}
    try:
        result = estimate_llc(args.widths, args.rank, **settings)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print(json.dumps(result.to_dict()) if args.json else format_result(result))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``llc-explorer`` and ``python -m llc_explorer``."""
    try:
        args = build_parser().parse_args(argv)
        enable_compilation_cache()
        run_estimate(args)
    except UsageError as exc:
        print(f"llc-explorer: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
