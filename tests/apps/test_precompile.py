"""Getting a run ready ahead of time, and the provisional estimate shown during the burn-in."""

from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np
import pytest

from llc_explorer import Explorer
from llc_explorer.apps.explorer.plot_data import run_data
from llc_explorer.apps.explorer.readout import readout_html
from llc_explorer.apps.precompile import chunk_arguments, prepare, signature
from llc_explorer.apps.ui.preparer import Preparer
from llc_explorer.config import make_config
from llc_explorer.estimator import stream_config
from llc_explorer.sgmcmc.chains import CHUNKS, TRACES
from llc_explorer.sgmcmc.traces import latest_half_estimate


def unique_config(**settings):
    """A config no other test compiles (its chain count and batch size are unusual)."""
    base = dict(sampler="rmsprop_sgld", n=500, batch_size=37, chains=3, steps=400, seed=5)
    return make_config((4, 6, 3), 2, **{**base, **settings})


def test_a_prepared_run_compiles_nothing() -> None:
    config = unique_config()
    assert CHUNKS.key(*chunk_arguments(config)) not in CHUNKS._compiled
    prepare(config)
    assert CHUNKS.key(*chunk_arguments(config)) in CHUNKS._compiled
    traces = TRACES["count"]
    tuned = dataclasses.replace(config, step_size=config.step_size / 3, nbeta=50.0)
    first = next(stream_config(tuned))
    assert first.compile_seconds == 0.0
    assert TRACES["count"] == traces


def test_configs_that_differ_in_traced_values_share_a_signature() -> None:
    config = unique_config()
    assert signature(dataclasses.replace(config, step_size=1e-9, gamma=3.0)) == signature(config)
    assert signature(dataclasses.replace(config, chains=4)) != signature(config)


class Recorder:
    """A preparation that records what it was asked to prepare (and can be slow)."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.prepared: list[int] = []
        self.started = threading.Event()

    def __call__(self, config: int) -> None:
        self.started.set()
        time.sleep(self.seconds)
        self.prepared.append(config)


def test_the_preparer_debounces_and_prepares_the_latest_request_once() -> None:
    recorder = Recorder()
    preparer = Preparer(recorder, signature=lambda c: c % 10, debounce=1.0)
    for config in (1, 2, 3):
        preparer.request(config)
        time.sleep(0.05)
    assert preparer.wait(5)
    assert recorder.prepared == [3]
    preparer.request(13)  # same signature as 3: nothing to do
    preparer.request(4)
    assert preparer.wait(5)
    assert recorder.prepared == [3, 4]
    preparer.request(5)
    preparer.request(14)  # back to a prepared one before 5 started: 5 is dropped
    assert preparer.wait(5)
    time.sleep(1.2)
    assert recorder.prepared == [3, 4]
    preparer.stop()


def test_a_cancelled_request_is_not_prepared_and_stop_waits_for_a_started_one() -> None:
    recorder = Recorder(seconds=0.5)
    preparer = Preparer(recorder, signature=lambda c: c, debounce=0.2)
    preparer.request(1)
    preparer.cancel()
    assert preparer.wait(5)
    time.sleep(0.3)
    assert recorder.prepared == [] and not recorder.started.is_set()
    preparer.request(2)
    assert recorder.started.wait(5)  # debounced, now preparing
    assert not preparer.idle
    preparer.stop()
    assert preparer.wait(5)
    assert recorder.prepared == [2]


def test_a_shown_explorer_prepares_its_run_in_the_background() -> None:
    explorer = Explorer(widths=(5, 4, 5), rank=2, sampler="sgld", n=700, batch_size=29, chains=3)
    explorer.controls["steps"].value = 200
    assert explorer.preparer.idle
    explorer._repr_mimebundle_()
    assert not explorer.preparer.idle
    assert explorer.preparer.wait(120)
    assert signature(explorer.config) in explorer.preparer.prepared
    traces = TRACES["count"]
    explorer.run(block=True)
    assert explorer.result is not None and explorer.result.done
    assert explorer.result.compile_seconds == 0.0
    assert TRACES["count"] == traces
    explorer.controls["chains"].value = 2  # a new shape: prepared again once it settles
    assert explorer.preparer.wait(120)
    assert signature(explorer.config) in explorer.preparer.prepared
    assert [t for t in threading.enumerate() if t.name == "llc-explorer-prepare"]


def test_latest_half_estimate_is_the_mean_over_the_latest_half() -> None:
    rng = np.random.default_rng(0)
    loss = rng.normal(size=(3, 50))
    steps = np.array([0, 1, 7, 20, 49])
    got = latest_half_estimate(loss, steps, 2.0, 0.25)
    for k, t in enumerate(steps):
        want = 2.0 * (loss[:, t // 2 : t + 1].mean(axis=1) - 0.25)
        np.testing.assert_allclose(got[:, k], want, rtol=1e-12)


def test_a_run_shows_a_provisional_estimate_during_the_burn_in_only() -> None:
    config = make_config(
        (5, 3, 5), 2, sampler="sgld", n=2000, chains=4, steps=400, chunk_size=50, seed=1
    )
    results = list(stream_config(config))
    early, final = results[1], results[-1]
    assert early.provisional and not final.provisional
    assert np.isnan(early.llc_mean)
    # The estimator sums the float32 losses in float64, and so does this reference: a float32
    # mean (pairwise, in an order that depends on the CPU's SIMD width) is off by ~1e-7 of the
    # loss, which the subtraction of L(w*) magnifies ~25-fold. In float64 both agree to ~1e-13.
    latest = [
        early.loss_trace[c, (early.steps_done - 1) // 2 : early.steps_done]
        .astype(np.float64)
        .mean()
        for c in range(config.chains)
    ]
    want = config.nbeta * (np.mean(latest) - early.loss_at_teacher)
    assert early.provisional_llc == pytest.approx(want, rel=1e-9)
    assert np.isnan(final.provisional_llc) and np.isfinite(final.llc_mean)
    assert "provisional" in readout_html(config, early, "running")
    assert "provisional" not in readout_html(config, final, "done")
    line = run_data(early)["provisional"]
    assert len(line["step"]) and np.all(np.isfinite(line["llc"]))
    assert run_data(final)["provisional"]["step"].max() < config.burn_in_steps
