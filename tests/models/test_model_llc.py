"""The LLC of a model of one's own: a DLN written as a user's loss gives the very estimate of
``estimate_llc`` (the same rows, noise and arithmetic), any pytree model runs through the same
estimator, and bad input is refused, naming the problem, before anything compiles."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import llc_explorer as lx
from llc_explorer.dln.model import loss as dln_loss
from llc_explorer.dln.problem import build_problem
from llc_explorer.errors import ConfigError

WIDTHS, RANK, N, SEED = (5, 4, 3, 5), 1, 2_000, 3
MODELS_GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide" / "models.md"

COMPILES: list[str] = []
jax.monitoring.register_event_duration_secs_listener(
    lambda name, *_, **__: (
        COMPILES.append(name) if name == "/jax/core/compile/backend_compile_duration" else None
    )
)


def dln_as_model(params, batch):
    """The DLN's loss as a user writes it: ``batch`` is the pair ``(x, y)``."""
    x, y = batch
    return dln_loss(params, x, y)


@pytest.fixture(scope="module")
def problem():
    return build_problem(WIDTHS, RANK, n=N, seed=SEED)


@pytest.mark.parametrize(
    "settings",
    [{"sampler": "sgld", "steps": 2_000}, {"steps": 2_000}],  # fixed default; automatic step
)
def test_a_dln_as_a_model_gives_estimate_llcs_estimate_bit_for_bit(problem, settings) -> None:
    """Same seed, same data: the same minibatch rows, noise and arithmetic, so every chain's
    estimate is equal to the last bit, and so is the adapted step size. The user-model path
    therefore has the accuracy validated for the built-in defaults (docs/ACCURACY.md)."""
    builtin = lx.estimate_llc(WIDTHS, RANK, n=N, seed=SEED, **settings)
    data = (problem.data.x, problem.data.y)
    model = lx.estimate_model_llc(dln_as_model, problem.teacher, data, seed=SEED, **settings)
    np.testing.assert_array_equal(model.llc_per_chain, builtin.llc_per_chain)
    assert model.config.step_size == builtin.config.step_size
    assert model.config.adapt_step_size == builtin.config.adapt_step_size
    assert model.loss_at_teacher == builtin.loss_at_teacher
    assert model.true_llc is None and model.global_llc is None
    assert "model of one's own" in model.truth_note


def mlp_loss(params, batch):
    """A two-layer tanh network, squared error: params and batch are dicts."""
    hidden = jnp.tanh(batch["x"] @ params["w1"] + params["b1"][None, :])
    return 0.5 * jnp.mean(jnp.sum((hidden @ params["w2"] - batch["y"]) ** 2, axis=-1))


def mlp(seed: int = 0, n: int = 1_000):
    keys = jax.random.split(jax.random.PRNGKey(seed), 4)
    params = {
        "w1": jax.random.normal(keys[0], (3, 8)) / 2,
        "b1": jnp.zeros(8),
        "w2": jax.random.normal(keys[1], (8, 2)) / 3,
    }
    x = jax.random.normal(keys[2], (n, 3))
    y = jnp.tanh(x @ params["w1"] + params["b1"][None, :]) @ params["w2"]
    return params, {"x": x, "y": y + 0.1 * jax.random.normal(keys[3], (n, 2))}


def test_any_pytree_model_runs_streams_and_reports() -> None:
    params, data = mlp()
    stream = lx.stream_model_llc(mlp_loss, params, data, sampler="sgld", steps=1_500)
    first = next(stream)
    assert not first.done and first.steps_done < 1_500
    *_, result = stream
    assert result.done and result.steps_done == 1_500
    d = sum(leaf.size for leaf in jax.tree.leaves(params))
    assert result.num_params == d == 3 * 8 + 8 + 8 * 2
    assert 0 < result.llc_mean < d / 2 and math.isfinite(result.llc_stderr)
    low, high = result.llc_ci95
    assert low < result.llc_mean < high
    assert result.config.n == 1_000 and result.config.nbeta == pytest.approx(
        1_000 / math.log(1_000)
    )
    summary = json.loads(json.dumps(result.to_dict()))
    assert summary["true_llc"] is None and summary["global_llc"] is None
    assert summary["config"]["n"] == 1_000 and "widths" not in summary["config"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p, d: (lambda w, b: jnp.sum(b["x"] @ w["w1"], 0), p, d, {}),
         r"must return a float scalar .* float32\[8\]"),
        (lambda p, d: (mlp_loss, p, {**d, "y": d["y"][:-1]}, {}),
         r"share their leading axis .*\['x'\]: 1000, data\['y'\]: 999"),
        (lambda p, d: (mlp_loss, p, d, {"batch_size": 5_000}),
         r"batch_size must be an int, at least 1, at most 1000"),
        (lambda p, d: (mlp_loss, {**p, "w1": p["w1"].astype(jnp.int32)}, d, {}),
         r"params\['w1'\] has dtype int32"),
        (lambda p, d: (lambda w, b: w["nope"], p, d, {}), r"loss\(params, batch\) fails"),
        (lambda p, d: (mlp_loss, p, d, {"widths": [3, 2]}), r"unknown setting\(s\) widths"),
        (lambda p, d: (mlp_loss, p, d, {"n": 10}), r"n is the number of rows in data"),
        (lambda p, d: (mlp_loss, p, d, {"stpes": 10}), r"did you mean 'steps'"),
    ],
)  # fmt: skip
def test_bad_input_is_named_before_anything_compiles(change, message) -> None:
    params, data = mlp()
    loss, params, data, settings = change(params, data)
    COMPILES.clear()
    with pytest.raises(ConfigError, match=message):
        lx.estimate_model_llc(loss, params, data, **settings)
    assert COMPILES == []


def test_the_guides_model_block_runs_as_written() -> None:
    """The python block under "Your own model" in docs/guide/models.md, as written there."""
    section = re.split(r"\n#+ ", MODELS_GUIDE.read_text().split("# Your own model\n", 1)[1])[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    namespace: dict = {}
    exec(compile(code, str(MODELS_GUIDE), "exec"), namespace)
    result = namespace["result"]
    assert result.done and result.true_llc is None and 0 < result.llc_mean < (4 * 16 + 16 * 2) / 2
