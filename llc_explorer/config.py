"""One LLC estimation run's settings, their defaults, and their validation.

Every entry point (``estimate_llc``, the CLI, the explorer) builds an :class:`LLCConfig` with
:func:`make_config`, which fills defaults and raises ``ValueError`` naming any bad setting.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

from llc_explorer.data import INPUT_DISTRIBUTIONS
from llc_explorer.dln import check_teacher
from llc_explorer.samplers import SAMPLERS
from llc_explorer.truth import num_params, validate_rank, validate_widths

SAMPLER_DEFAULTS: dict[str, dict[str, float]] = {
    "sgld": {"step_size": 2e-6},
    "rmsprop_sgld": {"step_size": 2e-7, "b2": 0.999, "a": 0.1, "bias_correction": 1.0},
    "adam_sgld": {"step_size": 1e-7, "b1": 0.9, "b2": 0.999, "a": 0.1, "bias_correction": 1.0},
    "sghmc": {"step_size": 2e-7, "friction": 0.1},
    "sgnht": {"step_size": 1e-7, "diffusion": 0.01},
}
"""Default hyperparameters per sampler, with the run defaults of :func:`make_config` (30,000
steps, 90% burn-in, warm-up factor 4), chosen from step-size grids on random DLNs and checked on
fresh ones (docs/ACCURACY.md; ``benchmarks/accuracy_runs.py``)."""

WARMUP_FACTOR = 4.0
"""During the burn-in's first part (:attr:`LLCConfig.warmup_steps`) the chains run at this
many times the step size: from the degenerate point ``w*`` they leave faster, and the last
stretch of the burn-in, at the real step size, lets them settle (docs/ACCURACY.md)."""

HYPERPARAMETER_RANGES: dict[str, tuple[float, float, bool]] = {
    "b1": (0.0, 1.0, False),
    "b2": (0.0, 1.0, False),
    "a": (0.0, math.inf, False),
    "bias_correction": (0.0, 1.0, False),
    "friction": (0.0, 1.0, True),
    "diffusion": (0.0, math.inf, False),
}
"""Allowed ``(low, high, low excluded)`` of each sampler hyperparameter."""

SAMPLER_HYPERPARAMETERS = tuple(HYPERPARAMETER_RANGES)

WIDGET_HYPERPARAMETERS = ("b1", "b2", "a", "friction", "diffusion")
"""The hyperparameters the Explorer and Playground show (``bias_correction`` keeps its
default)."""


@dataclass(frozen=True, kw_only=True)
class SamplerRun:
    """What every run config has: the sampler's own hyperparameters (``None`` when the
    sampler does not use one) and the burn-in arithmetic over ``steps`` and ``burn_in``."""

    b1: float | None = None
    b2: float | None = None
    a: float | None = None
    bias_correction: float | None = None
    friction: float | None = None
    diffusion: float | None = None

    @property
    def burn_in_steps(self) -> int:
        """Number of leading steps discarded: ``floor(burn_in * steps)``."""
        return int(self.burn_in * self.steps)


@dataclass(frozen=True)
class LLCConfig(SamplerRun):
    """A fully resolved LLC estimation run: every field has its final value."""

    widths: tuple[int, ...]
    rank: int
    teacher: str
    sampler: str
    step_size: float
    gamma: float
    nbeta: float
    n: int
    batch_size: int
    chains: int
    steps: int
    burn_in: float
    warmup_factor: float
    seed: int
    noise: float
    input_dist: str
    chunk_size: int

    @property
    def warmup_steps(self) -> int:
        """Leading steps run at ``warmup_factor`` times the step size: the burn-in up to one
        sampling window before the window, ``max(0, 2B - T)`` (0.8 T for a 90% burn-in)."""
        return max(0, 2 * self.burn_in_steps - self.steps)

    def as_dict(self) -> dict[str, Any]:
        """The config as plain JSON-ready values."""
        out = dataclasses.asdict(self)
        out["widths"] = list(self.widths)
        return out

    def hyperparameters(self) -> dict[str, float]:
        """The sampler's own hyperparameters (step size included), by name."""
        return {name: getattr(self, name) for name in SAMPLER_DEFAULTS[self.sampler]}


def default_nbeta(n: int, beta0: float = 1.0) -> float:
    """``n * beta`` with ``beta = beta0 / log n``."""
    return n * beta0 / math.log(n)


