"""One LLC estimation run's settings, their defaults, and their validation.

Every entry point (``estimate_llc``, the CLI, the explorer) builds an :class:`LLCConfig` with
:func:`make_config`, which fills defaults and raises ``ValueError`` naming any bad setting.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from llc_explorer.dln.data import INPUT_DISTRIBUTIONS
from llc_explorer.dln.model import check_teacher
from llc_explorer.dln.truth import num_params, validate_rank, validate_widths
from llc_explorer.errors import ConfigError, did_you_mean, not_one_of
from llc_explorer.sgmcmc.adaptation import TINY_PARAMS, require_acceptance
from llc_explorer.sgmcmc.prng import PRNGS
from llc_explorer.sgmcmc.registry import Hyperparameter, all_hyperparameters, get_spec

PRECISION = 0.02
"""With ``steps="auto"``: the run stops once the Monte Carlo half-width of the 95% interval is
at most this share of the estimate and the convergence checks pass
(:mod:`llc_explorer.sgmcmc.run_length`)."""

MAX_STEPS = 200_000
"""With ``steps="auto"``: the most steps a run takes (its budget)."""

WARMUP_FACTOR = 4.0
"""During the burn-in's first part (:attr:`LLCConfig.warmup_steps`) the chains run at this
many times the step size: from the degenerate point ``w*`` they leave faster, and the last
stretch of the burn-in, at the real step size, lets them settle (docs/ACCURACY.md). Networks
of fewer than ``TINY_PARAMS`` parameters default to no warm-up boost (factor 1:
:func:`default_warmup_factor`)."""

STEPS = 30_000
"""Steps per chain of a run (of ``TINY_STEPS`` on a network below ``TINY_PARAMS``)."""

TINY_STEPS = 60_000
"""Steps per chain on a network below ``TINY_PARAMS`` parameters, whose sampling step (aimed at
``adaptation.TINY_TARGET``) is smaller: the chains need the longer run to leave ``w*``, and it
costs 5 to 8 s (docs/ACCURACY.md, section 0.6)."""


def default_steps(num_params: int) -> int:
    """``STEPS``, or ``TINY_STEPS`` below ``TINY_PARAMS`` parameters."""
    return TINY_STEPS if num_params < TINY_PARAMS else STEPS


def default_warmup_factor(num_params: int) -> float:
    """``WARMUP_FACTOR``, or 1 below ``TINY_PARAMS`` parameters. On tiny DLNs the chains need
    no help to leave ``w*``, and a boosted warm-up carries them along the set of true
    parameters to less degenerate points, where they stay and read high (two tiny DLNs: +19%
    and +12% at factor 4, +10% and +5% at 1: docs/ACCURACY.md)."""
    return 1.0 if num_params < TINY_PARAMS else WARMUP_FACTOR


@dataclass(frozen=True, kw_only=True)
class SamplerRun:
    """What every run config has: the sampler's own hyperparameters, as ``(name, value)``
    pairs in the order of its spec (:mod:`llc_explorer.sgmcmc.registry`), the run length, and the
    burn-in arithmetic over ``steps`` and ``burn_in``.

    With ``adapt_step_size`` the step size adapts during the burn-in, from ``step_size``
    (:mod:`llc_explorer.sgmcmc.adaptation`). With ``auto_length`` the run decides its own length
    (:mod:`llc_explorer.sgmcmc.run_length`): ``steps`` is then its budget (the most steps it may
    take), ``precision`` the Monte Carlo half-width of the 95% interval it aims for, relative
    to the estimate, and ``max_seconds`` an optional budget in seconds; ``burn_in`` does not
    apply."""

    sampler_hyperparameters: tuple[tuple[str, float | bool], ...] = ()
    adapt_step_size: bool = False
    auto_length: bool = False
    precision: float = PRECISION
    max_seconds: float | None = None
    if TYPE_CHECKING:  # fields of every subclass, which declares them in its own order
        step_size: float
        steps: int
        burn_in: float

    def hyperparameters(self) -> dict[str, float | bool]:
        """The sampler's hyperparameters by name, the step size first."""
        return {"step_size": self.step_size, **dict(self.sampler_hyperparameters)}

    def hyperparameter(self, name: str) -> float | bool | None:
        """One of the sampler's own hyperparameters (``None`` if the sampler has no such)."""
        return dict(self.sampler_hyperparameters).get(name)

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
    prng: str
    chunk_size: int

    @property
    def warmup_steps(self) -> int:
        """Leading steps run at ``warmup_factor`` times the step size: the burn-in up to one
        sampling window before the window, ``max(0, 2B - T)`` (0.8 T for a 90% burn-in)."""
        return max(0, 2 * self.burn_in_steps - self.steps)

    def as_dict(self) -> dict[str, Any]:
        """The config as plain JSON-ready values, the sampler's own hyperparameters as keys."""
        out = dataclasses.asdict(self)
        del out["sampler_hyperparameters"]
        out["widths"] = list(self.widths)
        return {**out, **dict(self.sampler_hyperparameters)}


