"""One entry per sampler: everything the package knows about a sampler, in one
:class:`SamplerSpec`, and the registry that the API, the CLI, the sweep and both apps read.

A spec holds the :class:`llc_explorer.sgmcmc.samplers.Sampler` (its ``init``/``update`` pair and its
hyperparameter NamedTuple), its defaults for DLNs and for the Playground's surfaces, the
allowed range of each hyperparameter, and which of them the apps show as controls. Register
your own with :func:`register_sampler`; from then on it runs wherever the built-in ones do
(see the README, "Your own sampler").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from llc_explorer.errors import ConfigError, Range, lookup
from llc_explorer.sgmcmc.samplers import (
    Sampler,
    adam_sgld,
    adaptive_drift_sgld,
    rmsprop_sgld,
    sghmc,
    sgld,
    sgnht,
)

Value = float | bool


Hyperparameter = Range
"""The allowed values of one hyperparameter (:class:`llc_explorer.errors.Range`)."""


POSITIVE = Hyperparameter(open_low=True)
"""A number above 0 (the step size; RMSProp's ``a``, which keeps ``P = 1/(sqrt(v) + a)``
finite where the gradient is 0, as at the teacher)."""

DECAY = Hyperparameter(0.0, 1.0)
"""A moving-average decay in ``[0, 1]`` (below 1 with bias correction: :func:`decay_check`)."""

FLAG = Hyperparameter(flag=True)
"""On or off."""


@dataclass(frozen=True)
class SamplerSpec:
    """A sampler and what the package needs to know to run it anywhere.

    ``defaults`` and ``surface_defaults`` give every field of ``sampler.hyperparams`` (the
    step size included) on DLNs and on the Playground's surfaces; ``ranges`` the allowed values
    of each hyperparameter other than the step size (always ``> 0``); ``controls`` those the
    apps show as entries (the rest keep their default there); ``check`` an optional test of the
    values together (``ValueError`` naming the problem); ``in_menus`` False for a reference
    variant that the API, the CLI and sweeps run by name but the apps' menus and a sweep's
    default sampler list leave out. ``ValueError`` on an inconsistent spec.
    """

    name: str
    sampler: Sampler
    defaults: Mapping[str, Value]
    surface_defaults: Mapping[str, Value]
    ranges: Mapping[str, Hyperparameter] = field(default_factory=dict)
    controls: tuple[str, ...] = ()
    check: Callable[[Mapping[str, Value]], None] | None = None
    in_menus: bool = True

    def __post_init__(self) -> None:
        fields = set(self.sampler.hyperparams._fields)
        if "step_size" not in fields:
            raise ConfigError(f"{self.name}: its hyperparameters must include step_size")
        if set(self.ranges) != fields - {"step_size"}:
            raise ConfigError(
                f"{self.name}: ranges must cover exactly the hyperparameters "
                f"{sorted(fields - {'step_size'})}; got {sorted(self.ranges)}"
            )
        for which in ("defaults", "surface_defaults"):
            given = dict(getattr(self, which))
            if set(given) != fields:
                raise ConfigError(
                    f"{self.name}: {which} must give every hyperparameter {sorted(fields)}; "
                    f"got {sorted(given)}"
                )
            object.__setattr__(self, which, MappingProxyType(self.validate(given)))
        if not set(self.controls) <= set(self.ranges):
            raise ConfigError(f"{self.name}: controls must be among {sorted(self.ranges)}")
        object.__setattr__(self, "ranges", MappingProxyType(dict(self.ranges)))

    @property
    def hyperparameters(self) -> tuple[str, ...]:
        """The sampler's own hyperparameters (the step size not included)."""
        return tuple(name for name in self.sampler.hyperparams._fields if name != "step_size")

    def validate(self, values: Mapping[str, Any]) -> dict[str, Value]:
        """Every value range-checked (and the values checked together); ``ValueError`` names
        the first bad one."""
        checked = {"step_size": POSITIVE.check("step_size", values["step_size"])}
        checked |= {name: self.ranges[name].check(name, values[name]) for name in self.ranges}
        if self.check is not None:
            self.check(checked)
        return checked


def decay_check(values: Mapping[str, Value]) -> None:
    """With bias correction on, ``b1`` and ``b2`` must be below 1: the correction divides by
    ``1 - b^t``, which is 0 at ``b = 1``."""
    if not values["bias_correction"]:
        return
    for name in ("b1", "b2"):
        if values.get(name) == 1.0:
            raise ConfigError(
                f"{name} must be below 1 with bias correction on (it divides by 1 - {name}^t "
                f"= 0); lower {name} or set bias_correction=False"
            )


