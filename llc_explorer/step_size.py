"""The automatic step size as a value to keep: run the burn-in of a run with the step size
adapting toward a target MALA acceptance (:mod:`llc_explorer.sgmcmc.adaptation`) and return the
step size it settles on, with the evidence. It uses no knowledge of the exact LLC, so it
applies where none is known; docs/ACCURACY.md validates it against the exact value.

``estimate_llc(..., step_size="auto")`` does the same inside one run; this function is for
choosing once and reusing the value (the explorer's Auto button, a sweep).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from typing import Any

from llc_explorer.config import LLCConfig, make_config
from llc_explorer.dln.truth import num_params
from llc_explorer.estimator import stream_batch
from llc_explorer.sgmcmc.adaptation import (
    StepSizeCalibration,
    require_acceptance,
    target_acceptance,
)


def calibrate_config(
    config: LLCConfig,
    *,
    target: float | None = None,
    watch: Callable[[Iterator], Iterator] = iter,
) -> StepSizeCalibration | None:
    """Adapt ``config``'s step size over its burn-in (starting from ``config.step_size``) and
    return the result; ``target`` is the MALA acceptance aimed for (default: that of
    :func:`llc_explorer.sgmcmc.adaptation.target_acceptance` for the network). ``ValueError`` for a
    sampler without a MALA acceptance (AdamSGLD, SGHMC, SGNHT). ``watch`` filters the stream
    of partial results (the explorer passes its stoppable stream); ``None`` if it ends before
    the burn-in does."""
    require_acceptance(config.sampler)
    if target is None:
        target = target_acceptance(num_params(config.widths))
    with closing(stream_batch([config], target_acceptance=target)) as batches:
        for (result,) in watch(batches):
            if result.warmup_steps is not None and result.steps_done >= result.burn_in_steps:
                return result.calibration
    return None


def calibrate_step_size(
    widths, rank, *, target: float | None = None, **settings: Any
) -> StepSizeCalibration:
    """The automatic step size for ``estimate_llc(widths, rank, **settings)``: the burn-in of
    that run (``steps * burn_in`` steps), adapting from the sampler's default step size
    (``settings["step_size"]`` is ignored). ``ValueError`` for a sampler without a MALA
    acceptance (AdamSGLD, SGHMC, SGNHT) or a bad setting."""
    config = make_config(widths, rank, **{**settings, "step_size": None})
    calibration = calibrate_config(config, target=target)
    assert calibration is not None  # nothing stops the stream here
    return calibration
