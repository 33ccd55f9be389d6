"""The lab notebook's plots of DLN runs (:class:`llc_explorer.result.LLCResult`), so that each
cell shows only the run that teaches: loss traces, relative error against step size, running
estimates, the automatic step size's adaptation, and window means.

Throughout, a run's loss is read in LLC units, ``n*beta * (L_{B_t}(w_t) - L_n(w*))``
(spec section 3): its mean over the sampling window is a chain's estimate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from bokeh.layouts import row
from bokeh.models import BoxAnnotation, ColumnDataSource, Label, Row
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

from llc_explorer.errors import ConfigError

if TYPE_CHECKING:
    from llc_explorer.result import LLCResult

ERROR_RANGE = (-1.0, 1.0)
"""The relative-error axis of :func:`error_by_step_size`; values beyond sit on its edges."""


def legend_outside(fig: figure) -> figure:
    """``fig`` with its legend moved to the right of the plot area, where it hides no line."""
    if fig.legend:
        fig.legend.label_text_font_size = "8pt"
        fig.add_layout(fig.legend[0], "right")
    return fig


def loss_traces(result: LLCResult, title: str) -> figure:
    """Each chain's ``n*beta (L_t - L(w*))`` against the step on a log axis (the finite,
    positive points only: a log axis has no place for the rest)."""
    fig = figure(
        title=title, width=320, height=260, x_axis_label="step",
        y_axis_label="n*beta (L_t - L_n(w*))", y_axis_type="log",
    )  # fmt: skip
    steps = np.arange(result.steps_done)
    traces = result.llc_trace[:, : result.steps_done]
    for chain, (excess, color) in enumerate(zip(traces, Category10_10, strict=False)):
        keep = np.isfinite(excess) & (excess > 0)
        source = ColumnDataSource({"x": steps[keep], "y": excess[keep]})
        fig.line("x", "y", source=source, color=color, name=f"chain-{chain}")
    return fig


def error_by_step_size(
    step_sizes: Sequence[float] | np.ndarray,
    errors: Mapping[str, Sequence[float] | np.ndarray],
    stored: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> figure:
    """Relative error ``(lambda_hat - lambda) / lambda`` against step size (log axis), one
    line per sampler of ``errors`` (each on ``step_sizes``). The error axis is
    :data:`ERROR_RANGE`: a value beyond it is drawn on its edge as a triangle (glyph named
    ``"off-scale"``), a NaN (every chain diverged) at its bottom as a red x (``"diverged"``).
    ``stored`` (``{sampler: (step_sizes, errors)}``, any step grid) adds faint lines, "stored
    full run"."""
    low, high = ERROR_RANGE
    fig = figure(
        title="relative error against step size", width=640, height=320, x_axis_type="log",
        x_axis_label="step size", y_axis_label="(estimate - exact) / exact",
        y_range=(low - 0.1, high + 0.1),
    )  # fmt: skip
    fig.line([min(step_sizes), max(step_sizes)], [0, 0], color="black", line_dash="dotted")
    for (sampler, values), color in zip(errors.items(), Category10_10, strict=False):
        eps = np.asarray(step_sizes, np.float64)
        error = np.asarray(values, np.float64)
        shown = np.clip(error, low, high)
        fig.line(eps, shown, color=color, line_width=2, legend_label=sampler)
        fig.scatter(eps, shown, color=color, size=6, legend_label=sampler)
        off = np.isfinite(error) & (error != shown)
        if off.any():
            marker = np.where(error[off] > high, "triangle", "inverted_triangle")
            fig.scatter(eps[off], shown[off], marker=marker.tolist(), size=11, color=color,
                        legend_label="off scale", name="off-scale")  # fmt: skip
        nan = np.isnan(error)
        if nan.any():
            fig.scatter(eps[nan], np.full(nan.sum(), low), marker="x", size=12, color="red",
                        line_width=2, legend_label="diverged", name="diverged")  # fmt: skip
    for (sampler, (eps, error)), color in zip((stored or {}).items(), Category10_10, strict=False):
        fig.line(np.asarray(eps, np.float64), np.clip(np.asarray(error, np.float64), low, high),
                 color=color, alpha=0.3, line_width=4, legend_label=f"{sampler}: stored full run",
                 name="stored")  # fmt: skip
    return legend_outside(fig)


def warmup_end(result: LLCResult) -> int:
    """The step where the warm-up at ``warmup_factor`` times the step size ends: the
    calibration's for an automatic step size, else the run's ``warmup_steps``."""
    if result.calibration is not None:
        return int(result.calibration.warmup_end)
    return int(result.warmup_steps or 0)


