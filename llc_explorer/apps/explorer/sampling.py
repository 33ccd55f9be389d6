"""What the explorer's sampling thread runs: a run, a step-size sweep or the automatic step
size (:class:`Jobs`). Each computes frames (:mod:`llc_explorer.apps.explorer.frames`) and posts
them to the main thread; none touches a widget or a plot.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext

from llc_explorer.apps.explorer.exports import download_link, run_archive
from llc_explorer.apps.explorer.frames import Frame, run_frame, status_frame, sweep_frame
from llc_explorer.apps.precompile import compiling_ahead
from llc_explorer.apps.ui.formatting import short
from llc_explorer.config import LLCConfig, RunConfig
from llc_explorer.dln.problem import Target
from llc_explorer.errors import ConfigError
from llc_explorer.estimator import LLCResult, calibrate_config, stream_batch, stream_config
from llc_explorer.sgmcmc.chains import last

PUSH_INTERVAL = 0.15
"""Least seconds between two plot updates while sampling."""


class Jobs:
    """The sampling thread's work, with what it may reach of the app: ``post`` hands a frame to
    the main thread, ``stream`` passes a stream of results on until Stop
    (:meth:`llc_explorer.apps.ui.worker.Worker.stream`), and ``stopped(what)`` is the status
    of ``what`` ("run", "sweep", ...) when it stopped early. ``problem`` is what the chains
    sample: ``None`` for the DLN of each config, else a model of one's own
    (:class:`llc_explorer.models.problem.ModelProblem`), which is never compiled ahead."""

    def __init__(
        self,
        post: Callable[[Frame], None],
        stream: Callable[[Iterator], Iterator],
        stopped: Callable[[str], str],
        problem: Target | None = None,
    ) -> None:
        self.post, self.stream, self.stopped = post, stream, stopped
        self.problem = problem

    def results(self, config: RunConfig) -> Iterator[LLCResult]:
        """The stream of ``config``'s run on the problem (:func:`stream_config` for a DLN)."""
        if self.problem is None:
            assert isinstance(config, LLCConfig)
            return stream_config(config)
        return (result for (result,) in stream_batch([config], problem=self.problem))

    def calibrate(self, config: RunConfig) -> None:
        """Adapt the step size over ``config``'s burn-in
        (:func:`llc_explorer.estimator.calibrate_config`) and post it, rounded to 2 digits,
        for the step-size control."""
        status = f"auto step size: adapting over the burn-in ({config.burn_in_steps:,} steps)…"
        self.post(status_frame(config, status))
        try:
            calibration = calibrate_config(config, watch=self.stream, problem=self.problem)
        except ConfigError as exc:
            self.post(status_frame(config, f"auto step size: {exc}"))
            return
        if calibration is None:
            self.post(status_frame(config, self.stopped("auto step size")))
            return
        step = float(f"{calibration.step_size:.2g}")
        status = (
            f"auto step size: {short(step)}, where the MALA acceptance settled "
            f"near {calibration.target:.2g} after the burn-in; press Run"
        )
        self.post(status_frame(config, status)._replace(step_size=step))

    def sample(self, config: RunConfig) -> None:
        """Run ``config``, posting a frame at most every ``PUSH_INTERVAL`` seconds, then the
        last one and, after it, the link to the run's file."""
        self.post(status_frame(config, "compiling / building data…"))
        pushed = 0.0
        result = None
        ahead = compiling_ahead(config) if isinstance(config, LLCConfig) else nullcontext()
        with ahead:  # a DLN's, unless prepared already: compiles while data build
            for result in self.stream(self.results(config)):
                now = time.perf_counter()
                if now - pushed >= PUSH_INTERVAL:
                    pushed = now
                    self.post(run_frame(result, "running"))
        if result is None:
            self.post(status_frame(config, self.stopped("run")))
            return
        frame = run_frame(result, "done" if result.done else self.stopped("run"))
        self.post(frame)  # shown at once; the file (about 0.5 s per 120,000 chain-steps) follows
        link = download_link(run_archive(result), result.config, result.steps_done)
        self.post(frame._replace(download=link))

    def sweep(self, configs: list[RunConfig]) -> None:
        """Run a sweep's ``configs``, each sampler's step sizes as one vmapped batch
        (:func:`llc_explorer.estimator.stream_batch`), posting a frame after each sampler."""
        by_sampler: dict[str, list[RunConfig]] = {}
        for one in configs:
            by_sampler.setdefault(one.sampler, []).append(one)
        done: list[LLCResult] = []
        for k, (sampler, batch) in enumerate(by_sampler.items()):
            status = (
                f"sweep: sampler {k + 1} of {len(by_sampler)} ({sampler}, "
                f"{len(batch)} step sizes at once)"
            )
            self.post(sweep_frame(configs[0], done, status))
            results = last(self.stream(stream_batch(batch, problem=self.problem)))
            if results is None or not results[0].done:
                self.post(sweep_frame(configs[0], done, self.stopped("sweep")))
                return
            done += results
        self.post(sweep_frame(configs[0], done, f"sweep done: {len(configs)} runs"))