def chunk_size_for(
    num_params: int, chains: int, batch_size: int, *, flops: float = 2e9, smallest: int = 16
) -> int:
    """Steps per jitted chunk: the power of two nearest below ``flops`` per chunk (counting
    ``6 * batch * d`` per chain-step), in ``[smallest, 1024]``. It depends only on what fixes
    the compiled shape anyway, never on the step size or the number of steps."""
    flops_per_step = 6 * batch_size * num_params * chains
    target = max(smallest, min(1024, int(flops // flops_per_step)))
    return 2 ** int(math.log2(target))


def default_chunk_size(steps: int, chains: int, batch_size: int, num_params: int) -> int:
    """:func:`chunk_size_for`, at most the next power of two above ``steps`` (so a short run
    does not pad a long chunk)."""
    size = chunk_size_for(num_params, chains, batch_size)
    return min(size, 2 ** math.ceil(math.log2(max(steps, 1))))


def check_int(name: str, value: Any, low: int, high: float = math.inf) -> int:
    """``value`` as an int in ``[low, high]``, else ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Integral) or not low <= value <= high:
        upper = "" if high == math.inf else f", at most {high}"
        raise ValueError(f"{name} must be an int, at least {low}{upper}; got {value!r}")
    return int(value)


def check_float(
    name: str, value: Any, low: float, high: float = math.inf, *, open_low: bool = False
) -> float:
    """``value`` as a finite float in ``[low, high]`` (``(low, high]`` with ``open_low``),
    else ``ValueError`` naming ``name``."""
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > low if open_low else value >= low) and value <= high
    if not ok:
        bracket = "(" if open_low else "["
        raise ValueError(
            f"{name} must be a finite number in {bracket}{low}, {high}]; got {value!r}"
        )
    return float(value)


def sampler_settings(
    sampler: str,
    step_size: float | None,
    hyperparameters: dict[str, float | None],
    defaults: dict[str, dict[str, float]] = SAMPLER_DEFAULTS,
) -> dict[str, float]:
    """The step size and the sampler's own hyperparameters, each ``None`` or absent one
    filled from ``defaults[sampler]``, all range-checked; ``ValueError`` names a bad one."""
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}; got {sampler!r}")
    unknown = sorted(set(hyperparameters) - set(SAMPLER_HYPERPARAMETERS))
    if unknown:
        raise ValueError(
            f"unknown setting(s) {', '.join(unknown)}; sampler hyperparameters are "
            f"{', '.join(SAMPLER_HYPERPARAMETERS)}"
        )
    own = defaults[sampler]
    ignored = sorted(k for k, v in hyperparameters.items() if v is not None and k not in own)
    if ignored:
        raise ValueError(
            f"{', '.join(ignored)} do(es) not apply to {sampler}; its hyperparameters are "
            f"{', '.join(own)}"
        )
    step_size = own["step_size"] if step_size is None else step_size
    checked = {"step_size": check_float("step_size", step_size, 0.0, open_low=True)}
    for name in SAMPLER_HYPERPARAMETERS:
        if name in own:
            value = own[name] if hyperparameters.get(name) is None else hyperparameters[name]
            low, high, open_low = HYPERPARAMETER_RANGES[name]
            checked[name] = check_float(name, value, low, high, open_low=open_low)
    if checked.get("b2") == 1.0 and checked.get("a") == 0.0:
        raise ValueError("a must be > 0 when b2 = 1 (the preconditioner would divide by zero)")
    return checked


def check_run_length(chains: Any, steps: Any, burn_in: Any) -> tuple[int, int, float]:
    """``chains >= 1``, ``steps >= 1`` and a burn-in fraction that leaves a sampling step."""
    chains = check_int("chains", chains, 1)
    steps = check_int("steps", steps, 1)
    burn_in = check_float("burn_in", burn_in, 0.0, 1.0)
    if int(burn_in * steps) >= steps:
        raise ValueError(
            f"burn_in={burn_in} leaves no sampling steps out of steps={steps}; "
            "use burn_in < 1 - 1/steps"
        )
    return chains, steps, burn_in


def make_config(
    widths: Sequence[int],
    rank: int,
    *,
    teacher: str = "minimal",
    sampler: str = "rmsprop_sgld",
    step_size: float | None = None,
    gamma: float = 1.0,
    nbeta: float | None = None,
    n: int = 100_000,
    batch_size: int = 100,
    chains: int = 4,
    steps: int = 30_000,
    burn_in: float = 0.9,
    warmup_factor: float = WARMUP_FACTOR,
    seed: int = 0,
    noise: float = 0.0,
    input_dist: str = "normal",
    chunk_size: int | None = None,
    **hyperparameters: float | None,
) -> LLCConfig:
    """Validate the settings and fill every default; ``ValueError`` names a bad setting.

    ``teacher`` names the construction of ``w*`` (:data:`llc_explorer.dln.TEACHERS`);
    ``warmup_factor`` multiplies the step size during the warm-up (:data:`WARMUP_FACTOR`).
    ``hyperparameters`` are the sampler's own (``b1``, ``b2``, ``a``, ``bias_correction``,
    ``friction``, ``diffusion``); ``None`` or absent means the sampler's default.
    """
    widths = validate_widths(widths)
    rank = validate_rank(rank, widths)
    teacher = check_teacher(teacher)
    sampler_values = sampler_settings(sampler, step_size, hyperparameters)
    n = check_int("n", n, 2)
    batch_size = check_int("batch_size", batch_size, 1, n)
    chains, steps, burn_in = check_run_length(chains, steps, burn_in)
    if input_dist not in INPUT_DISTRIBUTIONS:
        raise ValueError(f"input_dist must be one of {INPUT_DISTRIBUTIONS}; got {input_dist!r}")
    checked = {
        **sampler_values,
        "gamma": check_float("gamma", gamma, 0.0),
        "nbeta": check_float("nbeta", default_nbeta(n) if nbeta is None else nbeta, 0.0),
        "noise": check_float("noise", noise, 0.0),
        "warmup_factor": check_float("warmup_factor", warmup_factor, 1.0, 1000.0),
    }
    seed = check_int("seed", seed, 0, 2**32 - 1)
    if chunk_size is not None:
        chunk_size = check_int("chunk_size", chunk_size, 1)
    else:
        chunk_size = default_chunk_size(steps, chains, batch_size, num_params(widths))
    return LLCConfig(
        widths=widths,
        rank=rank,
        teacher=teacher,
        sampler=sampler,
        n=n,
        batch_size=batch_size,
        chains=chains,
        steps=steps,
        burn_in=burn_in,
        seed=seed,
        input_dist=input_dist,
        chunk_size=chunk_size,
        **checked,
    )
