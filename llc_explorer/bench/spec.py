"""A sweep as data: :class:`SweepSpec` (the grid and the settings its runs share), its cells
(:class:`Run`), :func:`make_spec` (which validates a sweep and draws its architectures), the
spec as JSON (:func:`spec_data`, :func:`spec_from_data`) and as the ``llc-explorer sweep``
command that runs it (:func:`sweep_command`, the one encoder of a sweep as a command line).

The defaults a sweep shares with the API (``n``, ``chains``, ``batch_size``, ``burn_in``,
``gamma``, ``teacher``, ``warmup_factor``) come from :data:`llc_explorer.settings.SETTINGS`;
the sweep's own (10,000 steps, one seed) are declared here, once.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from llc_explorer.config import LLCConfig, make_config
from llc_explorer.dln.architectures import random_architectures, size_class
from llc_explorer.dln.truth import validate_rank, validate_widths
from llc_explorer.errors import ConfigError
from llc_explorer.settings import SETTINGS, WARMUP_FACTOR, flags

Hyper = tuple[tuple[str, float | bool], ...]
"""Sampler hyperparameters given to every run of a sweep, as sorted ``(name, value)`` pairs;
empty means each sampler's defaults."""

Architectures = tuple[tuple[tuple[int, ...], int, float | None], ...]
"""A sweep's architectures: ``(widths, rank, size class)``, the size class ``None`` for listed
widths."""

NOT_RECORDED = "(not recorded)"
"""What a command shows for an architecture seed a sweep did not record."""

DIFFERS = "(differs)"
"""What a command shows for a value that differs between the runs it describes."""


