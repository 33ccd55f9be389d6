"""The Playground's widgets (ipywidgets 8): the surface, one or two samplers, the shared
settings, the buttons, the message and readout. Widgets only: what the values mean is the
model's business (:mod:`llc_explorer.apps.playground.model`)."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from llc_explorer.apps.playground.model import COMPARE_WITH, DEFAULTS, SHARED
from llc_explorer.apps.ui.sampler_controls import (
    STYLE,
    SamplerControls,
    float_text,
    int_text,
    run_buttons,
    settings_column,
    wide,
)
from llc_explorer.errors import ConfigError
from llc_explorer.surfaces.library import SURFACES

COMPARE_PREFIX = "compare_"
"""Prefix of the right-hand sampler's widgets in :attr:`Controls.widgets`."""


class Controls:
    """The widgets.

    ``widgets`` holds every setting by :func:`make_surface_config` keyword (the left
    sampler's, plus ``step_size_slider``), ``compare`` (the checkbox), the right sampler's
    widgets prefixed ``compare_`` and ``show_step`` (the checkbox of the one-step arrows).
    ``run``, ``stop`` and ``reset`` are the buttons, ``message`` the red validation message,
    ``mission`` the mission box (hidden without one), ``readout`` the results, ``panel`` the
    layout.
    """

    def __init__(self) -> None:
        decades = (-8, -1)
        self.samplers = [
            SamplerControls(DEFAULTS["sampler"], decades=decades, surface=True),
            SamplerControls(COMPARE_WITH, decades=decades, surface=True, label="compare with"),
        ]
        self.widgets: dict[str, widgets.ValueWidget] = {
            "surface": widgets.Dropdown(
                options=[
                    (f"{s.formula}   (λ = {s.truth.llc})", name) for name, s in SURFACES.items()
                ],
                value=DEFAULTS["surface"], description="loss K(w)", layout=wide(), style=STYLE,
            ),
            **self.samplers[0].widgets,
            "compare": widgets.Checkbox(
                value=False, description="compare two samplers (same seed)", indent=False
            ),
            **{COMPARE_PREFIX + k: w for k, w in self.samplers[1].widgets.items()},
            "nbeta": float_text("n·β", DEFAULTS["nbeta"]),
            "gamma": float_text("gamma", DEFAULTS["gamma"]),
            "noise": widgets.FloatSlider(
                value=DEFAULTS["noise"], min=0.0, max=1.0, step=0.05,
                description="minibatch noise", layout=wide(), style=STYLE,
            ),
            "chains": int_text("chains", DEFAULTS["chains"]),
            "steps": int_text("steps", DEFAULTS["steps"]),
            "burn_in": float_text("burn-in fraction", DEFAULTS["burn_in"]),
            "seed": int_text("seed", DEFAULTS["seed"]),
            "chunk_size": int_text("steps per frame", DEFAULTS["chunk_size"]),
            "show_step": widgets.Checkbox(
                value=False, description="show one step (drift and noise)", indent=False,
                tooltip="arrows from chain 0's last position: the drift and the noise of its move",
            ),
        }  # fmt: skip
        self.run, self.stop, self.reset = run_buttons(
            "sample", "stop", "stop and restore the defaults"
        )
        self.message = widgets.HTML(layout=wide())
        self.mission = widgets.HTML(layout=widgets.Layout(width="300px", display="none"))
        self.readout = widgets.HTML()
        w, section = self.widgets, widgets.HTML
        self.widgets["compare"].observe(lambda change: self._show_compare(change["new"]), "value")
        self._show_compare(False)
        self.panel = settings_column(
            [
                self.mission,
                section("<b>Loss</b>"),
                w["surface"],
                section("<b>Sampler</b>"),
                self.samplers[0].box,
                w["compare"],
                self.samplers[1].box,
                section("<b>Posterior and chains</b>"),
                *(w[name] for name in SHARED if name != "surface"),
                w["show_step"],
                widgets.HBox([self.run, self.stop, self.reset]),
                self.message,
            ]
        )
        self.keep_as_defaults()

    def shared(self) -> dict[str, Any]:
        """The settings both samplers share, by :func:`make_surface_config` keyword."""
        return {name: self.widgets[name].value for name in SHARED}

    def sampler_settings(self) -> list[dict[str, Any]]:
        """The left sampler's settings, and the right one's in compare mode."""
        shown = self.samplers[: 2 if self.widgets["compare"].value else 1]
        return [sampler.values() for sampler in shown]

    def keep_as_defaults(self) -> None:
        """Make the current values the ones :meth:`restore_defaults` puts back."""
        self._defaults = {name: widget.value for name, widget in self.widgets.items()}

    def restore_defaults(self) -> None:
        """Put every setting back to its initial value (samplers first: choosing one resets
        its step size)."""
        for name in ("sampler", COMPARE_PREFIX + "sampler"):
            self.widgets[name].value = self._defaults[name]
        for name, value in self._defaults.items():
            self.widgets[name].value = value

    def set_values(self, **settings: Any) -> None:
        """Set widgets by name (None leaves one as it is); ``ValueError`` names a setting
        with no widget."""
        unknown = sorted(set(settings) - set(self.widgets))
        if unknown:
            raise ConfigError(f"the playground has no setting {', '.join(unknown)}")
        for name in ("sampler", COMPARE_PREFIX + "sampler"):  # first: they reset the step
            if settings.get(name) is not None:
                self.widgets[name].value = settings.pop(name)
        for name, value in settings.items():
            if value is not None:
                self.widgets[name].value = value

    def show_mission(self, html: str) -> None:
        """Show ``html`` in the mission box above the controls."""
        self.mission.value = html
        self.mission.layout.display = None

    def _show_compare(self, on: bool) -> None:
        self.samplers[1].box.layout.display = None if on else "none"
