"""Inputs that used to get through: each is refused with a message naming it, in the API, on
the command line (exit 2, one line) and in the explorer (beside the controls)."""

from __future__ import annotations

import inspect
import json
import math
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import llc_explorer as lx
from llc_explorer import cli
from llc_explorer.bench.sweep import make_spec, read_rows, run_sweep
from llc_explorer.cli import commands
from llc_explorer.config import default_nbeta
from llc_explorer.dln.memory import (
    FRACTION,
    available_memory,
    check_memory,
    memory_estimate,
    memory_limit,
)

SMALL = {"n": 1000, "chains": 2, "steps": 400}


@pytest.mark.parametrize("name", ["b1", "b2"])
def test_a_decay_of_1_with_bias_correction_is_refused(name: str) -> None:
    with pytest.raises(lx.ConfigError, match=f"{name} must be below 1 with bias correction on"):
        lx.make_config([3, 4, 3], 1, sampler="adam_sgld", **{name: 1.0})
    config = lx.make_config([3, 4, 3], 1, sampler="adam_sgld", bias_correction=False, b2=1.0)
    assert config.hyperparameter("b2") == 1.0  # v stays 0 and P = 1/a: allowed


def test_bias_correction_is_a_flag() -> None:
    with pytest.raises(lx.ConfigError, match="bias_correction must be True or False"):
        lx.make_config([3, 4, 3], 1, bias_correction=0.5)
    assert (
        lx.make_config([3, 4, 3], 1, bias_correction=0).hyperparameter("bias_correction") is False
    )


def test_nbeta_none_is_the_default_and_0_is_refused() -> None:
    assert lx.make_config([3, 4, 3], 1, n=1000).nbeta == default_nbeta(1000)
    with pytest.raises(lx.ConfigError, match=r"nbeta must be a number above 0; got"):
        lx.estimate_llc([3, 4, 3], 1, nbeta=0.0)
    explorer = lx.Explorer(widths=[3, 4, 3], rank=1, **SMALL)
    assert explorer.controls["nbeta"].value == "" and explorer.config.nbeta == default_nbeta(1000)
    explorer.controls["nbeta"].value = "0"
    assert "nbeta must be a number above 0" in explorer.ui.message.value
    assert explorer.ui.run.disabled
    explorer.controls["nbeta"].value = "250"
    assert explorer.config.nbeta == 250.0 and not explorer.ui.run.disabled


@pytest.mark.parametrize(("steps", "burn_in"), [(1, 0.9), (10, 0.05), (10, 1.0)])
def test_the_burn_in_must_discard_a_step_and_keep_one(steps: int, burn_in: float) -> None:
    with pytest.raises(lx.ConfigError, match=r"steps|burn_in"):
        lx.make_config([3, 4, 3], 1, steps=steps, burn_in=burn_in)