@dataclass(frozen=True)
class Run:
    """One cell of the grid: everything ``estimate_llc`` needs, plus its size class and the
    seed its architecture was drawn with (``None`` for listed widths)."""

    sampler: str
    step_size: float
    widths: tuple[int, ...]
    rank: int
    seed: int
    steps: int
    chains: int
    n: int
    batch_size: int
    burn_in: float
    gamma: float
    size_class: float | None
    arch_seed: int | None = None
    teacher: str = SETTINGS["teacher"].default
    warmup_factor: float = WARMUP_FACTOR
    hyper: Hyper = ()

    def config(self) -> LLCConfig:
        """The validated :class:`LLCConfig` of this run (``ValueError`` names a bad setting)."""
        settings = {name: getattr(self, name) for name in (*SHARED, "sampler", "step_size")}
        return make_config(self.widths, self.rank, seed=self.seed, **settings, **dict(self.hyper))

    @property
    def run_id(self) -> str:
        """A stable id: the hash of the run's settings. It leaves out the architecture seed
        (the widths and rank say which network ran) and ``hyper`` when it is empty, so the
        ids of sweeps run before either was recorded still match."""
        settings = asdict(self)
        del settings["arch_seed"]
        if not self.hyper:
            del settings["hyper"]
        text = json.dumps(settings, sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SweepSpec:
    """The grid (samplers x architectures x seeds x step sizes), the seed its architectures
    were drawn with (``None``: listed, or not recorded) and the settings its runs share."""

    samplers: tuple[str, ...]
    step_sizes: tuple[float, ...]
    architectures: Architectures
    arch_seed: int | None = None
    seeds: tuple[int, ...] = (0,)
    steps: int = 10_000
    chains: int = SETTINGS["chains"].default
    n: int = SETTINGS["n"].default
    batch_size: int = SETTINGS["batch_size"].default
    burn_in: float = SETTINGS["burn_in"].default
    gamma: float = SETTINGS["gamma"].default
    teacher: str = SETTINGS["teacher"].default
    warmup_factor: float = WARMUP_FACTOR
    hyper: Hyper = ()

    def runs(self) -> list[Run]:
        """Every run of the grid, in a fixed order (sampler, architecture, seed, step size)."""
        shared = {name: getattr(self, name) for name in SHARED}
        return [
            Run(sampler=sampler, step_size=step_size, widths=widths, rank=rank, seed=seed,
                size_class=size, arch_seed=None if size is None else self.arch_seed,
                hyper=self.hyper, **shared)
            for sampler in self.samplers
            for widths, rank, size in self.architectures
            for seed in self.seeds
            for step_size in self.step_sizes
        ]  # fmt: skip

    def command(self, out: str | Path) -> str:
        """The ``llc-explorer sweep`` command that runs this sweep into ``out``."""
        return sweep_command(spec_data(self), out)


SHARED = tuple(field.name for field in fields(SweepSpec) if field.name in SETTINGS)
"""The run settings a sweep's runs share (``steps``, ``chains``, ``n``, ...): the fields of
:class:`SweepSpec` that are settings, in its order."""


def make_spec(
    *,
    samplers: Iterable[str],
    step_sizes: Iterable[float] = (),
    widths: Iterable[Iterable[int]] = (),
    rank: int | None = None,
    size_class_name: str | float | None = None,
    archs: int = 10,
    arch_seed: int = 0,
    hyper: Mapping[str, float | bool] | None = None,
    **shared: Any,
) -> SweepSpec:
    """Validate a sweep and resolve its architectures; ``ValueError`` names a bad setting.

    Architectures are the listed ``widths`` (all with product rank ``rank``) or ``archs``
    draws of the size class ``size_class_name`` with seed ``arch_seed``
    (:mod:`llc_explorer.dln.architectures`). ``hyper`` sets sampler hyperparameters (``b2``,
    ``bias_correction``, ...) for every run: a variant of the samplers it applies to (an error
    names a sampler it does not apply to).
    """
    samplers = tuple(samplers)
    if not samplers:
        raise ConfigError("samplers: give at least one (--samplers sgld,...)")
    step_sizes = tuple(float(s) for s in step_sizes)
    if not step_sizes:
        raise ConfigError("step sizes: give at least one (--step-sizes 1e-7,1e-6,...)")
    listed = [validate_widths(tuple(w)) for w in widths]
    if listed and size_class_name is not None:
        raise ConfigError("give either widths or a size class, not both")
    seed: int | None = None
    if listed:
        if rank is None:
            raise ConfigError("rank is required with listed widths")
        architectures: Architectures = tuple((w, validate_rank(rank, w), None) for w in listed)
    elif size_class_name is not None:
        size, seed = size_class(size_class_name), arch_seed
        drawn = random_architectures(size, archs, seed=seed)
        architectures = tuple((a.widths, a.rank, size) for a in drawn)
    else:
        raise ConfigError("give widths (with rank) or a size class")
    spec = SweepSpec(
        samplers,
        step_sizes,
        architectures,
        seed,
        hyper=tuple(sorted((hyper or {}).items())),
        **shared,
    )
    for run in {(r.sampler, r.step_size, r.widths, r.rank): r for r in spec.runs()}.values():
        run.config()
    return spec


def load_toml(path: Path) -> dict[str, Any]:
    """Sweep settings from a TOML file (keys as :func:`make_spec`'s arguments)."""
    try:
        return tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read sweep config {path}: {exc}") from None


def spec_data(spec: SweepSpec) -> dict[str, Any]:
    """``spec`` as plain JSON-ready values: its fields, ``hyper`` as a mapping."""
    return {**asdict(spec), "hyper": dict(spec.hyper)}


def spec_from_data(data: Mapping[str, Any]) -> SweepSpec:
    """The :class:`SweepSpec` that :func:`spec_data` gave ``data`` (read back from JSON)."""
    return SweepSpec(
        **{
            **data,
            "samplers": tuple(data["samplers"]),
            "step_sizes": tuple(data["step_sizes"]),
            "architectures": tuple((tuple(w), r, s) for w, r, s in data["architectures"]),
            "seeds": tuple(data["seeds"]),
            "hyper": tuple(sorted(data["hyper"].items())),
        }
    )


def spec_name(spec: SweepSpec) -> str:
    """The file name of ``spec`` in a results folder: ``spec-<hash>.json``, the first 12
    hex digits of the SHA-1 of its canonical JSON (one file per distinct spec)."""
    text = json.dumps(spec_data(spec), sort_keys=True)
    return f"spec-{hashlib.sha1(text.encode()).hexdigest()[:12]}.json"


def size_text(size: float) -> str:
    """A size class as the command line writes it: ``1e3``."""
    return f"{size:.0e}".replace("+0", "").replace("+", "")


def sweep_command(values: Mapping[str, Any], out: str | Path) -> str:
    """The ``llc-explorer sweep`` command that runs the sweep ``values`` describes into
    ``out``, its flags written by :func:`llc_explorer.settings.flags`.

    ``values`` are :class:`SweepSpec`'s fields as :func:`spec_data` gives them; a setting or
    ``hyper`` that is ``None`` is left out (it differs between the runs described). One size
    class is written as its draw (``--size-class 1e4 --archs 5 --arch-seed 0``, the seed
    :data:`NOT_RECORDED` where ``None``), anything else as listed widths with their rank."""
    architectures = values["architectures"]
    sizes = {size for _, _, size in architectures}
    if len(sizes) == 1 and None not in sizes:
        seed = values.get("arch_seed")
        parts = flags(
            {
                "size_class": size_text(sizes.pop()),
                "archs": len(architectures),
                "arch_seed": NOT_RECORDED if seed is None else seed,
            }
        )
    else:
        ranks = {rank for _, rank, _ in architectures}
        parts = [part for widths, _, _ in architectures for part in flags({"widths": widths})]
        parts += flags({"rank": ranks.pop() if len(ranks) == 1 else DIFFERS})
    grid = {name: values[name] for name in ("samplers", "step_sizes", "seeds", *SHARED)}
    parts += flags({name: value for name, value in grid.items() if value is not None})
    parts += flags(values["hyper"] or {})
    return " ".join(["llc-explorer sweep", *parts, *flags({"out": out})])
