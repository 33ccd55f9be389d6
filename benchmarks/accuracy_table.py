"""Tables and plots of docs/ACCURACY.md, from the runs of ``benchmarks/accuracy_runs.py``.

    python benchmarks/accuracy_table.py [--results docs/results/accuracy] [--out docs/accuracy]

Reads ``runs.jsonl`` (step-size grids without warm-up, architecture seed 30111),
``localisation.jsonl`` (gamma and n*beta) and ``validation.jsonl`` (the final defaults and
``--step-size auto`` on architectures of seed 30333), prints Markdown tables and writes PNG
plots (needs matplotlib: ``pip install matplotlib``). Estimates for shorter runs come from the
stored block means (a run of T steps with 90% burn-in is the first T steps of a longer run).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from llc_explorer.sgmcmc.diagnostics import (
    MALA_MAX,
    MALA_MIN,
    SYSTEMATIC,
    Diagnostics,
    convergence_warnings,
    interval95,
)


def load(path: Path) -> list[dict]:
    """The rows of a JSONL file (none if it does not exist)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def blocks(row: dict, name: str = "loss_blocks") -> np.ndarray:
    """Block means (chains x blocks), NaN where missing."""
    return np.array([[np.nan if x is None else x for x in chain] for chain in row[name]])


def per_chain(row: dict, steps: int, burn_in: float = 0.9) -> np.ndarray:
    """Per-chain estimates of the first ``steps`` steps with ``burn_in`` (block-aligned)."""
    loss = blocks(row)
    stop, start = steps // row["block"], int(burn_in * steps) // row["block"]
    return row["nbeta"] * (loss[:, start:stop].mean(axis=1) - row["loss_at_teacher"])


def error(row: dict, steps: int) -> float:
    """Relative error of the mean over chains."""
    return float((np.nanmean(per_chain(row, steps)) - row["true_llc"]) / row["true_llc"])


def late_acceptance(row: dict, steps: int) -> float:
    """Mean MALA acceptance over the sampling window of the first ``steps`` steps."""
    accepted = blocks(row, "mala_blocks")
    stop, start = steps // row["block"], int(0.9 * steps) // row["block"]
    return float(np.nanmean(accepted[:, start:stop]))


def grid_table(rows: list[dict], sampler: str, lengths: tuple[int, ...]) -> str:
    """Median and worst |error|, and mean error, per step size and run length."""
    out = [
        f"| {sampler} settings | "
        + " | ".join(f"T = {t:,}: median / worst / mean" for t in lengths)
        + " |",
        "|---|" + "---|" * len(lengths),
    ]
    settings = sorted({json.dumps(r["settings"]) for r in rows if r["sampler"] == sampler})
    for key in settings:
        sel = [r for r in rows if r["sampler"] == sampler and json.dumps(r["settings"]) == key]
        cells = []
        for t in lengths:
            e = np.array([error(r, t) for r in sel if t <= r["config"]["steps"]])
            cells.append(
                f"{np.median(np.abs(e)):.1%} / {np.max(np.abs(e)):.1%} / {np.mean(e):+.1%}"
                if e.size
                else "-"
            )
        label = ", ".join(f"{k} {v:g}" for k, v in json.loads(key).items())
        out.append(f"| {label} ({len(sel)} DLNs) | " + " | ".join(cells) + " |")
    return "\n".join(out)


def interval(row: dict, systematic: float) -> tuple[float, float]:
    """The 95% interval of the run, recomputed from its block means (exact: the run's burn-in
    is a whole number of blocks) with the given systematic part."""
    return interval95(per_chain(row, row["config"]["steps"], row["config"]["burn_in"]),
                      systematic=systematic)  # fmt: skip


def covered(row: dict, systematic: float = SYSTEMATIC) -> bool:
    """Whether the 95% interval holds the exact value."""
    low, high = interval(row, systematic)
    return bool(low <= row["true_llc"] <= high)


