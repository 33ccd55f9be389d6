"""One writer: every widget and Bokeh change happens on the main thread, in an event loop, in a
real kernel (ipykernel 6 and 7: .ci/run runs this file under both), and at exit."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from llc_explorer import Explorer, Playground

SMALL = {"widths": [3, 4, 3], "rank": 1, "steps": 3000, "chains": 2, "n": 2000}


def record_writers(app, documents) -> set[str]:
    """The names of the threads that change the readout widget or any Bokeh model."""
    writers: set[str] = set()

    def note(*_args) -> None:
        writers.add(threading.current_thread().name)

    app.ui.readout.observe(note, "value")
    for document in documents:
        assert document is not None  # jupyter_bokeh made one: changes to it are seen
        document.on_change(note)
    return writers


def in_fresh_thread(run, name: str = "kernel"):
    """``run()`` in a new thread named ``name`` that owns no event loop yet (the test's main
    thread may hold one: pytest-playwright's), as a kernel's main thread; its result."""
    out: list = []
    thread = threading.Thread(target=lambda: out.append(run()), name=name)
    thread.start()
    thread.join()
    (result,) = out
    return result


async def run_in_loop(app) -> None:
    """Run ``app`` while this thread's event loop stays free, as a kernel between cells."""
    assert app.run()
    while app.running:
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)  # the last frame's delivery


def test_explorer_frames_land_on_the_main_thread() -> None:
    async def main() -> tuple[Explorer, set[str]]:
        explorer = Explorer(**SMALL)
        assert explorer._handoff.loop is asyncio.get_running_loop()
        documents = [explorer.plots.layout.document, explorer.sweep_plot.layout.document]
        writers = record_writers(explorer, documents)
        await run_in_loop(explorer)
        return explorer, writers

    explorer, writers = in_fresh_thread(lambda: asyncio.run(main()))
    assert writers == {"kernel"}  # the thread that made the app and runs its loop
    assert explorer.status == "done" and explorer.result.done
    assert len(explorer.sources["loss"].data["ys"]) == 2


def test_playground_frames_land_on_the_main_thread() -> None:
    async def main() -> tuple[Playground, set[str]]:
        app = Playground(steps=20_000, chains=4, chunk_size=2000, frame_interval=0.0)
        documents = [panel.layout.document for panel in app.plots.panels]
        writers = record_writers(app, documents)
        await run_in_loop(app)
        return app, writers

    app, writers = in_fresh_thread(lambda: asyncio.run(main()))
    assert writers == {"kernel"}
    assert app.status == "done" and app.results[0].done


def test_a_click_in_a_kernel_subshell_thread_runs_on_the_main_thread() -> None:
    """JupyterLab sends widget messages over a kernel subshell, whose thread (ipykernel 7)
    then calls the widgets' callbacks: a click there still runs the app on the main thread."""

    async def main() -> tuple[Explorer, set[str]]:
        explorer = Explorer(**SMALL)
        writers = record_writers(explorer, [explorer.plots.layout.document])
        subshell = threading.Thread(target=explorer.ui.run.click, name="subshell")
        subshell.start()
        subshell.join()
        for _ in range(50):  # the click reaches the loop, which starts the run
            await asyncio.sleep(0.02)
            if explorer.running:
                break
        while explorer.running:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        return explorer, writers

    explorer, writers = in_fresh_thread(lambda: asyncio.run(main()))
    assert writers == {"kernel"}
    assert explorer.status == "done" and explorer.result.done


def test_without_a_loop_frames_wait_for_the_main_thread() -> None:
    def script() -> tuple[Explorer, set[str], bool]:
        explorer = Explorer(**SMALL)
        assert explorer._handoff.loop is None
        writers = record_writers(explorer, [explorer.plots.layout.document])
        explorer.run()
        explorer._worker.wait()  # the thread ends; nothing shows until the owner takes it
        nothing_yet = explorer.result is None and explorer.status != "done"
        explorer.flush()
        return explorer, writers, nothing_yet

    explorer, writers, nothing_yet = in_fresh_thread(script, "script")
    assert nothing_yet and explorer.status == "done" and explorer.result.done
    assert writers == {"script"}


def test_a_worker_error_is_logged_with_its_traceback(monkeypatch, caplog) -> None:
    def broken(config):
        raise RuntimeError("out of cheese")
        yield

    monkeypatch.setattr("llc_explorer.apps.explorer.sampling.stream_config", broken)
    explorer = Explorer(**SMALL)
    with caplog.at_level(logging.ERROR, logger="llc_explorer"):
        assert explorer.run(block=True)
    assert explorer.status == "error: RuntimeError: out of cheese"
    (record,) = caplog.records
    assert record.exc_info is not None and "out of cheese" in str(record.exc_info[1])


KERNEL_CODE = """
import threading, llc_explorer
app = llc_explorer.Explorer(widths=[3, 4, 3], rank=1, steps=3000, chains=2, n=2000)
writers = set()
note = lambda *_: writers.add(threading.current_thread().name)
app.ui.readout.observe(note, "value")
app.plots.layout.document.on_change(note)
app.run()
"""


def test_a_real_kernel_applies_frames_on_its_main_thread() -> None:
    """Frames arrive between cells, from the kernel's own event loop (nothing calls flush)."""
    manager = pytest.importorskip("jupyter_client.manager")
    kernel, client = manager.start_new_kernel(kernel_name="python3")

    def execute(code: str) -> str:
        reply = client.execute_interactive(code, timeout=120, output_hook=output.append)
        assert reply["content"]["status"] == "ok", reply["content"]
        text = "".join(m["content"].get("text", "") for m in output if m["msg_type"] == "stream")
        output.clear()
        return text

    output: list[dict] = []
    try:
        version = execute("import ipykernel; print(ipykernel.__version__)").strip()
        execute(KERNEL_CODE)
        for _ in range(600):
            if execute("print(app.running or app.status != 'done')").strip() == "False":
                break
        state = execute("print(sorted(writers), app.result.done, app.result.steps_done)")
    finally:
        client.stop_channels()
        kernel.shutdown_kernel(now=True)
        kernel.context.destroy()
    assert state.strip() == "['MainThread'] True 3000", (version, state)


def test_exit_while_sampling_is_clean_20_times_in_a_row() -> None:
    """The issue's command: a daemon thread inside XLA at exit used to abort (exit 134)."""
    code = textwrap.dedent(
        """
        import time, llc_explorer
        x = llc_explorer.explore(widths=[10, 20, 20, 10], rank=3, steps=100000)
        time.sleep(1)
        """
    )

    def once(_: int) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
        )

    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(once, range(20)))
    failed = [(r.returncode, r.stderr[-300:]) for r in runs if r.returncode != 0]
    assert not failed
