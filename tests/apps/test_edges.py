"""The edges of issue 27: several apps in one kernel, an interrupt during a run, and a seeded
random soak of both apps. Each leaves no sampling thread behind and a usable kernel."""

from __future__ import annotations

import _thread
import gc
import random
import sys
import threading
import time
import tracemalloc

import pytest

from llc_explorer import Explorer, Playground, estimate_llc
from llc_explorer.surfaces.library import SURFACES

SMALL = {"widths": [3, 4, 3], "rank": 1, "chains": 2, "n": 2000}


def samplers_alive() -> list[threading.Thread]:
    """The apps' sampling threads still listed or still executing (the Explorer's is
    ``llc-explorer``). Not ``is_alive()``: an interrupt inside ``Thread.join`` makes CPython
    3.11 report a running thread as stopped; a thread that executes has a frame."""
    frames = sys._current_frames()
    named = [t for t in threading.enumerate() if t.name.startswith("llc-")]
    return [
        t for t in named if t.name != "llc-explorer-prepare" and (t.is_alive() or t.ident in frames)
    ]


def interrupt_after(seconds: float) -> threading.Timer:
    """A KeyboardInterrupt in the main thread after ``seconds``, as Ctrl-C or a kernel's
    interrupt delivers it."""
    timer = threading.Timer(seconds, _thread.interrupt_main)
    timer.start()
    return timer


def test_two_explorers_and_a_playground_run_side_by_side_and_stop_cleanly() -> None:
    first = Explorer(**SMALL, steps=400_000)
    second = Explorer(**SMALL, sampler="sgld", steps=400_000)
    playground = Playground(steps=400_000, chains=4, chunk_size=2000, frame_interval=0.0)
    apps = (first, second, playground)
    assert all(app.run() for app in apps)
    time.sleep(2.0)
    assert all(app.running for app in apps)  # none blocks another
    for app in apps:
        app.stop()
    for app in apps:
        assert app.wait(60)
    assert not samplers_alive()
    assert first.result is not None and second.result is not None and playground.results
    assert first.result.config.sampler != second.result.config.sampler  # each its own run
    first.controls["steps"].value = 3000
    assert first.run(block=True) and first.result.done  # still usable


def test_an_interrupt_during_estimate_llc_leaves_a_usable_kernel() -> None:
    before = set(threading.enumerate())
    timer = interrupt_after(1.0)
    with pytest.raises(KeyboardInterrupt):
        estimate_llc(**SMALL, steps=10_000_000)
    timer.join()
    gc.collect()
    assert set(threading.enumerate()) <= before | {timer}
    assert estimate_llc(**SMALL, steps=500).done


def test_an_interrupt_while_the_explorer_blocks_stops_its_run() -> None:
    explorer = Explorer(**SMALL, steps=10_000_000)
    timer = interrupt_after(1.5)
    with pytest.raises(KeyboardInterrupt):
        explorer.run(block=True)
    timer.join()
    assert not explorer.running and not samplers_alive()
    assert explorer.result is not None and not explorer.result.done  # what it had, shown
    explorer.controls["steps"].value = 2000
    assert explorer.run(block=True) and explorer.result.done


def soak(app, actions, rng: random.Random, count: int) -> None:
    """``count`` random actions on ``app``, each a widget value or a button press."""
    for _ in range(count):
        name, act = rng.choice(actions)
        act(rng)
        app.flush()
    app.stop()
    assert app.wait(120), name


def widget_actions(app, values: dict) -> list:
    """Setting each control to one of its sample values (valid and invalid), plus Run and Stop."""
    actions = [
        (name, lambda rng, name=name, options=options: set_value(app, name, rng.choice(options)))
        for name, options in values.items()
    ]
    actions.append(("run", lambda rng: app.run()))
    actions.append(("stop", lambda rng: app.stop()))
    return actions


def set_value(app, name: str, value) -> None:
    widget = app.controls[name]
    try:
        widget.value = value
    except Exception as exc:  # a trait refusing a type is the widget's own check, not ours
        assert type(exc).__name__ == "TraitError", exc


def test_a_random_soak_of_both_apps_raises_nothing_and_stays_bounded() -> None:
    """300 seeded random actions per app: settings (valid and not), Run, Stop, and the
    explorer's size classes and Auto step size. No exception; memory bounded."""
    rng = random.Random(27)
    explorer = Explorer(**SMALL, steps=2000)
    explorer_values = {
        "steps": [0, 1, 500, 2000, 10**9], "chains": [0, 1, 2, 3], "rank": [0, 1, 3, 99],
        "widths": ["", "3,4,3", "5,x", "4,4", ",", "100000,100000"], "n": [1, 500, 2000],
        "batch_size": [0, 10, 5000], "burn_in": [0.0, 0.5, 0.9, 1.0], "gamma": [-1.0, 1.0],
        "nbeta": ["", "10", "-3", "abc"], "sampler": ["sgld", "rmsprop_sgld", "sghmc"],
        "seed": [0, 1, 2**40], "warmup_factor": [0.5, 1.0, 4.0], "auto_step": [True, False],
    }  # fmt: skip
    actions = widget_actions(explorer, explorer_values)
    actions += [(k, lambda rng, b=b: b.click()) for k, b in explorer.ui.size_classes.items()]
    actions.append(("auto", lambda rng: explorer.ui.auto.click()))
    actions.append(("reset", lambda rng: explorer.reset()))
    playground = Playground(steps=2000, chains=2, chunk_size=500, frame_interval=0.0)
    playground_values = {
        name: [-1.0, 0.0, 1e-3, 0.5, 1e300] for name in ("gamma", "nbeta", "noise")
    }
    playground_values.update(
        steps=[0, 10, 2000, 10**9], chains=[0, 1, 4], surface=list(SURFACES),
        sampler=["sgld", "rmsprop_sgld", "sgnht"], compare=[True, False], chunk_size=[0, 100, 500],
    )  # fmt: skip
    tracemalloc.start()
    soak(explorer, actions, rng, 150)
    soak(playground, widget_actions(playground, playground_values), rng, 150)
    first = tracemalloc.get_traced_memory()[0]
    soak(explorer, actions, rng, 150)
    soak(playground, widget_actions(playground, playground_values), rng, 150)
    grown = tracemalloc.get_traced_memory()[0] - first
    tracemalloc.stop()
    assert grown < 50 * 2**20, f"{grown / 2**20:.0f} MiB more after the second 300 actions"
    assert not samplers_alive()
