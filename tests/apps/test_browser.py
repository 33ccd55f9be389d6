"""The explorer notebook in a real browser: JupyterLab and Voila served locally, driven by
headless Chromium through Playwright (pytest-playwright's ``page`` fixture).

JupyterLab: open ``notebooks/01_explorer.ipynb``, Run > Run All Cells, type a rank, step
size, burn-in and step count into the widgets, press Run, wait until the LLC plot has points
and the readout shows an estimate (checking that the readout's box and the plots' left edge
never moved meanwhile), press Stop, download the run, show it as code, choose the step size
automatically, move the step-size slider (the one number shown is the one that runs), then
type an invalid rank and see the message. Voila: the same notebook renders the explorer.
Playground: the cells of ``notebooks/02_sgmcmc_tutorial.ipynb`` tagged ``playground`` run in
JupyterLab; a short run draws trails and finishes, compare mode shows the second sampler, and
a large step size shows every chain diverged. Screenshots go to pytest's temporary folder
(the documentation's come from ``docs/screens.py``). Chromium is Debian's
(``apt-get install chromium``); the tests skip without it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import free_port, serve, serve_jupyterlab

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "01_explorer.ipynb"
TUTORIAL = ROOT / "notebooks" / "02_sgmcmc_tutorial.ipynb"
PLAYGROUND = "playground.ipynb"
MODEL = "own_model.ipynb"
MODEL_CELL = """\
import jax
import jax.numpy as jnp

from llc_explorer import Explorer


def loss(params, batch):
    x, y = batch
    return 0.5 * jnp.mean(jnp.sum((jnp.tanh(x @ params["w1"]) @ params["w2"] - y) ** 2, axis=-1))


k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
params = {"w1": jax.random.normal(k1, (3, 4)) / 2, "w2": jax.random.normal(k2, (4, 2)) / 4}
x = jax.random.normal(k3, (500, 3))
Explorer.for_model(loss, params, (x, jnp.tanh(x @ params["w1"]) @ params["w2"]), steps=2000)
"""
CHROMIUM = Path(os.environ.get("LLC_EXPLORER_CHROMIUM", "/usr/bin/chromium"))
WIDGETS_SECONDS = 180  # kernel start, imports and the first cell's output
RUN_SECONDS = 240  # data, compile and sampling until the estimate is out of burn-in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


def source_rows_js(column: str, other: str) -> str:
    """A JS function giving the most rows of any BokehJS data source in the page that has
    columns ``column`` and ``other``."""
    return f"""() => {{
    let most = 0;
    for (const doc of Bokeh.documents) {{
        for (const model of doc.all_models) {{
            const data = model.data instanceof Map ? Object.fromEntries(model.data) : model.data;
            if (data && data.{column} && data.{other}) {{
                most = Math.max(most, data.{column}.length);
            }}
        }}
    }}
    return most;
}}"""


LLC_POINTS_JS = source_rows_js("mean", "lower")  # the explorer's LLC plot's mean line
TRAILS_JS = source_rows_js("x0", "alpha")  # the playground's chain trails


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1500, "height": 1400}}


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def notebook_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary server root holding a copy of the explorer notebook and a notebook of the
    tutorial's cells tagged ``playground``."""
    root = tmp_path_factory.mktemp("notebooks")
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    tutorial = json.loads(TUTORIAL.read_text())
    cells = [c for c in tutorial["cells"] if "playground" in c["metadata"].get("tags", [])]
    setup = tutorial["cells"][1]  # the lab's first code cell: its imports and LAB switch
    (root / PLAYGROUND).write_text(json.dumps({**tutorial, "cells": [setup, *cells]}))
    source = MODEL_CELL.splitlines(keepends=True)
    model = {**setup, "id": "own-model", "source": source, "outputs": [], "execution_count": None}
    (root / MODEL).write_text(json.dumps({**tutorial, "cells": [model]}))
    return root


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory, notebook_dir: Path) -> Iterator[str]:
    """JupyterLab on a free local port without a token; yields its base URL."""
    home = tmp_path_factory.mktemp("jupyterlab")
    yield from serve_jupyterlab(home, notebook_dir)


