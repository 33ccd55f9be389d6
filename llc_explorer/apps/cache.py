"""JAX's persistent compilation cache, switched on by the explorer and the CLI.

A compiled chunk costs about a second on a CPU; with the cache on disk, a new process (a
restarted kernel, the next CLI call) loads it instead of compiling again. The library
functions leave JAX's configuration alone; a cache directory the user set is kept.
"""

from __future__ import annotations

import os
from pathlib import Path

import jax


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/llc_explorer/jax`` (``~/.cache/llc_explorer/jax`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "llc_explorer" / "jax"


def enable_compilation_cache(directory: Path | None = None) -> Path | None:
    """Turn on the persistent cache (every compilation is cached) unless one is already set.

    Returns the cache directory in use, or ``None`` if it cannot be created.
    """
    current = jax.config.jax_compilation_cache_dir
    if current:
        return Path(current)
    directory = directory or default_cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    jax.config.update("jax_compilation_cache_dir", str(directory))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return directory