def default_nbeta(n: int, beta0: float = 1.0) -> float:
    """``n * beta`` with ``beta = beta0 / log n``."""
    return n * beta0 / math.log(n)


REFERENCE_NBETA = default_nbeta(100_000)
"""The ``n*beta`` (8,686) at which the samplers' default step sizes were calibrated. Above
it, an automatic step size starts from the default times ``REFERENCE_NBETA / n*beta``: the
drift grows with ``n*beta``, so the same start would make the chains diverge in their first
steps (a tiny DLN at ``n*beta = 1e6`` did), before the adaptation could act."""


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
    if isinstance(value, bool) or not isinstance(value, Integral) or not low <= int(value) <= high:
        upper = "" if high == math.inf else f", at most {high}"
        raise ConfigError(f"{name} must be an int, at least {low}{upper}; got {value!r}")
    return int(value)


def check_float(
    name: str, value: Any, low: float, high: float = math.inf, *, open_low: bool = False
) -> float:
    """``value`` as a finite float in ``[low, high]`` (``(low, high]`` with ``open_low``),
    else ``ConfigError`` naming ``name``:
    :meth:`llc_explorer.sgmcmc.registry.Hyperparameter.check`."""
    return float(Hyperparameter(low, high, open_low=open_low).check(name, value))


def sampler_settings(
    sampler: str,
    step_size: float | None,
    hyperparameters: Mapping[str, Any],
    *,
    surface: bool = False,
    settings: Sequence[str] = (),
) -> tuple[float, tuple[tuple[str, float | bool], ...]]:
    """The step size and the sampler's own hyperparameters, each ``None`` or absent one
    filled from the sampler's DLN (or ``surface``) defaults, all range-checked:
    ``ConfigError`` names a bad one. A name that is neither a hyperparameter nor one of the
    caller's ``settings`` is refused with the closest of them suggested."""
    spec = get_spec(sampler)
    known = all_hyperparameters()
    unknown = sorted(set(hyperparameters) - set(known))
    if unknown:
        names = ", ".join(f"{name}{did_you_mean(name, [*settings, *known])}" for name in unknown)
        raise ConfigError(
            f"unknown setting(s) {names}; the settings are {', '.join(settings)}, and the "
            f"samplers' hyperparameters {', '.join(known)}"
        )
    own = spec.hyperparameters
    ignored = sorted(k for k, v in hyperparameters.items() if v is not None and k not in own)
    if ignored:
        verb = "does" if len(ignored) == 1 else "do"
        raise ConfigError(
            f"{' and '.join(ignored)} {verb} not apply to {sampler}; its hyperparameters are "
            f"{', '.join(('step_size', *own))}"
        )
    defaults = spec.surface_defaults if surface else spec.defaults
    given = {"step_size": step_size, **hyperparameters}
    values = {name: defaults[name] if given.get(name) is None else given[name] for name in defaults}
    checked = spec.validate(values)
    step = checked.pop("step_size")
    return float(step), tuple((name, checked[name]) for name in own)


MIN_AUTO_STEPS = 10_000
"""The smallest budget ``max_steps`` of an automatic run length: room for the shortest
warm-up, adaptation and sampling window (:mod:`llc_explorer.sgmcmc.run_length`)."""


def check_run_length(chains: Any, steps: Any, burn_in: Any) -> tuple[int, int, float]:
    """``chains >= 1``, and a burn-in of at least one step (step 0 is the start ``w*``, not a
    sample) that leaves at least one sampling step: ``1 <= floor(burn_in * steps) < steps``."""
    chains = check_int("chains", chains, 1)
    steps = check_int("steps", steps, 2)
    burn_in = check_float("burn_in", burn_in, 0.0, 1.0)
    burn_in_steps = int(burn_in * steps)
    if not 1 <= burn_in_steps < steps:
        raise ConfigError(
            f"burn_in={burn_in} of steps={steps} discards {burn_in_steps} steps; it must discard "
            "at least the first (the start w*) and keep at least one: use "
            f"{1 / steps:.3g} <= burn_in < {1 - 1 / steps:.3g}"
        )
    return chains, steps, burn_in


@functools.cache
def keyword_settings(function: Callable[..., Any]) -> tuple[str, ...]:
    """The names of the settings ``function`` takes by keyword (not its ``**`` catch-all)."""
    kinds = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return tuple(
        name for name, p in inspect.signature(function).parameters.items() if p.kind in kinds
    )


