"""What the explorer's sampling thread hands the main thread (:class:`Frame`), made from a
config or results off the main thread: the readout, and the plot data where there are any.
Pure functions: nothing here touches a widget or a Bokeh object.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from llc_explorer.apps.explorer.plot_data import (
    exact_value,
    run_data,
    sweep_axis,
    sweep_bounds,
    sweep_data,
)
from llc_explorer.apps.explorer.readout import readout_html
from llc_explorer.config import RunConfig
from llc_explorer.estimator import LLCResult


class Frame(NamedTuple):
    """The status and readout, and where given, a run's latest result with its plot data
    (:func:`run_data`), the finished sweep runs with theirs (:func:`sweep_data`), the sweep
    plot's y range (:func:`sweep_axis`) and the exact LLC line, a step size for the step-size
    control (from Auto step size), or the link to the run's file."""

    status: str
    readout: str
    result: LLCResult | None = None
    plots: dict[str, dict] | None = None
    sweep: tuple[LLCResult, ...] | None = None
    sweep_plots: dict[str, dict] | None = None
    sweep_axis: tuple[float, float] = (-1.0, 1.0)
    exact: float = math.nan
    step_size: float | None = None
    download: str | None = None


def status_frame(config: RunConfig | None, status: str) -> Frame:
    """A frame of ``status`` alone, the readout showing ``config`` and no result."""
    return Frame(status, readout_html(config, None, status))


def run_frame(result: LLCResult, status: str) -> Frame:
    """A frame of a run's latest ``result``: the readout and every run plot."""
    return Frame(status, readout_html(result.config, result, status), result, run_data(result))


def sweep_frame(config: RunConfig, done: Sequence[LLCResult], status: str) -> Frame:
    """A frame of a sweep of ``config``'s network whose runs ``done`` have finished: the
    readout, the sweep plot clipped to :func:`sweep_bounds` and its exact LLC line."""
    exact = exact_value(done[0]) if done else math.nan
    low, high = sweep_bounds(done)
    return Frame(
        status, readout_html(config, None, status), sweep=tuple(done),
        sweep_plots=sweep_data(done, low, high), sweep_axis=sweep_axis(low, high), exact=exact,
    )  # fmt: skip
