"""The Playground: the controls, model and views wired together, with sampling in a thread."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import ipywidgets as widgets
from jupyter_bokeh import BokehModel

from llc_explorer.apps.playground.controls import Controls
from llc_explorer.apps.playground.missions import get_mission, mission_html
from llc_explorer.apps.playground.model import build_configs, panel_data
from llc_explorer.apps.playground.readout import readout_html
from llc_explorer.apps.playground.views import PlaygroundPlots
from llc_explorer.apps.ui.app import SamplingApp
from llc_explorer.apps.ui.readout import problem_html
from llc_explorer.errors import ConfigError
from llc_explorer.surfaces.sampling import SurfaceConfig, SurfaceResult, stream_surface

VIEW_ONLY = ("show_step",)
"""Settings that change only what the plots show: they neither stop a run nor mark it stale."""

FRAME_INTERVAL = 0.05
"""Least seconds between two frames while sampling (at most 20 frames a second)."""


class Frame(NamedTuple):
    """What the sampling thread hands the main thread: the status and readout, and where
    given, each panel's latest result with its plot data (:func:`panel_data`)."""

    status: str
    readout: str
    results: tuple[SurfaceResult, ...] | None = None
    panels: tuple[dict[str, dict], ...] | None = None


def lockstep(streams: Sequence[Iterator[SurfaceResult]]) -> Iterator[tuple[SurfaceResult, ...]]:
    """One snapshot of every stream at a time (the streams have the same chunks)."""
    yield from zip(*streams, strict=True)


