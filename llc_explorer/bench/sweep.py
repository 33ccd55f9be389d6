"""The paper's benchmark grid: samplers x step sizes x architectures x seeds, resumable.

Each finished run appends one JSON line to ``OUT/results-<shard>.jsonl`` the moment it
finishes, in one ``write`` of a whole line followed by ``fsync``; rerunning the same sweep
skips every run whose id is already on disk. A run killed mid-way loses only the runs in
flight; a half-written last line (a kill inside ``write``) is cut off before appending.
``--shard I/N`` takes every N-th run starting at I, so N parts cover the grid exactly once.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import math
import os
import time
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import jax

from llc_explorer.config import WARMUP_FACTOR, LLCConfig, make_config
from llc_explorer.dln.architectures import random_architectures, size_class
from llc_explorer.dln.truth import validate_rank, validate_widths
from llc_explorer.errors import ConfigError
from llc_explorer.estimator import stream_batch
from llc_explorer.memory import check_memory
from llc_explorer.sgmcmc.chains import last

Hyper = tuple[tuple[str, float | bool], ...]
"""Sampler hyperparameters given to every run of a sweep, as sorted ``(name, value)`` pairs;
empty means each sampler's defaults."""


@dataclass(frozen=True)
class Run:
    """One cell of the grid: everything ``estimate_llc`` needs, plus its size class."""

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
    teacher: str = "minimal"
    warmup_factor: float = WARMUP_FACTOR
    hyper: Hyper = ()

    def config(self) -> LLCConfig:
        """The validated :class:`LLCConfig` of this run (``ValueError`` names a bad setting)."""
        hyper: dict[str, Any] = dict(self.hyper)
        return make_config(
            self.widths, self.rank, sampler=self.sampler, step_size=self.step_size,
            seed=self.seed, steps=self.steps, chains=self.chains, n=self.n,
            batch_size=self.batch_size, burn_in=self.burn_in, gamma=self.gamma,
            teacher=self.teacher, warmup_factor=self.warmup_factor, **hyper,
        )  # fmt: skip

    @property
    def run_id(self) -> str:
        """A stable id: the hash of the run's settings (without ``hyper`` when it is empty, so
        the ids of sweeps run before it existed still match)."""
        settings = asdict(self)
        if not self.hyper:
            del settings["hyper"]
        text = json.dumps(settings, sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SweepSpec:
    """The grid and the settings shared by its runs."""

    samplers: tuple[str, ...]
    step_sizes: tuple[float, ...]
    architectures: tuple[tuple[tuple[int, ...], int, float | None], ...]
    seeds: tuple[int, ...] = (0,)
    steps: int = 10_000
    chains: int = 4
    n: int = 100_000
    batch_size: int = 100
    burn_in: float = 0.9
    gamma: float = 1.0
    teacher: str = "minimal"
    warmup_factor: float = WARMUP_FACTOR
    hyper: Hyper = ()

    def runs(self) -> list[Run]:
        """Every run of the grid, in a fixed order (sampler, architecture, seed, step size)."""
        return [
            Run(sampler, step_size, widths, rank, seed, self.steps, self.chains, self.n,
                self.batch_size, self.burn_in, self.gamma, size, self.teacher,
                self.warmup_factor, self.hyper)
            for sampler in self.samplers
            for widths, rank, size in self.architectures
            for seed in self.seeds
            for step_size in self.step_sizes
        ]  # fmt: skip


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
    draws of the size class ``size_class_name`` (:mod:`llc_explorer.dln.architectures`).
    ``hyper`` sets sampler hyperparameters (``b2``, ``bias_correction``, ...) for every run:
    a variant of the samplers it applies to (an error names a sampler it does not apply to).
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
    if listed:
        if rank is None:
            raise ConfigError("rank is required with listed widths")
        architectures: tuple[tuple[tuple[int, ...], int, float | None], ...] = tuple(
            (w, validate_rank(rank, w), None) for w in listed
        )
    elif size_class_name is not None:
        size = size_class(size_class_name)
        architectures = tuple(
            (a.widths, a.rank, size) for a in random_architectures(size, archs, seed=arch_seed)
        )
    else:
        raise ConfigError("give widths (with rank) or a size class")
    spec = SweepSpec(
        samplers, step_sizes, architectures, hyper=tuple(sorted((hyper or {}).items())), **shared
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


def results_path(out: Path, index: int, count: int) -> Path:
    """The results file of one shard."""
    return out / f"results-{index}-of-{count}.jsonl"


def read_rows(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """All complete rows of the given results files (or folders of them), the estimates'
    ``null`` read back as NaN.

    An unreadable file raises ``ConfigError``; a partial last line (from a kill) is skipped.
    """
    rows = []
    for path in paths:
        files = sorted(path.glob("results-*.jsonl")) if path.is_dir() else [path]
        for file in files:
            try:
                lines = file.read_text().splitlines(keepends=True)
            except OSError as exc:
                raise ConfigError(f"cannot read results file {file}: {exc}") from None
            for number, line in enumerate(lines, 1):
                if not line.endswith("\n"):
                    break
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    raise ConfigError(f"{file}:{number} is not a JSON results row") from None
                rows.append({k: math.nan if v is None and k in ESTIMATES else v
                             for k, v in row.items()})  # fmt: skip
    return rows


def repair_tail(path: Path) -> None:
    """Cut a partial last line (a kill inside ``write``) so the next row starts clean."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with path.open("r+b") as handle:
            handle.truncate(data.rfind(b"\n") + 1)


ESTIMATES = ("llc_mean", "llc_std", "llc_stderr", "relative_error", "steps_per_second")
"""Row fields that are NaN when undefined (all chains diverged, one chain): ``null`` on disk."""


def append_row(path: Path, row: dict[str, Any]) -> None:
    """Append one JSON line (NaN written as ``null``, so any JSON reader reads it) in a single
    write, then ``fsync``."""
    clean = {
        k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in row.items()
    }
    line = (json.dumps(clean, allow_nan=False) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        rest = memoryview(line)
        while rest:  # a short write (a full disk) is finished, or fails with the reason
            rest = rest[os.write(fd, rest) :]
        os.fsync(fd)
    finally:
        os.close(fd)


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


def unwritable(out: Path, exc: OSError) -> ConfigError:
    """The error for a results folder that cannot be written."""
    full = exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
    hint = "free some space or choose another --out" if full else "choose another --out"
    return ConfigError(f"cannot write the results in {out}: {exc.strerror or exc}; {hint}")


def lock_path(out: Path, index: int, count: int) -> Path:
    """The lock file of a shard's results."""
    return out / f"results-{index}-of-{count}.lock"


def lock_shard(out: Path, index: int, count: int) -> int:
    """Hold an exclusive lock on this shard's results (released when the process ends, even
    by ``kill -9``); ``ValueError`` if another sweep is writing them. The file is removed when
    the sweep ends (:func:`unlock_shard`); a lock taken on a file that was removed meanwhile is
    dropped and taken again on the new one, so two sweeps never both hold a shard."""
    path = lock_path(out, index, count)
    while True:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ConfigError(
                f"another sweep is writing shard {index}/{count} in {out}; wait for it or use "
                "another --out or --shard"
            ) from None
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)  # the holder before us removed the file: lock the one there now


def unlock_shard(fd: int, out: Path, index: int, count: int) -> None:
    """Remove the shard's lock file, then release the lock (in that order, so that a sweep
    waiting on the old file retries on a new one: :func:`lock_shard`)."""
    try:
        os.unlink(lock_path(out, index, count))
    finally:
        os.close(fd)


def run_sweep(
    spec: SweepSpec, out: Path, index: int = 0, count: int = 1
) -> Iterator[dict[str, Any]]:
    """Run this shard's pending runs, appending each row as it finishes and yielding it.

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
        for runs in groups.values():
            for row in run_group(runs):
                try:
                    append_row(path, row)
                except OSError as exc:
                    raise unwritable(out, exc) from None
                yield row
    finally:
        unlock_shard(lock, out, index, count)
