"""The lab's stored full-length runs, read back for a plot beside a short live run.

A sweep too slow for a lab cell is run once with ``llc-explorer sweep`` into
``docs/results/tutorial`` of the repository; the lab reads its rows and its spec, so the
notebook shows the command that makes them.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from llc_explorer.bench.store import read_rows, read_specs
from llc_explorer.bench.summary import failed, format_step_table
from llc_explorer.errors import ConfigError

STORED = Path("docs") / "results" / "tutorial"
"""Where the stored runs live, relative to the repository's root."""


class StoredSweep(NamedTuple):
    """A stored sweep: ``errors`` maps each sampler to ``(step_sizes, relative_errors)``
    (NaN where every chain diverged), ``table`` the median error by step size and sampler,
    ``command`` the command that reruns it."""

    errors: dict[str, tuple[np.ndarray, np.ndarray]]
    table: str
    command: str


def find_stored(start: Path | None = None) -> Path:
    """``docs/results/tutorial`` in ``start`` (default: the working directory) or the nearest
    folder above it that has one (a notebook runs from ``notebooks/`` or the root)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / STORED).is_dir():
            return folder / STORED
    raise ConfigError(f"no {STORED} in {here} or above: run the lab from the repository")


def stored_step_sweep(folder: Path | None = None) -> StoredSweep:
    """The stored step-size sweep of the lab's DLN (``folder``: default :func:`find_stored`)."""
    folder = folder or find_stored()
    rows = read_rows([folder])
    specs = read_specs(folder)
    if not rows or len(specs) != 1:
        raise ConfigError(f"{folder} must hold the rows of exactly one sweep")
    errors = {}
    for sampler in dict.fromkeys(row["sampler"] for row in rows):
        mine = sorted((r for r in rows if r["sampler"] == sampler), key=lambda r: r["step_size"])
        errors[sampler] = (
            np.array([r["step_size"] for r in mine]),
            np.array([np.nan if failed(r) else r["relative_error"] for r in mine]),
        )
    return StoredSweep(errors, format_step_table(rows), specs[0].command(STORED))
