"""The Explorer: the controls, model and views wired together, with sampling in a thread."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
from jupyter_bokeh import BokehModel

from llc_explorer.config import LLCConfig
from llc_explorer.estimator import LLCResult, stream_batch, stream_config
from llc_explorer.explorer.controls import Controls
from llc_explorer.explorer.model import build_config, sweep_step_sizes
from llc_explorer.explorer.views import RunPlots, SweepPlot, exact_value, readout_html
from llc_explorer.step_size import calibrate_config
from llc_explorer.ui.app import SamplingApp
from llc_explorer.ui.notebook import problem_html

PUSH_INTERVAL = 0.15
"""Least seconds between two plot updates while sampling."""


class Explorer(SamplingApp):
    """Estimate the LLC of a deep linear network interactively and watch the chains.

    Shown as the last line of a notebook cell (BokehJS is loaded inline, so it works
    offline). It turns on JAX's persistent compilation cache
    (:func:`llc_explorer.cache.enable_compilation_cache`), so a restarted kernel does not
    compile the same chunks again. One background thread samples at a time, either a run
    or a step-size sweep.

    Rules:

    - Plots update while sampling, at most once every ``PUSH_INTERVAL`` seconds.
    - Stop takes effect after the current chunk (about 0.1 s; a first run of a new network
      shape first finishes building its data and compiling).
    - Changing any setting during a run or sweep stops it, and changing one while plots
      are shown marks them stale (their titles say so) until the next Run.
    - Invalid settings show a red message beside the controls and disable Run and Run
      sweep; errors while sampling are shown in the status. Nothing raises.

    Test hooks: ``controls`` (widgets by ``estimate_llc`` keyword, plus the architecture
    widgets and ``step_size_slider``), ``sources`` (Bokeh sources by plot name), ``status``,
    ``result`` (the latest :class:`LLCResult`), ``sweep_results``, ``run``, ``run_sweep``,
    ``stop``, ``wait`` and ``reset``.
    """

    def __init__(
        self, widths: Sequence[int] | None = None, rank: int | None = None, **settings: Any
    ) -> None:
        self._lock = threading.RLock()
        super().__init__("llc-explorer")
        self.ui = Controls()
        self.ui.set_values(widths=widths, rank=rank, **settings)
        self.controls = self.ui.widgets
        self.plots = RunPlots()
        self.sweep_plot = SweepPlot()
        self.sources = {**self.plots.sources, **self.sweep_plot.sources}
        self.config: LLCConfig | None = None
        self.result: LLCResult | None = None
        self.sweep_results: list[LLCResult] = []
        self._stale = False
        self.ui.run.on_click(lambda _: self.run())
        self.ui.stop.on_click(lambda _: self.stop())
        self.ui.reset.on_click(lambda _: self.reset())
        self.ui.sweep.on_click(lambda _: self.run_sweep())
        self.ui.auto.on_click(lambda _: self.auto_step_size())
        self.ui.observe_settings(self._settings_changed)
        tabs = widgets.Tab(
            children=[
                BokehModel(self.plots.layout),
                widgets.VBox([self.ui.sweep_panel, BokehModel(self.sweep_plot.layout)]),
            ],
            titles=("Run", "Step-size sweep"),
        )
        main = widgets.VBox([self.ui.readout, tabs], layout=widgets.Layout(flex="1"))
        self.root = widgets.HBox([self.ui.settings_panel, main])
        self._validate()

    def run(self, block: bool = False) -> bool:
        """Start sampling with the current settings (stopping any run first); returns whether
        it started. ``block`` waits until it ends."""
        config = self._validate()
        if config is None:
            return False
        self._worker.halt()
        with self._lock:
            self.result = None
            self.plots.clear()
        return self._launch(self._sample, config, block)

    def run_sweep(self, block: bool = False) -> bool:
        """Estimate at ``SWEEP_POINTS`` log-spaced step sizes around the current one for each
        selected sampler, ``sweep_steps`` steps each; returns whether it started."""
        config = self._validate()
        if config is None:
            return False
        values = {**self.ui.values(), "steps": self.ui.sweep_steps.value}
        try:
            configs = [
                build_config({**values, "sampler": sampler, "step_size": float(step)})
                for sampler in self.ui.sweep_samplers.value
                for step in sweep_step_sizes(config.step_size)
            ]
        except ValueError as exc:
            self._set_status(f"sweep not started: {exc}")
            return False
        self._worker.halt()
        with self._lock:
            self.sweep_results = []
            self.sweep_plot.clear()
        return self._launch(self._sweep, configs, block)

    def auto_step_size(self, block: bool = False) -> bool:
        """Choose the step size automatically (:func:`llc_explorer.step_size.calibrate_config`:
        the burn-in, adapting, in the sampling thread) and set the step-size control to it;
        returns whether it started."""
        config = self._validate()
        if config is None:
            return False
        self._worker.halt()
        return self._launch(self._calibrate, config, block)

    def _calibrate(self, config: LLCConfig) -> None:
        self._set_status(
            f"auto step size: adapting over the burn-in ({config.burn_in_steps:,} steps)…"
        )
        try:
            calibration = calibrate_config(config, watch=self._worker.stream)
        except ValueError as exc:
            self._set_status(f"auto step size: {exc}")
            return
        if calibration is None:
            self._set_status(self._stopped("auto step size"))
            return
        with self._lock:
            self.controls["step_size"].value = float(f"{calibration.step_size:.2g}")
        self._set_status(
            f"auto step size: {calibration.step_size:.2g}, where the MALA acceptance settled "
            f"near {calibration.target} after the burn-in; press Run"
        )

    def reset(self) -> None:
        """Stop and wait for the thread, restore the default settings and clear the plots."""
        self._worker.halt()
        self.ui.restore_defaults()
        with self._lock:
            self.result = None
            self.sweep_results = []
            self._stale = False
            self.plots.clear()
            self.plots.mark_stale(False)
            self.sweep_plot.clear()
        self._set_status("ready")

    def _launch(self, target: Any, work: Any, block: bool) -> bool:
        """Start ``target(work)`` in the sampling thread, the plots marked current."""
        self._stale = False
        self.plots.mark_stale(False)
        self._worker.start(target, work, block)
        return True

    def _sample(self, config: LLCConfig) -> None:
        self._set_status("compiling / building data…")
        pushed = 0.0
        for result in self._worker.stream(stream_config(config)):
            self.result = result
            now = time.perf_counter()
            if now - pushed >= PUSH_INTERVAL:
                pushed = now
                self._push(result, "running")
        if self.result is None:
            self._set_status(self._stopped("run"))
        else:
            self._push(self.result, "done" if self.result.done else self._stopped("run"))

    def _sweep(self, configs: list[LLCConfig]) -> None:
        """Each sampler's step sizes run as one vmapped batch (:func:`stream_batch`)."""
        by_sampler: dict[str, list[LLCConfig]] = {}
        for one in configs:
            by_sampler.setdefault(one.sampler, []).append(one)
        for k, (sampler, batch) in enumerate(by_sampler.items()):
            self._set_status(
                f"sweep: sampler {k + 1} of {len(by_sampler)} ({sampler}, "
                f"{len(batch)} step sizes at once)"
            )
            last = next(iter(deque(self._worker.stream(stream_batch(batch)), maxlen=1)), None)
            if last is None or not last[0].done:
                self._set_status(self._stopped("sweep"))
                return
            with self._lock:
                self.sweep_results.extend(last)
                self.sweep_plot.show(self.sweep_results, exact_value(last[0]))
        self._set_status(f"sweep done: {len(configs)} runs")

    def _stopped(self, what: str) -> str:
        if self._stale:
            return f"{what} stopped: settings changed (plots are stale; press Run)"
        return f"{what} stopped"

    def _push(self, result: LLCResult, status: str) -> None:
        with self._lock:
            self.plots.show(result)
            self._set_status(status)

    def _set_status(self, status: str) -> None:
        with self._lock:
            super()._set_status(status)

    def _show_status(self, status: str) -> None:
        self.ui.readout.value = readout_html(self.config, self.result, status)

    def _validate(self) -> LLCConfig | None:
        """Build the config from the widgets; show any problem and enable Run accordingly."""
        try:
            config = build_config(self.ui.values())
        except (ValueError, TypeError, OverflowError) as exc:
            config, problem = None, str(exc)
        else:
            problem = ""
        changed, self.config = config != self.config or config is None, config
        self.ui.message.value = problem_html(problem)
        self.ui.run.disabled = self.ui.sweep.disabled = self.ui.auto.disabled = config is None
        if not self.running and changed:  # a widget echoing its own value keeps the status
            self._set_status("ready" if config else "invalid settings")
        return config

    def _settings_changed(self, _change: dict) -> None:
        if self.running:
            self.stop()
            self._stale = True
        if self.running or self.result is not None:
            self.plots.mark_stale(True)
        self._validate()


def explore(
    widths: Sequence[int] | None = None, rank: int | None = None, **settings: Any
) -> Explorer:
    """An :class:`Explorer` with these ``estimate_llc`` settings, already running when they
    are valid (show it as a cell's last line)."""
    explorer = Explorer(widths, rank, **settings)
    explorer.run()
    return explorer
