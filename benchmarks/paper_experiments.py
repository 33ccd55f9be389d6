"""Run the paper's three experiments (:mod:`llc_explorer.bench.paper`) at one scale: the sweeps
that made docs/results/paper (``--scale cpu``), and the GPU run (``--scale gpu``).

Every experiment is a set of sweeps, resumable: after a kill, the same command skips what is
on disk. Each sweep's ``llc-explorer sweep`` command is printed before it runs.

    python benchmarks/paper_experiments.py --dry-run          # the CPU commands and their size
    python benchmarks/paper_experiments.py                    # about 2 hours on 2 CPU cores
    python benchmarks/paper_experiments.py --scale gpu --out results/paper_gpu
"""

from __future__ import annotations

import argparse
from pathlib import Path

from llc_explorer.apps.cache import enable_compilation_cache
from llc_explorer.bench.paper import EXPERIMENTS, SCALES, run_experiments, sweeps
from llc_explorer.errors import ConfigError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=list(SCALES), default="cpu")
    parser.add_argument("--out", type=Path, default=Path("docs/results/paper"))
    parser.add_argument("--only", default=",".join(EXPERIMENTS), help="comma-separated")
    parser.add_argument("--dry-run", action="store_true", help="print the commands only")
    args = parser.parse_args()
    try:
        run(args.scale, args.out, tuple(args.only.split(",")), dry_run=args.dry_run)
    except ConfigError as exc:
        raise SystemExit(f"paper_experiments: error: {exc}") from None


def run(scale: str, out: Path, experiments: tuple[str, ...], *, dry_run: bool) -> None:
    """Run the experiments, or with ``dry_run`` print their commands and sizes."""
    if not dry_run:
        enable_compilation_cache()  # as llc-explorer sweep does
        run_experiments(scale, out, experiments)
        return
    total = 0
    for experiment in experiments:
        for sweep in sweeps(experiment, SCALES[scale], out):
            runs = sweep.spec.runs()
            work = sum(run.steps * run.chains for run in runs)
            total += work
            print(f"{sweep.command}\n    # {len(runs)} runs, {work:,} chain-steps")
    print(f"# in all {total:,} chain-steps")


if __name__ == "__main__":
    main()
