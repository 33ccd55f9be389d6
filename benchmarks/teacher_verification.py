"""Long runs against the exact LLC at both teacher constructions (docs/TRUTH.md).

Two sets of DLNs:

- ``two_layer``: every two-layer architecture with widths 1..8 at every product rank (at the
  ``minimal`` teacher only ``H_0 <= H_2``: reversing the widths maps minimal teachers to
  minimal teachers and leaves the loss the same; the ``first_layer`` teacher has no such
  symmetry);
- ``deep``: ``--archs`` random architectures of the 1e3 size class drawn with
  ``--arch-seed`` (a seed used nowhere else in the repository).

At the ``minimal`` teacher (every layer of rank r) the exact value is Aoyagi's; at the
``first_layer`` teacher it is the local value of :mod:`llc_explorer.dln.local_truth`, and only
the DLNs where that differs from Aoyagi's (and is known) are run. Each DLN runs SGLD at
every ``--step-sizes`` as one vmapped batch through the sweep machinery (resumable JSON
lines, one folder per set and teacher), then ``--table`` prints the verdicts:

    python benchmarks/teacher_verification.py run two_layer minimal --part 0/2
    python benchmarks/teacher_verification.py run deep first_layer
    python benchmarks/teacher_verification.py table

A run passes when ``|estimate - exact| <= 3 stderr + TOLERANCE * exact`` (docs/TRUTH.md says
why 10%).
"""

from __future__ import annotations

import argparse
import itertools
import math
from pathlib import Path

import numpy as np

from llc_explorer.bench.sweep import SweepSpec, parse_shard, read_rows, run_sweep
from llc_explorer.dln.architectures import random_architectures
from llc_explorer.dln.local_truth import teacher_llc
from llc_explorer.dln.truth import dln_llc

OUT = Path("docs/results/truth")
TOLERANCE = 0.10
"""Relative bias allowed beside 3 standard errors (docs/TRUTH.md)."""


def two_layer_dlns(both_orders: bool) -> list[tuple[tuple[int, ...], int]]:
    """Every ``(H_0, H_1, H_2)`` with entries in 1..8 (only ``H_0 <= H_2`` unless
    ``both_orders``), at every rank."""
    return [
        ((h0, h1, h2), r)
        for h0, h1, h2 in itertools.product(range(1, 9), repeat=3)
        if both_orders or h0 <= h2
        for r in range(min(h0, h1, h2) + 1)
    ]


def deep_dlns(archs: int, arch_seed: int) -> list[tuple[tuple[int, ...], int]]:
    """``archs`` architectures of the 1e3 size class drawn with ``arch_seed``."""
    return [(a.widths, a.rank) for a in random_architectures(1e3, archs, seed=arch_seed)]


def differs(widths: tuple[int, ...], rank: int) -> bool:
    """Whether the ``first_layer`` teacher's local value is known and differs from Aoyagi's."""
    local = teacher_llc(widths, rank, "first_layer")
    return local is not None and local.llc != dln_llc(widths, rank).llc


def run(args: argparse.Namespace) -> None:
    """Run one set at one teacher (this process's part of it)."""
    if args.set == "two_layer":
        dlns = two_layer_dlns(both_orders=args.teacher == "first_layer")
    else:
        dlns = deep_dlns(args.archs, args.arch_seed)
    if args.teacher == "first_layer":
        dlns = [(w, r) for w, r in dlns if differs(w, r)]
    index, count = parse_shard(args.part)
    spec = SweepSpec(
        samplers=("sgld",),
        step_sizes=tuple(args.step_sizes),
        architectures=tuple((w, r, None) for w, r in dlns[index::count]),
        steps=args.steps,
        chains=args.chains,
        burn_in=args.burn_in,
        teacher=args.teacher,
    )
    out = OUT / f"{args.set}-{args.teacher}" / f"part{index}of{count}"
    for row in run_sweep(spec, out):
        print(
            f"{row['widths']} r{row['rank']} eps={row['step_size']:g}: "
            f"{row['llc_mean']:.3f} +- {row['llc_stderr']:.3f} vs {row['true_llc']}",
            flush=True,
        )


def verdict(row: dict) -> bool:
    """``|estimate - exact| <= 3 stderr + TOLERANCE * exact`` (False for a NaN estimate)."""
    mean, stderr, exact = row["llc_mean"], row["llc_stderr"], row["true_llc"]
    if mean is None or not math.isfinite(mean) or not math.isfinite(stderr):
        return False
    return abs(mean - exact) <= 3 * stderr + TOLERANCE * exact


def table(_args: argparse.Namespace) -> None:
    """Markdown tables: per set, teacher and step size, how many runs pass, and the median
    and worst relative error; then every deep DLN's estimates."""
    print("| set | teacher | eps | DLNs | pass | median rel. error | worst rel. error |")
    print("|---|---|---|---|---|---|---|")
    deep: dict[tuple, dict[float, dict]] = {}
    for folder in sorted(OUT.glob("*-*")):
        unique = {r["id"]: r for r in read_rows(sorted(folder.glob("part*")))}
        rows = list(unique.values())  # a part may hold rows of another part's resumed run
        set_name, teacher = folder.name.split("-", 1)
        for eps in sorted({r["step_size"] for r in rows}):
            sel = [r for r in rows if r["step_size"] == eps]
            errors = np.array([r["relative_error"] for r in sel], float)
            print(
                f"| {set_name} | {teacher} | {eps:g} | {len(sel)} | "
                f"{sum(map(verdict, sel))} | {np.nanmedian(errors):+.1%} | "
                f"{errors[np.nanargmax(np.abs(errors))]:+.1%} |"
            )
        if set_name == "deep":
            for r in rows:
                deep.setdefault((tuple(r["widths"]), r["rank"], teacher), {})[r["step_size"]] = r
    if not deep:
        return
    steps = sorted({eps for runs in deep.values() for eps in runs})
    print("\n| widths | r | teacher | exact | " + " | ".join(f"eps {e:g}" for e in steps) + " |")
    print("|---|---|---|---|" + "---|" * len(steps))
    for (widths, rank, teacher), runs in sorted(deep.items(), key=lambda kv: kv[0][2]):
        cells = [
            f"{runs[e]['llc_mean']:.1f} +/- {runs[e]['llc_stderr']:.1f}"
            + ("" if verdict(runs[e]) else " ✗")
            if e in runs
            else ""
            for e in steps
        ]
        exact = next(iter(runs.values()))["true_llc"]
        print(
            f"| {','.join(map(str, widths))} | {rank} | {teacher} | {exact:g} | "
            + " | ".join(cells)
            + " |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    go = commands.add_parser("run")
    go.add_argument("set", choices=["two_layer", "deep"])
    go.add_argument("teacher", choices=["minimal", "first_layer"])
    go.add_argument("--part", default="0/1", help="I/N: every N-th DLN from the I-th")
    go.add_argument("--step-sizes", type=float, nargs="+", default=[3e-7, 1e-6, 3e-6])
    go.add_argument("--steps", type=int, default=20_000)
    go.add_argument("--chains", type=int, default=4)
    go.add_argument("--burn-in", type=float, default=0.5)
    go.add_argument("--archs", type=int, default=30)
    go.add_argument("--arch-seed", type=int, default=20261129)
    commands.add_parser("table")
    args = parser.parse_args()
    (run if args.command == "run" else table)(args)


if __name__ == "__main__":
    main()
