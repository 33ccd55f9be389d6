"""The Explorer: the controls, model and views wired together, with sampling in a thread."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import ipywidgets as widgets
from jupyter_bokeh import BokehModel

from llc_explorer.apps.explorer.controls import Controls
from llc_explorer.apps.explorer.exports import as_code
from llc_explorer.apps.explorer.frames import Frame, status_frame
from llc_explorer.apps.explorer.model import build_config, random_dln, sweep_configs, unavailable
from llc_explorer.apps.explorer.readout import readout_html
from llc_explorer.apps.explorer.sampling import Jobs
from llc_explorer.apps.explorer.user_model import UserModel, build_model_config, open_model
from llc_explorer.apps.explorer.views import RunPlots, SweepPlot
from llc_explorer.apps.precompile import prepare, signature
from llc_explorer.apps.ui.app import SamplingApp
from llc_explorer.apps.ui.preparer import Preparer
from llc_explorer.apps.ui.readout import problem_html
from llc_explorer.config import LLCConfig, RunConfig
from llc_explorer.errors import ConfigError
from llc_explorer.estimator import LLCResult
from llc_explorer.models.problem import Loss


class Explorer(SamplingApp):
    """Estimate the LLC of a deep linear network interactively and watch the chains.

    Shown as the last line of a notebook cell (BokehJS is loaded inline, so it works
    offline). It turns on JAX's persistent compilation cache
    (:func:`llc_explorer.apps.cache.enable_compilation_cache`), so a restarted kernel does not
    compile the same chunks again. One background thread samples at a time, either a run
    or a step-size sweep (:class:`llc_explorer.apps.explorer.sampling.Jobs`); it hands
    plot-ready frames (:class:`llc_explorer.apps.explorer.frames.Frame`) to the main thread, which
    alone touches widgets and plots (:class:`llc_explorer.apps.ui.app.SamplingApp`). "As code"
    shows the ``estimate_llc`` call and the CLI line of the current settings, each finished
    or stopped run offers its traces and summary for download, and the size-class buttons
    draw a random benchmark DLN as ``llc-explorer sweep --size-class`` does.
    :meth:`for_model` shows the same for a model of one's own (no network controls, no exact
    LLC, nothing prepared ahead).

    Rules:

    - Once shown, it gets the current run ready in the background (problem built, chunk
      compiled: :func:`llc_explorer.apps.precompile.prepare`), again half a second after the last
      change of a setting that the compiled run depends on, so Run starts at once.
    - Before the burn-in ends, the readout and the LLC plot show a provisional value (the
      latest half of the steps so far), labelled as such.
    - Plots update while sampling, at most once every ``PUSH_INTERVAL`` seconds
      (:mod:`llc_explorer.apps.explorer.sampling`).
    - Stop takes effect after the current chunk (about 0.1 s; a first run of a new network
      shape first finishes building its data and compiling).
    - Changing any setting during a run or sweep stops it, and changing one while plots
      are shown marks them stale (their titles say so) until the next Run.
    - Invalid settings show a red message beside the controls and disable Run and Run
      sweep; errors while sampling are shown in the status. Nothing raises.

    Test hooks: ``controls`` (widgets by ``estimate_llc`` keyword, plus the architecture
    widgets and ``step_size_slider``), ``sources`` (Bokeh sources by plot name), ``status``,
    ``result`` (the latest :class:`LLCResult` shown), ``sweep_results``, ``preparer``, ``run``,
    ``run_sweep``, ``stop``, ``wait``, ``flush`` and ``reset``.
    """

    def __init__(
        self, widths: Sequence[int] | None = None, rank: int | None = None, *,
        model: UserModel | None = None, **settings: Any,
    ) -> None:  # fmt: skip
        super().__init__("llc-explorer")
        self.model = model  # a model of one's own (see for_model), else None: a DLN
        self._build: Callable[[Mapping[str, Any]], RunConfig] = (
            build_config if model is None else partial(build_model_config, model)
        )
        self.ui = Controls(None if model is None else model.about)
        self.ui.set_values(**settings, **({} if model else {"widths": widths, "rank": rank}))
        self.controls = self.ui.widgets
        self.plots = RunPlots(exact=model is None)
        self.sweep_plot = SweepPlot()
        self.sources = {**self.plots.sources, **self.sweep_plot.sources}
        self.config: RunConfig | None = None
        self.result: LLCResult | None = None
        self.sweep_results: list[LLCResult] = []
        self.preparer = Preparer(prepare, signature)
        self.jobs = Jobs(self._post, self._worker.stream, self._stopped, model and model.problem)
        self._shown = False
        self._stale = False
        main_thread = self._on_main_thread
        self.ui.run.on_click(main_thread(lambda _: self.run()))
        self.ui.stop.on_click(main_thread(lambda _: self.stop()))
        self.ui.reset.on_click(main_thread(lambda _: self.reset()))
        self.ui.sweep.on_click(main_thread(lambda _: self.run_sweep()))
        self.ui.auto.on_click(main_thread(lambda _: self.auto_step_size()))
        self.ui.as_code.on_click(main_thread(lambda _: self.show_code()))
        for label, button in self.ui.size_classes.items():
            button.on_click(main_thread(lambda _, label=label: self.random_dln(label)))
        self.ui.arch_seed.observe(main_thread(lambda _: self._update_size_classes()), "value")
        self.ui.observe_settings(main_thread(self._settings_changed))
        tabs = widgets.Tab(
            children=[
                BokehModel(self.plots.layout),
                widgets.VBox([self.ui.sweep_panel, BokehModel(self.sweep_plot.layout)]),
            ],
            titles=("Run", "Step-size sweep"),
        )
        exports = widgets.HBox([self.ui.as_code, self.ui.download])
        main = widgets.VBox(  # min_width 0: the readout never widens it, nothing moves
            [self.ui.readout, exports, self.ui.code, tabs],
            layout=widgets.Layout(flex="1 1 0", min_width="0"),
        )
        self.root = widgets.HBox([self.ui.settings_panel, main])
        self._validate()
        self._update_size_classes()

    @classmethod
    def for_model(cls, loss: Loss, params: Any, data: Any, **settings: Any) -> Explorer:
        """The Explorer of a model of one's own, as :func:`llc_explorer.estimate_model_llc`
        takes it (``loss(params, batch)``, the point ``params``, ``data`` with one row per
        example, and its settings): the same view, without the DLN's network controls and
        exact LLC; "As code" shows the ``estimate_model_llc`` call. Bad input raises
        ``ConfigError`` here, before any widget is built; nothing is compiled ahead."""
        return cls(model=open_model(loss, params, data, settings), **settings)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        self._shown = True
        if self.config is not None and self.model is None:  # a DLN's run only
            self.preparer.request(self.config)
        return super()._repr_mimebundle_(**kwargs)

    def run(self, block: bool = False) -> bool:
        """Start sampling with the current settings (stopping any run first); returns whether
        it started. ``block`` waits until it ends."""
        config = self._validate()
        if config is None:
            return False
        self._halt()
        self.result = None
        self.plots.clear()
        self.ui.download.value = ""
        return self._start(self.jobs.sample, config, block)

    def run_sweep(self, block: bool = False) -> bool:
        """Estimate at ``SWEEP_POINTS`` log-spaced step sizes around the current one for each
        selected sampler, ``sweep_steps`` steps each (the chosen sampler with its
        hyperparameters as set, the others with their defaults); returns whether it started."""
        config = self._validate()
        if config is None:
            return False
        own = self.ui.sampler.values()  # the chosen sampler, its step size and hyperparameters
        try:
            configs = sweep_configs(
                self.ui.values(), own, self.ui.sweep_samplers.value, self.ui.sweep_steps.value,
                center=config.step_size, build=self._build,
            )  # fmt: skip
        except ConfigError as exc:
            self._set_status(f"sweep not started: {exc}")
            return False
        self._halt()
        self.sweep_results = []
        self.sweep_plot.clear()
        return self._start(self.jobs.sweep, configs, block)

    def auto_step_size(self, block: bool = False) -> bool:
        """Choose the step size automatically (:func:`llc_explorer.estimator.calibrate_config`:
        the burn-in, adapting, in the sampling thread) and set the step-size control to it;
        returns whether it started."""
        config = self._validate()
        if config is None:
            return False
        return self._start(self.jobs.calibrate, config, block)

    def show_code(self) -> bool:
        """Show the ``estimate_llc`` call and the ``llc-explorer estimate`` line (a model's
        ``estimate_model_llc`` call) that run the current settings as Run does
        (:mod:`llc_explorer.apps.explorer.exports`); returns whether they are valid."""
        config = self._validate()
        if config is None:
            return False
        self.ui.code.value = as_code(config, self.model and self.model.num_params)
        self.ui.code.layout.display = None
        return True

    def random_dln(self, size_class: str) -> None:
        """Set the network to a random DLN of ``size_class`` drawn from the architecture seed
        (as ``llc-explorer sweep --size-class`` draws it), then advance the seed."""
        seed = self.ui.arch_seed.value
        try:
            arch = random_dln(size_class, seed)
        except ConfigError as exc:
            self.ui.drawn.value = problem_html(str(exc))
            return
        self.ui.set_values(widths=arch.widths, rank=arch.rank)
        self.ui.drawn.value = (
            f"drew d = {arch.num_params:,}, rank {arch.rank} (<code>llc-explorer sweep "
            f"--size-class {size_class} --archs 1 --arch-seed {seed}</code>)"
        )
        self.ui.arch_seed.value = seed + 1

    def _update_size_classes(self) -> None:
        """Grey out the size classes whose next draw cannot run well here (over the memory
        limit, or too slow: :func:`llc_explorer.apps.explorer.model.unavailable`)."""
        if isinstance(self.config, LLCConfig):
            self.ui.show_unavailable(unavailable(self.config, self.ui.arch_seed.value))

    def reset(self) -> None:
        """Stop and wait for the thread, restore the default settings and clear the plots."""
        self._halt()
        self.ui.restore_defaults()
        self.result = None
        self.sweep_results = []
        self._stale = False
        self.plots.clear()
        self.plots.mark_stale(False)
        self.sweep_plot.clear()
        self._set_status("ready")

    def _start(self, target: Any, work: Any, block: bool) -> bool:
        """Start ``target(work)`` in the sampling thread (dropping a preparation that has not
        begun), the plots marked current."""
        self.preparer.cancel()
        self._stale = False
        self.plots.mark_stale(False)
        return self._launch(target, work, block)

    def _post_error(self, message: str) -> None:
        self._post(status_frame(self.config, message))

    def _stopped(self, what: str) -> str:
        """The status of ``what`` ("run", "sweep", ...) stopped early, saying if a setting
        changed."""
        if self._stale:
            return f"{what} stopped: settings changed (plots are stale; press Run)"
        return f"{what} stopped"

    # The main thread.

    def _apply(self, frame: Frame) -> None:
        """Show a frame from the sampling thread: the readout first (its message then reaches
        the browser before the plots', whose first drawing can keep the page busy for a
        second on a slow machine). A step size from Auto step size is set before the
        readout, whose message it would otherwise replace with "ready"; it is a fixed step
        size, so the adapt box is cleared."""
        if frame.step_size is not None:
            self.controls["auto_step"].value = False
            self.controls["step_size"].value = frame.step_size
        self._status = frame.status
        self.ui.readout.value = frame.readout
        if frame.result is not None and frame.plots is not None:
            self.result = frame.result
            self.plots.show(frame.plots, frame.result.config)
        if frame.sweep is not None and frame.sweep_plots is not None:
            self.sweep_results = list(frame.sweep)
            self.sweep_plot.show(frame.sweep_plots, frame.exact, frame.sweep_axis)
        if frame.download is not None:
            self.ui.download.value = frame.download

    def _show_status(self, status: str) -> None:
        self.ui.readout.value = readout_html(self.config, self.result, status)

    def _validate(self) -> RunConfig | None:
        """Build the config from the widgets; show any problem and enable Run accordingly."""
        try:
            config = self._build(self.ui.values())
        except ConfigError as exc:
            config, problem = None, str(exc)
        else:
            problem = ""
        changed, self.config = config != self.config or config is None, config
        self.ui.message.value = problem_html(problem)
        self.ui.run.disabled = self.ui.sweep.disabled = self.ui.auto.disabled = config is None
        if not self.running and changed:  # a widget echoing its own value keeps the status
            status = "ready" if config else "invalid settings"
            if self.result is not None:
                status += "; the run below is the last one (stale)"
            self._set_status(status)
        if changed and config is not None and self._shown and self.model is None:
            self.preparer.request(config)
        return config

    def _settings_changed(self, _change: dict) -> None:
        if self.running:
            self.stop()
            self._stale = True
        if self.running or self.result is not None:
            self.plots.mark_stale(True)
        self._validate()
        self._update_size_classes()


def explore(
    widths: Sequence[int] | None = None, rank: int | None = None, **settings: Any
) -> Explorer:
    """An :class:`Explorer` with these ``estimate_llc`` settings, already running when they
    are valid (show it as a cell's last line)."""
    explorer = Explorer(widths, rank, **settings)
    explorer.run()
    return explorer
