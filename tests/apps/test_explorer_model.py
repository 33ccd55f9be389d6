"""The Explorer of a model of one's own (``Explorer.for_model``), headless: the same run as
``estimate_model_llc``, no exact line and no DLN widget, "As code" that reproduces it."""

from __future__ import annotations

import math
from collections.abc import Iterator

import ipywidgets as widgets
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from llc_explorer import ConfigError, Explorer, estimate_model_llc
from llc_explorer.apps.explorer.user_model import DLN_ONLY


def loss(params, batch):
    x, y = batch
    hidden = jnp.tanh(x @ params["w1"])
    return 0.5 * jnp.mean(jnp.sum((hidden @ params["w2"] - y) ** 2, axis=-1))


K1, K2, K3 = jax.random.split(jax.random.PRNGKey(0), 3)
PARAMS = {"w1": jax.random.normal(K1, (3, 4)) / 2, "w2": jax.random.normal(K2, (4, 2)) / 4}
X = jax.random.normal(K3, (300, 3))
DATA = (X, jnp.tanh(X @ PARAMS["w1"]) @ PARAMS["w2"])
SETTINGS = {"sampler": "sgld", "step_size": 1e-4, "chains": 2, "steps": 200, "batch_size": 32}


@pytest.fixture
def explorer() -> Iterator[Explorer]:
    explorer = Explorer.for_model(loss, PARAMS, DATA, **SETTINGS)
    yield explorer
    explorer.stop()
    explorer.wait()


def descendants(widget: widgets.Widget) -> list[widgets.Widget]:
    """``widget`` and every widget inside it."""
    inside = getattr(widget, "children", ())
    return [widget, *(w for child in inside for w in descendants(child))]


def test_a_run_is_estimate_model_llc_to_the_last_bit(explorer: Explorer) -> None:
    assert explorer.run(block=True)
    result = explorer.result
    assert result is not None and result.done and explorer.status == "done"
    assert math.isfinite(result.llc_mean)
    config = result.config
    again = estimate_model_llc(
        loss, PARAMS, DATA, **SETTINGS,
        warmup_factor=config.warmup_factor, chunk_size=config.chunk_size,
    )  # fmt: skip
    assert again.config == config
    assert again.llc_mean == result.llc_mean
    np.testing.assert_array_equal(again.loss_trace, result.loss_trace)
    assert result.true_llc is None and result.global_llc is None
    assert "download" in explorer.ui.download.value.lower()


def test_no_exact_line_and_no_dln_widget(explorer: Explorer) -> None:
    explorer.run(block=True)
    assert list(explorer.sources["exact"].data["llc"]) == []
    llc = explorer.plots.figures["llc"]
    used = {getattr(r.data_source, "id", None) for r in llc.renderers}
    assert explorer.sources["exact"].id not in used
    assert not any("exact" in str(item.label) for item in llc.legend[0].items)
    assert not set(DLN_ONLY) & set(explorer.controls)
    shown = descendants(explorer.root)
    assert not explorer.ui.size_classes
    assert explorer.ui.arch_seed not in shown
    assert "your model: d = 20 parameters, n = 300 rows" in " ".join(
        w.value for w in shown if isinstance(w, widgets.HTML)
    )
    readout = explorer.ui.readout.value
    assert "exact LLC λ" in readout and "your own model" in readout


def test_as_code_reproduces_the_run(explorer: Explorer) -> None:
    explorer.controls["seed"].value = 3
    explorer.run(block=True)
    assert explorer.show_code()
    code = explorer.ui.code.value
    assert "estimate_model_llc(loss, params, data," in code and "llc-explorer" not in code
    namespace = {"loss": loss, "params": PARAMS, "data": DATA}
    exec(code, namespace)
    assert namespace["result"].config == explorer.result.config
    assert namespace["result"].llc_mean == explorer.result.llc_mean


def test_a_setting_changed_in_the_widgets_changes_the_next_run(explorer: Explorer) -> None:
    explorer.run(block=True)
    first = explorer.result
    explorer.controls["chains"].value = 3
    explorer.controls["step_size"].value = 3e-4
    assert "stale" in explorer.status
    explorer.run(block=True)
    second = explorer.result
    assert second.config.chains == 3 and second.config.step_size == 3e-4
    assert second.loss_trace.shape[0] == 3 and second.llc_mean != first.llc_mean


def test_bad_widget_settings_show_the_message_and_disable_run(explorer: Explorer) -> None:
    explorer.controls["batch_size"].value = 301  # more than the data's 300 rows
    assert "batch_size" in explorer.ui.message.value and explorer.ui.run.disabled
    assert not explorer.run()


def test_auto_step_size_and_the_sweep_run_on_the_model(explorer: Explorer) -> None:
    explorer.controls["auto_step"].value = True
    assert explorer.auto_step_size(block=True)
    assert "auto step size:" in explorer.status and explorer.controls["step_size"].value > 0
    explorer.ui.sweep_samplers.value = ("sgld",)
    explorer.ui.sweep_steps.value = 100
    assert explorer.run_sweep(block=True)
    assert explorer.status.startswith("sweep done") and len(explorer.sweep_results) == 7
    assert explorer.sweep_plot.exact.location is None


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((loss, {"w": jnp.arange(3)}, DATA), "dtype"),
        ((loss, PARAMS, (X, X[:10])), "leading axis"),
        ((lambda p, b: jnp.ones(2), PARAMS, DATA), "scalar"),
        ((loss, PARAMS, DATA, {"widths": [3, 2]}), "widths"),
        ((loss, PARAMS, DATA, {"chains": 0}), "chains"),
    ],
)
def test_bad_input_raises_before_any_widget(args, match, monkeypatch) -> None:
    built = []
    monkeypatch.setattr(Explorer, "__init__", lambda *a, **k: built.append(1))
    *positional, settings = args if len(args) == 4 else (*args, {})
    with pytest.raises(ConfigError, match=match):
        Explorer.for_model(*positional, **settings)
    assert not built
