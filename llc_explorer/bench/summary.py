"""The paper-style summary of sweep results, per sampler and size class.

For each group: the best step size (smallest median absolute relative error over
architectures and seeds, counting a run with a diverged chain as failed), the median and
worst absolute relative error at it, the fraction of runs with a diverged chain, the width
(in decades) of the step-size range whose median error stays within 10%, and the Spearman
rank correlation between estimated and exact LLC across architectures at the best step size.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar

import numpy as np
from scipy.stats import spearmanr

from llc_explorer.bench.spec import size_text
from llc_explorer.settings import text

T = TypeVar("T")

GOOD_ERROR = 0.10
"""Relative error that counts as good for the step-size range width."""


class SamplerSummary(NamedTuple):
    """One row of the summary table."""

    sampler: str
    size_class: str
    runs: int
    best_step_size: float
    median_error: float
    worst_error: float
    diverged_fraction: float
    good_range_decades: float
    spearman: float


def by_key(items: Sequence[T], key: Callable[[T], Any]) -> dict[Any, list[T]]:
    """``items`` grouped by ``key(item)``, in first-seen order."""
    groups: dict[Any, list[T]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return groups


def failed(row: dict[str, Any]) -> bool:
    """A run counts as failed if any chain diverged or the estimate is not finite."""
    mean = row.get("llc_mean")
    return bool(row["diverged_chains"]) or mean is None or not math.isfinite(mean)


def abs_error(row: dict[str, Any]) -> float:
    """``|relative error|``, infinite for a failed run."""
    return math.inf if failed(row) else abs(row["relative_error"])


def sampler_label(row: dict[str, Any]) -> str:
    """The row's sampler, with the hyperparameters its sweep set (a variant):
    ``rmsprop_sgld (b2=0.99, bias_correction=off)``."""
    hyper = row.get("hyper") or {}
    if not hyper:
        return str(row["sampler"])
    shown = ", ".join(f"{k}={text(v)}" for k, v in sorted(hyper.items()))
    return f"{row['sampler']} ({shown})"


def size_label(row: dict[str, Any]) -> str:
    """The row's size class as ``1e4``, or ``listed`` for explicitly listed widths."""
    size = row.get("size_class")
    return "listed" if size is None else size_text(size)


def summarize_group(sampler: str, size: str, rows: list[dict[str, Any]]) -> SamplerSummary:
    """The summary of one sampler's rows in one size class."""
    by_step: dict[float, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_step[row["step_size"]].append(row)
    medians = {
        step: float(np.median([abs_error(r) for r in group])) for step, group in by_step.items()
    }
    best = min(sorted(medians), key=lambda step: medians[step])
    at_best = by_step[best]
    errors = [abs_error(r) for r in at_best]
    good = [step for step, median in medians.items() if median <= GOOD_ERROR]
    width = math.log10(max(good) / min(good)) if good else math.nan
    per_arch: dict[tuple, list[float]] = defaultdict(list)
    truth: dict[tuple, float] = {}
    for row in at_best:
        key = (tuple(row["widths"]), row["rank"])
        truth[key] = row["true_llc"]
        if not failed(row):
            per_arch[key].append(row["llc_mean"])
    keys = [k for k in truth if per_arch[k]]
    if len(keys) >= 3 and len({truth[k] for k in keys}) > 1:
        rho = float(spearmanr([truth[k] for k in keys], [np.mean(per_arch[k]) for k in keys])[0])
    else:
        rho = math.nan
    return SamplerSummary(
        sampler=sampler,
        size_class=size,
        runs=len(rows),
        best_step_size=best,
        median_error=float(np.median(errors)),
        worst_error=float(np.max(errors)),
        diverged_fraction=float(np.mean([failed(r) for r in rows])),
        good_range_decades=width,
        spearman=rho,
    )


def with_truth(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows whose teacher has a known exact LLC (``true_llc`` not ``None``)."""
    return [row for row in rows if row.get("true_llc") is not None]


def summarize_rows(rows: list[dict[str, Any]]) -> list[SamplerSummary]:
    """One :class:`SamplerSummary` per sampler and size class, in first-seen order, over the
    rows with a known exact LLC."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in with_truth(rows):
        groups[(sampler_label(row), size_label(row))].append(row)
    return [summarize_group(sampler, size, group) for (sampler, size), group in groups.items()]


def format_table(summaries: list[SamplerSummary]) -> str:
    """The summary as a markdown table."""

    def pct(x: float) -> str:
        return "-" if not math.isfinite(x) else f"{x:.1%}"

    lines = [
        "| sampler | size class | runs | best step size | median abs rel. error | "
        "worst abs rel. error | diverged runs | decades within 10% | Spearman rho |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summaries:
        decades = "-" if math.isnan(s.good_range_decades) else f"{s.good_range_decades:.1f}"
        rho = "-" if math.isnan(s.spearman) else f"{s.spearman:.2f}"
        lines.append(
            f"| {s.sampler} | {s.size_class} | {s.runs} | {s.best_step_size:g} | "
            f"{pct(s.median_error)} | {pct(s.worst_error)} | {pct(s.diverged_fraction)} | "
            f"{decades} | {rho} |"
        )
    return "\n".join(lines)


def format_step_table(rows: list[dict[str, Any]]) -> str:
    """The median signed relative error of each sampler (column) at each step size (row), over
    the rows with a known exact LLC; ``NaN`` where a run diverged, ``-`` where none ran."""
    known = with_truth(rows)
    samplers = list(by_key(known, sampler_label))
    cells: dict[tuple[float, str], list[float]] = defaultdict(list)
    for row in known:
        cells[(row["step_size"], sampler_label(row))].append(
            math.nan if failed(row) else row["relative_error"]
        )
    lines = [
        "| step size | " + " | ".join(samplers) + " |",
        "|---|" + "---|" * len(samplers),
    ]
    for step in sorted({step for step, _ in cells}):
        shown = []
        for sampler in samplers:
            errors = cells.get((step, sampler))
            median = float(np.median(errors)) if errors else math.nan
            shown.append("-" if not errors else "NaN" if math.isnan(median) else f"{median:+.1%}")
        lines.append(f"| {step:g} | " + " | ".join(shown) + " |")
    return "\n".join(lines)
