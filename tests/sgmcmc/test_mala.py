"""The MALA acceptance diagnostic: exact on a quadratic potential, NaN where undefined."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from llc_explorer import estimate_llc, get_sampler
from llc_explorer.config import make_config
from llc_explorer.dln.gradients import MinibatchGradient
from llc_explorer.dln.problem import build_problem, problem_keys
from llc_explorer.sgmcmc.chain_state import chain_hyperparameters, init_chains
from llc_explorer.sgmcmc.chains import CHUNKS
from llc_explorer.sgmcmc.potential import Potential

GAMMA = 50.0


def chunk_with_path(sampler, steps=64, **hyper):
    """Positions and in-chunk MALA acceptances of 2 chains on the pure Gaussian potential
    ``(gamma/2) |w - w*|^2`` (``n*beta = 0``)."""
    config = make_config((3, 4, 2), 1, sampler=sampler, chains=2, steps=steps, n=200, **hyper)
    problem = build_problem(config.widths, config.rank, n=config.n, seed=0)
    center = problem.teacher
    keys = jax.random.split(problem_keys(1)[2], 2)
    runner = get_sampler(sampler)
    state = init_chains(runner, center, chain_hyperparameters(runner, [config]), keys=keys)
    potential = Potential(jnp.float32(0.0), jnp.float32(GAMMA), center)
    args = (state, problem.data, potential, jnp.int32(0), jnp.int32(steps))
    compiled, _ = CHUNKS.get((runner, MinibatchGradient(10), steps, True), args)
    _, _, accepted, path = compiled(*args)
    flat = np.concatenate(
        [np.asarray(w, np.float64).reshape(2, steps, -1) for w in jax.tree.leaves(path)], axis=2
    )
    c = np.concatenate([np.ravel(np.asarray(w, np.float64)) for w in jax.tree.leaves(center)])
    return flat, c, np.asarray(accepted, np.float64), config


def exact_mala(w, w_next, center, eps, precond):
    """``min(1, exp(log_alpha))`` of MALA with fixed scalar ``P`` on ``(gamma/2)|w - c|^2``,
    from its textbook definition (energies and both proposal densities)."""
    energy = lambda x: GAMMA / 2 * np.sum((x - center) ** 2, axis=-1)  # noqa: E731
    grad = lambda x: GAMMA * (x - center)  # noqa: E731

    def log_q(to, frm):
        mean = frm - eps / 2 * precond * grad(frm)
        return -np.sum((to - mean) ** 2, axis=-1) / (2 * eps * precond)

    log_alpha = energy(w) - energy(w_next) + log_q(w, w_next) - log_q(w_next, w)
    return np.minimum(1.0, np.exp(log_alpha))


@pytest.mark.parametrize(
    ("sampler", "hyper", "precond"),
    [
        ("sgld", {}, 1.0),
        # b2 = 1 keeps v at 0, so P = 1 / a = 0.5 throughout.
        ("rmsprop_sgld", {"b2": 1.0, "a": 2.0, "bias_correction": 0.0}, 0.5),
    ],
)
def test_acceptance_matches_textbook_mala_on_a_quadratic(sampler, hyper, precond):
    # On a quadratic potential the trapezoidal rule is exact, so the in-chunk formula
    # (eps/8)(|U'(w)|_P^2 - |U'(w')|_P^2) must equal MALA's acceptance to float32 accuracy.
    eps = 0.01
    path, center, accepted, _ = chunk_with_path(sampler, step_size=eps, **hyper)
    expected = exact_mala(path[:, :-1], path[:, 1:], center, eps, precond)
    assert np.all(np.isnan(accepted[:, 0]))  # no move reaches step 0
    assert 0.3 < expected.mean() < 0.99  # the test looks at a range where acceptance varies
    np.testing.assert_allclose(accepted[:, 1:], expected, atol=2e-3)


def test_acceptance_changes_with_the_step_size():
    # eps twice as large must give a visibly different (lower) acceptance: catches a formula
    # that ignores eps or the gradients.
    low = chunk_with_path("sgld", step_size=0.005)[2][:, 1:].mean()
    high = chunk_with_path("sgld", step_size=0.02)[2][:, 1:].mean()
    assert high < low - 0.05


@pytest.mark.parametrize("sampler", ["adam_sgld", "sghmc", "sgnht"])
def test_momentum_samplers_have_no_acceptance(sampler):
    result = estimate_llc((4, 3, 4), 1, sampler=sampler, steps=200, n=1000)
    assert np.all(np.isnan(result.mala_per_chain))
    assert result.to_dict()["mala_acceptance"] is None


def test_acceptance_falls_with_the_step_size_on_a_dln():
    # On a DLN (minibatch gradients), after burn-in: a 1000x larger SGLD step is accepted less.
    accepted = [
        estimate_llc((6, 5, 4), 2, sampler="sgld", step_size=eps, steps=2000).diagnostics
        for eps in (1e-7, 1e-4)
    ]
    assert accepted[0].mala_acceptance > 0.99
    assert accepted[1].mala_acceptance < accepted[0].mala_acceptance - 0.2
