"""The update rules: exact reductions, stationary variance, pytrees, no recompiles."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from llc_explorer import REGISTRY, estimate_llc, get_sampler
from llc_explorer.dln.data import make_dataset
from llc_explorer.dln.gradients import minibatch_loss_and_grad
from llc_explorer.dln.model import make_teacher
from llc_explorer.sgmcmc.chains import TRACES
from llc_explorer.sgmcmc.potential import Potential
from llc_explorer.sgmcmc.tree import all_finite, tree_normal


def hyper(name, **values):
    """The sampler's hyperparameters: its defaults, overridden by ``values``, as float32."""
    merged = {**REGISTRY[name].defaults, **values}
    cls = get_sampler(name).hyperparams
    return cls(**{f: jnp.float32(merged[f]) for f in cls._fields})


@pytest.fixture(scope="module")
def problem():
    widths = (4, 6, 3)
    teacher = make_teacher(jax.random.PRNGKey(1), widths, 2)
    data = make_dataset(jax.random.PRNGKey(2), teacher, n=1000)
    potential = Potential(jnp.float32(100.0), jnp.float32(1.0), teacher)
    return teacher, data, potential


def trajectory(name, hp, problem, steps=60):
    """Parameters after each of ``steps`` updates from a point near ``w*``, fixed keys."""
    teacher, data, potential = problem
    sampler = get_sampler(name)
    params = jax.tree.map(lambda w: w + 0.1, teacher)
    state = sampler.init(params, hp)
    out = []
    for t in range(steps):
        key = jax.random.PRNGKey(100 + t)
        _, grad = minibatch_loss_and_grad(params, data, 32, key=jax.random.fold_in(key, 1))
        params, state = sampler.update(params, state, grad, potential, hp, key=key)
        out.append(np.concatenate([np.ravel(w) for w in params]))
    return np.stack(out)


def test_sghmc_with_full_friction_is_sgld(problem):
    eps = 1e-3
    sgld = trajectory("sgld", hyper("sgld", step_size=eps), problem)
    sghmc = trajectory("sghmc", hyper("sghmc", step_size=eps, friction=1.0), problem)
    assert np.all(np.isfinite(sgld))
    assert np.abs(sgld - trajectory("sgld", hyper("sgld", step_size=2 * eps), problem)).max() > 1e-3
    np.testing.assert_allclose(sghmc, sgld, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["rmsprop_sgld", "adam_sgld"])
def test_preconditioner_held_at_one_is_sgld(problem, name):
    # b2 = 1 keeps v at 0 and a = 1 then gives P = 1 / (0 + 1); b1 = 0 makes m_t = g_t.
    eps = 1e-3
    held = hyper(name, step_size=eps, b1=0.0, b2=1.0, a=1.0, bias_correction=0.0)
    sgld = trajectory("sgld", hyper("sgld", step_size=eps), problem)
    np.testing.assert_allclose(trajectory(name, held, problem), sgld, rtol=1e-6, atol=1e-7)
    # ...and with the default preconditioner it is a different sampler.
    free = hyper(name, step_size=eps)
    assert np.abs(trajectory(name, free, problem) - sgld).max() > 1e-3


def test_adaptive_drift_without_its_weight_is_sgld(problem):
    eps = 1e-3
    sgld = trajectory("sgld", hyper("sgld", step_size=eps), problem)
    off = hyper("adaptive_drift_sgld", step_size=eps, drift_weight=0.0)
    np.testing.assert_allclose(trajectory("adaptive_drift_sgld", off, problem), sgld, rtol=1e-6)
    on = hyper("adaptive_drift_sgld", step_size=eps)
    assert np.abs(trajectory("adaptive_drift_sgld", on, problem) - sgld).max() > 1e-4


def test_adaptive_drift_adds_the_adam_direction_and_keeps_sgld_noise(problem):
    """One step by hand (Kim, Song & Liang 2020 in spec section 4's convention):
    ``w - (eps/2) (U' + a_d m / (sqrt(v) + lambda)) + sqrt(eps) eta`` from ``m = v = 0``."""
    teacher, data, potential = problem
    sampler = get_sampler("adaptive_drift_sgld")
    hp = hyper("adaptive_drift_sgld", step_size=1e-3, b1=0.8, b2=0.9, a=1e-3, drift_weight=2.0)
    params = jax.tree.map(lambda w: w + 0.1, teacher)
    _, grad = minibatch_loss_and_grad(params, data, 32, key=jax.random.PRNGKey(5))
    key = jax.random.PRNGKey(6)
    new, state = sampler.update(params, sampler.init(params, hp), grad, potential, hp, key=key)
    eta = tree_normal(key, params)
    for w, g, c, e, out in zip(params, grad, teacher, eta, new, strict=True):
        w, g, c, e = (np.asarray(x, np.float64) for x in (w, g, c, e))
        m, v = 0.2 * g, 0.1 * g * g
        drift = 100.0 * g + 1.0 * (w - c) + 2.0 * m / (np.sqrt(v) + 1e-3)
        np.testing.assert_allclose(out, w - 5e-4 * drift + np.sqrt(1e-3) * e, atol=2e-6)
    assert int(state.t) == 1


