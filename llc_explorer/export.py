"""An estimate in other forms: JSON-ready values (:func:`to_dict`, what ``--json`` prints and
the sweep stores), and an ArviZ ``DataTree`` (:func:`from_llc_result`, in the style of
ArviZ's ``from_*`` converters; arviz-base, the DataTree-based ArviZ; optional:
``pip install ".[arviz]"`` in a clone), so ArviZ's diagnostics and plots take it as they take
any sampler's output, and it saves to NetCDF as ArviZ saves.

Groups (dims ``chain``, ``draw``; a draw is a step):

- ``posterior``: the sampling window (steps ``B .. T-1``): ``llc``, each step's contribution
  ``n*beta (L_{B_t}(w_t) - L_n(w*))`` (its mean over draws is the chain's estimate,
  spec section 3), and the minibatch ``loss``;
- ``warmup_posterior``: the same for the burn-in (steps ``0 .. B-1``);
- ``sample_stats`` / ``warmup_sample_stats``: ``mala_acceptance`` and ``diverged`` (the chain
  had diverged by this step);
- ``llc_estimate``: ``llc_per_chain`` (NaN for a diverged chain), ``diverged_at`` (-1: never)
  and the ``running_llc`` of the sampling window.

The root's attributes hold the exact LLC (``true_llc``, ``None`` where unknown, as
``true_llc_fraction`` too), ``global_llc``, the estimate and its 95% interval, and the whole
config as JSON (``config``).
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from llc_explorer.result import LLCResult

INSTALL = 'pip install ".[arviz]" (in a clone of llc_explorer)'


def from_llc_result(result: LLCResult) -> Any:
    """``result`` as an ArviZ ``DataTree`` (see the module docstring for its groups)."""
    try:
        import xarray as xr
        from arviz_base import dict_to_dataset
    except ImportError:
        raise ImportError(f"to_datatree needs arviz-base: {INSTALL}") from None
    burn_in = min(result.burn_in_steps, result.steps_done)
    excess = result.llc_trace
    steps = np.arange(result.steps_done)
    diverged_at = np.full(result.config.chains, -1)
    for chain, step in result.diverged_chains:
        diverged_at[chain] = step
    diverged = (diverged_at[:, None] >= 0) & (steps[None, :] >= diverged_at[:, None])

    def group(data: dict[str, np.ndarray], which: slice, **kwargs: Any) -> Any:
        """A dataset of ``data``'s steps ``which`` (draws numbered by step)."""
        return dict_to_dataset(
            {name: values[:, which] for name, values in data.items()},
            coords={"draw": steps[which]},
            **kwargs,
        )

    draws = {"llc": excess, "loss": result.loss_trace}
    stats = {"mala_acceptance": result.mala_trace, "diverged": diverged}
    window, warmup = slice(burn_in, None), slice(0, burn_in)
    estimate = dict_to_dataset(
        {"llc_per_chain": result.llc_per_chain, "diverged_at": diverged_at},
        sample_dims=["chain"],
    ).assign(running_llc=group({"running_llc": result.running_llc}, window)["running_llc"])
    tree = xr.DataTree.from_dict(
        {
            "posterior": group(draws, window),
            "warmup_posterior": group(draws, warmup),
            "sample_stats": group(stats, window),
            "warmup_sample_stats": group(stats, warmup),
            "llc_estimate": estimate,
        }
    )
    truth = result.true_llc
    tree.attrs.update(
        {
            **({} if result.global_llc is None else {"global_llc": float(result.global_llc)}),
            "llc_mean": result.llc_mean,
            "llc_ci95": list(result.llc_ci95),
            "loss_at_teacher": result.loss_at_teacher,
            "config": json.dumps(result.config.as_dict()),
            **(
                {} if truth is None else {"true_llc": float(truth), "true_llc_fraction": str(truth)}
            ),
        }
    )
    return tree


def to_dict(result: LLCResult) -> dict[str, Any]:
    """``result`` as JSON-ready values (no traces); NaN becomes ``None``."""

    def clean(x: float) -> float | None:
        return None if not math.isfinite(x) else x

    truth = result.true_llc
    return {
        "true_llc": None if truth is None else float(truth),
        "true_llc_fraction": None if truth is None else str(truth),
        "multiplicity": result.multiplicity,
        "global_llc": None if result.global_llc is None else float(result.global_llc),
        "global_llc_fraction": None if result.global_llc is None else str(result.global_llc),
        "truth_note": result.truth_note,
        "llc_mean": clean(result.llc_mean),
        "llc_std": clean(result.llc_std),
        "llc_stderr": clean(result.llc_stderr),
        "llc_per_chain": [clean(float(x)) for x in result.llc_per_chain],
        "llc_ci95": [clean(x) for x in result.llc_ci95],
        "llc_ci95_mc": [clean(x) for x in result.llc_ci95_mc],
        "relative_error": clean(result.relative_error),
        "warnings": result.warnings,
        "mala_acceptance": clean(result.diagnostics.mala_acceptance),
        "mala_acceptance_per_chain": [clean(float(x)) for x in result.mala_per_chain],
        "diagnostics": {k: clean(v) for k, v in result.diagnostics._asdict().items()},
        "diverged_chains": [{"chain": c, "step": s} for c, s in result.diverged_chains],
        "loss_at_teacher": result.loss_at_teacher,
        "num_params": result.num_params,
        "steps_done": result.steps_done,
        "burn_in_steps": result.burn_in_steps,
        "warmup_steps": result.warmup_steps,
        "stop_reason": result.stop_reason,
        "criteria": {k: clean(v) for k, v in result.criteria.items()},
        "step_size_source": result.step_size_source,
        "step_size_calibration": None
        if result.calibration is None
        else result.calibration.as_dict(),
        "steps_per_second": result.steps_per_second,
        "compile_seconds": result.compile_seconds,
        "message": result.message,
        "config": result.config.as_dict(),
    }
