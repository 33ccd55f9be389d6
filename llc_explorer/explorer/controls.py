"""The explorer's widgets (ipywidgets 8): every setting, the buttons, the message and readout.

Widgets only: the step-size slider and text are kept in sync and each sampler's own
hyperparameters are shown only while that sampler is chosen; what the values mean is the
model's business (:mod:`llc_explorer.explorer.model`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets

from llc_explorer.config import SAMPLER_DEFAULTS
from llc_explorer.explorer.model import ARCHITECTURE, HYPERPARAMETERS
from llc_explorer.samplers import SAMPLERS

STYLE = {"description_width": "130px"}


def _wide() -> widgets.Layout:
    return widgets.Layout(width="300px")


def _int(description: str, value: int) -> widgets.IntText:
    return widgets.IntText(value=value, description=description, layout=_wide(), style=STYLE)


def _float(description: str, value: float) -> widgets.FloatText:
    return widgets.FloatText(value=value, description=description, layout=_wide(), style=STYLE)


def _button(description: str, style: str, tooltip: str) -> widgets.Button:
    return widgets.Button(description=description, button_style=style, tooltip=tooltip)


def _hyperparameter_default(name: str) -> float:
    return next(own[name] for own in SAMPLER_DEFAULTS.values() if name in own)


class Controls:
    """The widgets.

    ``widgets`` holds the settings by ``estimate_llc`` keyword name (``widths`` is the
    free-form text, ``step_size`` the exact value), plus the architecture widgets of
    ``ARCHITECTURE`` and ``step_size_slider``. ``run``, ``stop``, ``reset`` and ``sweep``
    are the buttons, ``message`` the red validation message, ``readout`` the results panel,
    ``sweep_samplers`` and ``sweep_steps`` the sweep's settings, ``settings_panel`` and
    ``sweep_panel`` their layouts.
    """

    def __init__(self) -> None:
        sampler = "rmsprop_sgld"
        step = SAMPLER_DEFAULTS[sampler]["step_size"]
        self.widgets: dict[str, widgets.ValueWidget] = {
            "input_width": _int("input width", 10),
            "output_width": _int("output width", 10),
            "hidden_layers": _int("hidden layers", 2),
            "hidden_width": _int("hidden width", 20),
            "widths": widgets.Text(
                value="",
                description="widths (advanced)",
                placeholder="e.g. 10,20,20,10 (overrides the above)",
                layout=_wide(),
                style=STYLE,
            ),
            "rank": _int("rank", 3),
            "sampler": widgets.Dropdown(
                options=list(SAMPLERS),
                value=sampler,
                description="sampler",
                layout=_wide(),
                style=STYLE,
            ),
            "step_size_slider": widgets.FloatLogSlider(
                value=step,
                base=10,
                min=-10,
                max=-2,
                step=0.1,
                description="step size",
                readout_format=".1e",
                layout=_wide(),
                style=STYLE,
            ),
            "step_size": _float("step size (exact)", step),
            **{name: _float(name, _hyperparameter_default(name)) for name in HYPERPARAMETERS},
            "gamma": _float("gamma", 1.0),
            "nbeta": _float("n·β (0 = n/log n)", 0.0),
            "n": _int("n (data points)", 100_000),
            "batch_size": _int("batch size", 100),
            "chains": _int("chains", 4),
            "steps": _int("steps", 10_000),
            "burn_in": _float("burn-in fraction", 0.9),
            "seed": _int("seed", 0),
        }
        self.run = _button("Run", "success", "start sampling with these settings")
        self.stop = _button("Stop", "warning", "stop sampling after the current chunk")
        self.reset = _button("Reset", "", "stop, clear the plots and restore the defaults")
        self.sweep = _button("Run sweep", "info", "estimate at log-spaced step sizes")
        self.message = widgets.HTML()
        self.readout = widgets.HTML()
        self.sweep_samplers = widgets.SelectMultiple(
            options=list(SAMPLERS), value=list(SAMPLERS), description="samplers", rows=5
        )
        self.sweep_steps = _int("steps per run", 2000)
        self.widgets["step_size_slider"].observe(self._slider_moved, "value")
        self.widgets["step_size"].observe(self._step_typed, "value")
        self.widgets["sampler"].observe(self._sampler_chosen, "value")
        self._show_hyperparameters(sampler)
        w = self.widgets
        section = widgets.HTML
        self.settings_panel = widgets.VBox(
            [
                section("<b>Network</b>"),
                *(w[name] for name in (*ARCHITECTURE, "widths", "rank")),
                section("<b>Sampler</b>"),
                *(w[name] for name in ("sampler", "step_size_slider", "step_size")),
                *(w[name] for name in HYPERPARAMETERS),
                w["gamma"],
                w["nbeta"],
                section("<b>Data and chains</b>"),
                *(w[name] for name in ("n", "batch_size", "chains", "steps", "burn_in", "seed")),
                widgets.HBox([self.run, self.stop, self.reset]),
                self.message,
            ]
        )
        sweep_settings = widgets.VBox([self.sweep_steps, self.sweep])
        self.sweep_panel = widgets.HBox([self.sweep_samplers, sweep_settings])
        self._defaults = self.values()

    def values(self) -> dict[str, Any]:
        """Every setting's current value by name (the slider left out: it mirrors step_size)."""
        return {k: w.value for k, w in self.widgets.items() if k != "step_size_slider"}

    def restore_defaults(self) -> None:
        """Put every setting back to its initial value."""
        self.widgets["sampler"].value = self._defaults["sampler"]
        for name, value in self._defaults.items():
            self.widgets[name].value = value

    def set_values(self, **settings: Any) -> None:
        """Set widgets from ``estimate_llc`` keywords (``widths`` as a sequence of ints; None
        leaves a widget as it is). ``ValueError`` names a keyword with no widget."""
        unknown = sorted(set(settings) - set(self.widgets))
        if unknown:
            raise ValueError(f"the explorer has no setting {', '.join(unknown)}")
        if settings.get("sampler") is not None:  # first: choosing a sampler resets its step
            self.widgets["sampler"].value = settings["sampler"]
        widths = settings.pop("widths", None)
        if widths is not None:
            self.set_widths(widths)
        for name, value in settings.items():
            if value is not None:
                self.widgets[name].value = value

    def set_widths(self, widths: Sequence[int]) -> None:
        """Show ``widths`` in the simple widgets when its hidden layers share one width,
        else in the free-form text."""
        widths = list(widths)
        hidden = widths[1:-1]
        w = self.widgets
        if len(widths) >= 2 and len(set(hidden)) <= 1:
            w["input_width"].value, w["output_width"].value = widths[0], widths[-1]
            w["hidden_layers"].value = len(hidden)
            if hidden:
                w["hidden_width"].value = hidden[0]
            w["widths"].value = ""
        else:
            w["widths"].value = ",".join(str(h) for h in widths)

    def observe_settings(self, callback: Callable[[dict], None]) -> None:
        """Call ``callback(change)`` whenever any setting changes."""
        for widget in self.widgets.values():
            widget.observe(callback, "value")

    def _slider_moved(self, change: dict) -> None:
        """Copy a slider move to the exact entry, unless the slider only snapped to its grid
        near the typed value (then the typed value stands)."""
        exact = self.widgets["step_size"]
        slider = self.widgets["step_size_slider"]
        if not exact.value > 0 or (
            abs(math.log10(change["new"]) - math.log10(exact.value)) > slider.step / 2
        ):
            exact.value = change["new"]

    def _step_typed(self, change: dict) -> None:
        value = change["new"]
        slider = self.widgets["step_size_slider"]
        if value > 0 and math.isfinite(value):
            exponent = math.log10(value)
            slider.min = min(slider.min, math.floor(exponent))
            slider.max = max(slider.max, math.ceil(exponent))
            slider.value = value

    def _sampler_chosen(self, change: dict) -> None:
        self.widgets["step_size"].value = SAMPLER_DEFAULTS[change["new"]]["step_size"]
        self._show_hyperparameters(change["new"])

    def _show_hyperparameters(self, sampler: str) -> None:
        for name in HYPERPARAMETERS:
            shown = name in SAMPLER_DEFAULTS[sampler]
            self.widgets[name].layout.display = None if shown else "none"
