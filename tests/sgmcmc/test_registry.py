"""One spec per sampler: the user guide's registered sampler runs in the API, the stream, the
sweep and both apps' menus; specs and the registry refuse what they cannot run."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import llc_explorer as lx
from llc_explorer.bench.sweep import make_spec, read_rows, run_sweep

SAMPLERS_GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide" / "samplers.md"


def readme_sampler_code() -> str:
    """The python block of the "Your own sampler" section of docs/guide/samplers.md, as
    written there."""
    section = re.split(r"\n#+ ", SAMPLERS_GUIDE.read_text().split("# Your own sampler\n", 1)[1])[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    return code


@pytest.fixture(scope="module")
def readme() -> Iterator[dict]:
    """Run the guide's block (it registers ``psghmc`` and estimates with it); unregister it
    afterwards."""
    namespace: dict = {}
    exec(compile(readme_sampler_code(), str(SAMPLERS_GUIDE), "exec"), namespace)
    try:
        yield namespace
    finally:
        lx.unregister_sampler("psghmc")


def test_the_readme_sampler_estimates_the_llc(readme) -> None:
    result = readme["result"]
    assert result.config.sampler == "psghmc" and result.done
    low, high = result.llc_ci95
    assert low <= float(result.true_llc) <= high  # 9.5 for 5,3,5 at rank 2
    assert result.step_size_source == "default"  # no metric: a fixed step, as documented
    assert "psghmc" in lx.sampler_names()


def test_the_readme_sampler_streams_and_validates(readme) -> None:
    settings = {"sampler": "psghmc", "steps": 400, "n": 1000, "chains": 2, "chunk_size": 100}
    results = list(lx.stream_llc([3, 4, 3], 1, **settings))
    assert len(results) > 1 and results[-1].done and not results[0].done
    with pytest.raises(lx.ConfigError, match=r"friction must be a number in \(0, 1\]"):
        lx.estimate_llc([3, 4, 3], 1, sampler="psghmc", friction=0.0)
    with pytest.raises(lx.ConfigError, match="needs a MALA acceptance"):
        lx.estimate_llc([3, 4, 3], 1, sampler="psghmc", step_size="auto")
    with pytest.raises(lx.ConfigError, match="b1 does not apply to psghmc"):
        lx.estimate_llc([3, 4, 3], 1, sampler="psghmc", b1=0.5)


def test_the_readme_sampler_runs_in_a_sweep(readme, tmp_path: Path) -> None:
    spec = make_spec(
        samplers=("psghmc", "sgld"), step_sizes=(1e-7, 1e-6), widths=[(3, 2, 3)], rank=1,
        steps=200, chains=2, n=1000,
    )  # fmt: skip
    rows = list(run_sweep(spec, tmp_path))
    assert sorted({row["sampler"] for row in rows}) == ["psghmc", "sgld"] and len(rows) == 4
    assert len(read_rows([tmp_path])) == 4


def test_the_readme_sampler_is_in_both_apps_menus(readme) -> None:
    explorer = lx.Explorer(widths=[3, 4, 3], rank=1, steps=400, n=1000, chains=2)
    assert "psghmc" in explorer.controls["sampler"].options
    explorer.controls["sampler"].value = "psghmc"
    shown = {n for n in ("b1", "b2", "a", "friction", "diffusion")
             if explorer.controls[n].layout.display != "none"}  # fmt: skip
    assert shown == {"friction", "b2"}
    assert explorer.controls["step_size"].value == 1e-7  # its DLN default
    assert explorer.run(block=True) and explorer.result.done
    assert explorer.result.config.sampler == "psghmc"

    playground = lx.Playground(sampler="psghmc", steps=4000, chains=4, chunk_size=1000)
    assert "psghmc" in playground.controls["compare_sampler"].options
    assert playground.controls["step_size"].value == 3e-6  # its surface default
    assert playground.run(block=True) and playground.results[0].done


def test_a_spec_must_cover_its_hyperparameters() -> None:
    sampler = lx.get_sampler("sghmc")
    good = {"step_size": 1e-6, "friction": 0.1}
    ranges = {"friction": lx.Hyperparameter(0, 1)}
    with pytest.raises(ValueError, match="defaults must give every hyperparameter"):
        lx.SamplerSpec("x", sampler, {"step_size": 1e-6}, good, ranges)
    with pytest.raises(ValueError, match="ranges must cover exactly"):
        lx.SamplerSpec("x", sampler, good, good, {})
    with pytest.raises(ValueError, match="friction must be a number in"):
        lx.SamplerSpec("x", sampler, {**good, "friction": 2.0}, good, ranges)
    with pytest.raises(ValueError, match="controls must be among"):
        lx.SamplerSpec("x", sampler, good, good, ranges, controls=("b2",))
    with pytest.raises(ValueError, match="is registered"):
        lx.register_sampler(lx.SamplerSpec("sgld", sampler, good, good, ranges))
    with pytest.raises(ValueError, match="sampler must be one of"):
        lx.get_spec("hmc")


def test_a_reference_variant_runs_by_name_but_stays_out_of_the_menus() -> None:
    """``adaptive_drift_sgld`` (``in_menus=False``) is registered and runs by name, but the
    apps' sampler menus, the explorer's sweep list and a sweep's default samplers leave it out."""
    from llc_explorer.apps.explorer.controls import Controls
    from llc_explorer.apps.ui.sampler_controls import SamplerControls
    from llc_explorer.cli.commands import sweep_spec_of
    from llc_explorer.cli.parser import build_parser

    assert "adaptive_drift_sgld" in lx.sampler_names()
    assert "adaptive_drift_sgld" not in lx.menu_names()
    assert {"sgld", "rmsprop_sgld", "adam_sgld", "sghmc", "sgnht"} <= set(lx.menu_names())
    menu = SamplerControls("sgld", decades=(-9, -3)).widgets["sampler"]
    assert list(menu.options) == lx.menu_names()
    assert list(Controls().sweep_samplers.options) == lx.menu_names()
    argv = ["sweep", "--widths", "3,2,3", "--rank", "1", "--step-sizes", "1e-6", "--out", "x"]
    assert list(sweep_spec_of(build_parser().parse_args(argv)).samplers) == lx.menu_names()
    result = lx.estimate_llc([3, 2, 3], 1, sampler="adaptive_drift_sgld", steps=200, n=500)
    assert result.config.sampler == "adaptive_drift_sgld" and result.llc_mean > 0