def warnings(row: dict, short: bool = False) -> list[str]:
    """The run's warnings by the current limits (recomputed from its stored diagnostics);
    ``short``: the first words of each."""
    d = Diagnostics(**{k: (np.nan if v is None else v) for k, v in row["diagnostics"].items()})
    out = [f"{len(row['diverged'])} diverged"] if row["diverged"] else []
    out += convergence_warnings(d)
    return [w.split(":")[0] for w in out] if short else out


def mode(row: dict) -> str:
    """``"auto"`` for an adapted step size, else ``"fixed"``."""
    return "fixed" if row["calibration"] is None else "auto"


def summary_table(rows: list[dict], first: str, key: Callable[[dict], Any]) -> str:
    """Accuracy, coverage, warnings, step size and wall time per group of ``rows`` with the
    same ``(key(row), step-size mode)``, in order of appearance; ``first`` names the key."""
    out = [
        f"| {first} | step size | DLNs | median abs. error | worst abs. error | mean error "
        "| 95% interval covers (Monte Carlo part only) | diverged chains | runs with warnings "
        "| chosen eps (median) | wall s per estimate (median / max) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for group, step in dict.fromkeys((key(r), mode(r)) for r in rows):
        sel = [r for r in rows if key(r) == group and mode(r) == step]
        e = np.array([r["relative_error_default_window"] for r in sel])
        seconds = np.array([r["seconds_batch"] for r in sel])
        out.append(
            f"| {group} | {step} | {len(sel)} | {np.median(np.abs(e)):.1%} "
            f"| {np.max(np.abs(e)):.1%} | {np.mean(e):+.1%} "
            f"| {sum(map(covered, sel))} of {len(sel)} ({sum(covered(r, 0.0) for r in sel)}) "
            f"| {sum(len(r['diverged']) for r in sel)} "
            f"| {sum(bool(warnings(r)) for r in sel)} of {len(sel)} "
            f"| {np.median([r['config']['step_size'] for r in sel]):.2g} "
            f"| {np.median(seconds):.0f} / {np.max(seconds):.0f} |"
        )
    return "\n".join(out)


def validation_rows(rows: list[dict]) -> str:
    """One line per validation run."""
    out = [
        "| size | # | widths | r | d | exact | step size | step | error | 95% interval "
        "| R-hat | MALA acc. | warnings |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(
        rows, key=lambda r: (float(r["size_class"]), r["index"], r["calibration"] is not None)
    ):
        low, high = interval(r, SYSTEMATIC)
        d = r["diagnostics"]
        out.append(
            f"| {r['size_class']} | {r['index']} | {','.join(map(str, r['widths']))} | {r['rank']} "
            f"| {r['d']:,} | {r['true_llc']:g} | {r['config']['step_size']:.2g} | {mode(r)} "
            f"| {r['relative_error_default_window']:+.1%} | [{low:.4g}, {high:.4g}] "
            f"| {d['rhat']:.2f} | {d['mala_acceptance']:.2f} "
            f"| {'; '.join(warnings(r, short=True))} |"
        )
    return "\n".join(out)


def localisation_table(base: list[dict], extra: list[dict]) -> str:
    """Error per gamma or n*beta for the same three DLNs and (scaled) step sizes, T = 50,000."""
    out = [
        "| DLN | setting | eps / 2 | eps (2e-7 at the default n*beta) | eps x 2 |",
        "|---|---|---|---|---|",
    ]
    rows = [r for r in base if r["sampler"] == "rmsprop_sgld" and r["settings"].get("b2") == 0.999]
    for index in sorted({r["index"] for r in extra}):
        widths = next(r["widths"] for r in extra if r["index"] == index)

        def line(label: str, sel: list[dict], widths: list[int] = widths) -> str:
            sel = sorted(sel, key=lambda r: r["config"]["step_size"])
            cells = [f"{error(r, 50_000):+.1%}" for r in sel]
            return f"| {','.join(map(str, widths))} | {label} | " + " | ".join(cells) + " |"

        keep = [1e-7, 2e-7, 4e-7]
        out.append(line("gamma 1 (default)", [r for r in rows if r["index"] == index
                                               and r["config"]["step_size"] in keep]))  # fmt: skip
        for name in ("gamma", "nbeta"):
            values = sorted({r["settings"][name] for r in extra if name in r["settings"]})
            for value in values:
                sel = [r for r in extra if r["index"] == index and r["settings"].get(name) == value]
                out.append(line(f"{name} {value:g}", sel))
    return "\n".join(out)


def warmup_table(runs: list[dict], final: list[dict]) -> str:
    """The same DLNs, seeds and step sizes at 30,000 steps without the warm-up (the first
    30,000 steps of the grid runs) and with it (the final-settings grid)."""
    steps = (1e-7, 2e-7, 4e-7)
    out = [
        "| DLN | r | " + " | ".join(f"{e:g}: without / with" for e in steps) + " |",
        "|---|---|" + "---|" * len(steps),
    ]
    grid = [r for r in runs if r["sampler"] == "rmsprop_sgld" and r["settings"].get("b2") == 0.999
            and r["size_class"] == "1e3"]  # fmt: skip
    for index in sorted({r["index"] for r in final}):
        cells = []
        for eps in steps:
            before = [r for r in grid if r["index"] == index and r["settings"]["step_size"] == eps]
            after = [r for r in final if r["index"] == index and r["calibration"] is None
                     and r["config"]["step_size"] == eps]  # fmt: skip
            if before and after:
                with_warmup = after[0]["relative_error_default_window"]
                cells.append(f"{error(before[0], 30_000):+.1%} / {with_warmup:+.1%}")
            else:
                cells.append("-")
        first = next(r for r in final if r["index"] == index)
        widths = ",".join(map(str, first["widths"]))
        out.append(f"| {widths} | {first['rank']} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def preconditioner_table(rows: list[dict]) -> str:
    """RMSPropSGLD at one step size with b2 0.99, 0.999, 0.9999 (no warm-up, T = 50,000)."""
    sel = [r for r in rows if "b2" in r["settings"] and "warmup_factor" in r["settings"]]
    out = ["| DLN | b2 0.99 | b2 0.999 | b2 0.9999 |", "|---|---|---|---|"]
    for index in sorted({r["index"] for r in sel}):
        cells = sorted((r for r in sel if r["index"] == index), key=lambda r: r["settings"]["b2"])
        widths = ",".join(map(str, cells[0]["widths"]))
        out.append(f"| {widths} | " + " | ".join(f"{error(r, 50_000):+.1%}" for r in cells) + " |")
    return "\n".join(out)


def auto_vs_grid_table(rows: list[dict]) -> str:
    """Per DLN: the error at each grid step size (final settings), the best of them, and the
    automatic choice with its error."""
    grid = [r for r in rows if r["calibration"] is None]
    auto = {r["index"]: r for r in rows if r["calibration"] is not None}
    steps = sorted({r["config"]["step_size"] for r in grid})
    out = [
        "| DLN | r | " + " | ".join(f"{e:g}" for e in steps) + " | best | auto: eps, error "
        "| auto / best |",
        "|---|---|" + "---|" * (len(steps) + 3),
    ]
    for index in sorted({r["index"] for r in grid}):
        sel = sorted(
            (r for r in grid if r["index"] == index), key=lambda r: r["config"]["step_size"]
        )
        errors = [r["relative_error_default_window"] for r in sel]
        best = steps[int(np.argmin(np.abs(errors)))]
        a = auto.get(index)
        auto_cells = (
            f"{a['config']['step_size']:.2g}, {a['relative_error_default_window']:+.1%} "
            f"| {a['config']['step_size'] / best:.2f}"
            if a
            else "- | -"
        )
        out.append(
            f"| {','.join(map(str, sel[0]['widths']))} | {sel[0]['rank']} | "
            + " | ".join(f"{e:+.1%}" for e in errors)
            + f" | {best:g} | {auto_cells} |"
        )
    return "\n".join(out)


def warning_table(rows: list[dict], bad: float = 0.07) -> str:
    """How often each warning fires over ``rows``, and on how many of the runs whose
    |error| exceeds ``bad``."""
    errors = np.array([abs(r["relative_error_default_window"]) for r in rows])
    fired = {
        "R-hat": [any(w.startswith("R-hat") for w in warnings(r)) for r in rows],
        "ESS": [any(w.startswith("effective") for w in warnings(r)) for r in rows],
        "drift": [any("still" in w for w in warnings(r)) for r in rows],
        "MALA acceptance": [any(w.startswith("MALA") for w in warnings(r)) for r in rows],
        "any": [bool(warnings(r)) for r in rows],
    }
    out = [
        f"| warning | runs it fired on (of {len(rows)}) "
        f"| runs with abs. error > {bad:.0%} it fired on (of {int((errors > bad).sum())}) |",
        "|---|---|---|",
    ]
    for name, hits in fired.items():
        hits = np.array(hits)
        out.append(f"| {name} | {hits.sum()} | {(hits & (errors > bad)).sum()} |")
    return "\n".join(out)


def plots(runs: list[dict], validation: list[dict], out: Path) -> None:
    """error_vs_step_size.png, error_vs_acceptance.png, slow_rise.png, validation.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = [r for r in runs if r["sampler"] == "rmsprop_sgld" and r["settings"].get("b2") == 0.999
            and r["size_class"] == "1e3"]  # fmt: skip
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharey=True)
    for ax, t in zip(axes, (10_000, 20_000, 50_000), strict=True):
        for index in sorted({r["index"] for r in grid}):
            sel = sorted(
                (r for r in grid if r["index"] == index), key=lambda r: r["settings"]["step_size"]
            )
            eps = [r["settings"]["step_size"] for r in sel]
            depth = len(sel[0]["widths"]) - 1
            ax.plot(
                eps, [100 * error(r, t) for r in sel], "o-", label=f"M={depth}, r={sel[0]['rank']}"
            )
        ax.axhline(0, color="k", lw=0.8)
        ax.axhspan(-7, 7, color="green", alpha=0.08)
        ax.set_xscale("log")
        ticks = sorted({r["settings"]["step_size"] for r in grid})
        ax.set_xticks(ticks, [f"{x:g}" for x in ticks], minor=False)
        ax.minorticks_off()
        ax.set_title(f"{t:,} steps, 90% burn-in, no warm-up")
        ax.set_xlabel("RMSPropSGLD step size (b2 = 0.999)")
    axes[0].set_ylabel("relative error (%)")
    axes[0].set_ylim(-80, 40)
    axes[-1].legend(fontsize=7, loc="lower right", title="1e3 DLN (depth, rank)", title_fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "error_vs_step_size.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    for sampler, marker in (("rmsprop_sgld", "o"), ("sgld", "s"), ("adam_sgld", "^")):
        sel = [r for r in runs if r["sampler"] == sampler and r["size_class"] == "1e3"]
        if sel:
            x = [late_acceptance(r, r["config"]["steps"]) for r in sel]
            y = [100 * error(r, r["config"]["steps"]) for r in sel]
            ax.scatter(x, y, marker=marker, s=18, alpha=0.7, label=sampler)
    ax.axhline(0, color="k", lw=0.8)
    ax.axvline(0.8, color="C3", ls="--", lw=1, label="auto target 0.8")
    ax.axvline(
        MALA_MIN, color="C7", ls=":", lw=1, label=f"warnings below {MALA_MIN}, above {MALA_MAX}"
    )
    ax.axvline(MALA_MAX, color="C7", ls=":", lw=1)
    ax.set_xlabel("MALA acceptance in the sampling window")
    ax.set_ylabel("relative error (%)")
    ax.set_ylim(-60, 60)
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title("1e3 DLNs, 50,000 steps, fixed step sizes")
    fig.tight_layout()
    fig.savefig(out / "error_vs_acceptance.png", dpi=110)
    plt.close(fig)

    deep = [r for r in grid if r["index"] == 0]
    fig, ax = plt.subplots(figsize=(6, 4))
    lengths = np.arange(2_000, 50_001, 1_000)
    for r in sorted(deep, key=lambda r: r["settings"]["step_size"]):
        ax.plot(lengths, [100 * error(r, int(t)) for t in lengths],
                label=f"eps {r['settings']['step_size']:g}")  # fmt: skip
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel("run length T (estimate over the last 10%)")
    ax.set_ylabel("relative error (%)")
    ax.set_title(f"slow escape from w*: {','.join(map(str, deep[0]['widths']))}, r = 1")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "slow_rise.png", dpi=110)
    plt.close(fig)

    if validation:
        fig, ax = plt.subplots(figsize=(7, 4))
        for k, step in enumerate(("fixed", "auto")):
            sel = [r for r in validation if mode(r) == step]
            x = np.array([np.log10(r["d"]) for r in sel]) + 0.01 * (2 * k - 1)
            y = np.array([100 * r["relative_error_default_window"] for r in sel])
            bounds = np.array([interval(r, SYSTEMATIC) for r in sel])
            lo = 100 * (bounds[:, 0] / [r["true_llc"] for r in sel] - 1)
            hi = 100 * (bounds[:, 1] / [r["true_llc"] for r in sel] - 1)
            label = "fixed 2e-7" if step == "fixed" else "auto (the default)"
            ax.errorbar(x, y, yerr=[y - lo, hi - y], fmt="o", ms=4, capsize=2, label=label)
        ax.axhline(0, color="k", lw=0.8)
        ax.axhspan(-7, 7, color="green", alpha=0.08, label="target: worst 7%")
        ax.set_xlabel("log10 d")
        ax.set_ylabel("relative error and 95% interval (%)")
        ax.set_title("fresh DLNs (seed 30333), RMSPropSGLD, 30,000 steps")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / "validation.png", dpi=110)
        plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("docs/results/accuracy"))
    parser.add_argument("--out", type=Path, default=Path("docs/accuracy"))
    args = parser.parse_args()
    runs = load(args.results / "runs.jsonl")
    validation = load(args.results / "validation.jsonl")
    extra = load(args.results / "localisation.jsonl")
    print("## Step-size grids (1e3, seed 30111)\n")
    for sampler in ("rmsprop_sgld", "sgld", "adam_sgld", "sghmc", "sgnht"):
        sel = [r for r in runs if r["size_class"] == "1e3"]
        if any(r["sampler"] == sampler for r in sel):
            print(grid_table(sel, sampler, (10_000, 20_000, 30_000, 50_000)), "\n")
    sel = [r for r in runs if r["size_class"] == "1e4"]
    if sel:
        print("## Step-size grid (1e4, seed 30111)\n")
        print(grid_table(sel, "rmsprop_sgld", (10_000, 20_000, 30_000)), "\n")
    if extra:
        print("## Localisation and n*beta (50,000 steps, no warm-up)\n")
        print(localisation_table(runs, extra), "\n")
    final = load(args.results / "final_grid.jsonl")
    if final:
        print("## Final settings (30,000 steps, warm-up 4x): grid and auto (1e3, seed 30111)\n")
        print(auto_vs_grid_table(final), "\n")
        print("## 30,000 steps without / with the warm-up (1e3, seed 30111)\n")
        print(warmup_table(runs, final), "\n")
    if any("warmup_factor" in r["settings"] for r in extra):
        print("## b2 at a matched step size (3e-7, 50,000 steps, no warm-up)\n")
        print(preconditioner_table(extra), "\n")
    samplers = load(args.results / "validation_samplers.jsonl")
    if samplers:
        print("## Other samplers at their defaults (1e3, seed 30333)\n")
        print(summary_table(samplers, "sampler", lambda r: r["sampler"]), "\n")
    stored = [r for r in runs + final + samplers + validation if "diagnostics" in r]
    if stored:
        print("## Warnings over every stored run with diagnostics\n")
        print(warning_table(stored), "\n")
    if validation:
        print("## Validation (seed 30333)\n")
        ordered = sorted(validation, key=lambda r: (float(r["size_class"]), mode(r) != "auto"))
        print(summary_table(ordered, "size class", lambda r: r["size_class"]), "\n")
        print(validation_rows(validation), "\n")
        t = stats.t.ppf(0.975, 3)
        print(f"(t quantile for 4 chains: {t:.3f})")
    args.out.mkdir(parents=True, exist_ok=True)
    plots(runs, validation, args.out)
    print(f"plots in {args.out}")


if __name__ == "__main__":
    main()
