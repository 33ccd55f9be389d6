"""The sweep report: one self-contained HTML figure page (BokehJS inlined: works offline).

From top to bottom: a header saying what was run (per size class: samplers, step sizes,
architectures, seeds, and every setting the runs share) with the command that reruns it, the
package version and the date; the summary as an HTML table (one row per sampler and size
class, sortable, the best value of each column within a size class highlighted); then one
section per size class with the panels of :mod:`llc_explorer.bench.panels`. The page is the
template ``report_page.html``, a file of this package.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Sequence
from html import escape
from importlib import metadata, resources
from pathlib import Path
from string import Template
from typing import Any

from bokeh.embed import components
from bokeh.layouts import column, row
from bokeh.palettes import Category10
from bokeh.resources import INLINE

from llc_explorer.bench.panels import diverged_panel, error_panel, order_panels
from llc_explorer.bench.spec import DIFFERS, SHARED, Run, sweep_command
from llc_explorer.bench.summary import (
    SamplerSummary,
    by_key,
    sampler_label,
    size_label,
    summarize_rows,
    with_truth,
)
from llc_explorer.errors import ConfigError

BEFORE = {"warmup_factor": 1.0}
"""The value of a setting in rows written before it was recorded: before the warm-up existed,
every step ran at the step size."""


def shared(rows: Sequence[dict[str, Any]], name: str) -> Any:
    """The value of ``name`` in every row (:data:`BEFORE`'s, else ``None``, where a row lacks
    it), or the sorted list of values when they differ."""
    default = BEFORE.get(name)
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
    """What one size class's rows ran: every setting, and the command that reruns them
    (:func:`llc_explorer.bench.spec.sweep_command`; into the folder they were read from, a
    row's ``source`` set by ``llc-explorer report``, when the rerun would find them there;
    else into a new ``RESULTS`` folder). The architecture seed is the rows' ``arch_seed``;
    a setting that differs between the rows is left out of the command."""
    archs = {(tuple(r["widths"]), r["rank"]) for r in rows}
    settings = {name: shared(rows, name) for name in SHARED}
    spec: dict[str, Any] = {
        "samplers": list(dict.fromkeys(r["sampler"] for r in rows)),
        "step sizes": sorted({r["step_size"] for r in rows}),
        "architectures": len(archs),
        "d": sorted({r["num_params"] for r in rows if "num_params" in r}),
        "seeds": sorted({r.get("seed", 0) for r in rows}),
        **settings,
        "n*beta": "n / log n",
    }
    hypers = {json.dumps(r.get("hyper") or {}, sort_keys=True) for r in rows}
    if len(hypers) > 1:
        spec["variants"] = "hyperparameters differ between runs: one sweep per variant"
    arch_seed = shared(rows, "arch_seed")
    values = {
        "samplers": spec["samplers"],
        "step_sizes": spec["step sizes"],
        "architectures": [(w, rank, rows[0].get("size_class")) for w, rank in sorted(archs)],
        "arch_seed": DIFFERS if isinstance(arch_seed, list) else arch_seed,
        "seeds": spec["seeds"],
        **{k: None if isinstance(v, list) else v for k, v in settings.items()},
        "hyper": json.loads(hypers.pop()) if len(hypers) == 1 else None,
    }
    source = shared(rows, "source")
    rerun_here = isinstance(source, str) and all(resumes(r) for r in rows)
    spec["command"] = sweep_command(values, source if rerun_here else "RESULTS")
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


def page() -> Template:
    """The page template, ``report_page.html`` (its ``${name}`` fields: :func:`render_report`)."""
    return Template(resources.files("llc_explorer.bench").joinpath("report_page.html").read_text())


def render_report(
    rows: list[dict[str, Any]],
    *,
    sources: Sequence[str] = (),
    date: str | None = None,
    version: str | None = None,
) -> str:
    """The report page for ``rows`` (rows without a known exact LLC are left out), made on
    ``date`` (today) by llc_explorer ``version`` (the installed one)."""
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
    return page().substitute(
        resources=INLINE.render(),
        runs=len(known),
        left_out=len(rows) - len(known),
        sources=escape(", ".join(sources)) or "the given rows",
        date=date or datetime.date.today().isoformat(),
        version=version or metadata.version("llc_explorer"),
        specs="".join(spec_html(size, sweep_spec(group)) for size, group in classes.items()),
        table=table_html(summaries),
        sections=sections,
        script=script,
    )


def write_report(
    rows: list[dict[str, Any]],
    path: Path,
    *,
    sources: Sequence[str] = (),
    version: str | None = None,
) -> None:
    """Write the report of ``rows`` (read from ``sources``) to ``path``: one HTML file."""
    if not rows:
        raise ConfigError("no results rows to report")
    path.write_text(render_report(rows, sources=sources, version=version))
