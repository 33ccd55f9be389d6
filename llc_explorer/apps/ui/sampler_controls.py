"""The widgets that choose a sampler and its hyperparameters (ipywidgets 8).

The step size has one entry (the value that runs, the only number shown for it) with a log
slider under it, kept in sync (a dragged value is rounded to 2 digits); each sampler's own
hyperparameters are shown only while that sampler is chosen, and choosing a sampler puts
its default step size back. Widgets only: what the values mean is the caller's business.
"""

from __future__ import annotations

import math

import ipywidgets as widgets

from llc_explorer.sgmcmc.registry import REGISTRY, get_spec, menu_names

STYLE = {"description_width": "130px"}
"""Room for every label, so the columns of controls line up."""


def wide() -> widgets.Layout:
    """The layout of one control in a settings column."""
    return widgets.Layout(width="300px")


def int_text(description: str, value: int, tooltip: str | None = None) -> widgets.IntText:
    """A labelled integer entry (``tooltip``: what it sets, on hover)."""
    return widgets.IntText(
        value=value, description=description, tooltip=tooltip, layout=wide(), style=STYLE
    )


def float_text(description: str, value: float, tooltip: str | None = None) -> widgets.FloatText:
    """A labelled number entry (``tooltip``: what it sets, on hover)."""
    return widgets.FloatText(
        value=value, description=description, tooltip=tooltip, layout=wide(), style=STYLE
    )


def button(description: str, style: str, tooltip: str, width: str = "") -> widgets.Button:
    """A button (``style``: ipywidgets' "success", "warning", "info" or ""), ``width`` wide
    (default: ipywidgets')."""
    return widgets.Button(
        description=description,
        button_style=style,
        tooltip=tooltip,
        layout=widgets.Layout(width=width or None),
    )


def run_buttons(run_tooltip: str, stop_tooltip: str, reset_tooltip: str) -> list[widgets.Button]:
    """Run, Stop and Reset, side by side within a settings column."""
    return [
        button("Run", "success", run_tooltip, "96px"),
        button("Stop", "warning", stop_tooltip, "96px"),
        button("Reset", "", reset_tooltip, "96px"),
    ]


def settings_column(children: list[widgets.Widget]) -> widgets.VBox:
    """The column of settings left of an app, fixed at 310 px (so what is beside it never
    moves)."""
    return widgets.VBox(children, layout=widgets.Layout(width="310px", flex="0 0 auto"))


def shown_hyperparameters() -> tuple[str, ...]:
    """Every hyperparameter that some registered sampler shows as a control."""
    return tuple(dict.fromkeys(h for spec in REGISTRY.values() for h in spec.controls))


def text_entry(description: str, placeholder: str, tooltip: str | None = None) -> widgets.Text:
    """A labelled, initially blank text entry with a hint of what blank means (``tooltip``:
    what it sets, on hover)."""
    return widgets.Text(
        value="",
        description=description,
        placeholder=placeholder,
        tooltip=tooltip,
        layout=wide(),
        style=STYLE,
    )


class SamplerControls:
    """``widgets``: ``sampler`` (dropdown of the registered samplers), ``step_size`` (the value
    that runs), ``step_size_slider`` (log scale, 10^low ... 10^high, no number of its own: it
    sits under the entry, aligned with it) and one entry per hyperparameter
    that a sampler shows (its spec's ``controls``), with the samplers' DLN defaults (or, with
    ``surface``, their surface defaults); ``box`` lays them out.
    """

    def __init__(
        self,
        sampler: str,
        *,
        decades: tuple[int, int],
        surface: bool = False,
        label: str = "sampler",
    ) -> None:
        self.surface = surface
        step = self._defaults(sampler)["step_size"]
        self.hyperparameters = shown_hyperparameters()
        self.widgets: dict[str, widgets.ValueWidget] = {
            "sampler": widgets.Dropdown(
                options=menu_names(), value=sampler, description=label, layout=wide(),
                style=STYLE,
            ),
            "step_size": float_text("step size", step),
            "step_size_slider": widgets.FloatLogSlider(
                value=step, base=10, min=decades[0], max=decades[1], step=0.1, readout=False,
                tooltip="drag: step sizes on a log scale (the value that runs is in the box)",
                layout=widgets.Layout(width="170px", margin="0 0 4px 134px"),
            ),
            **{name: float_text(name, self._first_default(name)) for name in self.hyperparameters},
        }  # fmt: skip
        self.widgets["step_size_slider"].observe(self._slider_moved, "value")
        self.widgets["step_size"].observe(self._step_typed, "value")
        self.widgets["sampler"].observe(self._sampler_chosen, "value")
        self._show_hyperparameters(sampler)
        self.box = widgets.VBox(list(self.widgets.values()))

    def _defaults(self, sampler: str) -> dict:
        spec = get_spec(sampler)
        return dict(spec.surface_defaults if self.surface else spec.defaults)

    def _first_default(self, name: str) -> float:
        return next(self._defaults(s)[name] for s in REGISTRY if name in get_spec(s).controls)

    def values(self) -> dict[str, float | str]:
        """The sampler, the exact step size and the chosen sampler's shown hyperparameters."""
        sampler = self.widgets["sampler"].value
        own = get_spec(sampler).controls
        return {name: self.widgets[name].value for name in ("sampler", "step_size", *own)}

    def _slider_moved(self, change: dict) -> None:
        """Copy a slider move to the entry, rounded to 2 significant digits (the entry shows
        the one value that runs), unless the slider only snapped to its grid near the typed
        value (then the typed value stands)."""
        exact = self.widgets["step_size"]
        slider = self.widgets["step_size_slider"]
        if not exact.value > 0 or (
            abs(math.log10(change["new"]) - math.log10(exact.value)) > slider.step / 2
        ):
            exact.value = float(f"{change['new']:.2g}")

    def _step_typed(self, change: dict) -> None:
        value = change["new"]
        slider = self.widgets["step_size_slider"]
        if value > 0 and math.isfinite(value):
            exponent = math.log10(value)
            slider.min = min(slider.min, math.floor(exponent))
            slider.max = max(slider.max, math.ceil(exponent))
            slider.value = value

    def _sampler_chosen(self, change: dict) -> None:
        """Put the chosen sampler's default step size and shown hyperparameters in place."""
        defaults = self._defaults(change["new"])
        for name in ("step_size", *get_spec(change["new"]).controls):
            self.widgets[name].value = defaults[name]
        self._show_hyperparameters(change["new"])

    def _show_hyperparameters(self, sampler: str) -> None:
        for name in self.hyperparameters:
            shown = name in get_spec(sampler).controls
            self.widgets[name].layout.display = None if shown else "none"
