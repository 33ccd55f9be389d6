"""Long runs on freshly drawn random DLNs, stored as block means, for docs/ACCURACY.md.

Each run is one sampler at several settings on one architecture, batched as chains
(:func:`llc_explorer.estimator.stream_batch`), ``--steps`` long. For every chain it stores the
mean minibatch loss and the mean MALA acceptance over consecutive blocks of ``--block``
steps, so that ``benchmarks/accuracy_table.py`` can recompute the estimate for any run
length and burn-in that are multiples of the block, without rerunning anything.

    python benchmarks/accuracy_runs.py --size-class 1e3 --count 8 --arch-seed 30111 \\
        --sampler rmsprop_sgld --grid step_size=5e-8,1e-7,2e-7,4e-7 --grid b2=0.999 \\
        --steps 50000 --out docs/results/accuracy/runs.jsonl

Settings not in ``--grid`` are the CLI defaults; ``--grid step_size=auto`` adapts the step
size during the burn-in (:mod:`llc_explorer.sgmcmc.adaptation`). Rows already in
``--out`` are skipped (resumable). Chain seed = the architecture's index, so runs differ in
teacher, data and noise.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np

from llc_explorer.config import make_config
from llc_explorer.dln.architectures import random_architectures
from llc_explorer.estimator import stream_batch
from llc_explorer.sgmcmc.adaptation import target_acceptance
from llc_explorer.sgmcmc.registry import get_sampler


def block_means(trace: np.ndarray, block: int) -> list[list[float | None]]:
    """Per chain, the mean over each block of ``block`` steps (None where not finite)."""
    chains, steps = trace.shape
    means = trace[:, : steps - steps % block].reshape(chains, -1, block).mean(axis=2)
    return [[float(x) if np.isfinite(x) else None for x in row] for row in means]


def grid(pairs: list[str]) -> list[dict[str, float | str]]:
    """``["step_size=1e-7,2e-7", "b2=0.999"]`` -> every combination as a dict (``auto`` stays
    a string)."""
    axes = {}
    for pair in pairs:
        name, values = pair.split("=")
        axes[name] = [v if v == "auto" else float(v) for v in values.split(",")]
    return [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-class", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--arch-seed", type=int, required=True)
    parser.add_argument("--sampler", required=True)
    parser.add_argument("--grid", action="append", default=[])
    parser.add_argument("--steps", type=int, default=50_000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--block", type=int, default=250)
    parser.add_argument("--only", help="comma-separated architecture indices to run")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    done = set()
    if args.out.exists():
        done = {json.loads(line)["key"] for line in args.out.read_text().splitlines()}
    settings = grid(args.grid)
    archs = random_architectures(args.size_class, args.count, seed=args.arch_seed)
    only = None if args.only is None else {int(i) for i in args.only.split(",")}
    for index, arch in enumerate(archs):
        key = f"{args.size_class}/{args.arch_seed}/{index}/{args.sampler}/{args.grid}/{args.steps}"
        if key in done or (only is not None and index not in only):
            continue
        auto = [s.get("step_size") == "auto" for s in settings]
        if any(auto) and not all(auto):
            raise SystemExit("a grid runs step_size=auto alone or not at all")
        if any(auto) and get_sampler(args.sampler).metric is None:
            raise SystemExit(f"{args.sampler} has no MALA acceptance, so no automatic step size")
        configs = [
            make_config(
                arch.widths,
                arch.rank,
                sampler=args.sampler,
                steps=args.steps,
                chains=args.chains,
                seed=index,
                **{**s, "step_size": None} if all(auto) else s,
            )
            for s in settings
        ]
        began = time.perf_counter()
        target = target_acceptance(arch.num_params) if all(auto) else None
        *_, results = stream_batch(configs, target_acceptance=target)
        seconds = time.perf_counter() - began
        for s, r in zip(settings, results, strict=True):
            row = {
                "key": key,
                "size_class": args.size_class,
                "arch_seed": args.arch_seed,
                "index": index,
                "widths": list(arch.widths),
                "rank": arch.rank,
                "d": r.num_params,
                "sampler": args.sampler,
                "settings": s,
                "config": r.config.as_dict(),
                "true_llc": float(r.true_llc),
                "loss_at_teacher": r.loss_at_teacher,
                "nbeta": r.config.nbeta,
                "block": args.block,
                "loss_blocks": block_means(r.loss_trace, args.block),
                "mala_blocks": block_means(r.mala_trace, args.block),
                "diverged": [[c, s_] for c, s_ in r.diverged_chains],
                "seconds_batch": seconds,
                "compile_seconds": r.compile_seconds,
                "relative_error_default_window": r.relative_error,
                "llc_ci95": list(r.llc_ci95),
                "warnings": r.warnings,
                "diagnostics": r.diagnostics._asdict(),
                "calibration": None if r.calibration is None else r.calibration.as_dict(),
            }
            with args.out.open("a") as f:
                f.write(json.dumps(row) + "\n")
        print(
            f"{key} {arch.widths} r={arch.rank} d={results[0].num_params} {seconds:.0f}s",
            flush=True,
        )


if __name__ == "__main__":
    main()
