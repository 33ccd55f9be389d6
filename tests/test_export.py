"""An estimate as an ArviZ DataTree: its groups, ArviZ's own diagnostics on it (equal to the
package's), and a NetCDF round trip."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import llc_explorer as lx

xr = pytest.importorskip("xarray")
azs = pytest.importorskip("arviz_stats")


@pytest.fixture(scope="module")
def result() -> lx.LLCResult:
    return lx.estimate_llc([5, 3, 5], 2, steps=2000, n=5000, chains=3, seed=1)


def test_groups_hold_the_traces_and_the_estimate(result) -> None:
    tree = result.to_datatree()
    assert set(tree.children) == {
        "posterior", "warmup_posterior", "sample_stats", "warmup_sample_stats", "llc_estimate"
    }  # fmt: skip
    post = tree["posterior"]
    assert post["llc"].dims == ("chain", "draw") and post.sizes == {"chain": 3, "draw": 200}
    assert int(post["draw"][0]) == result.config.burn_in_steps == 1800
    assert tree["warmup_posterior"].sizes["draw"] == 1800
    per_chain = post["llc"].mean("draw").to_numpy()
    np.testing.assert_allclose(per_chain, result.llc_per_chain, rtol=1e-12)  # the estimator
    np.testing.assert_array_equal(tree["llc_estimate"]["llc_per_chain"], result.llc_per_chain)
    assert tree.attrs["true_llc"] == 9.5 and tree.attrs["true_llc_fraction"] == "19/2"
    assert json.loads(tree.attrs["config"]) == result.config.as_dict()


def test_arviz_diagnostics_equal_the_packages(result) -> None:
    tree = result.to_datatree()
    rhat = float(azs.rhat(tree, var_names=["loss"])["loss"])
    ess = float(azs.ess(tree, var_names=["loss"], method="bulk")["loss"])
    assert rhat == pytest.approx(result.diagnostics.rhat, rel=1e-9)
    assert ess == pytest.approx(result.diagnostics.ess_bulk, rel=1e-9)


def test_netcdf_round_trip(result, tmp_path: Path) -> None:
    tree = result.to_datatree()
    path = tmp_path / "run.nc"
    tree.to_netcdf(path)
    back = xr.open_datatree(path)
    for group in tree.children:
        xr.testing.assert_equal(back[group].to_dataset(), tree[group].to_dataset())
    assert back.attrs["config"] == tree.attrs["config"]


def test_diverged_steps_are_flagged() -> None:
    lost = lx.estimate_llc([5, 3, 5], 2, sampler="sgld", steps=400, n=2000, chains=2, step_size=0.1)
    tree = lost.to_datatree()
    flags = np.concatenate(
        [tree["warmup_sample_stats"]["diverged"], tree["sample_stats"]["diverged"]], axis=1
    )
    for chain, step in lost.diverged_chains:
        assert not flags[chain, :step].any() and flags[chain, step:].all()
    assert (tree["llc_estimate"]["diverged_at"] >= 0).all()


def test_without_arviz_the_message_says_what_to_install(result, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "arviz_base", None)
    with pytest.raises(ImportError, match=r'pip install "\.\[arviz\]"'):
        result.to_datatree()
