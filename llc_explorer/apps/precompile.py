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

import itertools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jax
import jax.numpy as jnp

from llc_explorer.config import LLCConfig
from llc_explorer.dln.data import Dataset
from llc_explorer.dln.gradients import MinibatchGradient
from llc_explorer.dln.problem import problem_keys
from llc_explorer.estimator import stream_config
from llc_explorer.sgmcmc.adaptation import run_chunk_size
from llc_explorer.sgmcmc.chains import CHUNKS, chain_hyperparameters, init_chains
from llc_explorer.sgmcmc.registry import get_sampler
from llc_explorer.sgmcmc.samplers import Potential

LOG = logging.getLogger("llc_explorer")


def signature(config: LLCConfig) -> tuple:
    """What :func:`prepare` depends on: the problem's settings and the chunk's static
    arguments and shapes (configs that differ only in traced values share one)."""
    return (
        config.widths, config.rank, config.n, config.seed, config.noise, config.input_dist,
        config.teacher, config.sampler, config.batch_size, config.chunk_size, config.chains,
        config.prng, config.adapt_step_size,
    )  # fmt: skip


def shaped(shape: tuple[int, ...], dtype: Any = jnp.float32) -> Any:
    """A stand-in for an array of ``shape`` and ``dtype`` when compiling ahead (typed as
    ``Any``: it goes where arrays go)."""
    return jax.ShapeDtypeStruct(shape, dtype)


def chunk_arguments(config: LLCConfig) -> tuple[tuple, tuple]:
    """The static arguments of the first chunk that :func:`stream_config` runs for
    ``config`` (sampler, gradient estimator, chunk length, no path) and the shapes of its
    array arguments (``jax.ShapeDtypeStruct``; nothing is allocated)."""
    sampler = get_sampler(config.sampler)
    center = tuple(shaped((h_out, h_in)) for h_in, h_out in itertools.pairwise(config.widths))
    hyper = chain_hyperparameters(sampler, [config])
    keys = jax.random.split(problem_keys(config.seed, config.prng)[2], config.chains)
    state = jax.eval_shape(lambda c: init_chains(sampler, c, hyper, keys=keys), center)
    data = Dataset(shaped((config.n, config.widths[0])), shaped((config.n, config.widths[-1])))
    scalar, step = shaped(()), shaped((), jnp.int32)
    chunk = run_chunk_size(config, adapting=config.adapt_step_size)
    static = (sampler, MinibatchGradient(config.batch_size), chunk, False)
    return static, (state, data, Potential(scalar, scalar, center), step, step)


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
