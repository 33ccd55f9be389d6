"""Sampling a two-parameter surface (:mod:`llc_explorer.surfaces.library`) and estimating its LLC.

The same samplers, chain runner and estimator as for a DLN: chains start at ``w* = 0`` and
sample ``exp(-n*beta*K(w) - (gamma/2)||w||^2)`` through :func:`llc_explorer.sgmcmc.chains.run_chunk`
with the surface's gradient estimator, recording every position ``w_t`` as well as the loss;
``lambda_hat = n*beta * mean_{t >= B} L_{B_t}(w_t)`` per chain (``K(w*) = 0``), as in spec
section 3. The result carries the exact ``lambda`` and the finite-temperature value
:func:`llc_explorer.surfaces.library.tempered_llc` that an exact sampler would converge to.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from llc_explorer.dln.problem import problem_keys
from llc_explorer.dln.truth import LearningCoefficient
from llc_explorer.errors import ConfigError, check_float, check_int
from llc_explorer.sgmcmc.chain_state import chain_hyperparameters, init_chains
from llc_explorer.sgmcmc.chains import last, run_chains
from llc_explorer.sgmcmc.potential import Potential
from llc_explorer.sgmcmc.registry import get_sampler
from llc_explorer.sgmcmc.run_config import (
    SamplerRun,
    check_run_length,
    keyword_settings,
    none_means_default,
    sampler_settings,
)
from llc_explorer.sgmcmc.traces import ChainEstimate, ChainEstimateView, Traces
from llc_explorer.surfaces.library import SurfaceGradient, get_surface, tempered_llc

MAX_RECORDED = 20_000_000
"""Most chain-steps a surface run records (20 bytes each: position, loss, running estimate)."""

MAX_CHUNK = 100_000
"""Most steps per chunk (the compiled scan's length)."""

MAX_NBETA = 1e12
"""Largest ``n*beta`` (the float32 potential and the quadrature stay accurate below it)."""

GAMMA_RANGE = (1e-6, 1e6)
"""Allowed localisation strengths (the plotted square is ``3/sqrt(gamma)`` wide)."""


@dataclass(frozen=True)
class SurfaceConfig(SamplerRun):
    """A fully resolved surface run: every field has its final value."""

    surface: str
    sampler: str
    step_size: float
    nbeta: float
    gamma: float
    noise: float
    chains: int
    steps: int
    burn_in: float
    seed: int
    chunk_size: int


@none_means_default
def make_surface_config(
    surface: str = "dln",
    *,
    sampler: str = "sgld",
    step_size: float | None = None,
    nbeta: float = 1000.0,
    gamma: float = 1.0,
    noise: float = 0.0,
    chains: int = 32,
    steps: int = 300_000,
    burn_in: float = 0.5,
    seed: int = 0,
    chunk_size: int = 2000,
    **hyperparameters: float | None,
) -> SurfaceConfig:
    """Validate the settings and fill every default; ``ValueError`` names a bad setting.

    ``noise`` is the synthetic minibatch noise level ``sigma`` of
    :class:`llc_explorer.surfaces.library.SurfaceGradient` (0: exact gradients); ``chunk_size`` is
    the number of steps between two snapshots (the Playground's steps per frame), at most
    ``steps``.
    """
    get_surface(surface)
    settings = keyword_settings(make_surface_config)
    step_size, own = sampler_settings(
        sampler, step_size, hyperparameters, surface=True, settings=settings
    )
    chains, steps, burn_in = check_run_length(chains, steps, burn_in)
    if chains * steps > MAX_RECORDED:
        raise ConfigError(
            f"chains x steps = {chains * steps:,} is over the {MAX_RECORDED:,} positions a "
            "surface run records; lower chains or steps"
        )
    return SurfaceConfig(
        surface=surface,
        sampler=sampler,
        nbeta=check_float("nbeta", nbeta, 0.0, MAX_NBETA, open_low=True),
        gamma=check_float("gamma", gamma, *GAMMA_RANGE),
        noise=check_float("noise", noise, 0.0, 1.0),
        chains=chains,
        steps=steps,
        burn_in=burn_in,
        seed=check_int("seed", seed, 0, 2**32 - 1),
        chunk_size=min(check_int("chunk_size", chunk_size, 1, MAX_CHUNK), steps),
        step_size=step_size,
        sampler_hyperparameters=own,
    )


@dataclass(frozen=True)
class SurfaceResult(ChainEstimateView):
    """A surface run's estimate after ``steps_done`` steps (complete when ``done``).

    ``path`` holds every chain's positions, shape ``(chains, steps_done, 2)`` (a diverged
    chain repeats its last finite position); ``running_llc`` the running estimate per chain
    (NaN during burn-in); ``tempered_llc`` what an exact sampler converges to at this
    ``n*beta`` and ``gamma``.
    """

    config: SurfaceConfig
    truth: LearningCoefficient
    tempered_llc: float
    estimate: ChainEstimate
    loss_trace: np.ndarray
    running_llc: np.ndarray
    path: np.ndarray
    steps_done: int
    compile_seconds: float

    @property
    def done(self) -> bool:
        """Whether every step has run."""
        return self.steps_done == self.config.steps


def stream_surface(config: SurfaceConfig) -> Generator[SurfaceResult, None, None]:
    """Run ``config`` chunk by chunk, yielding a :class:`SurfaceResult` after each chunk
    (the last has ``done=True``). Closing the generator stops sampling."""
    surface = get_surface(config.surface)
    tempered = tempered_llc(config.surface, config.nbeta, config.gamma)
    center = jnp.zeros(2, jnp.float32)
    potential = Potential(jnp.float32(config.nbeta), jnp.float32(config.gamma), center)
    keys = jax.random.split(problem_keys(config.seed)[2], config.chains)
    sampler = get_sampler(config.sampler)
    hyper = chain_hyperparameters(sampler, [config])
    state = init_chains(sampler, center, hyper, keys=keys)
    traces = Traces(config, config.chains, 0.0)
    path = np.zeros((config.chains, config.steps, 2), np.float32)
    chunks = run_chains(
        sampler, SurfaceGradient(config.surface), jnp.float32(config.noise), potential, state,
        steps=config.steps, chunk_size=config.chunk_size, record_path=True,
    )  # fmt: skip
    for part in chunks:
        traces.extend(part.start, part.losses, part.acceptance)
        path[:, part.start : part.stop] = part.path
        done = part.stop
        yield SurfaceResult(
            config=config,
            truth=surface.truth,
            tempered_llc=tempered,
            estimate=ChainEstimate.of(
                traces.running[:, done - 1], np.asarray(part.state.diverged_at)
            ),
            loss_trace=traces.loss[:, :done],
            running_llc=traces.running[:, :done],
            path=path[:, :done],
            steps_done=done,
            compile_seconds=part.compile_seconds,
        )


def estimate_surface_llc(surface: str = "dln", **settings: Any) -> SurfaceResult:
    """Estimate the LLC of a two-parameter surface (``"dln"``, ``"crossing"``,
    ``"regular"``, ``"quartic"``) with the settings of :func:`make_surface_config`."""
    return last(stream_surface(make_surface_config(surface, **settings)))
