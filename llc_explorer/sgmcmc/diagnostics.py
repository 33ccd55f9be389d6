"""How far to trust an LLC estimate: its 95% interval, convergence diagnostics, plain warnings.

Interval, Monte Carlo part. Each chain's estimate ``lambda_hat_c`` is a time average over its
own run, and the chains are independent, so the spread of the ``C`` per-chain estimates
already contains every autocorrelation inside a chain. That part is Student's t over them,

    lambda_hat +- t_{0.975, C-1} * s / sqrt(C),        s = std(lambda_hat_c, ddof=1),

whose ``t`` quantile (3.18 for 4 chains, against 1.96) pays for estimating ``s`` from few
chains. A single chain has no spread to measure; its part is ``+- 1.96 * n*beta * MCSE`` with
the ESS-based Monte Carlo standard error of its mean loss.

Interval, systematic part. No spread between chains shows what all chains share: the bias of a
finite step size (upward) and of chains that have not yet spread out from the degenerate point
``w*`` (downward). On DLNs with known LLC at the default settings these stay within a few
percent but exceed the Monte Carlo part in about half the runs (docs/ACCURACY.md), so
``llc_ci95`` adds ``SYSTEMATIC * |lambda_hat|`` to each side: the measured accuracy of the
defaults, not a property of any one run. ``llc_ci95_mc`` is the Monte Carlo part alone. At
other settings (a step size of your own) the systematic part is not validated; the warnings
below are the guide there.

Diagnostics (arviz-stats, on the post-burn-in loss traces of the chains that did not
diverge): rank-normalised split R-hat, bulk and tail effective sample size, the MCSE of the
estimate, a drift check (second half of the sampling window against the first: while the
chains are still moving away from ``w*`` the estimate rises), and the mean MALA acceptance
(:mod:`llc_explorer.sgmcmc.mala`).
"""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import numpy as np
from arviz_stats.base import array_stats
from scipy import stats

SYSTEMATIC = 0.05
"""The systematic part of ``llc_ci95``, relative to the estimate: the defaults' typical
largest error on the calibration DLNs of docs/ACCURACY.md (architecture seed 30111: 6 of 8
within 5%, the others -6.5% and -7.9%); the validation DLNs (seed 30333) measure its
coverage."""

ABOVE_MAXIMUM = 0.2
"""An estimate above ``(1 + ABOVE_MAXIMUM) * d / 2`` is flagged as impossible: no learning
coefficient exceeds ``d/2`` (a regular model's value), and the margin leaves room for the
noise and step-size bias of a good run on a regular or nearly regular network (the one-layer
DLN ``3,4`` reads +5% at the defaults). The runs this catches read 2 to 8 times too high."""

BLOWUP = 1e4
"""A chain has blown up (and counts as diverged) once its minibatch loss passes
:func:`loss_ceiling`, ``BLOWUP`` times past anything the tempered posterior reaches."""


def loss_ceiling(loss_at_teacher: float, nbeta: float, num_params: int) -> float:
    """The minibatch loss above which a chain has left the region the estimator describes:

        L_B(w) > L_n(w*) + BLOWUP * (L_n(w*) + d / (n*beta)).

    Under the localised tempered posterior ``x = n*beta * (L_n(w) - L_n(w*))`` has mean
    ``lambda <= d/2`` and, where the loss is locally quadratic, a Gamma(d/2) law, so
    ``x > BLOWUP * d`` has probability below ``exp(-BLOWUP * d / 2)``; a minibatch mean adds
    per-sample losses of order ``L_n(w*)``, which no draw exceeds ``BLOWUP``-fold. A finite
    chain past it (the loss of a too-large step grows by orders of magnitude per step) is
    frozen and reported like a NaN one. docs/ACCURACY.md shows that no run of the stored
    validation comes within a factor 100 of it."""
    return loss_at_teacher + BLOWUP * (loss_at_teacher + num_params / nbeta)


RHAT_LIMIT = 1.05
"""R-hat above this: the chains disagree (Vehtari et al. 2021 ask for 1.01 on long exact-MCMC
runs; SGMCMC chains of a few thousand draws rarely reach that even when the estimate is good,
see docs/ACCURACY.md)."""

ESS_MIN = 100
"""Bulk or tail ESS below this (over all chains): the interval is rough."""

DRIFT_LIMIT = 0.05
"""Relative drift between the halves of the sampling window above this, and more than twice
its standard error: the chains have not settled."""

MALA_MIN = 0.6
"""Mean MALA acceptance below this: the step size is too large for this network (on the 1e3
grids of docs/ACCURACY.md section 1.2 all 18 runs below it overestimated: RMSPropSGLD's 9 by
6.8% to 34.7%, SGLD's 9 by 6.9% to 84.9%)."""


MALA_MAX = 0.97
"""Mean MALA acceptance above this: the step size is so small that the chains may not have
spread out from ``w*`` yet (on the same DLNs every run above it read low, by 4% to 45%)."""

TINY_MALA_MAX = 0.995
"""``MALA_MAX`` on a tiny network (below ``adaptation.TINY_PARAMS``), whose automatic step
size aims at 0.98: its ten validation runs (seed 75025) landed at 0.979 to 0.999."""


