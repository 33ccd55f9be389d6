"""The step-size sweep behind the default hyperparameters (``llc_explorer.config``).

Every sampler runs at each step size on five small DLNs with known LLC (each at its
default minimal teacher, where that LLC is the local one), at the CLI's defaults otherwise
(n = 1e5, batch 100, gamma = 1, n*beta = n / log n, 4 chains, 10,000 steps, 90% burn-in,
the sampler's other default hyperparameters). For each step
size it reports the mean and worst absolute relative error over the DLNs and how many runs
had a diverged chain. The "good range" of a sampler is the step sizes without divergence
whose mean error is within 2 points of its best; the default is the middle of that range
(the upper median), so that it keeps a margin on both sides: too small a step does not
mix in 10,000 steps, too large a one overestimates and then diverges.

    python benchmarks/sweep_defaults.py [--out docs/defaults_sweep.md] [--seeds 0]

Takes about ten minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from llc_explorer import SAMPLERS, estimate_llc

DLNS = [
    ((10, 20, 20, 10), 3),
    ((8, 12, 6, 10), 2),
    ((20, 5, 20), 5),
    ((5, 3, 5), 0),
    ((6, 4, 9, 5), 4),
]
STEP_SIZES = [1e-8, 3e-8, 1e-7, 3e-7, 1e-6, 3e-6, 1e-5]


def sweep(seeds: list[int]) -> list[dict]:
    """One row per sampler, step size, DLN and seed."""
    rows = []
    for sampler in SAMPLERS:
        for step_size in STEP_SIZES:
            for widths, rank in DLNS:
                for seed in seeds:
                    result = estimate_llc(
                        widths, rank, sampler=sampler, step_size=step_size, seed=seed
                    )
                    rows.append(
                        {
                            "sampler": sampler,
                            "step_size": step_size,
                            "widths": list(widths),
                            "rank": rank,
                            "seed": seed,
                            "true_llc": float(result.true_llc),
                            "llc_mean": result.llc_mean,
                            "llc_stderr": result.llc_stderr,
                            "relative_error": result.relative_error,
                            "diverged": len(result.diverged_chains),
                        }
                    )
            print(f"{sampler} eps={step_size:g} done", flush=True)
    return rows


def table(rows: list[dict]) -> tuple[str, dict[str, float]]:
    """The markdown table of errors per sampler and step size, and the chosen defaults."""
    lines = [
        "| sampler | step size | mean abs rel. error | worst abs rel. error | diverged runs |",
        "|---|---|---|---|---|",
    ]
    chosen = {}
    for sampler in SAMPLERS:
        scored = []
        for step_size in STEP_SIZES:
            sel = [r for r in rows if r["sampler"] == sampler and r["step_size"] == step_size]
            errors = np.abs([r["relative_error"] for r in sel])
            diverged = sum(r["diverged"] > 0 for r in sel)
            mean, worst = float(np.nanmean(errors)), float(np.nanmax(errors))
            if not np.all(np.isfinite(errors)):
                mean = worst = float("nan")
            lines.append(
                f"| {sampler} | {step_size:g} | {mean:.1%} | {worst:.1%} | {diverged}/{len(sel)} |"
            )
            if diverged == 0 and np.isfinite(mean):
                scored.append((mean, step_size))
        best = min(m for m, _ in scored)
        good = sorted(s for m, s in scored if m <= best + 0.02)
        chosen[sampler] = good[len(good) // 2]
    return "\n".join(lines), chosen


def accuracy(rows: list[dict], chosen: dict[str, float]) -> str:
    """Markdown table: each DLN's estimate +/- stderr per sampler at its chosen step size."""
    header = "| widths | r | true LLC | " + " | ".join(
        f"{name} (eps={chosen[name]:g})" for name in SAMPLERS
    )
    lines = [header + " |", "|---|---|---|" + "---|" * len(SAMPLERS)]
    for widths, rank in DLNS:
        cells = []
        for name in SAMPLERS:
            sel = [
                r
                for r in rows
                if r["sampler"] == name
                and r["step_size"] == chosen[name]
                and tuple(r["widths"]) == widths
            ]
            cells.append(" / ".join(f"{r['llc_mean']:.1f} +/- {r['llc_stderr']:.1f}" for r in sel))
        truth = sel[0]["true_llc"]
        lines.append(
            f"| {','.join(map(str, widths))} | {rank} | {truth:g} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/defaults_sweep.md"))
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--from-json", type=Path, help="rewrite the report from saved rows")
    args = parser.parse_args()
    began = time.perf_counter()
    if args.from_json:
        rows = json.loads(args.from_json.read_text())
    else:
        rows = sweep([int(s) for s in args.seeds.split(",")])
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".json").write_text(json.dumps(rows, indent=1))
    text, chosen = table(rows)
    minutes = (time.perf_counter() - began) / 60
    made = "rows from an earlier run" if args.from_json else f"{minutes:.1f} min on 2 CPU cores"
    report = (
        "# Default step sizes: the sweep\n\n"
        f"Made by `python benchmarks/sweep_defaults.py` ({made}).\n"
        f"DLNs (widths, rank): {DLNS}; seeds {args.seeds}; rows in "
        f"`{args.out.with_suffix('.json').name}`.\n\n"
        f"{text}\n\nChosen step sizes: {json.dumps(chosen)}\n\n"
        "## Estimates at the chosen step sizes (mean +/- stderr over 4 chains)\n\n"
        f"{accuracy(rows, chosen)}\n"
    )
    args.out.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