REGISTRY: dict[str, SamplerSpec] = {}
"""Sampler name -> spec, in menu order. Read through :func:`get_spec` and
:func:`sampler_names`; add with :func:`register_sampler`."""


def register_sampler(spec: SamplerSpec, *, replace: bool = False) -> SamplerSpec:
    """Add ``spec`` under ``spec.name`` (``replace`` to overwrite one); returns it. Apps built
    afterwards list it in their sampler menus."""
    if not spec.name.isidentifier():
        raise ConfigError(f"a sampler name must be an identifier; got {spec.name!r}")
    if spec.name in REGISTRY and not replace:
        raise ConfigError(f"a sampler named {spec.name!r} is registered; pass replace=True")
    REGISTRY[spec.name] = spec
    return spec


def unregister_sampler(name: str) -> None:
    """Remove a sampler added with :func:`register_sampler`."""
    get_spec(name)
    del REGISTRY[name]


def sampler_names() -> list[str]:
    """The registered samplers' names, in menu order."""
    return list(REGISTRY)


def menu_names() -> list[str]:
    """The samplers the apps list and a sweep runs by default (reference variants left out)."""
    return [name for name, spec in REGISTRY.items() if spec.in_menus]


def get_spec(name: str) -> SamplerSpec:
    """The spec registered as ``name``; ``ConfigError`` listing the choices otherwise."""
    return lookup("sampler", name, REGISTRY)


def get_sampler(name: str) -> Sampler:
    """The :class:`Sampler` registered as ``name`` (one object per name, so compiled chunks
    are reused)."""
    return get_spec(name).sampler


def all_hyperparameters() -> tuple[str, ...]:
    """Every hyperparameter name of every registered sampler (the step size not included)."""
    return tuple(dict.fromkeys(h for spec in REGISTRY.values() for h in spec.hyperparameters))


_PRECONDITIONED = {"b2": DECAY, "a": POSITIVE, "bias_correction": FLAG}

for _spec in (
    SamplerSpec(
        "sgld", sgld(), {"step_size": 2e-6}, {"step_size": 3e-5},
    ),
    SamplerSpec(
        "rmsprop_sgld", rmsprop_sgld(),
        {"step_size": 2e-7, "b2": 0.999, "a": 0.1, "bias_correction": True},
        {"step_size": 3e-6, "b2": 0.9999, "a": 0.1, "bias_correction": True},
        _PRECONDITIONED, ("b2", "a"), decay_check,
    ),
    SamplerSpec(
        "adam_sgld", adam_sgld(),
        {"step_size": 1e-7, "b1": 0.9, "b2": 0.999, "a": 0.1, "bias_correction": True},
        {"step_size": 1e-6, "b1": 0.9, "b2": 0.9999, "a": 0.1, "bias_correction": True},
        {"b1": DECAY, **_PRECONDITIONED}, ("b1", "b2", "a"), decay_check,
    ),
    SamplerSpec(
        "sghmc", sghmc(), {"step_size": 2e-7, "friction": 0.1},
        {"step_size": 3e-5, "friction": 0.1},
        {"friction": Hyperparameter(0.0, 1.0, open_low=True)}, ("friction",),
    ),
    SamplerSpec(
        "sgnht", sgnht(), {"step_size": 1e-7, "diffusion": 0.01},
        {"step_size": 3e-5, "diffusion": 0.01}, {"diffusion": Hyperparameter()}, ("diffusion",),
    ),
    SamplerSpec(
        "adaptive_drift_sgld", adaptive_drift_sgld(),
        {"step_size": 2e-6, "b1": 0.9, "b2": 0.999, "a": 1e-8, "drift_weight": 1.0},
        {"step_size": 3e-5, "b1": 0.9, "b2": 0.999, "a": 1e-8, "drift_weight": 1.0},
        {"b1": DECAY, "b2": DECAY, "a": POSITIVE, "drift_weight": Hyperparameter()},
        in_menus=False,
    ),
):  # fmt: skip
    register_sampler(_spec)
"""The built-in samplers' DLN defaults were chosen from step-size grids on random DLNs and
checked on fresh ones (docs/ACCURACY.md; ``benchmarks/accuracy_runs.py``), their surface
defaults by ``benchmarks/surface_defaults.py`` (the README's Playground section).
``adaptive_drift_sgld`` (Kim, Song & Liang 2020's Adam-SGLD, a reference variant of AdamSGLD
for the paper comparison in docs/RESULTS.md) keeps SGLD's step size and that paper's ``a_d``
= 1 and Adam's ``b1``, ``b2`` and ``lambda`` = 1e-8."""