class Diagnostics(NamedTuple):
    """Convergence diagnostics of one run (NaN where undefined: before the burn-in ends, with
    too few draws or chains, or for samplers without a MALA acceptance).

    ``drift`` is ``n*beta * (mean loss, second half - first half) / lambda_hat`` over the
    sampling window, ``drift_z`` that difference over its standard error across chains.
    """

    rhat: float
    ess_bulk: float
    ess_tail: float
    mcse: float
    drift: float
    drift_z: float
    mala_acceptance: float

    @classmethod
    def undefined(cls) -> Diagnostics:
        """Every diagnostic NaN."""
        return cls(*(math.nan,) * len(cls._fields))


def interval95(
    per_chain: np.ndarray, mcse: float = math.nan, systematic: float = 0.0
) -> tuple[float, float]:
    """The 95% interval of the mean of the finite ``per_chain`` estimates: Student's t over
    them, or ``+- 1.96 mcse`` for a single chain, widened on each side by ``systematic`` times
    the mean's magnitude (NaN when nothing is finite)."""
    good = per_chain[np.isfinite(per_chain)]
    if good.size == 0:
        return math.nan, math.nan
    mean = float(good.mean())
    if good.size == 1:
        half = 1.959964 * mcse
    else:
        half = float(stats.t.ppf(0.975, good.size - 1) * good.std(ddof=1) / math.sqrt(good.size))
    half += systematic * abs(mean)
    return mean - half, mean + half


def arviz(name: str, draws: np.ndarray, **kwargs: object) -> float:
    """``arviz_stats.base.array_stats.<name>`` of ``draws`` (chains x draws) as a float; NaN
    where it is undefined (warnings about that are expected, and silenced)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return float(getattr(array_stats, name)(draws, **kwargs))


def drift(draws: np.ndarray, nbeta: float, estimate: float) -> tuple[float, float]:
    """``(relative drift, z)`` between the halves of ``draws`` (chains x draws of the loss)."""
    half = draws.shape[1] // 2
    per_chain = nbeta * (draws[:, half:].mean(axis=1) - draws[:, :half].mean(axis=1))
    relative = float(per_chain.mean() / estimate) if estimate else math.nan
    if per_chain.size < 2:
        return relative, math.nan
    spread = per_chain.std(ddof=1) / math.sqrt(per_chain.size)
    return relative, float(per_chain.mean() / spread) if spread > 0 else math.inf


def diagnose(
    draws: np.ndarray, acceptance: np.ndarray, nbeta: float, estimate: float
) -> Diagnostics:
    """Diagnostics of the post-burn-in losses ``draws`` and MALA ``acceptance`` (chains x
    draws each, the chains that did not diverge)."""
    if draws.shape[0] == 0 or draws.shape[1] < 8:
        return Diagnostics.undefined()
    draws = draws.astype(np.float64)
    rhat = arviz("rhat", draws) if draws.shape[0] > 1 else math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        accepted = float(np.nanmean(acceptance)) if np.isfinite(acceptance).any() else math.nan
    relative, z = drift(draws, nbeta, estimate)
    return Diagnostics(
        rhat=rhat,
        ess_bulk=arviz("ess", draws, method="bulk"),
        ess_tail=arviz("ess", draws, method="tail", prob=0.05),
        mcse=nbeta * arviz("mcse", draws, method="mean"),
        drift=relative,
        drift_z=z,
        mala_acceptance=accepted,
    )


def convergence_warnings(diagnostics: Diagnostics, *, mala_max: float = MALA_MAX) -> list[str]:
    """Plain-words warnings for every diagnostic past its limit (``mala_max``: the highest
    MALA acceptance that is not flagged)."""
    d = diagnostics
    out = []
    if d.rhat > RHAT_LIMIT:
        out.append(
            f"R-hat {d.rhat:.3f} (above {RHAT_LIMIT}): the chains disagree; run longer or "
            "lower the step size"
        )
    ess = min(d.ess_bulk, d.ess_tail)
    if ess < ESS_MIN:
        out.append(
            f"effective sample size {ess:,.0f} (below {ESS_MIN}): the chains are strongly "
            "autocorrelated, so the interval is rough; run longer"
        )
    if abs(d.drift) > DRIFT_LIMIT and not abs(d.drift_z) <= 2:
        trend = "rising" if d.drift > 0 else "falling"
        out.append(
            f"the estimate is still {trend}: the second half of the sampling window reads "
            f"{d.drift:+.0%} against the first; run longer"
        )
    if d.mala_acceptance < MALA_MIN:
        out.append(
            f"MALA acceptance {d.mala_acceptance:.2f} (below {MALA_MIN}): the step size is "
            "large for this network and the estimate may be biased upward; lower the step size"
        )
    if d.mala_acceptance > mala_max:
        out.append(
            f"MALA acceptance {d.mala_acceptance:.2f} (above {mala_max}): the step size is so "
            "small that the chains may not have spread out from w* yet and the estimate may "
            "read low; raise the step size or run longer"
        )
    return out
