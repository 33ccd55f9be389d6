"""The explorer's model: its defaults, settings from widget values to a validated
:class:`LLCConfig`, the sweep's configs, and whether a run can run well here (memory, time).

Nothing here touches a widget or a Bokeh object.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import numpy as np

from llc_explorer.config import LLCConfig, RunConfig, chunk_size_for, make_config
from llc_explorer.dln.architectures import SIZE_CLASSES, Architecture, random_architectures
from llc_explorer.dln.memory import check_memory, memory_estimate
from llc_explorer.dln.memory import memory_limit as run_memory_limit
from llc_explorer.dln.truth import num_params
from llc_explorer.errors import ConfigError, check_int
from llc_explorer.settings import SETTINGS, STEPS, WARMUP_FACTOR

OWN_DEFAULTS: dict[str, Any] = {
    # the network first shown, 10,20,20,10 of rank 3 (d = 800): the API has no default one
    "input_width": 10, "output_width": 10, "hidden_layers": 2, "hidden_width": 20, "rank": 3,
    # the API's from TINY_PARAMS parameters up, at every size: an entry holds one number
    "steps": STEPS, "warmup_factor": WARMUP_FACTOR,
}  # fmt: skip
"""The explorer's defaults where they are not the API's (:data:`llc_explorer.settings.SETTINGS`);
every other setting starts at the API's default (:func:`default`)."""


def default(name: str) -> Any:
    """The explorer's default of the setting ``name``: its own (``OWN_DEFAULTS``), else the
    API's."""
    return OWN_DEFAULTS[name] if name in OWN_DEFAULTS else SETTINGS[name].default


CHUNK_FLOPS = 5e8
"""Flops per jitted chunk: about 0.05 s on one laptop core, so plots update about 5 times a
second (see :data:`llc_explorer.apps.explorer.sampling.PUSH_INTERVAL`) and Stop acts at once."""

MEMORY_LIMIT = 2 * 2**30
"""Largest estimated memory (bytes) of a run the explorer starts on a CPU."""

CPU_FLOPS = 2.5e10
"""Flops per second per CPU core a run sustains: ``benchmarks/throughput.py`` measured
2,771 chain-steps/s at d = 40,000 on 2 cores (6.6e10 flop/s), less the overheads of small
networks."""

ACCELERATOR_FLOPS = 5e12
"""Flops per second a run sustains on a GPU, conservatively (an H200 ran the 1e8 DLN at 547
chain-steps/s with batch 100: 3.3e13)."""

MAX_RUN_SECONDS = 600
"""A size class whose run would take longer than this here is greyed out: a live view of a
run of more than 10 minutes is not what the explorer is for (the CLI and the sweep are)."""

SWEEP_POINTS = 7
"""Step sizes per sampler in a sweep."""

SWEEP_DECADES = 1.5
"""A sweep spans the current step size times 10**(+-SWEEP_DECADES)."""

SWEEP_STEPS = 2000
"""Steps per run of a sweep, at first (it has its own entry): short, as a sweep makes
``SWEEP_POINTS`` runs per sampler."""

ARCHITECTURE = ("input_width", "output_width", "hidden_layers", "hidden_width")
"""The settings that build the widths when the free-form ``widths`` text is blank."""

MAX_WIDTH = 100_000
"""Widest layer the explorer accepts (checked before anything is allocated)."""

MAX_LAYERS = 64
"""Most hidden layers the explorer accepts."""