STATIONARY = {
    # name: (step size, extra hyperparameters); P = 1/a = 10 for the preconditioned ones
    # (the loss gradient is zero), so their effective step is 10x the nominal one.
    "sgld": (0.02, {}),
    "rmsprop_sgld": (0.002, {}),
    "adam_sgld": (0.002, {}),
    "sghmc": (0.02, {"friction": 0.2}),
    "sgnht": (0.02, {"diffusion": 0.02}),
    "adaptive_drift_sgld": (0.02, {}),  # the loss gradient is zero: m = 0, so SGLD's move
}


@pytest.mark.parametrize("name", list(REGISTRY))
def test_stationary_variance_on_gaussian_potential(name):
    """n*beta = 0 leaves ``(gamma/2)||w - w*||^2``: the stationary variance is ``1/gamma``.

    2000 independent chains of dimension 12 give 24000 draws at the last step, so the sample
    variance has relative standard error sqrt(2/24000) = 0.9%. The discretisation bias is
    O(eps * gamma) (for SGLD exactly ``1/(gamma (1 - eps gamma / 4)) - 1/gamma`` = 1% here).
    The tolerance, 5%, is 4 standard errors plus that bias with room for the O(eps) terms of
    the momentum samplers; a sampler with a wrong noise or drift scale (a factor of 2 in
    either) is off by 30% or more.
    """
    eps, extra = STATIONARY[name]
    gamma = 2.0
    sampler = get_sampler(name)
    hp = hyper(name, step_size=eps, **extra)
    center = (jnp.zeros((3, 2)), jnp.full((6,), 1.5))
    potential = Potential(jnp.float32(0.0), jnp.float32(gamma), center)
    zero_grad = jax.tree.map(jnp.zeros_like, center)

    def run(key):
        def step(carry, key):
            params, state = carry
            return sampler.update(params, state, zero_grad, potential, hp, key=key), None

        carry = (center, sampler.init(center, hp))
        (params, _), _ = jax.lax.scan(step, carry, jax.random.split(key, 3000))
        return params

    final = jax.jit(jax.vmap(run))(jax.random.split(jax.random.PRNGKey(0), 2000))
    draws = np.concatenate(
        [
            np.reshape(np.asarray(w) - np.asarray(c), (2000, -1))
            for w, c in zip(final, center, strict=True)
        ],
        axis=1,
    )
    assert np.abs(draws.mean()) < 4 * np.sqrt(1 / gamma / draws.size)
    variance = draws.var()
    assert variance == pytest.approx(1 / gamma, rel=0.05), variance


@pytest.mark.parametrize("name", list(REGISTRY))
def test_pytree_structure_is_preserved(name):
    sampler = get_sampler(name)
    hp = hyper(name)
    params = {"a": jnp.ones((2, 3)), "b": (jnp.zeros((4,)), jnp.full((1, 1, 2), 2.0))}
    potential = Potential(jnp.float32(10.0), jnp.float32(1.0), params)
    grad = jax.tree.map(lambda w: 0.5 * w, params)
    state = sampler.init(params, hp)
    new_params, new_state = sampler.update(
        params, state, grad, potential, hp, key=jax.random.PRNGKey(0)
    )
    assert jax.tree.structure(new_params) == jax.tree.structure(params)
    assert jax.tree.structure(new_state) == jax.tree.structure(state)
    for old, new in zip(jax.tree.leaves(params), jax.tree.leaves(new_params), strict=True):
        assert new.shape == old.shape and new.dtype == old.dtype
        assert not np.array_equal(new, old)


def test_update_requires_keyword_key(problem):
    teacher, _, potential = problem
    sampler = get_sampler("sgld")
    hp = hyper("sgld")
    with pytest.raises(TypeError):
        sampler.update(
            teacher, sampler.init(teacher, hp), teacher, potential, hp, jax.random.PRNGKey(0)
        )


def test_unknown_sampler_lists_the_choices():
    with pytest.raises(ValueError, match="sgld, rmsprop_sgld, adam_sgld, sghmc, sgnht"):
        get_sampler("hmc")


@pytest.mark.parametrize("name", list(REGISTRY))
def test_no_recompile_when_tuned_values_change(name):
    """Step size, gamma, n*beta, seed and the sampler's own values are traced, not static."""
    step = REGISTRY[name].defaults["step_size"]  # given: an automatic one runs shorter chunks
    common = {"sampler": name, "n": 500, "batch_size": 20, "chains": 2, "steps": 64}
    common["step_size"] = step
    estimate_llc([3, 4, 2], 1, **common)
    before = TRACES["count"]
    own = {
        k: (not v) if isinstance(v, bool) else v * 0.5
        for k, v in REGISTRY[name].defaults.items()
        if k != "step_size"
    }
    for change in (
        {"step_size": step * 3},
        {"gamma": 2.5},
        {"nbeta": 123.0},
        {"seed": 7},
        own,
    ):
        result = estimate_llc([3, 4, 2], 1, **{**common, **change})
        assert result.compile_seconds == 0.0, change
    assert TRACES["count"] == before
    estimate_llc([3, 5, 2], 1, **common)  # a new shape does compile: the counter is live
    assert TRACES["count"] == before + 1


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_all_finite_finds_one_bad_entry_and_never_overflows(bad) -> None:
    check = jax.jit(all_finite)
    huge = (jnp.full((3, 4), 3e38, jnp.float32), jnp.full((5,), -3e38, jnp.float32))
    assert bool(check(huge))  # their sum overflows; each entry is finite
    for leaf in range(2):
        for entry in (0, 2):
            tree = [np.array(x) for x in huge]
            tree[leaf].flat[entry] = bad
            assert not bool(check(tuple(jnp.asarray(x) for x in tree)))