def test_cli_steps_1_exits_2_with_one_line(capsys) -> None:
    assert cli.main(["estimate", "--widths", "3,4,3", "--rank", "1", "--steps", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "steps must be an int, at least 2" in err


def test_cli_any_other_error_is_a_bug_exit_1(monkeypatch, capsys) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("out of cheese")

    monkeypatch.setattr(commands, "estimate_llc", broken)
    assert cli.main(["estimate", "--widths", "3,4,3", "--rank", "1"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "out of cheese" in err and "internal error" in err


def test_cli_flag_hyperparameter(capsys) -> None:
    args = ["estimate", "--widths", "3,4,3", "--rank", "1", "--steps", "400", "--n", "1000"]
    assert cli.main([*args, "--bias-correction", "off", "--step-size", "1e-7", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["config"]["bias_correction"] is False
    assert cli.main([*args, "--bias-correction", "half"]) == 2


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("hidden_layers", 10**12, "hidden layers"),
        ("hidden_width", 10**12, "hidden width"),
        ("input_width", 0, "input width"),
        ("widths", "3," * 100 + "3", "at most 66 layers"),
        ("n", 10**9, "most of it for n or the input/output widths"),
        ("steps", 10**9, "most of it for steps or chains"),
    ],
)
def test_explorer_bounds_sizes_before_allocating(name: str, value, named: str) -> None:
    explorer = lx.Explorer(widths=[3, 4, 3], rank=1, **SMALL)
    explorer.controls[name].value = value  # raised MemoryError before
    assert named in explorer.ui.message.value and explorer.ui.run.disabled
    assert explorer.status == "invalid settings"
    explorer.controls[name].value = {"widths": "", "input_width": 3}.get(
        name, 2 if "hidden" in name else 1000
    )
    assert explorer.ui.message.value == "" and not explorer.ui.run.disabled


def test_sweep_rows_write_nan_as_null(tmp_path: Path) -> None:
    spec = make_spec(
        samplers=("sgld",), step_sizes=(10.0,), widths=[(3, 2, 3)], rank=1, **SMALL
    )  # every chain diverges: the estimate is NaN
    (row,) = run_sweep(spec, tmp_path)
    assert math.isnan(row["llc_mean"])
    (line,) = next(tmp_path.glob("results-*.jsonl")).read_text().splitlines()
    assert "NaN" not in line and json.loads(line)["llc_mean"] is None
    assert math.isnan(read_rows([tmp_path])[0]["llc_mean"])


def test_either_noise_generator_gives_the_same_estimate_within_its_interval() -> None:
    settings = {"steps": 10_000, "n": 20_000}
    fast = lx.estimate_llc([5, 3, 5], 2, prng="fast", **settings)
    threefry = lx.estimate_llc([5, 3, 5], 2, prng="threefry", **settings)
    assert fast.llc_mean != threefry.llc_mean  # different noise draws
    assert max(fast.llc_ci95[0], threefry.llc_ci95[0]) < min(fast.llc_ci95[1], threefry.llc_ci95[1])
    with pytest.raises(lx.ConfigError, match="prng must be one of fast, threefry, philox"):
        lx.make_config([3, 4, 3], 1, prng="mersenne")


def test_none_means_the_default_for_every_setting() -> None:
    keywords = [
        name
        for name, p in inspect.signature(lx.make_config).parameters.items()
        if p.kind is p.KEYWORD_ONLY
    ]
    assert len(keywords) == 19  # teacher ... chunk_size: every setting but widths and rank
    everything_none = lx.make_config([3, 4, 3], 1, **dict.fromkeys(keywords))
    assert everything_none == lx.make_config([3, 4, 3], 1)


def test_numpy_arrays_and_integers_are_accepted_as_widths_and_rank() -> None:
    config = lx.make_config(np.array([10, 20, 10]), np.int64(3))
    assert config.widths == (10, 20, 10) and config.rank == 3
    assert isinstance(config.widths[0], int)
    with pytest.raises(lx.ConfigError, match=r"widths\[0\] must be a positive int"):
        lx.make_config(np.array([10.5, 20.0, 10.0]), 3)


def test_settings_of_another_sampler_are_named_in_plain_grammar() -> None:
    with pytest.raises(lx.ConfigError, match=r"^friction does not apply to rmsprop_sgld;"):
        lx.make_config([3, 4, 3], 1, friction=0.2)
    with pytest.raises(lx.ConfigError, match=r"^diffusion and friction do not apply to sgld;"):
        lx.make_config([3, 4, 3], 1, sampler="sgld", friction=0.2, diffusion=0.1)


def test_a_run_too_large_for_memory_is_refused_before_it_allocates(capsys) -> None:
    """Issue 27: three layers of 100,000 (2e10 parameters) aborted inside XLA. Now one line,
    with the need and the limit in GiB and the settings to lower, in the API and the CLI."""
    huge = [100_000, 100_000, 100_000]
    with pytest.raises(lx.ConfigError, match=r"needs about 2,16\d\.\d GiB, over the [\d,.]+ GiB"):
        lx.estimate_llc(huge, 1)
    assert cli.main(["estimate", "--widths", ",".join(map(str, huge)), "--rank", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "lower those" in err and "the widths or chains" in err


def test_the_memory_limit_of_a_cpu_is_the_machines_available_memory() -> None:
    """A CPU reports no memory stats: the limit follows the machine (and ``ulimit -v``)."""
    free = available_memory(None)
    assert 0 < free <= os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert memory_limit({"bytes_limit": 10 * 2**30, "bytes_in_use": 2 * 2**30}) == int(
        FRACTION * 8 * 2**30
    )
    config = lx.make_config([3, 4, 3], 1)
    check_memory(config, limit=memory_estimate(config))  # exactly at the limit: allowed
    with pytest.raises(lx.ConfigError, match="lower those"):
        check_memory(config, limit=memory_estimate(config) - 1)


def test_a_memory_error_names_an_address_space_cap(tmp_path) -> None:
    """Under ``ulimit -v`` (12 GB, as in the issue) the CLI exits 2 with one line."""
    done = subprocess.run(
        ["bash", "-c", f"ulimit -v 12000000; {sys.executable} -m llc_explorer estimate "
         "--widths 100000,100000,100000 --rank 1"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip()
    assert "\n" not in line and re.search(r"over the \d+\.\d GiB this machine has free", line)
    limit = float(re.search(r"over the ([\d.]+) GiB", line).group(1))
    assert limit <= FRACTION * 12_000_000 * 1024 / 2**30 + 0.05


@pytest.mark.parametrize(
    ("settings", "suggestion"),
    [
        ({"stpes": 1000}, "stpes (did you mean 'steps'?); the settings are widths, rank"),
        ({"sampler": "rmsprop"}, "got 'rmsprop' (did you mean 'rmsprop_sgld'?)"),
        ({"teacher": "minimum"}, "got 'minimum' (did you mean 'minimal'?)"),
        ({"prng": "fats"}, "got 'fats' (did you mean 'fast'?)"),
    ],
)
def test_a_typo_gets_the_closest_name_suggested(settings, suggestion) -> None:
    with pytest.raises(lx.ConfigError) as caught:
        lx.make_config([3, 4, 3], 1, **settings)
    assert suggestion in str(caught.value)


TINY_CLI = ["estimate", "--widths", "3,4,3", "--rank", "1"]


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [
        ([*TINY_CLI, "--stpes", "9"], "(did you mean '--steps'?)"),
        ([*TINY_CLI, "--sampler", "sgdl"], "(did you mean 'sgld'?)"),
        (["estimat"], "(did you mean 'estimate'?)"),
    ],
)  # fmt: skip
def test_a_typo_on_the_command_line_gets_a_suggestion(capsys, args, suggestion) -> None:
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(suggestion) and "\n" not in err


def test_the_explorer_names_a_value_it_cannot_show() -> None:
    """``steps="auto"`` is the API's, not the explorer's (its steps widget takes a number):
    a ConfigError naming it, not a widget's TraitError."""
    before = threading.active_count()
    with pytest.raises(lx.ConfigError, match=r"the explorer cannot show steps='auto'"):
        lx.Explorer(widths=[5, 3, 5], rank=1, steps="auto")
    assert threading.active_count() == before
