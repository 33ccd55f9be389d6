"""The Equinox and Flax NNX recipes on a DLN: the recipe's loss is the DLN's loss, and the
estimate agrees with the plain-JAX model's within their combined standard errors (the
libraries order the matrix products differently, so the chains part ways after a few steps:
agreement is statistical, not bitwise)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import llc_explorer as lx
from llc_explorer.dln.model import loss as dln_loss
from llc_explorer.dln.problem import build_problem
from llc_explorer.models import from_equinox, from_nnx

eqx = pytest.importorskip("equinox")
nnx = pytest.importorskip("flax.nnx")

WIDTHS, RANK, N, SEED = (5, 4, 3, 5), 1, 2_000, 3
SETTINGS = {"sampler": "sgld", "steps": 4_000, "chains": 8, "seed": SEED}


@pytest.fixture(scope="module")
def problem():
    return build_problem(WIDTHS, RANK, n=N, seed=SEED)


def squared_error(model, batch):
    """Mean over rows of 0.5 ||y - model(x)||^2, the DLN's loss, for a model of one row."""
    x, y = batch
    return 0.5 * jnp.mean(jnp.sum((y - jax.vmap(model)(x)) ** 2, axis=-1))


class EquinoxDLN(eqx.Module):
    layers: list

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def equinox_dln(teacher) -> EquinoxDLN:
    key = jax.random.PRNGKey(0)
    layers = [eqx.nn.Linear(w.shape[1], w.shape[0], use_bias=False, key=key) for w in teacher]
    layers = [
        eqx.tree_at(lambda lin: lin.weight, lin, w) for lin, w in zip(layers, teacher, strict=True)
    ]
    return EquinoxDLN(layers)


class NNXDLN(nnx.Module):
    def __init__(self, teacher):
        rngs = nnx.Rngs(0)
        self.layers = nnx.List(
            [nnx.Linear(w.shape[1], w.shape[0], use_bias=False, rngs=rngs) for w in teacher]
        )
        for layer, w in zip(self.layers, teacher, strict=True):
            layer.kernel[...] = w.T  # NNX stores (in, out)

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


@pytest.fixture(scope="module")
def plain(problem):
    def loss(params, batch):
        return dln_loss(params, *batch)

    return lx.estimate_model_llc(
        loss, problem.teacher, (problem.data.x, problem.data.y), **SETTINGS
    )


@pytest.mark.parametrize("recipe", ["equinox", "nnx"])
def test_a_recipe_gives_the_dln_estimate(problem, plain, recipe) -> None:
    if recipe == "equinox":
        loss, params = from_equinox(equinox_dln(problem.teacher), squared_error)
    else:
        loss, params = from_nnx(NNXDLN(problem.teacher), squared_error)
    data = (problem.data.x, problem.data.y)
    assert sum(leaf.size for leaf in jax.tree.leaves(params)) == problem.num_params
    batch = (problem.data.x[:64], problem.data.y[:64] + 1.0)  # off the teacher: a loss of ~1
    np.testing.assert_allclose(loss(params, batch), dln_loss(problem.teacher, *batch), rtol=1e-5)
    result = lx.estimate_model_llc(loss, params, data, **SETTINGS)
    assert result.loss_at_teacher == pytest.approx(plain.loss_at_teacher, abs=1e-9)
    combined = math.hypot(result.llc_stderr, plain.llc_stderr)
    assert abs(result.llc_mean - plain.llc_mean) < 3 * combined, (result.llc_mean, plain.llc_mean)
