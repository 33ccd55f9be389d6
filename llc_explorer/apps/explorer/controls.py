"""The explorer's widgets (ipywidgets 8): every setting, the buttons, the message and readout.

Widgets only: the step-size slider and text are kept in sync and each sampler's own
hyperparameters are shown only while that sampler is chosen; what the values mean is the
model's business (:mod:`llc_explorer.apps.explorer.model`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets
from traitlets import TraitError

from llc_explorer.apps.explorer.model import ARCHITECTURE, SIZE_LABELS, SWEEP_STEPS, default
from llc_explorer.apps.explorer.user_model import DLN_ONLY
from llc_explorer.apps.ui.sampler_controls import (
    STYLE,
    SamplerControls,
    button,
    float_text,
    int_text,
    run_buttons,
    settings_column,
    text_entry,
    wide,
)
from llc_explorer.dln.model import TEACHERS
from llc_explorer.errors import ConfigError
from llc_explorer.settings import SETTINGS
from llc_explorer.sgmcmc.registry import get_sampler, menu_names

AUTO_TOOLTIP = (
    "adapt the step size during the burn-in toward a MALA acceptance (0.8 from 1,000 "
    "parameters up), as estimate_llc does by default; the step-size entry is unused meanwhile"
)
NO_AUTO = "its moves carry momentum, so it has no MALA acceptance to adapt on"

DATA_AND_CHAINS = ("n", "batch_size", "chains", "steps", "burn_in", "warmup_factor", "seed")
"""The settings under "Data and chains", in their order."""

NOTE_STYLE = "font-size: 12px; line-height: 1.3; color: var(--jp-ui-font-color2, #616161)"
"""The size classes' note: small and muted, under the buttons."""


def entry(name: str, description: str, tooltip: str | None = None) -> widgets.ValueWidget:
    """The labelled entry of the setting ``name`` at the explorer's default
    (:func:`llc_explorer.apps.explorer.model.default`): an int entry for an int; its tooltip
    the setting's help (:data:`llc_explorer.settings.SETTINGS`) unless ``tooltip`` is given."""
    value = default(name)
    if tooltip is None and name in SETTINGS:
        tooltip = SETTINGS[name].help
    make = int_text if isinstance(value, int) else float_text
    return make(description, value, tooltip)


def choices(name: str) -> list[str]:
    """The values the setting ``name`` may take, as declared."""
    table = SETTINGS[name].choices
    return list(table()) if table else []


