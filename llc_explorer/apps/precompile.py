"""Getting a run ready before it starts: its chunk compiled from shapes alone, its problem
built, and every small operation of its first chunk traced once.

A first run on a fresh machine spends seconds before its first step: building the teacher
and the data (``jit``-compiled on first use), compiling the chunk, and compiling the dozens
of small operations that start the chains. :func:`prepare` does all of it ahead of time
(the explorer calls it in the background when it is shown and when a setting in
:func:`signature` changes: network, rank, teacher, sampler, n, noise, batch size, chains,
seed), so the run itself finds everything cached. The chunk compiles from
``jax.ShapeDtypeStruct`` arguments (:func:`chunk_arguments`) in a second thread while the
problem is built, which halves the wait on a 2-core machine.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from itertools import pairwise
from typing import Any

import jax
import jax.numpy as jnp

from llc_explorer.config import LLCConfig
from llc_explorer.dln.data import Dataset
from llc_explorer.dln.truth import num_params
from llc_explorer.estimator import chunk_arrays, chunk_statics, stream_config
from llc_explorer.settings import of_kind
from llc_explorer.sgmcmc.chains import CHUNKS

LOG = logging.getLogger("llc_explorer")


def signature(config: LLCConfig) -> tuple:
    """What :func:`prepare` depends on: the settings that build the problem or fix the
    compiled chunk (kinds ``problem`` and ``chunk`` in :mod:`llc_explorer.settings`), and
    whether the step size adapts (shorter chunks). Configs that differ only in traced values
    share one."""
    names = of_kind("problem", "chunk")
    return (*(getattr(config, name) for name in names), config.adapt_step_size)


def chunk_arguments(config: LLCConfig) -> tuple[tuple, tuple]:
    """The static arguments of the first chunk that :func:`stream_config` runs for
    ``config`` (sampler, gradient estimator, chunk length, no path) and the shapes of its
    array arguments (``jax.ShapeDtypeStruct``; nothing is allocated), from the run's own
    setup (:func:`llc_explorer.estimator.chunk_arrays`)."""
    shaped: Any = jax.ShapeDtypeStruct  # stand-ins go where arrays go
    center = tuple(shaped((h_out, h_in), jnp.float32) for h_in, h_out in pairwise(config.widths))
    arrays = partial(
        chunk_arrays, [config], loss_at_teacher=0.0, num_params=num_params(config.widths)
    )
    state, potential = jax.eval_shape(arrays, center)
    data = Dataset(
        shaped((config.n, config.widths[0]), jnp.float32),
        shaped((config.n, config.widths[-1]), jnp.float32),
    )
    step = shaped((), jnp.int32)
    static = (*chunk_statics(config, adapting=config.adapt_step_size), False)
    return static, (state, data, potential, step, step)


COMPILED: set[tuple] = set()
"""The :func:`signature` of every config whose chunk :func:`compile_chunk` has in
:data:`llc_explorer.sgmcmc.chains.CHUNKS` (so a rerun does not even trace its shapes again)."""


def compile_chunk(config: LLCConfig) -> float:
    """Compile ``config``'s chunk into :data:`llc_explorer.sgmcmc.chains.CHUNKS` from shapes alone;
    returns the seconds spent (0 if it was cached). With several devices the chains are
    sharded at run time, so the chunk is left to the run (0)."""
    if len(jax.devices()) > 1 or signature(config) in COMPILED:
        return 0.0
    seconds = CHUNKS.get(*chunk_arguments(config))[1]
    COMPILED.add(signature(config))
    return seconds


def rehearse(config: LLCConfig) -> None:
    """Run ``config``'s first chunk once and discard it: builds (and caches) the problem and
    traces every operation the run starts with."""
    first = stream_config(config)
    try:
        next(first)
    finally:
        first.close()


@contextmanager
def compiling_ahead(config: LLCConfig) -> Iterator[None]:
    """Compile ``config``'s chunk (:func:`compile_chunk`) in a second thread while the body
    runs (which builds the problem meanwhile); the thread is joined on leaving. A failure is
    left for the run to meet (and report)."""

    def compile_quietly() -> None:
        try:
            compile_chunk(config)
        except Exception as exc:
            LOG.debug("compiling ahead failed: %r", exc)

    if signature(config) in COMPILED:
        yield
        return
    compiling = threading.Thread(target=compile_quietly, name="llc-explorer-compile")
    compiling.start()
    try:
        yield
    finally:
        compiling.join()


def prepare(config: LLCConfig) -> None:
    """Get ``config``'s run ready: its chunk compiles (:func:`compiling_ahead`) while
    :func:`rehearse` builds the problem and then runs the first chunk with it. A later run of
    ``config``, or of ``config`` with other traced values (step size, gamma, ``n*beta``, the
    sampler's hyperparameters), compiles nothing and builds nothing."""
    with compiling_ahead(config):
        rehearse(config)
