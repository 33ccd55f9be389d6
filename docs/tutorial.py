"""The lab's executed copy: run notebooks/02_sgmcmc_tutorial.ipynb top to bottom as a student
runs it (``LAB = True``) and write it, with every output, as
``docs/tutorial/02_sgmcmc_tutorial.html``, so that an instructor and the students can read
the expected numbers ahead of the class.

    python docs/tutorial.py        # about 3 minutes on 2 cores

The page carries a fingerprint of what its outputs depend on: the notebook's cells, the
package's code (its syntax trees without comments and docstrings) and the stored runs it
reads. ``tests/lab/test_executed_copy.py`` recomputes it and fails when the copy is stale.
``docs/tutorial/timings.json`` records each code cell's seconds in this run.

The page stays small and opens offline: BokehJS, which every figure output would otherwise
carry inline, is loaded once from ``docs/tutorial/bokeh/`` (copied from the installed Bokeh),
and each Playground, a live widget that a static page cannot run, is shown as the screenshot of
its mission after a run (``docs/screens/playground-mission-<name>.png``, taken by
``python docs/screens.py``).
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import shutil
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "02_sgmcmc_tutorial.ipynb"
OUT = ROOT / "docs" / "tutorial"
HTML = OUT / "02_sgmcmc_tutorial.html"
TIMINGS = OUT / "timings.json"
STORED = ROOT / "docs" / "results" / "tutorial"
META = "llc-explorer-fingerprint"
BOKEH_LOAD = "application/vnd.bokehjs_load.v0+json"
WIDGET = "application/vnd.jupyter.widget-view+json"
BOKEH_FILES = ("bokeh", "bokeh-widgets", "bokeh-tables")


def code_digest(source: str) -> str:
    """The syntax tree of a module without its docstrings (comments never reach it)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def fingerprint(root: Path = ROOT) -> str:
    """sha256 over the notebook's cell sources, every package module's :func:`code_digest`
    and the stored runs' bytes, in a fixed order."""
    digest = hashlib.sha256()
    cells = json.loads((root / NOTEBOOK.relative_to(ROOT)).read_text())["cells"]
    for cell in cells:
        digest.update(cell["cell_type"].encode() + b"\0" + "".join(cell["source"]).encode())
    package = root / "llc_explorer"
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(code_digest(path.read_text()).encode())
    for path in sorted((root / STORED.relative_to(ROOT)).iterdir()):
        if path.suffix in (".json", ".jsonl"):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def stored_fingerprint(html: Path = HTML) -> str | None:
    """The fingerprint an executed copy was made at (``None``: the page has none)."""
    match = re.search(rf'<meta name="{META}" content="([0-9a-f]+)">', html.read_text())
    return match.group(1) if match else None


def bokeh_scripts() -> str:
    """Copy BokehJS into ``docs/tutorial/bokeh/``; the script tags that load it from there."""
    import bokeh
    from bokeh.resources import Resources

    folder = OUT / "bokeh"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    tags = []
    for path in map(Path, Resources(mode="absolute").js_files):
        name = path.name.removesuffix(".min.js")
        if name in BOKEH_FILES:
            target = f"{name}-{bokeh.__version__}.min.js"
            shutil.copyfile(path, folder / target)
            tags.append(f'<script src="bokeh/{target}"></script>')
    return "\n".join(tags)


def static_outputs(cell: dict) -> list:
    """A code cell's outputs for the static page: without BokehJS's inline loader (the page
    loads it once), and with a Playground's widget replaced by its mission's screenshot."""
    import nbformat

    kept = []
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if BOKEH_LOAD in data:
            continue
        if WIDGET in data:
            mission = re.search(r'Playground\(preset="(\w+)"\)', cell["source"])
            name = mission.group(1) if mission else None
            shot = f"playground-mission-{name}.png"
            html = (
                f'<p><img src="../screens/{shot}" width="900" alt="The Playground, mission '
                f'{name}, after its run"><br><i>The Playground (mission <code>{name}</code>) '
                "after a run: a screenshot. Run the notebook to use it.</i></p>"
                if name and (ROOT / "docs" / "screens" / shot).exists()
                else "<p><i>The Playground: run the notebook to use it.</i></p>"
            )
            output = nbformat.v4.new_output("display_data", data={"text/html": html})
        kept.append(output)
    return kept


def main() -> None:
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    resources = {"metadata": {"path": str(NOTEBOOK.parent)}}
    client = NotebookClient(notebook, timeout=600, resources=resources)
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            began = time.perf_counter()
            client.execute_cell(cell, index)
            if cell.cell_type == "code":
                label = f"{cell.get('id', index)}: {cell.source.splitlines()[0][:60]}"
                seconds[label] = round(time.perf_counter() - began, 2)
    total = time.perf_counter() - start
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = static_outputs(cell)
    notebook.metadata.pop("widgets", None)
    exporter = HTMLExporter()
    body, _ = exporter.from_notebook_node(notebook, resources=resources)
    OUT.mkdir(parents=True, exist_ok=True)
    head = f'<meta name="{META}" content="{fingerprint()}">\n{bokeh_scripts()}'
    HTML.write_text(body.replace("<head>", f"<head>\n{head}", 1))
    slowest = sorted(seconds.items(), key=lambda item: -item[1])
    TIMINGS.write_text(
        json.dumps({"total_seconds": round(total, 1), "cells": dict(slowest)}, indent=1) + "\n"
    )
    print(f"{HTML.relative_to(ROOT)}: {total:.0f} s in all; slowest cells (s):")
    for name, value in slowest[:5]:
        print(f"  {name}: {value}")


if __name__ == "__main__":
    main()
