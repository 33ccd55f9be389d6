"""The figures of docs/RESULTS.md ("The paper's three experiments") from the stored rows of
docs/results/paper (needs matplotlib: ``pip install matplotlib``).

1. ``step_size.png``: median relative error against step size, each sampler and the variants
   (left), and against the *effective* step size (right): the nominal one times the scalar that
   turns each sampler into SGLD near the teacher (RMSPropSGLD and AdamSGLD at ``a`` = 0.1:
   ``1/a`` = 10, where ``P_t`` sits, ``benchmarks/preconditioner_saturation.py``; SGHMC:
   ``1/alpha``; SGNHT: ``1/A``, its thermostat's starting friction).
2. ``precondition.png``: experiment 2's diverged share and error against step size.
3. ``order.png``: estimated against exact LLC per sampler and size class, with Spearman's rho.

    python benchmarks/paper_figures.py            # writes docs/results/paper/*.png
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from llc_explorer.bench.paper import load_results
from llc_explorer.bench.stats import best_runs, spearman_interval
from llc_explorer.bench.summary import by_key, failed, sampler_label, summarize_rows
from llc_explorer.sgmcmc.registry import get_spec

COLORS = {
    "sgld": "#1f77b4", "rmsprop_sgld": "#d62728", "adam_sgld": "#2ca02c", "sghmc": "#9467bd",
    "sgnht": "#8c564b", "adaptive_drift_sgld": "#17becf",
}  # fmt: skip


def effective_factor(row: dict) -> float:
    """The scalar that makes the sampler SGLD near the teacher: step size x this factor."""
    spec = get_spec(row["sampler"])
    values = {**spec.defaults, **(row.get("hyper") or {})}
    if row["sampler"] in ("rmsprop_sgld", "adam_sgld") and values["a"] >= 0.01:
        return 1 / values["a"]
    if row["sampler"] == "sghmc":
        return 1 / values["friction"]
    if row["sampler"] == "sgnht":
        return 1 / values["diffusion"]
    return 1.0  # SGLD, the adaptive drift, and pSGLD (its P_t varies: no single factor)


def medians(rows: list[dict], scale: bool = False) -> tuple[list, list, list]:
    """Step sizes (times the effective factor with ``scale``), the median relative error of the
    finite runs there, and the step sizes where a run diverged."""
    steps, errors, lost = [], [], []
    for step, group in sorted(by_key(rows, lambda r: r["step_size"]).items()):
        x = step * (effective_factor(group[0]) if scale else 1.0)
        ok = [r["relative_error"] for r in group if not failed(r)]
        if len(ok) < len(group):
            lost.append(x)
        if ok:
            steps.append(x)
            errors.append(100 * float(np.median(ok)))
    return steps, errors, lost


def style(label: str) -> dict:
    sampler = label.split(" ")[0].rstrip(",")
    line = ":" if "steps" in label else "--" if "(" in label else "-"
    return {"color": COLORS[sampler], "ls": line, "marker": "o", "ms": 3, "lw": 1.2,
            "label": label}  # fmt: skip


def step_size_figure(rows: list[dict], out: Path) -> None:
    """The rows of experiment 1, its variants and its longer runs (dotted, labelled by length)."""
    import matplotlib.pyplot as plt

    base = min(r["steps"] for r in rows)

    def label(row: dict) -> str:
        longer = f", {row['steps']:,} steps" if row["steps"] != base else ""
        return sampler_label(row) + longer

    fig, axes = plt.subplots(1, 2, figsize=(13, 5.8), sharey=True)
    for ax, scale in zip(axes, (False, True), strict=True):
        for name, group in by_key(rows, label).items():
            steps, errors, lost = medians(group, scale)
            ax.plot(steps, errors, **style(name))
            ax.plot(lost, [190] * len(lost), "x", color=style(name)["color"], ms=7)
        ax.axhline(0, color="k", lw=0.8)
        ax.axhspan(-10, 10, color="green", alpha=0.08)
        ax.set_xscale("log")
        ax.set_ylim(-105, 200)
    d = rows[0]["num_params"]
    axes[0].set_title(f"d = {d:,}: relative error against step size (x: a run diverged)")
    axes[0].set_xlabel("step size eps")
    axes[0].set_ylabel(f"median relative error over seeds (%), {base:,} steps")
    axes[1].set_title("against the effective step size (eps x 1/a, 1/alpha, 1/A)")
    axes[1].set_xlabel("effective step size: the SGLD step size it matches near w*")
    axes[1].set_xlim(1e-11, 1e-4)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.18, 1, 1))
    fig.savefig(out / "step_size.png", dpi=110)
    plt.close(fig)


def precondition_figure(rows: list[dict], out: Path) -> None:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
    for label, group in by_key(rows, sampler_label).items():
        by_step = sorted(by_key(group, lambda r: r["step_size"]).items())
        share = [100 * np.mean([failed(r) for r in g]) for _, g in by_step]
        axes[0].plot([s for s, _ in by_step], share, **style(label))
        for step, g in by_step:
            finite = [100 * r["relative_error"] for r in g if not failed(r)]
            axes[1].plot([step] * len(finite), finite, "o", ms=4, color=style(label)["color"])
        steps, errors, _ = medians(group)
        axes[1].plot(steps, errors, **{**style(label), "marker": None})
    sizes = sorted({r["num_params"] for r in rows})
    axes[0].set_title(f"d = {sizes[0]:,} and {sizes[-1]:,}: runs that ended in NaN")
    axes[0].set_ylabel("share of runs (%)")
    axes[1].set_title("relative error of the finite runs (dots: each seed and DLN)")
    axes[1].set_ylabel("relative error (%)")
    axes[1].set_yscale("symlog", linthresh=100)
    axes[1].axhline(0, color="k", lw=0.8)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("step size eps")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "precondition.png", dpi=110)
    plt.close(fig)


def order_figure(classes: dict[str, list[dict]], out: Path) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    labels = list(by_key([r for rows in classes.values() for r in rows], sampler_label))
    fig, axes = plt.subplots(
        len(classes), len(labels), figsize=(2.6 * len(labels), 2.6 * len(classes)), squeeze=False
    )
    for axes_row, (size, rows) in zip(axes, classes.items(), strict=True):
        best = {s.sampler: s.best_step_size for s in summarize_rows(rows)}
        for ax, label in zip(axes_row, labels, strict=True):
            group = [r for r in rows if sampler_label(r) == label]
            truth, estimate = best_runs(group, best[label])
            rho, low, high = spearman_interval(truth, estimate)
            span = [min(truth), max(truth)]
            ax.plot(span, span, "--", color="gray", lw=0.8)
            ax.plot(truth, estimate, "o", color=style(label)["color"], ms=4)
            interval = "" if math.isnan(low) else f" [{low:.2f}, {high:.2f}]"
            name = label.replace(" (a=1e-05, b2=0.99, bias_correction=off)", " (pSGLD)")
            ax.set_title(f"{size} {name}\nrho {rho:.2f}{interval}", fontsize=8)
            ax.set_xscale("log")
            ax.set_yscale("log")
            for axis in (ax.xaxis, ax.yaxis):
                axis.set_minor_formatter(NullFormatter())
            ax.tick_params(labelsize=7)
    fig.supxlabel("exact LLC (log scale; dashed: estimate = exact)", fontsize=9)
    fig.supylabel("estimated LLC", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "order.png", dpi=110)
    plt.close(fig)


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=Path, default=Path("docs/results/paper"))
    args = parser.parse_args()
    results = load_results(args.results)
    step_size_figure(
        results["step_size_1e5"] + results.get("variants_1e5", []) + results.get("long_1e5", []),
        args.results,
    )
    precondition_figure(results["precondition_1e6"], args.results)
    order_figure(
        {name.split("_")[1]: rows for name, rows in results.items() if name.startswith("order")},
        args.results,
    )
    print("wrote", ", ".join(str(args.results / f) for f in ("step_size.png", "precondition.png",
                                                             "order.png")))  # fmt: skip


if __name__ == "__main__":
    main()
