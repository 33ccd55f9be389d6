"""How much memory a run needs, and the one check that every entry point (``estimate_llc`` and
the streams, the CLI through them, the sweep at plan time, the explorer) makes before anything
allocates: over the limit, a ``ConfigError`` gives the need and the limit in GiB and the
setting to lower, instead of an allocation that aborts the process.
"""

from __future__ import annotations

import functools
import os
import resource
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp

from llc_explorer.dln.truth import num_params as dln_num_params
from llc_explorer.errors import ConfigError
from llc_explorer.sgmcmc.registry import get_sampler

FRACTION = 0.8
"""The share of the free memory (an accelerator's, or the machine's available memory on a
CPU) a run may use; the rest is XLA's workspace and what else the process holds."""

WORKING_COPIES = 6
"""Parameter-sized buffers a compiled chunk holds per chain besides the sampler's state
(gradient, noise, proposal, drift and temporaries): ``benchmarks/memory_per_chain.py``
measured 4.5 to 5.6 for the five samplers."""

GIB = 2**30


@functools.cache
def state_copies(sampler: str) -> float:
    """Parameter-sized copies in the sampler's state, from the shapes of its ``init`` on a
    two-leaf pytree (nothing is allocated)."""
    spec = get_sampler(sampler)
    shape = jax.ShapeDtypeStruct
    params = {"a": shape((8, 8), jnp.float32), "b": shape((8,), jnp.float32)}
    hyper = spec.hyperparams(*(shape((), jnp.float32) for _ in spec.hyperparams._fields))
    state = jax.eval_shape(spec.init, params, hyper)

    def size(tree: Any) -> int:
        return sum(x.size for x in jax.tree.leaves(tree))

    return size(state) / size(params)


def memory_parts(
    config: Any, *, num_params: int | None = None, data_bytes: int | None = None
) -> dict[str, int]:
    """Bytes a run needs, roughly, by the settings that set them: the data (a DLN's float32
    ``n`` x (input + output width), or a model's ``data_bytes``), the recorded losses, MALA
    acceptances and running estimate (4 + 4 + 8 + 8 bytes per chain-step, with a working
    copy) and the chains (per chain, the sampler's state and ``WORKING_COPIES`` more copies of
    the ``num_params`` parameters, by default the DLN's)."""
    if num_params is None:
        num_params = dln_num_params(config.widths)
    if data_bytes is None:
        data_bytes = 4 * config.n * (config.widths[0] + config.widths[-1])
    return {
        "n or the input/output widths": data_bytes,
        "steps or chains": 24 * config.chains * config.steps,
        "the widths or chains": int(
            4 * num_params * config.chains * (state_copies(config.sampler) + WORKING_COPIES)
        ),
    }


def memory_estimate(config: Any, **sizes: int | None) -> int:
    """Bytes a run needs, roughly (the sum of :func:`memory_parts`)."""
    return sum(memory_parts(config, **sizes).values())


def available_memory(stats: Mapping[str, int] | str | None = "device") -> int:
    """Free bytes: an accelerator's (``stats`` are its ``memory_stats()``; ``"device"``: those
    of JAX's first device, ``bytes_limit - bytes_in_use``), or on a CPU, which reports none,
    the machine's available memory (``MemAvailable`` of ``/proc/meminfo``, else the free
    pages), capped by the process's address-space limit (``ulimit -v``)."""
    if stats == "device":
        stats = jax.devices()[0].memory_stats()
    if isinstance(stats, Mapping) and "bytes_limit" in stats:
        return max(stats["bytes_limit"] - stats.get("bytes_in_use", 0), 0)
    free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    free = int(line.split()[1]) * 1024
    except OSError:
        pass
    cap = resource.getrlimit(resource.RLIMIT_AS)[0]
    return free if cap == resource.RLIM_INFINITY else min(free, cap)


def memory_limit(stats: Mapping[str, int] | str | None = "device") -> int:
    """The largest estimated memory (bytes) of a run: ``FRACTION`` of
    :func:`available_memory`."""
    return int(FRACTION * available_memory(stats))


def check_memory(
    config: Any, limit: int | None = None, *, where: str = "", **sizes: int | None
) -> None:
    """``ConfigError`` when :func:`memory_parts` of ``config`` (and ``sizes``) add up to more
    than ``limit`` (default: :func:`memory_limit`), naming the need, the limit and the
    settings to lower."""
    parts = memory_parts(config, **sizes)
    needed = sum(parts.values())
    limit = memory_limit() if limit is None else limit
    if needed > limit:
        largest = max(parts, key=parts.__getitem__)
        raise ConfigError(
            f"this run needs about {needed / GIB:,.1f} GiB, over the {limit / GIB:,.1f} GiB "
            f"{where or 'this machine has free'}; most of it for {largest}: lower those"
        )