def running_estimates(result: LLCResult, burn_ins: Sequence[float] = (0, 0.1, 0.5, 0.9)) -> figure:
    """For each burn-in fraction ``b``, the running estimate ``n*beta * (mean_{bT <= s <= t}
    Lbar_s - L_n(w*))`` of the chains' mean loss ``Lbar_s`` (the chains that stayed finite),
    with the exact value dashed and the warm-up shaded."""
    fig = figure(
        title="running LLC estimate for several burn-in fractions", width=700, height=320,
        x_axis_label="step", y_axis_label="LLC estimate (mean over chains)",
    )  # fmt: skip
    excess = result.llc_trace[:, : result.steps_done]
    mean = excess[np.isfinite(excess).all(axis=1)].mean(axis=0)
    steps = result.steps_done
    for burn_in, color in zip(burn_ins, Category10_10, strict=False):
        first = int(burn_in * steps)
        kept = mean[first:]
        running = np.cumsum(kept) / np.arange(1, kept.size + 1)
        source = ColumnDataSource({"x": np.arange(first, steps), "y": running})
        fig.line("x", "y", source=source, color=color, legend_label=f"burn-in {burn_in:g}",
                 name=f"burn-in-{burn_in:g}")  # fmt: skip
    if result.true_llc is not None:
        fig.line([0, steps], [float(result.true_llc)] * 2, color="black", line_dash="dashed",
                 legend_label="exact")  # fmt: skip
    end = warmup_end(result)
    if end > 0:
        fig.add_layout(BoxAnnotation(left=0, right=end, fill_color="grey", fill_alpha=0.12,
                                     name="warm-up"))  # fmt: skip
        factor = f"{result.config.warmup_factor:g}\N{MULTIPLICATION SIGN} step"
        fig.add_layout(Label(x=end / 2, y=0, x_units="data", y_units="screen", y_offset=4,
                             text=f"warm-up ({factor})", text_align="center",
                             text_font_size="9pt"))  # fmt: skip
    return legend_outside(fig)


def adaptation(result: LLCResult) -> Row:
    """The automatic step size (:class:`llc_explorer.sgmcmc.adaptation.StepSizeCalibration`):
    the step size of each adapting chunk (log axis), and its chains' mean MALA acceptance with
    the targets dashed (the warm-up's up to ``warmup_end``, then the sampling window's).
    ``ConfigError`` for a run at a fixed step size."""
    c = result.calibration
    if c is None:
        raise ConfigError("adaptation() needs a run with step_size='auto' (the default)")
    eps = figure(
        title="step size while adapting", width=320, height=260, y_axis_type="log",
        x_axis_label="step", y_axis_label="step size",
    )  # fmt: skip
    eps.line("x", "y", source=ColumnDataSource({"x": c.ends, "y": c.step_sizes}))
    accept = figure(
        title="MALA acceptance of each chunk", width=320, height=260, x_axis_label="step",
        y_axis_label="acceptance", y_range=(0, 1),
    )  # fmt: skip
    accept.line("x", "y", source=ColumnDataSource({"x": c.ends, "y": c.acceptance}))
    targets = [
        ([c.ends[0], c.warmup_end], c.warmup_target, "warm-up target"),
        ([c.warmup_end, c.ends[-1]], c.target, "sampling target"),
    ]
    for span, target, label in targets:
        accept.line(span, [target] * 2, color="black", line_dash="dashed", legend_label=label)
    accept.legend.location = "bottom_left"
    return row(eps, accept)


def window_means(
    results: Mapping[str, LLCResult],
    window: int = 1000,
    reference: Mapping[str, float] | None = None,
) -> figure:
    """For each run, the chains' mean ``n*beta (L_t - L(w*))`` averaged over consecutive windows
    of ``window`` steps (a trailing partial window dropped), at the windows' middles; each
    ``reference`` value (label -> value) as a dashed horizontal line."""
    fig = figure(
        title=f"n*beta (L - L(w*)), mean over chains and {window:,}-step windows", width=760,
        height=320, x_axis_label="step", y_axis_label="window mean",
    )  # fmt: skip
    last = 0
    for (label, result), color in zip(results.items(), Category10_10, strict=False):
        mean = result.llc_trace[:, : result.steps_done].mean(axis=0)
        count = mean.size // window
        means = mean[: count * window].reshape(count, window).mean(axis=1)
        middles = window * (np.arange(count) + 0.5)
        source = ColumnDataSource({"x": middles, "y": means})
        fig.line("x", "y", source=source, color=color, line_width=2, legend_label=label,
                 name=f"windows-{label}")  # fmt: skip
        last = max(last, result.steps_done)
    for label, value in (reference or {}).items():
        fig.line([0, last], [value] * 2, color="black", line_dash="dashed", legend_label=label)
    return legend_outside(fig)