class Playground(SamplingApp):
    """Watch SGMCMC samplers move on two-parameter losses with a known learning coefficient.

    Shown as the last line of a notebook cell. Choose a loss ``K(w)`` (the smallest DLN
    ``(w1 w2)^2``, ``w1^2 w2^4``, the regular ``w1^2 + w2^2`` or ``(w1^2 + w2^2)^2``), a
    sampler and its hyperparameters; Run animates the chains' fading trails over the
    filled contour of ``log10 K`` and accumulates their post-burn-in samples, beside the
    running LLC estimate, the exact ``lambda`` (solid) and the value an exact sampler would
    reach at this ``n*beta`` and ``gamma`` (dashed). "Compare" runs a second sampler side
    by side with the same seed (the same noise draws). Minibatch noise ``sigma`` scales the
    loss and its gradient by a random factor of mean 1 and standard deviation ``sigma``
    (:class:`llc_explorer.surfaces.library.SurfaceGradient`).

    Rules: frames come at most every ``frame_interval`` seconds (0: as fast as the chains
    run); changing any setting stops a run; changing the loss, ``n*beta``, ``gamma`` or a
    panel's sampler redraws the surfaces, any other change marks the plots stale until the
    next Run; invalid settings show a red message beside the controls and disable Run;
    diverged chains are drawn as red crosses on the edge of the square where they left, and
    counted in the readout; Reset restores the settings the Playground was created with.
    Nothing raises after it is made.

    ``preset`` opens a guided mission (:data:`llc_explorer.apps.playground.missions.MISSIONS`):
    its settings (``settings`` given here override them) and a box above the controls with
    its question and what to notice; an unknown name raises ``ConfigError`` (a
    ``ValueError``) naming the choices. "Show one step" draws chain 0's last move split into
    drift and noise (:mod:`llc_explorer.apps.playground.step_arrows`); ticking it neither
    stops a run nor marks it stale.

    Sampling runs in a background thread that hands plot-ready frames (:class:`Frame`) to the main
    thread, which alone touches widgets and plots (:class:`llc_explorer.apps.ui.app.SamplingApp`).

    Test hooks: ``controls`` (widgets by name), ``plots`` (its ``panels`` hold the Bokeh
    ``sources``), ``configs``, ``results``, ``status``, ``run``, ``stop``, ``wait``,
    ``flush``, ``reset``.
    """

    def __init__(
        self,
        preset: str | None = None,
        *,
        frame_interval: float = FRAME_INTERVAL,
        **settings: Any,
    ) -> None:
        mission = None if preset is None else get_mission(preset)
        super().__init__("llc-playground")
        self.frame_interval = frame_interval
        self.ui = Controls()
        if mission is not None:
            self.ui.show_mission(mission_html(mission))
            settings = {**mission.settings, **settings}
        self.ui.set_values(**settings)
        self.ui.keep_as_defaults()  # Reset comes back to these settings
        self.controls = self.ui.widgets
        self.plots = PlaygroundPlots()
        self.plots.show_step(self.controls["show_step"].value)
        self.configs: list[SurfaceConfig] = []
        self.results: list[SurfaceResult | None] = []
        self._drawn: tuple = ()
        self._interrupted = False
        main_thread = self._on_main_thread
        self.ui.run.on_click(main_thread(lambda _: self.run()))
        self.ui.stop.on_click(main_thread(lambda _: self.stop()))
        self.ui.reset.on_click(main_thread(lambda _: self.reset()))
        for name, widget in self.controls.items():
            if name in VIEW_ONLY:
                continue
            changed = main_thread(lambda _change, name=name: self._settings_changed(name))
            widget.observe(changed, "value")
        show_step = main_thread(lambda change: self.plots.show_step(change["new"]))
        self.controls["show_step"].observe(show_step, "value")
        self._validate()
        self._draw()  # before the document goes to the browser, so it starts drawn
        main = widgets.VBox(
            [self.ui.readout, BokehModel(self.plots.layout)],
            layout=widgets.Layout(flex="0 0 auto"),
        )
        self.root = widgets.HBox([self.ui.panel, main])

    def run(self, block: bool = False) -> bool:
        """Start sampling with the current settings (stopping any run first); returns whether
        it started. ``block`` waits until it ends."""
        self._halt()
        configs = self._validate()
        if not configs:
            return False
        self._interrupted = False
        self._draw()
        return self._launch(self._sample, tuple(configs), block)

    def reset(self) -> None:
        """Stop, restore the default settings and clear the plots."""
        self._halt()
        self.ui.restore_defaults()
        self._interrupted = False
        self._draw()
        self._set_status("ready")

    # The sampling thread: computes frames and posts them; touches no widget.

    def _sample(self, configs: tuple[SurfaceConfig, ...]) -> None:
        self._post(Frame("compiling…", readout_html(configs, [None] * len(configs), "compiling…")))
        streams = [stream_surface(config) for config in configs]
        frames = self._worker.stream(lockstep(streams))
        shown = 0.0
        results: tuple[SurfaceResult, ...] = ()
        try:
            for results in frames:
                wait = self.frame_interval - (time.perf_counter() - shown)
                if wait > 0:
                    time.sleep(wait)
                shown = time.perf_counter()
                self._post(self._frame(configs, results, "running"))
        finally:
            for stream in streams:
                stream.close()
        done = bool(results) and all(r.done for r in results)
        status = "done" if done else "stopped"
        if results:
            self._post(self._frame(configs, results, status))
        else:
            self._post(Frame(status, readout_html(configs, [None] * len(configs), status)))

    @staticmethod
    def _frame(
        configs: tuple[SurfaceConfig, ...], results: tuple[SurfaceResult, ...], status: str
    ) -> Frame:
        return Frame(
            status,
            readout_html(configs, list(results), status),
            results,
            tuple(panel_data(result) for result in results),
        )

    def _post_error(self, message: str) -> None:
        self._post(Frame(message, readout_html(self.configs, self.results, message)))

    # The main thread.

    def _apply(self, frame: Frame) -> None:
        """Show a frame from the sampling thread."""
        if frame.results is not None and frame.panels is not None:
            self.results = list(frame.results)
            for panel, data in zip(self.plots.panels, frame.panels, strict=False):
                panel.show(data)
        self._status = frame.status
        self.ui.readout.value = frame.readout

    def _draw(self) -> None:
        """Redraw each shown panel's surface for the current settings (clearing chains)."""
        self.results = [None] * len(self.configs)
        self.plots.set_compare(len(self.configs) == 2)
        self.plots.mark_stale(False)
        for panel, config in zip(self.plots.panels, self.configs, strict=False):
            panel.draw_surface(config)
        self._drawn = drawn_key(self.configs)

    def _show_status(self, status: str) -> None:
        self.ui.readout.value = readout_html(self.configs, self.results, status)

    def _validate(self) -> list[SurfaceConfig]:
        """Build the configs from the widgets; show any problem and enable Run accordingly."""
        try:
            configs = build_configs(self.ui.shared(), self.ui.sampler_settings())
        except ConfigError as exc:
            configs, problem = [], str(exc)
        else:
            problem = ""
        self.ui.message.value = problem_html(problem)
        self.ui.run.disabled = not configs
        self.configs = configs
        self.plots.note_steps(configs)
        if not self.running:
            self._set_status("ready" if configs else "invalid settings")
        return configs

    def _settings_changed(self, _name: str) -> None:
        """Stop a run; redraw when the loss, n*beta, gamma or the samplers shown changed,
        else mark the plots of a finished run stale."""
        if self.running:
            self._interrupted = True
            self._halt()
        if not self._validate():
            return
        if drawn_key(self.configs) != self._drawn:
            self._draw()
        elif any(result is not None for result in self.results):
            self.plots.mark_stale(True)
        if self._interrupted:
            self._set_status("stopped: settings changed (press Run)")


def drawn_key(configs: list[SurfaceConfig]) -> tuple:
    """What the drawn surfaces depend on: the loss, n*beta, gamma and each panel's sampler."""
    return tuple((c.surface, c.nbeta, c.gamma, c.sampler) for c in configs)
