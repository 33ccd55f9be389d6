"""The explorer's model: settings from widget values to a validated :class:`LLCConfig`, and the
pure numbers the views show (memory estimate, plot-ready arrays).

Nothing here touches a widget or a Bokeh object.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from collections.abc import Mapping
from typing import Any

import jax
import numpy as np

from llc_explorer.config import LLCConfig, check_int, chunk_size_for, make_config
from llc_explorer.dln.architectures import Architecture, random_architectures
from llc_explorer.dln.truth import num_params
from llc_explorer.errors import ConfigError
from llc_explorer.memory import check_memory, memory_estimate
from llc_explorer.memory import memory_limit as run_memory_limit

CHUNK_FLOPS = 5e8
"""Flops per jitted chunk: about 0.05 s on one laptop core, so plots update about 5 times a
second (see ``PUSH_INTERVAL``) and Stop acts at once."""

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

MAX_POINTS = 2000
"""Points per chain sent to the browser (give or take one): see :func:`kept_steps`."""

PLOT_LIMIT = 1e6
"""Plotted values beyond +-PLOT_LIMIT (a chain on its way to diverging) become gaps (NaN)."""

SWEEP_POINTS = 7
"""Step sizes per sampler in a sweep."""

SWEEP_DECADES = 1.5
"""A sweep spans the current step size times 10**(+-SWEEP_DECADES)."""

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
    limit of every run, :func:`llc_explorer.memory.memory_limit`; on a CPU, which reports
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


def kept_steps(steps: int) -> np.ndarray:
    """The steps plotted of ``steps`` recorded: every k-th, ``k = ceil(steps / MAX_POINTS)``,
    and the last one, so a chain has at most ``MAX_POINTS + 1`` points."""
    every = np.arange(0, steps, max(1, math.ceil(steps / MAX_POINTS)))
    return every if steps == 0 or every[-1] == steps - 1 else np.append(every, steps - 1)


def plottable(values: np.ndarray) -> np.ndarray:
    """``values`` as float64 with non-finite or out-of-range entries set to NaN (a gap)."""
    out = np.asarray(values, np.float64).copy()
    out[~(np.abs(out) <= PLOT_LIMIT)] = np.nan
    return out


def mean_and_stderr(running: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per step: mean and standard error over the chains with a finite running estimate
    (NaN where fewer than one, resp. two, chains are finite)."""
    finite = np.isfinite(running)
    count = finite.sum(axis=0)
    filled = np.where(finite, running, 0.0)
    with np.errstate(all="ignore"):
        mean = np.where(count > 0, filled.sum(axis=0) / count, np.nan)
        sq = np.where(finite, (running - mean) ** 2, 0.0).sum(axis=0)
        stderr = np.where(count > 1, np.sqrt(sq / (count - 1) / count), np.nan)
    return mean, stderr


def mean_band(running: np.ndarray, steps_done: int) -> dict[str, np.ndarray]:
    """Plot data of the running estimates ``running`` (chains x steps): their mean and a
    band of one standard error (none where undefined) at the :func:`kept_steps`."""
    keep = kept_steps(steps_done)
    mean, stderr = mean_and_stderr(running[:, keep])
    band = np.where(np.isfinite(stderr), stderr, 0.0)
    return {
        "step": keep,
        "mean": plottable(mean),
        "lower": plottable(mean - band),
        "upper": plottable(mean + band),
    }


def sweep_step_sizes(center: float) -> np.ndarray:
    """``SWEEP_POINTS`` log-spaced step sizes from ``center / 10**d`` to ``center * 10**d``."""
    exponent = math.log10(center)
    return np.logspace(exponent - SWEEP_DECADES, exponent + SWEEP_DECADES, SWEEP_POINTS)
