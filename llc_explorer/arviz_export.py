"""An estimate as an ArviZ ``DataTree`` (arviz-base, the DataTree-based ArviZ; optional:
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
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from llc_explorer.estimator import LLCResult

INSTALL = 'pip install ".[arviz]" (in a clone of llc_explorer)'


def to_datatree(result: LLCResult) -> Any:
    """``result`` as an ArviZ ``DataTree`` (see the module docstring for its groups)."""
    try:
        import xarray as xr
        from arviz_base import dict_to_dataset
    except ImportError:
        raise ImportError(f"to_datatree needs arviz-base: {INSTALL}") from None
    burn_in = min(result.burn_in_steps, result.steps_done)
    excess = result.config.nbeta * (result.loss_trace.astype(np.float64) - result.loss_at_teacher)
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
            "global_llc": float(result.global_llc),
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
