"""A sweep's results folder on disk: its rows, its specs and its locks.

``OUT/results-<I>-of-<N>.jsonl`` holds shard ``I`` of ``N``'s rows, one JSON line each, written
in one ``write`` of a whole line followed by ``fsync`` (:func:`append_row`); a half-written
last line (a kill inside ``write``) is cut off before the next append (:func:`repair_tail`)
and skipped when read (:func:`read_rows`). ``OUT/spec-<hash>.json`` holds the spec of each
distinct sweep run into the folder (:func:`write_spec`: the shards of one sweep share one
file, later sweeps with other settings add theirs). ``OUT/results-<I>-of-<N>.lock`` is held
while a sweep writes the shard (:func:`lock_shard`).
"""

from __future__ import annotations

import errno
import fcntl
import json
import math
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from llc_explorer.bench.spec import SweepSpec, spec_data, spec_from_data, spec_name
from llc_explorer.errors import ConfigError

ESTIMATES = ("llc_mean", "llc_std", "llc_stderr", "relative_error", "steps_per_second")
"""Row fields that are NaN when undefined (all chains diverged, one chain): ``null`` on disk."""


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


def write_spec(spec: SweepSpec, out: Path) -> Path:
    """Write ``spec`` as ``out/spec-<hash>.json`` unless that file exists, atomically: into a
    temporary file first, then renamed, so that a reader, or a shard of the same sweep
    writing it at the same moment, never sees a partial file. Returns its path."""
    path = out / spec_name(spec)
    if path.exists():
        return path
    fd, temporary = tempfile.mkstemp(prefix=".spec-", suffix=".tmp", dir=out)
    try:
        os.fchmod(fd, 0o644)  # as readable as the rows (mkstemp makes it private)
        with os.fdopen(fd, "w") as handle:
            json.dump(spec_data(spec), handle, indent=1)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)  # the same name means the same text: a race is harmless
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def read_specs(out: Path) -> list[SweepSpec]:
    """The specs of the sweeps run into the folder ``out`` (:func:`write_spec`), by file name;
    ``ConfigError`` names a file that cannot be read."""
    specs = []
    for path in sorted(out.glob("spec-*.json")):
        try:
            specs.append(spec_from_data(json.loads(path.read_text())))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"cannot read sweep spec {path}: {exc}") from None
    return specs


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
