"""The paper's benchmark grid run: samplers x step sizes x architectures x seeds, resumable.

:func:`run_sweep` writes the sweep's spec into ``OUT`` as ``spec-<hash>.json``, then appends
one JSON line to ``OUT/results-<shard>.jsonl`` the moment each run finishes; rerunning the
same sweep skips every run whose id is already on disk. A run killed mid-way loses only the
runs in flight. ``--shard I/N`` takes every N-th run starting at I, so N parts cover the grid
exactly once. The spec and its runs are :mod:`llc_explorer.bench.spec`'s, the folder's files
:mod:`llc_explorer.bench.store`'s (re-exported here: the sweep's API is this module's).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import jax

from llc_explorer.bench.spec import Run, SweepSpec, load_toml, make_spec
from llc_explorer.bench.store import (
    append_row,
    lock_shard,
    read_rows,
    read_specs,
    repair_tail,
    results_path,
    unlock_shard,
    unwritable,
    write_spec,
)
from llc_explorer.dln.memory import check_memory
from llc_explorer.errors import ConfigError
from llc_explorer.estimator import stream_batch
from llc_explorer.sgmcmc.chains import last

__all__ = [
    "Run",
    "SweepSpec",
    "load_toml",
    "lock_shard",
    "make_spec",
    "parse_shard",
    "pending",
    "read_rows",
    "read_specs",
    "results_path",
    "run_group",
    "run_sweep",
    "shard",
    "unlock_shard",
]

SLURM_VARIABLES = ("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT")
"""What ``--shard slurm`` reads (with ``SLURM_ARRAY_TASK_MIN``, 0 when unset, subtracted)."""


def parse_shard(text: str, environ: dict[str, str] | None = None) -> tuple[int, int]:
    """``"I/N"`` -> ``(I, N)`` with ``0 <= I < N``; ``"slurm"`` takes them from a SLURM job
    array's environment (``--array=0-9`` or ``1-10``: ``I`` counts from the array's first)."""
    if text == "slurm":
        env = dict(os.environ if environ is None else environ)
        missing = [name for name in SLURM_VARIABLES if name not in env]
        if missing:
            raise ConfigError(
                f"--shard slurm needs {' and '.join(missing)} (set in a SLURM job array)"
            )
        first = int(env.get("SLURM_ARRAY_TASK_MIN", "0"))
        text = f"{int(env['SLURM_ARRAY_TASK_ID']) - first}/{env['SLURM_ARRAY_TASK_COUNT']}"
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ConfigError(f"shard must look like I/N (for example 0/4), got {text!r}") from None
    if not 0 <= index < count:
        raise ConfigError(f"shard I/N needs 0 <= I < N, got {text!r}")
    return index, count


def shard(runs: list[Run], index: int, count: int) -> list[Run]:
    """The ``index``-th of ``count`` disjoint parts of ``runs`` (every ``count``-th run)."""
    return runs[index::count]


def run_group(runs: list[Run]) -> list[dict[str, Any]]:
    """Run grid cells that differ only in step size as one vmapped batch; one row each.

    ``wall_seconds`` is the batch's wall time, shared by its rows.
    """
    began = time.perf_counter()
    configs = [run.config() for run in runs]
    results = last(stream_batch(configs))
    wall = time.perf_counter() - began
    device = f"{jax.device_count()} x {jax.devices()[0].device_kind}"
    return [
        {
            "id": run.run_id,
            **asdict(run),
            "hyper": dict(run.hyper),
            "num_params": result.num_params,
            "true_llc": None if result.true_llc is None else float(result.true_llc),
            "global_llc": float(result.global_llc),
            "llc_mean": result.llc_mean,
            "llc_std": result.llc_std,
            "llc_stderr": result.llc_stderr,
            "relative_error": result.relative_error,
            "diverged_chains": result.to_dict()["diverged_chains"],
            "wall_seconds": wall,
            "batched_with": len(runs),
            "compile_seconds": result.compile_seconds,
            "steps_per_second": result.steps_per_second,
            "device": device,
        }
        for run, result in zip(runs, results, strict=True)
    ]


def pending(spec: SweepSpec, out: Path, index: int = 0, count: int = 1) -> list[Run]:
    """This shard's runs that have no row in ``out`` yet."""
    done = {row["id"] for row in read_rows([out])} if out.exists() else set()
    return [run for run in shard(spec.runs(), index, count) if run.run_id not in done]


def run_sweep(
    spec: SweepSpec, out: Path, index: int = 0, count: int = 1
) -> Iterator[dict[str, Any]]:
    """Run this shard's pending runs, appending each row as it finishes and yielding it; the
    spec is written into ``out`` first (once per distinct spec: shards share the file).

    Runs that differ only in step size go together as one vmapped batch (:func:`run_group`).
    A folder that cannot be written (read-only, or full) is a ``ConfigError`` naming it, before
    the first run where it can be told then; the rows written before stay.
    """
    path = results_path(out, index, count)
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = lock_shard(out, index, count)
    except OSError as exc:
        raise unwritable(out, exc) from None
    groups: dict[Run, list[Run]] = {}
    try:
        try:
            repair_tail(path)
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644))
        except OSError as exc:
            raise unwritable(out, exc) from None
        for run in pending(spec, out, index, count):
            groups.setdefault(replace(run, step_size=0.0), []).append(run)
        for runs in groups.values():  # every batch's memory, before the first one runs
            first = runs[0].config()
            check_memory(replace(first, chains=first.chains * len(runs)))
        try:
            write_spec(spec, out)
        except OSError as exc:
            raise unwritable(out, exc) from None
        for runs in groups.values():
            for row in run_group(runs):
                try:
                    append_row(path, row)
                except OSError as exc:
                    raise unwritable(out, exc) from None
                yield row
    finally:
        unlock_shard(lock, out, index, count)