def parse_widths(text: str) -> tuple[int, ...]:
    """``"10,20,20,10"`` -> ``(10, 20, 20, 10)``; ``ValueError`` names a malformed entry."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) > MAX_LAYERS + 2:
        raise ConfigError(f"widths: at most {MAX_LAYERS + 2} layers; got {len(parts)}")
    try:
        widths = tuple(int(part) for part in parts)
    except ValueError:
        raise ConfigError(
            f"widths must be comma-separated positive ints such as 10,20,20,10; got {text!r}"
        ) from None
    if max(widths) > MAX_WIDTH:
        raise ConfigError(f"widths: each at most {MAX_WIDTH:,}; got {max(widths):,}")
    return widths


def architecture(
    input_width: int, output_width: int, hidden_layers: int, hidden_width: int, text: str
) -> tuple[int, ...]:
    """The DLN widths: parsed from ``text`` when it is not blank, else built from the sizes."""
    if text.strip():
        return parse_widths(text)
    if not 0 <= hidden_layers <= MAX_LAYERS:
        raise ConfigError(f"hidden layers must be in [0, {MAX_LAYERS}]; got {hidden_layers:,}")
    for name, width in (("input", input_width), ("output", output_width),
                        ("hidden", hidden_width)):  # fmt: skip
        if not 1 <= width <= MAX_WIDTH:
            raise ConfigError(f"{name} width must be in [1, {MAX_WIDTH:,}]; got {width:,}")
    return (input_width, *(hidden_width,) * hidden_layers, output_width)


def memory_limit(stats: Mapping[str, int] | str | None = "device") -> int:
    """The largest estimated memory (bytes) of a run the explorer starts: on an accelerator
    (``stats`` are its ``memory_stats()``; ``"device"``: those of JAX's first device) the
    limit of every run, :func:`llc_explorer.dln.memory.memory_limit`; on a CPU, which reports
    none (``None``), ``MEMORY_LIMIT``, so that the plots stay live."""
    if stats == "device":
        stats = jax.devices()[0].memory_stats()
    if not isinstance(stats, Mapping) or "bytes_limit" not in stats:
        return MEMORY_LIMIT
    return run_memory_limit(stats)


def parse_nbeta(text: str) -> float | None:
    """The n·β entry: blank -> ``None`` (the default ``n / log n``), else a number."""
    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        raise ConfigError(
            f"n·β must be a number > 0, or blank for n / log n; got {text!r}"
        ) from None


def build_config(values: Mapping[str, Any], limit: int | None = None) -> LLCConfig:
    """A validated config from the explorer's settings: ``estimate_llc`` keywords, with
    ``widths`` as free-form text and the sizes of ``ARCHITECTURE`` (see :func:`architecture`).

    ``nbeta`` is text: blank means the default ``n / log n``. ``ConfigError`` names a bad
    setting, or gives the memory estimate when it exceeds ``limit`` (default:
    :func:`memory_limit`, which follows an accelerator's free memory).
    """
    settings = dict(values)
    settings["nbeta"] = parse_nbeta(settings["nbeta"])
    sizes = {name: settings.pop(name) for name in ARCHITECTURE}
    widths = architecture(**sizes, text=settings.pop("widths"))
    rank = settings.pop("rank")
    config = make_config(widths, rank, **settings)
    chunk = chunk_size_for(
        num_params(config.widths), config.chains, config.batch_size, flops=CHUNK_FLOPS, smallest=8
    )
    config = dataclasses.replace(config, chunk_size=chunk)
    check_memory(config, memory_limit() if limit is None else limit, where="the explorer allows")
    return config


SIZE_LABELS = tuple(f"{size:.0e}".replace("+0", "") for size in SIZE_CLASSES)
"""The size classes as the buttons and the sweep's ``--size-class`` write them: ``1e3``."""


@functools.lru_cache(maxsize=64)
def random_dln(size_class: str, seed: int) -> Architecture:
    """The DLN that ``llc-explorer sweep --size-class SIZE --archs 1 --arch-seed SEED`` runs
    (the first of :func:`llc_explorer.dln.architectures.random_architectures`)."""
    seed = check_int("architecture seed", seed, 0, 2**32 - 1)
    return random_architectures(size_class, 1, seed=seed)[0]


def flop_rate(platform: str | None = None) -> float:
    """Flops per second a run sustains here, roughly: ``CPU_FLOPS`` per core on a CPU (JAX's
    default platform unless ``platform`` says), else ``ACCELERATOR_FLOPS``."""
    platform = platform or jax.default_backend()
    return CPU_FLOPS * (os.cpu_count() or 1) if platform == "cpu" else ACCELERATOR_FLOPS


def run_seconds(config: LLCConfig, platform: str | None = None) -> float:
    """Seconds ``config``'s run takes here, roughly: ``6 * batch * d`` flops per chain-step
    (forward and backward passes of a minibatch) at :func:`flop_rate`."""
    flops = 6 * config.batch_size * num_params(config.widths) * config.chains * config.steps
    return flops / flop_rate(platform)


def why_not(
    config: LLCConfig, architecture: Architecture, platform: str | None = None
) -> tuple[str, str]:
    """Why ``config``'s run on ``architecture`` cannot run well here, short and in full
    (``("", "")`` when it can): over :func:`memory_limit`, or longer than
    ``MAX_RUN_SECONDS`` by :func:`run_seconds`."""
    trial = dataclasses.replace(config, widths=architecture.widths, rank=architecture.rank)
    needed, limit = memory_estimate(trial) / 2**30, memory_limit() / 2**30
    if needed > limit:
        return (
            f"needs {needed:,.1f} GiB of {limit:,.1f}",
            f"needs about {needed:,.1f} GiB, over the {limit:,.1f} GiB allowed",
        )
    minutes = run_seconds(trial, platform) / 60
    if minutes > MAX_RUN_SECONDS / 60:
        return (
            f"about {minutes:,.0f} min a run here",
            f"about {minutes:,.0f} min per run here ({trial.chains} chains x {trial.steps:,} "
            f"steps), over the {MAX_RUN_SECONDS / 60:.0f} min the explorer allows",
        )
    return "", ""


def unavailable(config: LLCConfig | None, seed: int) -> dict[str, tuple[str, str]]:
    """For each of ``SIZE_LABELS``: why its draw from ``seed`` cannot run well here with
    ``config``'s other settings, short and in full (:func:`why_not`; ``("", "")`` when it can,
    or when there is no valid ``config`` to judge by)."""
    reasons = {}
    for label in SIZE_LABELS:
        try:
            arch = random_dln(label, seed)
            reasons[label] = why_not(config, arch) if config else ("", "")
        except ConfigError as exc:
            reasons[label] = (str(exc), str(exc))
    return reasons


def sweep_step_sizes(center: float) -> np.ndarray:
    """``SWEEP_POINTS`` log-spaced step sizes from ``center / 10**d`` to ``center * 10**d``."""
    exponent = math.log10(center)
    return np.logspace(exponent - SWEEP_DECADES, exponent + SWEEP_DECADES, SWEEP_POINTS)


def sweep_configs(
    values: Mapping[str, Any],
    own: Mapping[str, Any],
    samplers: Sequence[str],
    steps: int,
    center: float,
    build: Callable[[Mapping[str, Any]], RunConfig] = build_config,
) -> list[RunConfig]:
    """A sweep's configs: ``steps`` steps at each of :func:`sweep_step_sizes` around
    ``center`` for each of ``samplers``, with the explorer's settings ``values``; the chosen
    sampler with its own settings ``own`` (sampler, step size and hyperparameters), the others
    with their defaults, each built by ``build`` (a model's: from
    :mod:`llc_explorer.apps.explorer.user_model`). ``ConfigError`` names a bad setting."""
    shared = {name: value for name, value in values.items() if name not in own}
    return [
        build({**shared, **(own if sampler == own["sampler"] else {}), "steps": steps,
               "sampler": sampler, "step_size": float(step)})
        for sampler in samplers
        for step in sweep_step_sizes(center)
    ]  # fmt: skip