@pytest.fixture(scope="module")
def voila(tmp_path_factory: pytest.TempPathFactory, notebook_dir: Path) -> Iterator[str]:
    """Voila serving the explorer notebook on a free local port; yields its URL."""
    home = tmp_path_factory.mktemp("voila")
    port = free_port()
    command = [
        sys.executable, "-m", "voila", str(notebook_dir / NOTEBOOK.name),
        "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1", "--token=",
    ]  # fmt: skip
    yield from serve(command, home, f"http://127.0.0.1:{port}/")


def widget_input(page, label: str):
    """The input box of the ipywidgets text widget whose description is ``label``."""
    row = page.locator(".widget-text").filter(
        has=page.locator("label.widget-label", has_text=re.compile(f"^{re.escape(label)}$"))
    )
    return row.locator("input").first


def type_value(page, label: str, value: str) -> None:
    """Type ``value`` into the widget ``label`` and commit it (Enter), as a user would."""
    box = widget_input(page, label)
    box.fill(value)
    box.press("Enter")


def run_all_cells(page, jupyterlab: str, notebook: str, workspace: str) -> None:
    """Open ``notebook`` in its own JupyterLab workspace (so notebooks opened by other tests
    stay out of it), wait for its kernel, and Run > Run All Cells."""
    base = jupyterlab.removesuffix("/api/status")
    page.set_default_timeout(60_000)
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{notebook}")
    kernel_idle = page.get_by_role("button", name=re.compile(r"\| Idle$"))
    expect(kernel_idle).to_be_visible(timeout=WIDGETS_SECONDS * 1000)
    page.locator(".jp-Notebook:visible").first.click()
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()


class LayoutFrames:
    """Records in the page, every 100 ms until :meth:`stop`, where the explorer's readout is
    (left edge and width) and where its plots start (the tabs' left edge)."""

    def __init__(self, page, readout) -> None:
        self.page = page
        readout.evaluate(
            """(el) => {
            const tabs = el.closest('.widget-vbox').querySelector('.widget-tab');
            window.__boxes = new Set();
            window.__samples = 0;
            window.__timer = setInterval(() => {
                const r = el.getBoundingClientRect(), t = tabs.getBoundingClientRect();
                window.__boxes.add([r.x, r.width, t.x].map(Math.round).join(','));
                window.__samples += 1;
            }, 100);
        }"""
        )

    def stop(self) -> tuple[int, list[str]]:
        """How many times it looked, and the distinct boxes it saw."""
        return self.page.evaluate(
            "() => { clearInterval(window.__timer); "
            "return [window.__samples, [...window.__boxes]]; }"
        )


