"""One LLC estimation run's settings resolved: :class:`LLCConfig`, built by
:func:`make_config` from the declarations of :data:`llc_explorer.settings.SETTINGS` (each
setting's default, check and help are there, once).

Every entry point (``estimate_llc``, the CLI, the explorer, the sweep) builds its config with
:func:`make_config`, which fills defaults and raises ``ConfigError`` (a ``ValueError``)
naming any bad setting.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from llc_explorer.dln.truth import num_params, validate_rank, validate_widths
from llc_explorer.errors import ConfigError, check_int
from llc_explorer.settings import REQUIRED, SETTINGS, default_steps, default_warmup_factor
from llc_explorer.sgmcmc.adaptation import require_acceptance
from llc_explorer.sgmcmc.registry import REGISTRY, get_sampler
from llc_explorer.sgmcmc.run_config import SamplerRun, check_run_length, sampler_settings


@dataclass(frozen=True)
class RunConfig(SamplerRun):
    """A fully resolved run, whatever it samples: every field has its final value. A run on
    a model of one's own (:mod:`llc_explorer.models`) is one; a DLN run is an
    :class:`LLCConfig`, which adds the settings that build the DLN problem."""

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
    prng: str
    chunk_size: int

    @property
    def warmup_steps(self) -> int:
        """Leading steps run at ``warmup_factor`` times the step size: the burn-in up to one
        sampling window before the window, ``max(0, 2B - T)`` (0.8 T for a 90% burn-in)."""
        return max(0, 2 * self.burn_in_steps - self.steps)

    def as_dict(self) -> dict[str, Any]:
        """The config as plain JSON-ready values, in the order the settings are declared,
        then the sampler's own hyperparameters and how the run resolved (``adapt_step_size``,
        ``auto_length``)."""
        out = dataclasses.asdict(self)
        del out["sampler_hyperparameters"]
        if "widths" in out:
            out["widths"] = list(self.widths)  # type: ignore[attr-defined]
        ordered = {name: out.pop(name) for name in SETTINGS if name in out}
        return {**ordered, **dict(self.sampler_hyperparameters), **out}


@dataclass(frozen=True)
class LLCConfig(RunConfig):
    """A fully resolved LLC estimation run on a DLN: the run, and the settings that build its
    problem (kind ``problem`` in :mod:`llc_explorer.settings`)."""

    widths: tuple[int, ...]
    rank: int
    teacher: str
    noise: float
    input_dist: str


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


def resolve_run(
    num_params: int,
    settings: dict[str, Any],
    names: Sequence[str],
    *,
    listed: Sequence[str] = (),
) -> dict[str, Any]:
    """The settings ``names`` (and the sampler's hyperparameters) checked and filled, for a
    run on ``num_params`` parameters; ``ConfigError`` names a bad one, and a setting that is
    not among ``names`` (listing the settings as ``listed``, by default ``names``). The
    resolved values, as :class:`RunConfig`'s fields (and the other ``names``)."""
    given = {k: v for k, v in settings.items() if v is not None}
    hyperparameters = {k: v for k, v in given.items() if k not in names}
    values = {name: given.get(name, SETTINGS[name].default) for name in names}
    for name, value in values.items():
        check = SETTINGS[name].check
        if check is not None and value is not None and value != "auto":
            values[name] = check(name, value)
    step_size = values.pop("step_size")
    adapt_step_size = step_size == "auto"
    if adapt_step_size:
        require_acceptance(values["sampler"])
    elif isinstance(step_size, str):
        raise ConfigError(f"step_size must be a number or 'auto'; got {step_size!r}")
    step, own = sampler_settings(
        values["sampler"],
        None if adapt_step_size else step_size,
        hyperparameters,
        settings=listed or names,
    )
    check_int("batch_size", values["batch_size"], 1, values["n"])
    steps, max_steps = values.pop("steps"), values.pop("max_steps")
    if steps is None:
        steps = default_steps(num_params)
    auto_length = steps == "auto"
    if auto_length:
        steps = max_steps
    elif isinstance(steps, str):
        raise ConfigError(f"steps must be an int or 'auto'; got {steps!r}")
    chains, steps, burn_in = check_run_length(values.pop("chains"), steps, values.pop("burn_in"))
    if values["nbeta"] is None:
        values["nbeta"] = default_nbeta(values["n"])
    if adapt_step_size:  # the adaptation starts from a default scaled to this n*beta
        step *= min(1.0, REFERENCE_NBETA / values["nbeta"])
    if values["warmup_factor"] is None:
        values["warmup_factor"] = default_warmup_factor(num_params)
    if values["chunk_size"] is None:
        values["chunk_size"] = default_chunk_size(steps, chains, values["batch_size"], num_params)
    return {
        **values,
        "step_size": step,
        "chains": chains,
        "steps": steps,
        "burn_in": burn_in,
        "sampler_hyperparameters": own,
        "adapt_step_size": adapt_step_size,
        "auto_length": auto_length,
    }


def make_config(widths: Sequence[int], rank: int, **settings: Any) -> LLCConfig:
    """Validate the settings and fill every default; ``ConfigError`` names a bad setting.

    ``settings`` are those of :data:`llc_explorer.settings.SETTINGS` (``None`` or absent
    means the default) and the sampler's own hyperparameters (``b1``, ``b2``, ``a``,
    ``bias_correction``, ``friction``, ``diffusion``). ``step_size="auto"`` adapts the step
    size during the burn-in, starting from the sampler's default scaled to ``nbeta`` (samplers
    with a MALA acceptance only); ``None`` is the sampler's fixed default. ``steps="auto"``
    lets the run choose its length, up to ``max_steps`` steps (and ``max_seconds``, if
    given), aiming at a relative Monte Carlo half-width of ``precision``
    (:mod:`llc_explorer.sgmcmc.run_length`); an int fixes it, with ``burn_in`` its discarded
    share.
    """
    widths = validate_widths(widths)
    rank = validate_rank(rank, widths)
    names = [name for name, s in SETTINGS.items() if s.default is not REQUIRED]
    values = resolve_run(num_params(widths), settings, names, listed=tuple(SETTINGS))
    return LLCConfig(widths=widths, rank=rank, **values)


make_config.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        for name in ("widths", "rank")
    ]
    + [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=setting.default)
        for name, setting in SETTINGS.items()
        if setting.default is not REQUIRED
    ]
    + [inspect.Parameter("hyperparameters", inspect.Parameter.VAR_KEYWORD)]
)
"""``make_config``'s signature as ``help()`` and ``inspect`` show it, from the declarations."""


def with_auto_step(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` with the step size ``"auto"`` where none is given and the sampler has a
    MALA acceptance: the API's default (``make_config`` alone takes the sampler's fixed one)."""
    sampler = settings.get("sampler") or SETTINGS["sampler"].default
    known = sampler in REGISTRY and get_sampler(sampler).metric is not None
    if settings.get("step_size") is None and known:
        return {**settings, "step_size": "auto"}
    return settings
