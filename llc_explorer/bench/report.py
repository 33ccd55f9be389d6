"""The sweep report: one self-contained HTML figure page (BokehJS inlined: works offline).

From top to bottom: a header saying what was run (per size class: samplers, step sizes,
architectures, seeds, steps, chains, n, n*beta, burn-in, gamma, teacher, warm-up) with the
command that reruns it, the package version and the date; the summary as an HTML table (one
row per sampler and size class, sortable, the best value of each column within a size class
highlighted); then one section per size class with |relative error| against step size (median
line, interquartile band over architectures and seeds, runs with a diverged chain marked),
the fraction of such runs against step size, and order preservation per sampler (estimated
against exact LLC at its best step size, Spearman's rho with a bootstrap 95% interval in the
title). Legends sit beside the plots, never over data.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
from bokeh.embed import components
from bokeh.layouts import column, gridplot, row
from bokeh.models import ColumnDataSource, HoverTool, Legend, LegendItem, Range1d, Title
from bokeh.palettes import Category10
from bokeh.plotting import figure
from bokeh.resources import INLINE
from scipy.stats import spearmanr

from llc_explorer.bench.summary import (
    SamplerSummary,
    abs_error,
    by_key,
    failed,
    hyperparameter_flags,
    sampler_label,
    size_label,
    summarize_rows,
    with_truth,
)
from llc_explorer.bench.sweep import Run
from llc_explorer.dln.architectures import random_architectures
from llc_explorer.errors import ConfigError

ERROR_RANGE = (1e-3, 10.0)
"""The |relative error| axis; runs with a diverged chain are marked at its top."""

BOOTSTRAP_DRAWS = 2000
"""Resamples of the architectures for the interval of Spearman's rho."""

ARCH_SEEDS_TRIED = 1000
"""Architecture seeds searched to name the one a size class was drawn with."""

SPEC_FIELDS = ("steps", "chains", "n", "batch_size", "burn_in", "gamma", "teacher")
"""Settings shared by a size class's runs, shown in the header and passed to the command."""


def error_spread(rows: Sequence[dict[str, Any]]) -> dict[str, list[float]]:
    """Per step size: the quartiles of |relative error| over the finished runs (NaN where none
    finished) and the share of runs with a diverged chain."""
    out: dict[str, list[float]] = {k: [] for k in ("step", "q1", "median", "q3", "failed")}
    for step, group in sorted(by_key(rows, lambda r: r["step_size"]).items()):
        finite = [abs_error(r) for r in group if not failed(r)]
        q1, median, q3 = np.percentile(finite, [25, 50, 75]) if finite else [math.nan] * 3
        out["step"].append(step)
        out["q1"].append(float(q1))
        out["median"].append(float(median))
        out["q3"].append(float(q3))
        out["failed"].append(float(np.mean([failed(r) for r in group])))
    return out


def spearman_interval(
    truth: Sequence[float], estimate: Sequence[float], *, seed: int = 0
) -> tuple[float, float, float]:
    """Spearman's rho between ``truth`` and ``estimate`` (one pair per architecture) and the
    2.5% and 97.5% quantiles of rho over ``BOOTSTRAP_DRAWS`` resamples of the architectures
    (resamples with a constant side are skipped); NaN where undefined (fewer than 3 pairs)."""
    x, y = np.asarray(truth, float), np.asarray(estimate, float)
    if x.size < 3 or np.ptp(x) == 0:
        return math.nan, math.nan, math.nan
    rho = float(spearmanr(x, y)[0])
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(BOOTSTRAP_DRAWS):
        pick = rng.integers(0, x.size, x.size)
        if np.ptp(x[pick]) > 0 and np.ptp(y[pick]) > 0:
            draws.append(spearmanr(x[pick], y[pick])[0])
    if not draws:
        return rho, math.nan, math.nan
    low, high = np.percentile(draws, [2.5, 97.5])
    return rho, float(low), float(high)


def best_runs(rows: Sequence[dict[str, Any]], best_step: float) -> tuple[list, list]:
    """Exact and mean estimated LLC per architecture at ``best_step`` (finished runs only)."""
    truth, estimate = [], []
    at_best = [r for r in rows if r["step_size"] == best_step and not failed(r)]
    for group in by_key(at_best, lambda r: (tuple(r["widths"]), r["rank"])).values():
        truth.append(group[0]["true_llc"])
        estimate.append(float(np.mean([r["llc_mean"] for r in group])))
    return truth, estimate


def arch_seed(size: float, archs: set[tuple[tuple[int, ...], int]]) -> int | None:
    """The seed that ``random_architectures`` draws exactly ``archs`` with (its first
    ``len(archs)``), or ``None`` if none below ``ARCH_SEEDS_TRIED`` does."""
    for seed in range(ARCH_SEEDS_TRIED):
        drawn = random_architectures(size, len(archs), seed=seed)
        if {(a.widths, a.rank) for a in drawn} == archs:
            return seed
    return None