P = ParamSpec("P")
R = TypeVar("R")


def none_means_default(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` with every keyword given as ``None`` replaced by its default: one rule
    everywhere, ``None`` (or leaving a setting out) means the default."""
    parameters = inspect.signature(function).parameters

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for name, value in list(kwargs.items()):
            default = parameters[name].default if name in parameters else None
            if value is None and default is not inspect.Parameter.empty:
                kwargs[name] = default
        return function(*args, **kwargs)

    return wrapper


@none_means_default
def make_config(
    widths: Sequence[int],
    rank: int,
    *,
    teacher: str = "minimal",
    sampler: str = "rmsprop_sgld",
    step_size: float | str | None = None,
    gamma: float = 1.0,
    nbeta: float | None = None,
    n: int = 100_000,
    batch_size: int = 100,
    chains: int = 4,
    steps: int | str | None = None,
    max_steps: int = MAX_STEPS,
    precision: float = PRECISION,
    max_seconds: float | None = None,
    burn_in: float = 0.9,
    warmup_factor: float | None = None,
    seed: int = 0,
    noise: float = 0.0,
    input_dist: str = "normal",
    prng: str = "fast",
    chunk_size: int | None = None,
    **hyperparameters: float | None,
) -> LLCConfig:
    """Validate the settings and fill every default; ``ValueError`` names a bad setting.

    ``step_size="auto"`` adapts the step size during the burn-in, starting from the sampler's
    default (samplers with a MALA acceptance only); ``None`` is the sampler's fixed default.
    ``teacher`` names the construction of ``w*`` (:data:`llc_explorer.dln.model.TEACHERS`), ``prng``
    the chains' noise generator (:data:`llc_explorer.sgmcmc.prng.PRNGS`);
    ``warmup_factor`` multiplies the step size during the warm-up (default:
    :func:`default_warmup_factor`).
    ``steps="auto"`` lets the run choose its length, up to ``max_steps`` steps
    (and ``max_seconds``, if given), aiming at a relative Monte Carlo half-width of
    ``precision`` (:mod:`llc_explorer.sgmcmc.run_length`); an int fixes it, with ``burn_in`` its
    discarded share.
    ``hyperparameters`` are the sampler's own (``b1``, ``b2``, ``a``, ``bias_correction``,
    ``friction``, ``diffusion``); ``None`` or absent means the sampler's default.
    """
    widths = validate_widths(widths)
    rank = validate_rank(rank, widths)
    teacher = check_teacher(teacher)
    adapt_step_size = step_size == "auto"
    if adapt_step_size:
        require_acceptance(sampler)
    elif isinstance(step_size, str):
        raise ConfigError(f"step_size must be a number or 'auto'; got {step_size!r}")
    fixed = None if isinstance(step_size, str) else step_size
    step_size, own = sampler_settings(
        sampler, fixed, hyperparameters, settings=keyword_settings(make_config)
    )
    n = check_int("n", n, 2)
    batch_size = check_int("batch_size", batch_size, 1, n)
    if steps is None:
        steps = default_steps(num_params(widths))
    auto_length = steps == "auto"
    if auto_length:
        steps = check_int("max_steps", max_steps, MIN_AUTO_STEPS)
    elif isinstance(steps, str):
        raise ConfigError(f"steps must be an int or 'auto'; got {steps!r}")
    chains, steps, burn_in = check_run_length(chains, steps, burn_in)
    precision = check_float("precision", precision, 0.0, 1.0, open_low=True)
    if max_seconds is not None:
        max_seconds = check_float("max_seconds", max_seconds, 0.0, open_low=True)
    if prng not in PRNGS:
        raise not_one_of("prng", prng, PRNGS)
    if input_dist not in INPUT_DISTRIBUTIONS:
        raise not_one_of("input_dist", input_dist, INPUT_DISTRIBUTIONS)
    nbeta = check_float("nbeta", default_nbeta(n) if nbeta is None else nbeta, 0.0, open_low=True)
    if adapt_step_size:  # the adaptation starts from a default scaled to this n*beta
        step_size *= min(1.0, REFERENCE_NBETA / nbeta)
    checked = {
        "step_size": step_size,
        "gamma": check_float("gamma", gamma, 0.0),
        "nbeta": nbeta,
        "noise": check_float("noise", noise, 0.0),
        "warmup_factor": check_float(
            "warmup_factor",
            default_warmup_factor(num_params(widths)) if warmup_factor is None else warmup_factor,
            1.0,
            1000.0,
        ),
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
        prng=prng,
        chunk_size=chunk_size,
        sampler_hyperparameters=own,
        adapt_step_size=adapt_step_size,
        auto_length=auto_length,
        precision=precision,
        max_seconds=max_seconds,
        **checked,
    )