def test_explorer_runs_and_stops_in_jupyterlab(page, jupyterlab: str, screenshots: Path):
    run_all_cells(page, jupyterlab, NOTEBOOK.name, workspace="explorer")

    rank = widget_input(page, "rank")
    expect(rank).to_be_visible(timeout=WIDGETS_SECONDS * 1000)
    readout = page.locator(".widget-html", has_text="exact LLC").first
    expect(readout).to_contain_text("ready", timeout=60_000)

    # The teacher dropdown changes which exact value the readout shows (8,3,4 at rank 0:
    # 12 at the first_layer teacher, Aoyagi's 6 at the minimal one).
    type_value(page, "widths (advanced)", "8,3,4")
    type_value(page, "rank", "0")
    teacher = page.locator(".widget-dropdown").filter(
        has=page.locator("label.widget-label", has_text="teacher w*")
    )
    teacher.locator("select").select_option("first_layer")
    expect(readout).to_contain_text(re.compile(r"exact LLC λ\s*12\s*multiplicity"))
    expect(readout).to_contain_text("local at this first_layer teacher")
    teacher.locator("select").select_option("minimal")
    expect(readout).to_contain_text(re.compile(r"exact LLC λ\s*6\s*multiplicity"))
    type_value(page, "widths (advanced)", "")

    # The step size adapts by default (its entry greyed out); a fixed one is a click away.
    adapt = page.get_by_label("adapt the step size")
    expect(adapt).to_be_checked()
    expect(widget_input(page, "step size")).to_be_disabled()
    adapt.uncheck()
    expect(widget_input(page, "step size")).to_be_enabled()

    # A run long enough to be stopped: 100k steps, estimate after a 10% burn-in.
    type_value(page, "rank", "2")
    type_value(page, "step size", "2e-7")
    type_value(page, "burn-in fraction", "0.1")
    type_value(page, "steps", "100000")
    expect(readout).to_contain_text("ready")
    page.wait_for_timeout(500)  # the log slider's snap to its grid has come back by now
    assert float(widget_input(page, "step size").input_value()) == 2e-7
    page.get_by_role("button", name="Run", exact=True).click()
    frames = LayoutFrames(page, readout)

    # During the 10,000-step burn-in the readout already shows a (provisional) number.
    expect(readout).to_contain_text(
        re.compile(r"estimate λ̂\s*≈ -?\d[\d.,]*\s*provisional"), timeout=RUN_SECONDS * 1000
    )
    expect(readout).to_contain_text(
        re.compile(r"estimate λ̂\s*-?\d[\d.,]*\s*±"), timeout=RUN_SECONDS * 1000
    )
    # Nothing moved while the readout changed from "ready" to the burn-in to the estimate:
    # the readout's box and the plots' left edge are where they were before Run.
    samples, boxes = frames.stop()
    assert samples >= 5 and len(boxes) == 1, boxes
    page.wait_for_function(f"({LLC_POINTS_JS})() > 0", timeout=RUN_SECONDS * 1000)
    page.wait_for_timeout(1000)  # let BokehJS draw the latest frame
    explorer = page.locator(".jp-OutputArea-output").filter(has=rank).first
    explorer.screenshot(path=screenshots / "jupyterlab_running.png")

    page.get_by_role("button", name="Stop", exact=True).click()
    expect(readout).to_contain_text("run stopped", timeout=120_000)
    assert "100,000 of 100,000" not in readout.inner_text()
    for row in ("95% interval", "Monte Carlo", "R-hat (loss)", "MALA acceptance"):
        expect(readout).to_contain_text(row)
    page.screenshot(path=screenshots / "jupyterlab_stopped.png", full_page=True)

    # The stopped run goes to a file in one click: the browser's own download of the link.
    link = page.get_by_role("link", name=re.compile("Download this run"))
    expect(link).to_be_visible(timeout=60_000)
    with page.expect_download() as download:
        link.click()
    saved = screenshots / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "llc-run-10-20-20-10-r2-seed0.zip"
    with zipfile.ZipFile(saved) as zipped:
        summary = json.loads(zipped.read("summary.json"))
        lines = zipped.read("traces.csv").decode().count("\n")
    assert (
        summary["config"]["steps"] == 100_000
        and summary["config"]["steps"] != summary["steps_done"]
    )
    assert lines == 1 + 4 * summary["steps_done"]  # header, then every chain's every step
    # ... and to code in one click.
    page.get_by_role("button", name="As code").click()
    code = page.locator(".widget-textarea textarea").first
    expect(code).to_have_value(
        re.compile(r"estimate_llc\(\[10, 20, 20, 10\], 2, .*step_size=2e-07")
    )

    # Auto step size: adapts over the burn-in (10,000 steps here), then sets the control.
    page.get_by_role("button", name="Auto step size").click()
    expect(readout).to_contain_text(
        re.compile(r"auto step size: [\d.e+-]+, where the MALA acceptance settled"),
        timeout=RUN_SECONDS * 1000,
    )
    chosen = re.search(r"auto step size: ([\d.e+-]+),", readout.inner_text()).group(1)
    assert float(widget_input(page, "step size").input_value()) == float(chosen) != 2e-7

    # One number for the step size: the slider has none of its own, and the entry's number,
    # after a move of the slider, is the step size that runs (the code of the run says so).
    slider = page.locator(".widget-hslider").filter(has=page.locator(".noUi-handle")).first
    assert slider.locator(".widget-readout:visible").count() == 0
    slider.locator(".noUi-handle").first.press("ArrowRight")
    page.wait_for_timeout(500)
    shown = widget_input(page, "step size").input_value()
    assert float(shown) != float(chosen) and float(shown) == float(f"{float(shown):.2g}")
    page.get_by_role("button", name="As code").click()
    expect(code).to_have_value(re.compile(rf"step_size={float(shown)!r}\b"))

    type_value(page, "rank", "99")
    message = page.get_by_text(re.compile(r"rank must be an int"))
    expect(message).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Run", exact=True)).to_be_disabled()
    page.screenshot(path=screenshots / "jupyterlab_invalid.png", full_page=True)

    # Corrected, it runs again: by now JupyterLab sends widget messages over a kernel
    # subshell, whose thread must hand the click to the main thread.
    type_value(page, "rank", "2")
    type_value(page, "steps", "2000")
    page.get_by_role("button", name="Run", exact=True).click()
    expect(readout).to_contain_text(re.compile(r"status\s*done"), timeout=RUN_SECONDS * 1000)


