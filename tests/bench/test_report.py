"""The sweep report as a figure page: a real table, one section per size class, legends beside
the plots, rho with a bootstrap interval, and a header whose command reruns the sweep exactly
(checked by running it); opened in headless Chromium."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import numpy as np
import pytest
from bokeh.models import Legend

from llc_explorer import __version__, cli
from llc_explorer.bench.panels import diverged_panel, error_panel
from llc_explorer.bench.report import sweep_spec, write_report
from llc_explorer.bench.stats import spearman_interval
from llc_explorer.bench.summary import size_label, summarize_rows
from llc_explorer.bench.sweep import make_spec, read_rows, run_sweep

ROOT = Path(__file__).resolve().parents[2]
STORED = [ROOT / "docs" / "results" / "1e3", ROOT / "docs" / "results" / "1e4"]
SCREENSHOT = ROOT / "docs" / "report.png"
CHROMIUM = Path(os.environ.get("LLC_EXPLORER_CHROMIUM", "/usr/bin/chromium"))


def stored_rows() -> list[dict]:
    return [{**row, "source": str(path)} for path in STORED for row in read_rows([path])]


def test_spearman_interval() -> None:
    rho, low, high = spearman_interval([1, 2, 3, 4, 5], [2, 4, 6, 8, 10])
    assert (rho, low, high) == pytest.approx((1.0, 1.0, 1.0))
    x = np.arange(10.0)
    rho, low, high = spearman_interval(x, x + np.random.default_rng(0).normal(0, 3, 10))
    assert -1 <= low < rho < high <= 1 and high - low > 0.2
    assert np.isnan(spearman_interval([1, 2], [1, 2])[0])  # fewer than 3 architectures


def test_legends_sit_beside_the_data() -> None:
    rows = [r for r in stored_rows() if r["size_class"] == 1000.0]
    colors = dict.fromkeys({r["sampler"] for r in rows}, "#000000")
    for fig in (error_panel(rows, colors, "1e3"), diverged_panel(rows, colors, "1e3")):
        assert not any(isinstance(item, Legend) for item in fig.center)
        assert any(isinstance(item, Legend) for item in fig.right)


def test_the_header_command_reruns_the_sweep_exactly(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    spec = make_spec(
        samplers=("sgld",), step_sizes=(1e-6, 3e-6), size_class_name="1e3", archs=3, arch_seed=7,
        steps=200, chains=2, n=1000,
    )  # fmt: skip
    rows = [{**row, "source": str(out)} for row in run_sweep(spec, out)]
    command = sweep_spec(rows)["command"]
    assert "--arch-seed 7" in command and f"--out {out}" in command
    assert cli.main(shlex.split(command)[1:]) == 0  # every run found: nothing reran
    assert len(read_rows([out])) == len(rows) == 6


def test_a_variant_sweeps_command_sets_its_hyperparameters(tmp_path: Path) -> None:
    out = tmp_path / "variant"
    spec = make_spec(
        samplers=("rmsprop_sgld",), step_sizes=(1e-6,), size_class_name="1e3", archs=2,
        arch_seed=7, steps=200, chains=2, n=1000, hyper={"b2": 0.99, "bias_correction": False},
    )  # fmt: skip
    rows = [{**row, "source": str(out)} for row in run_sweep(spec, out)]
    command = sweep_spec(rows)["command"]
    assert command.endswith(f"--b2 0.99 --bias-correction off --out {out}")
    assert cli.main(shlex.split(command)[1:]) == 0
    assert len(read_rows([out])) == len(rows) == 2  # the variant's ids: nothing reran
    mixed = [*rows, {**rows[0], "hyper": {}}]
    assert "one sweep per variant" in sweep_spec(mixed)["variants"]


def test_the_rerun_command_reproduces_the_rows(tmp_path: Path) -> None:
    """Run into a new folder, the header's command gives the sweep's rows again: the same
    runs (ids), settings and estimates, bit for bit; only the timings differ."""
    out, again = tmp_path / "sweep", tmp_path / "again"
    spec = make_spec(
        samplers=("sgld", "sghmc"), step_sizes=(1e-6, 3.16e-6), size_class_name="1e3", archs=2,
        arch_seed=11, steps=150, chains=2, n=1000, gamma=2.0, burn_in=0.8,
    )  # fmt: skip
    rows = list(run_sweep(spec, out))
    command = sweep_spec(rows)["command"]
    assert "--size-class 1e3 --archs 2 --arch-seed 11" in command and "--gamma 2" in command
    assert command.endswith("--out RESULTS")  # no source: a new folder
    assert cli.main(shlex.split(command.replace("RESULTS", str(again)))[1:]) == 0
    timings = ("wall_seconds", "compile_seconds", "steps_per_second", "batched_with")

    def kept(row: dict) -> dict:
        return {k: v for k, v in row.items() if k not in timings}

    assert [kept(r) for r in read_rows([again])] == [kept(r) for r in read_rows([out])]


def test_the_architecture_seed_comes_from_the_rows() -> None:
    """The stored rows record it (backfilled); rows without it say so, rather than guess."""
    rows = [r for r in stored_rows() if size_label(r) == "1e4"]
    assert {r["arch_seed"] for r in rows} == {0}
    assert "--size-class 1e4 --archs 5 --arch-seed 0 " in sweep_spec(rows)["command"]
    legacy = [{k: v for k, v in r.items() if k != "arch_seed"} for r in rows]
    assert "--archs 5 --arch-seed (not recorded) " in sweep_spec(legacy)["command"]
    mixed = [*rows[:3], {**rows[3], "arch_seed": 7}]
    assert "--arch-seed (differs) " in sweep_spec(mixed)["command"]


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}")
def test_the_report_opens_as_a_figure_page(page, tmp_path: Path) -> None:
    """pytest-playwright's ``page`` (Chromium as tests/conftest.py launches it)."""
    expect = pytest.importorskip("playwright.sync_api").expect
    rows = stored_rows()
    path = tmp_path / "report.html"
    write_report(rows, path, sources=[str(p) for p in STORED])
    groups = {(s.sampler, s.size_class) for s in summarize_rows(rows)}
    page.set_viewport_size({"width": 1300, "height": 900})
    page.goto(path.as_uri())
    table = page.locator("table.summary")
    assert table.evaluate("t => t.tagName") == "TABLE"
    cells = table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => [r.cells[0].textContent, r.cells[1].textContent])"
    )
    assert sorted(map(tuple, cells)) == sorted(groups)  # one row per sampler and size class
    assert table.locator("td.best").count() >= 2 * 5  # each size class marks its bests
    sections = page.locator("section.size-class")
    assert sorted(sections.evaluate_all("s => s.map(x => x.id)")) == ["size-1e3", "size-1e4"]
    for k in range(sections.count()):  # each size class has its own plots, drawn
        expect(sections.nth(k).locator("canvas").first).to_be_visible(timeout=30_000)
    header = page.locator("header").inner_text()
    assert "llc-explorer sweep --size-class 1e4 --archs 5 --arch-seed 0" in header
    assert f"llc_explorer {__version__}" in header
    if os.environ.get("LLC_EXPLORER_UPDATE_SCREENSHOT") == "1":  # the table, then plots
        page.locator("h2", has_text="Summary").evaluate("h => h.scrollIntoView()")
        page.screenshot(path=str(SCREENSHOT), full_page=False)
    median = table.locator("th", has_text="median")
    median.click()
    values = table.locator("tbody tr td:nth-child(5)").evaluate_all(
        "tds => tds.map(td => parseFloat(td.dataset.sort))"
    )
    assert values == sorted(values)  # a click sorts by the column's value
