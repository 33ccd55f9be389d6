"""The defaults on fresh random DLNs, against the accuracy and time targets of issue 25.

    python benchmarks/default_validation.py --arch-seed 72025 --out docs/results/defaults \\
        --class tiny=10 --class 1e3=12 --class 1e4=8 --class 1e5=5

Draws each size class's DLNs with :func:`llc_explorer.dln.architectures.random_architectures`
(``tiny``: :func:`~llc_explorer.dln.architectures.random_tiny_architectures`) from
``--arch-seed``, runs ``estimate_llc`` at its defaults (plus any ``--set name=value``) on each,
appends one JSON row per run to ``OUT/runs.jsonl`` (resumable: a run already there is
skipped), and prints per class: median and worst absolute error, how often the 95% interval
covers the exact value, diverged chains, runs with warnings, wall seconds per estimate
(median / max, compilation included; the machine may be shared), and the largest loss excess
of any run (:func:`peak_excess`), against the blow-up rule's 1e4.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from llc_explorer import estimate_llc
from llc_explorer.dln.architectures import random_architectures, random_tiny_architectures


def draw(size: str, count: int, seed: int) -> list:
    """The architectures of class ``size``."""
    if size == "tiny":
        return random_tiny_architectures(count, seed=seed)
    return random_architectures(size, count, seed=seed)


def value(text: str) -> float | str:
    """A ``--set`` value: a number where it parses as one."""
    try:
        return float(text) if any(c in text for c in ".e") else int(text)
    except ValueError:
        return text


def peak_excess(result) -> float:
    """The run's largest minibatch loss over the chains and steps, as the excess over the
    teacher's loss in units of ``L_n(w*) + d / (n*beta)``: the blow-up rule
    (:func:`llc_explorer.sgmcmc.diagnostics.loss_ceiling`) freezes a chain past ``BLOWUP``
    of them."""
    scale = result.loss_at_teacher + result.num_params / result.config.nbeta
    return float((np.nanmax(result.loss_trace) - result.loss_at_teacher) / scale)


def table(rows: list[dict]) -> str:
    """The per-class summary in Markdown."""
    lines = [
        "| class | DLNs | median abs error | worst | errors | interval covers | diverged chains "
        "| runs with warnings | wall s median / max | peak loss excess |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size in dict.fromkeys(r["class"] for r in rows):
        mine = [r for r in rows if r["class"] == size]
        errors = np.array(
            [np.nan if r["relative_error"] is None else r["relative_error"] for r in mine]
        )
        covers = sum(  # a run whose chains all diverged has no interval (null): not covered
            None not in r["llc_ci95"] and r["llc_ci95"][0] <= r["true_llc"] <= r["llc_ci95"][1]
            for r in mine
        )
        walls = np.array([r["seconds"] for r in mine])
        listed = ", ".join(  # a run with no estimate (every chain diverged) last
            [f"{100 * e:+.1f}" for e in sorted(errors[~np.isnan(errors)])]
            + ["none"] * int(np.isnan(errors).sum())
        )
        lines.append(  # median and worst over the runs that have an estimate
            f"| {size} | {len(mine)} | {np.nanmedian(np.abs(errors)):.1%} | "
            f"{np.nanmax(np.abs(errors)):.1%} | {listed} | {covers} of {len(mine)} | "
            f"{sum(r['diverged'] for r in mine)} | {sum(bool(r['warnings']) for r in mine)} | "
            f"{np.median(walls):.0f} / {walls.max():.0f} | "
            f"{max(r.get('peak_excess', math.nan) for r in mine):.3g} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch-seed", type=int, required=True)
    parser.add_argument("--class", dest="classes", action="append", required=True,
                        help="SIZE=COUNT, e.g. 1e4=8 or tiny=10")  # fmt: skip
    parser.add_argument("--set", action="append", default=[], help="NAME=VALUE for estimate_llc")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    settings = {k: value(v) for k, v in (s.split("=", 1) for s in args.set)}
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "runs.jsonl"
    rows = [json.loads(line) for line in path.open()] if path.exists() else []
    done = {(r["arch_seed"], r["class"], r["index"], json.dumps(r["settings"])) for r in rows}
    for spec in args.classes:
        size, count = spec.split("=")
        for index, arch in enumerate(draw(size, int(count), args.arch_seed)):
            if (args.arch_seed, size, index, json.dumps(settings)) in done:
                continue
            began = time.perf_counter()
            result = estimate_llc(arch.widths, arch.rank, **settings)
            row = {
                "class": size, "index": index, "arch_seed": args.arch_seed,
                "widths": list(arch.widths), "rank": arch.rank, "settings": settings,
                "seconds": time.perf_counter() - began, **result.to_dict(),
                "diverged": len(result.diverged_chains), "peak_excess": peak_excess(result),
            }  # fmt: skip
            rows.append(row)
            with path.open("a") as f:
                f.write(json.dumps(row) + "\n")
            print(f"{size} {arch.widths} r{arch.rank}: {result.relative_error:+.1%} "
                  f"({row['seconds']:.0f} s)", flush=True)  # fmt: skip
    print(
        table([r for r in rows if r["settings"] == settings and r["arch_seed"] == args.arch_seed])
    )


if __name__ == "__main__":
    main()