def test_playground_runs_compares_and_diverges_in_jupyterlab(
    page, jupyterlab: str, screenshots: Path
):
    run_all_cells(page, jupyterlab, PLAYGROUND, workspace="playground")

    steps = widget_input(page, "steps")
    expect(steps).to_be_visible(timeout=WIDGETS_SECONDS * 1000)
    readout = page.locator(".widget-html", has_text="exact λ").first
    expect(readout).to_contain_text("ready", timeout=60_000)
    expect(readout).to_contain_text(re.compile(r"exact λ\s*1/2\s*multiplicity 2"))

    type_value(page, "steps", "40000")
    page.get_by_role("button", name="Run", exact=True).click()
    expect(readout).to_contain_text("done", timeout=RUN_SECONDS * 1000)
    expect(readout).to_contain_text(re.compile(r"sgld\s*([\d.]+\s*){3}0 of 32\s*40,000 of 40,000"))
    page.wait_for_function(f"({TRAILS_JS})() > 0", timeout=60_000)
    page.wait_for_timeout(1000)  # let BokehJS draw the last frame
    playground = page.locator(".jp-OutputArea-output").filter(has=steps).first
    playground.screenshot(path=screenshots / "playground.png")

    page.get_by_text("compare two samplers (same seed)").click()
    expect(page.get_by_text("compare with")).to_be_visible()
    page.get_by_role("button", name="Run", exact=True).click()
    expect(readout).to_contain_text("rmsprop_sgld", timeout=60_000)
    expect(readout).to_contain_text("done", timeout=RUN_SECONDS * 1000)

    type_value(page, "step size", "0.05")
    page.get_by_role("button", name="Run", exact=True).click()
    expect(readout).to_contain_text(
        re.compile(r"sgld\s*—\s*—\s*[\d.]+\s*32 of 32"), timeout=RUN_SECONDS * 1000
    )
    page.screenshot(path=screenshots / "playground_diverged.png", full_page=True)


def test_explorer_of_a_model_runs_in_jupyterlab(page, jupyterlab: str, screenshots: Path):
    run_all_cells(page, jupyterlab, MODEL, workspace="model")

    steps = widget_input(page, "steps")
    expect(steps).to_be_visible(timeout=WIDGETS_SECONDS * 1000)
    expect(page.get_by_text("your model: d = 20 parameters, n = 500 rows")).to_be_visible()
    expect(widget_input(page, "rank")).to_have_count(0)  # no network controls
    readout = page.locator(".widget-html", has_text="exact LLC λ").first
    expect(readout).to_contain_text("your own model")
    page.get_by_role("button", name="Run", exact=True).click()
    expect(readout).to_contain_text("done", timeout=RUN_SECONDS * 1000)
    page.wait_for_function(f"({LLC_POINTS_JS})() > 0", timeout=60_000)
    page.get_by_role("button", name="As code", exact=True).click()
    code = page.locator(".widget-textarea textarea").first
    expect(code).to_have_value(re.compile(r"estimate_model_llc\(loss, params, data, steps=2000"))
    page.screenshot(path=screenshots / "explorer_model.png", full_page=True)


def test_explorer_renders_in_voila(page, voila: str, screenshots: Path):
    page.goto(voila, timeout=WIDGETS_SECONDS * 1000)
    expect(widget_input(page, "rank")).to_be_visible(timeout=WIDGETS_SECONDS * 1000)
    expect(page.get_by_role("button", name="Run", exact=True)).to_be_enabled()
    expect(page.locator(".widget-html", has_text="exact LLC").first).to_contain_text("50")
    page.screenshot(path=screenshots / "voila.png", full_page=True)
