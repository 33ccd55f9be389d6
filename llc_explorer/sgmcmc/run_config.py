"""What every sampler run's config has, whatever it samples (a DLN, a surface): the sampler's
hyperparameters (filled from its registry entry and checked), the run length and the burn-in
arithmetic, and the rule that ``None`` means the default."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from llc_explorer.errors import ConfigError, check_float, check_int, did_you_mean
from llc_explorer.sgmcmc.registry import all_hyperparameters, get_spec

PRECISION = 0.02
"""With ``steps="auto"``: the run stops once the Monte Carlo half-width of the 95% interval is
at most this share of the estimate and the convergence checks pass
(:mod:`llc_explorer.sgmcmc.run_length`)."""


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