class Controls:
    """The widgets.

    ``widgets`` holds the settings by ``estimate_llc`` keyword name (``widths`` is the
    free-form text, ``step_size`` the exact value), plus the architecture widgets of
    ``ARCHITECTURE`` and ``step_size_slider``. ``run``, ``stop``, ``reset``, ``sweep`` and
    ``auto`` (automatic step size) are the buttons, ``message`` the red validation message,
    ``readout`` the results panel, ``as_code`` shows ``code`` (the run as code), ``download``
    the link to the last run's file, ``size_classes`` the buttons that draw a random DLN of
    each size class with ``arch_seed`` (``size_note`` says why one is greyed out), ``drawn``
    says what was drawn, ``sweep_samplers`` and ``sweep_steps`` the sweep's settings,
    ``settings_panel`` and ``sweep_panel`` their layouts. Given ``model`` (what to say of a
    model of one's own, HTML), the settings that build a DLN have no widget and no size class
    is offered.
    """

    def __init__(self, model: str | None = None) -> None:
        self.sampler = SamplerControls(default("sampler"), decades=(-10, -2))
        teachers = "; ".join(f"{name}: {t.description}" for name, t in TEACHERS.items())
        self.widgets: dict[str, widgets.ValueWidget] = {
            "input_width": entry("input_width", "input width"),
            "output_width": entry("output_width", "output width"),
            "hidden_layers": entry("hidden_layers", "hidden layers"),
            "hidden_width": entry("hidden_width", "hidden width"),
            "widths": text_entry(
                "widths (advanced)",
                "e.g. 10,20,20,10 (overrides the above)",
                SETTINGS["widths"].help,
            ),
            "rank": entry("rank", "rank"),
            "teacher": widgets.Dropdown(
                options=choices("teacher"),
                value=default("teacher"),
                description="teacher w*",
                tooltip=f"{SETTINGS['teacher'].help} ({teachers})",
                layout=wide(),
                style=STYLE,
            ),
            **self.sampler.widgets,
            "auto_step": widgets.Checkbox(
                value=True,  # as estimate_llc: the step size adapts where the sampler can
                description="adapt the step size",
                tooltip=AUTO_TOOLTIP,
                indent=False,
                layout=widgets.Layout(margin="0 0 4px 134px"),
            ),
            "gamma": entry("gamma", "gamma"),
            "nbeta": text_entry(
                "n·β", f"blank: {SETTINGS['nbeta'].derived}", SETTINGS["nbeta"].help
            ),
            "n": entry("n", "n (data points)"),
            "batch_size": entry("batch_size", "batch size"),
            "chains": entry("chains", "chains"),
            "steps": entry("steps", "steps", "steps per chain"),
            "burn_in": entry("burn_in", "burn-in fraction"),
            "warmup_factor": entry("warmup_factor", "warm-up factor"),
            "seed": entry("seed", "seed"),
        }
        self.run, self.stop, self.reset = run_buttons(
            "start sampling with these settings",
            "stop sampling after the current chunk",
            "stop, clear the plots and restore the defaults",
        )
        self.sweep = button("Run sweep", "info", "estimate at log-spaced step sizes")
        self.auto = button(
            "Auto step size",
            "",
            "adapt the step size over a burn-in toward a MALA acceptance of 0.8",
        )
        self.message = widgets.HTML(layout=wide())
        self.readout = widgets.HTML(layout=widgets.Layout(width="100%"))
        self.as_code = button("As code", "", "show the estimate_llc call and CLI line of this run")
        self.code = widgets.Textarea(
            layout=widgets.Layout(width="100%", height="120px", display="none")
        )
        self.download = widgets.HTML()
        self.size_classes = {
            label: widgets.Button(
                description=label,
                tooltip=self.size_class_tooltip(label),
                layout=widgets.Layout(width="48px"),
            )
            for label in SIZE_LABELS
        }
        self.size_note = widgets.HTML(layout=wide())
        self.arch_seed = int_text("architecture seed", 0)
        self.drawn = widgets.HTML(layout=wide())
        self.sweep_samplers = widgets.SelectMultiple(
            options=menu_names(), value=menu_names(), description="samplers", rows=5
        )
        self.sweep_steps = int_text("steps per run", SWEEP_STEPS)
        w = self.widgets
        section = widgets.HTML
        network = [
            section("<b>Network</b>"),
            *(w[name] for name in (*ARCHITECTURE, "widths", "rank", "teacher")),
            section("random benchmark DLN of size class:"),
            widgets.HBox(list(self.size_classes.values())),
            self.size_note,
            self.arch_seed,
            self.drawn,
        ]
        if model is not None:  # a model of one's own: no widget that builds a DLN
            network = [section("<b>Model</b>"), widgets.HTML(model, layout=wide())]
            self.size_classes = {}
            for name in DLN_ONLY:
                del w[name]
        self.settings_panel = settings_column(
            [
                *network,
                section("<b>Sampler</b>"),
                self.sampler.box,
                self.auto,
                w["gamma"],
                w["nbeta"],
                section("<b>Data and chains</b>"),
                *(w[name] for name in DATA_AND_CHAINS if name in w),
                widgets.HBox([self.run, self.stop, self.reset]),
                self.message,
            ]
        )
        sweep_settings = widgets.VBox([self.sweep_steps, self.sweep])
        self.sweep_panel = widgets.HBox([self.sweep_samplers, sweep_settings])
        self._defaults = {k: w.value for k, w in self.widgets.items()}
        shown = list(self.sampler.box.children)  # the adapt box right under the step size
        shown.insert(shown.index(w["step_size_slider"]) + 1, w["auto_step"])
        self.sampler.box.children = tuple(shown)
        w["auto_step"].observe(lambda _: self._show_auto(), "value")
        w["sampler"].observe(lambda _: self._show_auto(), "value")
        self._show_auto()

    def adapting(self) -> bool:
        """Whether the step size adapts: the box ticked, for a sampler that can adapt."""
        box = self.widgets["auto_step"]
        return bool(box.value) and not box.disabled

    def _show_auto(self) -> None:
        """Grey the adapt box out for samplers without a MALA acceptance, and the step-size
        entry and slider while the step size adapts (their value is not used then)."""
        sampler = self.widgets["sampler"].value
        box = self.widgets["auto_step"]
        box.disabled = get_sampler(sampler).metric is None
        box.tooltip = AUTO_TOOLTIP if not box.disabled else f"{sampler} cannot adapt: {NO_AUTO}"
        for name in ("step_size", "step_size_slider"):
            self.widgets[name].disabled = self.adapting()

    @staticmethod
    def size_class_tooltip(label: str) -> str:
        """What a size-class button does (when it is not greyed out)."""
        return f"draw a random DLN of about {float(label):,.0f} parameters, as the sweep does"

    def show_unavailable(self, reasons: dict[str, tuple[str, str]]) -> None:
        """Grey out the size classes with a reason not to draw them (short and in full, by
        label: :func:`llc_explorer.apps.explorer.model.unavailable`): the reason in full in
        each one's tooltip, and short in one muted line under the buttons."""
        shorts = []
        for label, (short, reason) in reasons.items():
            button = self.size_classes[label]
            button.disabled = bool(reason)
            button.tooltip = reason or self.size_class_tooltip(label)
            if short:
                shorts.append(f"{label} ({short})")
        self.size_note.value = (
            f"<div style='{NOTE_STYLE}'>greyed out: {'; '.join(shorts)}</div>" if shorts else ""
        )

    def values(self) -> dict[str, Any]:
        """Every setting's current value by name: the chosen sampler's own hyperparameters
        only, the slider left out (it mirrors step_size), and ``step_size`` ``"auto"`` while
        the step size adapts."""
        hidden = {"step_size_slider", "auto_step", *self.sampler.hyperparameters}
        other = {k: w.value for k, w in self.widgets.items() if k not in hidden}
        own = self.sampler.values()
        if self.adapting():
            own["step_size"] = "auto"
        return {**other, **own}

    def restore_defaults(self) -> None:
        """Put every setting back to its initial value."""
        self.widgets["sampler"].value = self._defaults["sampler"]
        for name, value in self._defaults.items():
            if name != "step_size_slider":
                self.widgets[name].value = value

    def set_values(self, **settings: Any) -> None:
        """Set widgets from ``estimate_llc`` keywords (``widths`` as a sequence of ints; None
        leaves a widget as it is). ``ValueError`` names a keyword with no widget."""
        unknown = sorted(set(settings) - set(self.widgets))
        if unknown:
            raise ConfigError(f"the explorer has no setting {', '.join(unknown)}")
        if settings.get("sampler") is not None:  # first: choosing a sampler resets its step
            self.widgets["sampler"].value = settings["sampler"]
        if settings.get("step_size") is not None:  # a number fixes it, "auto" adapts it
            auto = settings["step_size"] == "auto"
            self.widgets["auto_step"].value = auto
            if auto:
                del settings["step_size"]
        widths = settings.pop("widths", None)
        if widths is not None:
            self.set_widths(widths)
        for name, value in settings.items():
            if value is None:
                continue
            try:
                self.widgets[name].value = str(value) if name == "nbeta" else value
            except TraitError:  # e.g. steps="auto": the explorer's widget takes a number
                raise ConfigError(f"the explorer cannot show {name}={value!r}") from None

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