def shared(rows: Sequence[dict[str, Any]], name: str, default: Any = None) -> Any:
    """The value of ``name`` in every row (``default`` where a row lacks it), or the sorted
    list of values when they differ."""
    values = {repr(r.get(name, default)): r.get(name, default) for r in rows}
    return next(iter(values.values())) if len(values) == 1 else sorted(values.values(), key=str)


def resumes(row: dict[str, Any]) -> bool:
    """Whether a sweep today gives this row's run the id it has (so a rerun into its folder
    skips it); rows from before a setting joined the run id do not."""
    try:
        fields = {name: row[name] for name in Run.__dataclass_fields__ if name in row}
        hyper = tuple(sorted((row.get("hyper") or {}).items()))
        run = Run(**{**fields, "widths": tuple(row["widths"]), "hyper": hyper})
    except (KeyError, TypeError):
        return False
    return run.run_id == row.get("id")


def sweep_spec(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """What one size class's rows ran: every setting, and the command that reruns them (into
    the folder they were read from, a row's ``source`` set by ``llc-explorer report``, when
    the rerun would find them there; else into a new ``RESULTS`` folder). Rows from before
    the warm-up existed ran every step at the step size: warm-up 1."""
    samplers = list(dict.fromkeys(r["sampler"] for r in rows))
    hypers = {json.dumps(r.get("hyper") or {}, sort_keys=True) for r in rows}
    steps = sorted({r["step_size"] for r in rows})
    archs = {(tuple(r["widths"]), r["rank"]) for r in rows}
    seeds = sorted({r.get("seed", 0) for r in rows})
    spec: dict[str, Any] = {
        "samplers": samplers,
        "step sizes": steps,
        "architectures": len(archs),
        "d": sorted({r["num_params"] for r in rows if "num_params" in r}),
        "seeds": seeds,
        **{name: shared(rows, name) for name in SPEC_FIELDS},
        "n*beta": "n / log n",
        "warmup_factor": shared(rows, "warmup_factor", 1.0),
    }
    source = shared(rows, "source")
    if isinstance(source, str) and all(resumes(r) for r in rows):
        spec["source"] = source  # the rerun finds these rows there and skips them
    size = rows[0].get("size_class")
    if size is None:
        ranks = sorted({rank for _, rank in archs})
        where = " ".join(f"--widths {','.join(map(str, w))}" for w, _ in sorted(archs))
        where += f" --rank {ranks[0]}" if len(ranks) == 1 else " (ranks differ)"
    else:
        seed = arch_seed(size, archs)
        found = f"--arch-seed {seed}" if seed is not None else "--arch-seed (unknown)"
        where = f"--size-class {size_label(rows[0])} --archs {len(archs)} {found}"
    flags = [
        f"--{name.replace('_', '-')} {spec[name]}"
        for name in (*SPEC_FIELDS, "warmup_factor")
        if not isinstance(spec[name], list) and spec[name] is not None
    ]
    if len(hypers) == 1:
        flags += hyperparameter_flags(json.loads(hypers.pop()))
    else:
        spec["variants"] = "hyperparameters differ between runs: one sweep per variant"
    spec["command"] = " ".join(
        [
            "llc-explorer sweep",
            where,
            f"--samplers {','.join(samplers)}",
            f"--step-sizes {','.join(f'{s:g}' for s in steps)}",
            f"--seeds {','.join(map(str, seeds))}",
            *flags,
            f"--out {spec.pop('source', 'RESULTS')}",
        ]
    )
    return spec


def spec_html(size: str, spec: dict[str, Any]) -> str:
    """One size class's settings as a definition list, with its command."""

    def show(value: Any) -> str:
        if isinstance(value, list):
            return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
        return f"{value:g}" if isinstance(value, float) else str(value)

    items = "".join(
        f"<dt>{escape(k)}</dt><dd>{escape(show(v))}</dd>" for k, v in spec.items() if k != "command"
    )
    return (
        f"<h3>size class {escape(size)}</h3><dl>{items}</dl>"
        f"<p>rerun:</p><pre><code>{escape(spec['command'])}</code></pre>"
    )


COLUMNS = (
    ("sampler", "sampler", None),
    ("size class", "size_class", None),
    ("runs", "runs", None),
    ("best step size", "best_step_size", None),
    ("median |rel. error|", "median_error", min),
    ("worst |rel. error|", "worst_error", min),
    ("runs with a diverged chain", "diverged_fraction", min),
    ("decades within 10%", "good_range_decades", max),
    ("Spearman rho", "spearman", max),
)
"""Summary table columns: header, :class:`SamplerSummary` field, and which value is best."""


def cell(field: str, value: Any) -> str:
    """A table cell's text."""
    if isinstance(value, str | int):
        return str(value)
    if not math.isfinite(value):
        return "-"
    if field in ("median_error", "worst_error", "diverged_fraction"):
        return f"{value:.1%}"
    if field == "best_step_size":
        return f"{value:.3g}"
    return f"{value:.2f}" if field == "spearman" else f"{value:.1f}"


def table_html(summaries: Sequence[SamplerSummary]) -> str:
    """The summary as an HTML table, the best value of each column within a size class
    marked ``class="best"``; headers sort the rows (numbers by value)."""
    best: dict[tuple[str, str], float] = {}
    for size, group in by_key(summaries, lambda s: s.size_class).items():
        for _, field, pick in COLUMNS:
            if pick is None:
                continue
            values = [getattr(s, field) for s in group if math.isfinite(getattr(s, field))]
            if values:
                best[size, field] = pick(values)
    head = "".join(f"<th>{escape(title)}</th>" for title, _, _ in COLUMNS)
    body = []
    for s in summaries:
        cells = []
        for _, field, _pick in COLUMNS:
            value = getattr(s, field)
            mark = ' class="best"' if best.get((s.size_class, field)) == value else ""
            sort = value if isinstance(value, str) or math.isfinite(value) else ""
            text = escape(cell(field, value))
            cells.append(f'<td data-sort="{escape(str(sort))}"{mark}>{text}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<table class="summary"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def legend_beside(fig: Any, items: list[LegendItem]) -> None:
    """A legend to the right of the plot area (never over data), click to hide."""
    legend = Legend(items=items, click_policy="hide", label_text_font_size="9pt")
    fig.add_layout(legend, "right")


def error_panel(rows: Sequence[dict[str, Any]], colors: dict[str, str], size: str) -> Any:
    """|relative error| against step size per sampler: median, interquartile band, and the
    runs with a diverged chain marked at the top."""
    fig = figure(
        title=f"{size}: |relative error| against step size (median, interquartile band)",
        x_axis_type="log", y_axis_type="log", x_axis_label="step size eps",
        y_axis_label="|relative error|", width=620, height=360, y_range=Range1d(*ERROR_RANGE),
    )  # fmt: skip
    items = []
    for sampler, group in by_key(rows, sampler_label).items():
        spread = error_spread(group)
        source = ColumnDataSource(spread)
        color = colors[sampler]
        band = fig.varea("step", "q1", "q3", source=source, color=color, alpha=0.15)
        line = fig.line("step", "median", source=source, color=color, line_width=2)
        dots = fig.scatter("step", "median", source=source, color=color, size=6)
        lost = [s for s, f in zip(spread["step"], spread["failed"], strict=True) if f > 0]
        marks = fig.scatter(
            lost, [ERROR_RANGE[1] * 0.7] * len(lost), marker="x", color=color, size=10,
            line_width=2,
        )  # fmt: skip
        items.append(LegendItem(label=sampler, renderers=[band, line, dots, marks]))
    fig.add_tools(HoverTool(tooltips=[("eps", "@step"), ("median", "@median{0.0%}"),
                                      ("IQR", "@q1{0.0%} to @q3{0.0%}")]))  # fmt: skip
    legend_beside(fig, items)
    note = "x at the top: step sizes where a run had a diverged chain (left out of the band)"
    fig.add_layout(Title(text=note, text_font_style="italic", text_font_size="9pt"), "above")
    return fig


def diverged_panel(rows: Sequence[dict[str, Any]], colors: dict[str, str], size: str) -> Any:
    """The share of runs with a diverged chain against step size, per sampler."""
    fig = figure(
        title=f"{size}: runs with a diverged chain", x_axis_type="log",
        x_axis_label="step size eps", y_axis_label="fraction of runs", width=480, height=360,
        y_range=Range1d(-0.05, 1.05),
    )  # fmt: skip
    items = []
    for sampler, group in by_key(rows, sampler_label).items():
        spread = error_spread(group)
        line = fig.line(spread["step"], spread["failed"], color=colors[sampler], line_width=2)
        dots = fig.scatter(spread["step"], spread["failed"], color=colors[sampler], size=6)
        items.append(LegendItem(label=sampler, renderers=[line, dots]))
    legend_beside(fig, items)
    return fig


def order_panels(
    rows: Sequence[dict[str, Any]],
    summaries: Sequence[SamplerSummary],
    colors: dict[str, str],
) -> Any:
    """One small plot per sampler: estimated against exact LLC at its best step size, one
    point per architecture, the line y = x; Spearman's rho and its bootstrap interval in the
    title."""
    truths = [r["true_llc"] for r in rows]
    span = [min(truths), max(truths)]
    panels = []
    for summary in summaries:
        group = [r for r in rows if sampler_label(r) == summary.sampler]
        truth, estimate = best_runs(group, summary.best_step_size)
        rho, low, high = spearman_interval(truth, estimate)
        interval = "" if math.isnan(low) else f" [{low:.2f}, {high:.2f}]"
        fig = figure(
            title=f"{summary.sampler}: rho {rho:.2f}{interval}",
            x_axis_label=f"exact LLC (eps {summary.best_step_size:.3g})",
            y_axis_label="estimated LLC", width=245, height=260,
        )  # fmt: skip
        fig.title.text_font_size = "8pt"
        fig.line(span, span, color="gray", line_dash="dashed")
        fig.scatter(truth, estimate, color=colors[summary.sampler], size=7)
        panels.append(fig)
    return gridplot(panels, ncols=5, toolbar_location="right")


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>llc_explorer sweep report</title>
{resources}
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em 2em; color: #222; }}
dl {{ display: grid; grid-template-columns: max-content auto; gap: 0.1em 1em; }}
dt {{ font-weight: 600; }} dd {{ margin: 0; }}
pre {{ background: #f4f4f4; padding: 0.6em; white-space: pre-wrap; }}
table.summary {{ border-collapse: collapse; margin: 1em 0; }}
table.summary th, table.summary td {{ border-bottom: 1px solid #ddd; padding: 0.25em 0.7em;
  text-align: right; font-variant-numeric: tabular-nums; }}
table.summary th {{ cursor: pointer; background: #f4f4f4; }}
table.summary td:first-child, table.summary td:nth-child(2) {{ text-align: left; }}
td.best {{ font-weight: 700; background: #e3f2e1; }}
section.size-class {{ margin-top: 2em; }}
</style></head><body>
<header>
<h1>llc_explorer sweep report</h1>
<p>{runs} runs with a known exact LLC ({left_out} without one left out), read from
{sources}. Made {date} by llc_explorer {version}.</p>
{specs}
</header>
<h2>Summary</h2>
<p>Per sampler and size class: the best step size (smallest median |relative error|, a run
with a diverged chain counting as failed), the median and worst |relative error| there, the
share of runs with a diverged chain, the width of the step-size range whose median error stays
within 10%, and Spearman's rho between estimated and exact LLC across architectures at the best
step size. The best value of each column within a size class is highlighted; click a header
to sort.</p>
{table}
{sections}
{script}
<script>
document.querySelectorAll("table.summary th").forEach((th, col) => {{
  th.addEventListener("click", () => {{
    const body = th.closest("table").querySelector("tbody");
    const up = th.dataset.order !== "asc";
    th.dataset.order = up ? "asc" : "desc";
    const key = (tr) => tr.children[col].dataset.sort;
    const rows = [...body.rows].sort((a, b) => {{
      const x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
      const c = isNaN(nx) || isNaN(ny) ? x.localeCompare(y) : nx - ny;
      return up ? c : -c;
    }});
    rows.forEach((tr) => body.appendChild(tr));
  }});
}});
</script>
</body></html>
"""


def render_report(
    rows: list[dict[str, Any]], *, sources: Sequence[str] = (), date: str | None = None
) -> str:
    """The report page for ``rows`` (rows without a known exact LLC are left out)."""
    from llc_explorer import __version__

    known = with_truth(rows)
    if not known:
        raise ConfigError("no results rows with a known exact LLC to report")
    summaries = summarize_rows(known)
    samplers = list(dict.fromkeys(sampler_label(r) for r in known))
    colors = dict(zip(samplers, Category10[10], strict=False))
    classes = by_key(known, size_label)
    layouts = {
        size: column(
            row(error_panel(group, colors, size), diverged_panel(group, colors, size)),
            order_panels(group, [s for s in summaries if s.size_class == size], colors),
        )
        for size, group in classes.items()
    }
    script, divs = components(layouts)
    sections = "".join(
        f'<section class="size-class" id="size-{escape(size)}"><h2>Size class {escape(size)}'
        f"</h2>{div}</section>"
        for size, div in divs.items()
    )
    return PAGE.format(
        resources=INLINE.render(),
        runs=len(known),
        left_out=len(rows) - len(known),
        sources=escape(", ".join(sources)) or "the given rows",
        date=date or datetime.date.today().isoformat(),
        version=__version__,
        specs="".join(spec_html(size, sweep_spec(group)) for size, group in classes.items()),
        table=table_html(summaries),
        sections=sections,
        script=script,
    )


def write_report(rows: list[dict[str, Any]], path: Path, *, sources: Sequence[str] = ()) -> None:
    """Write the report of ``rows`` (read from ``sources``) to ``path``: one HTML file."""
    if not rows:
        raise ConfigError("no results rows to report")
    path.write_text(render_report(rows, sources=sources))
