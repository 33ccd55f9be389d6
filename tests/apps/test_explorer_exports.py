"""From the widget to code, to a file and to a benchmark DLN in one click each (headless; the
download in a real browser is in tests/apps/test_browser.py)."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import shlex
import zipfile

import numpy as np
import pytest

from llc_explorer import Explorer, cli
from llc_explorer.apps.explorer.exports import ALWAYS, changed_settings, command_line
from llc_explorer.apps.explorer.model import OWN_DEFAULTS
from llc_explorer.config import LLCConfig, make_config
from llc_explorer.dln.architectures import random_architectures
from llc_explorer.settings import REQUIRED, SETTINGS
from llc_explorer.sgmcmc.registry import all_hyperparameters

SMALL = {"widths": [5, 3, 5], "rank": 2, "sampler": "sgld", "n": 2000, "chains": 3, "steps": 900}


@pytest.fixture(scope="module")
def done() -> Explorer:
    explorer = Explorer(**SMALL, seed=4, gamma=2.0, b2=None, step_size=3e-5)
    assert explorer.run(block=True) and explorer.result.done
    return explorer


def test_as_code_reproduces_the_widgets_estimate(done: Explorer, capsys) -> None:
    assert done.show_code() and done.ui.code.layout.display is None
    shown = done.ui.code.value
    namespace: dict = {}
    exec(shown, namespace)  # the python part; the command line is a comment
    again = namespace["result"]
    assert again.llc_mean == done.result.llc_mean  # same seed, same run, to the last bit
    np.testing.assert_array_equal(again.llc_per_chain, done.result.llc_per_chain)
    assert "gamma=2.0" in shown and "seed=4" in shown and "step_size=3e-05" in shown
    (line,) = re.findall(r"^# (llc-explorer estimate .*)$", shown, re.MULTILINE)
    assert cli.main([*shlex.split(line)[1:], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["llc_mean"] == done.result.llc_mean


def test_download_holds_the_traces_and_summary(done: Explorer) -> None:
    link = done.ui.download.value
    (name, data) = re.findall(
        r'download="([^"]+)" href="data:application/zip;base64,([^"]+)"', link
    )[0]
    assert name == "llc-run-5-3-5-r2-seed4.zip"
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(data))) as zipped:
        rows = list(csv.reader(io.StringIO(zipped.read("traces.csv").decode())))
        summary = json.loads(zipped.read("summary.json"))
        code = zipped.read("reproduce.py").decode()
    assert rows[0] == ["chain", "step", "loss", "running_llc", "mala_acceptance"]
    table = np.array(rows[1:], float)
    assert table.shape == (3 * 900, 5)
    np.testing.assert_allclose(
        table[:, 2].reshape(3, 900), done.result.loss_trace, rtol=1e-6, equal_nan=True
    )
    assert summary["llc_mean"] == done.result.llc_mean and "estimate_llc([5, 3, 5], 2" in code
    done.run()  # a new run takes the old link away until it has its own
    assert done.ui.download.value == ""
    done.wait()
    assert done.ui.download.value.startswith("<a download=")


def test_a_size_class_button_draws_the_sweeps_architecture() -> None:
    explorer = Explorer()
    assert explorer.ui.size_classes["1e8"].disabled  # 1.7e8 parameters x 4 chains: too large
    assert not explorer.ui.size_classes["1e4"].disabled
    explorer.ui.arch_seed.value = 12
    explorer.ui.size_classes["1e4"].click()
    expected = random_architectures("1e4", 1, seed=12)[0]
    assert explorer.config.widths == expected.widths and explorer.config.rank == expected.rank
    assert "--size-class 1e4 --archs 1 --arch-seed 12" in explorer.ui.drawn.value
    assert explorer.ui.arch_seed.value == 13  # the next click draws a new one
    explorer.ui.arch_seed.value = -1
    explorer.ui.size_classes["1e3"].click()
    assert "architecture seed must be an int, at least 0" in explorer.ui.drawn.value
    assert explorer.config.widths == expected.widths  # nothing changed


def test_a_fresh_explorer_starts_at_the_apis_defaults() -> None:
    """Its own defaults (the network, steps and warm-up) are the API's on its first network,
    and every other setting starts at the API's: its code states only ``ALWAYS``."""
    explorer = Explorer()
    declared = {
        name: s.default for name, s in SETTINGS.items() if s.default not in (None, REQUIRED)
    }
    shown = {name: w.value for name, w in explorer.controls.items() if name in declared}
    assert {"sampler", "teacher", "gamma", "n", "batch_size", "chains", "seed"} <= set(shown)
    assert shown == {name: declared[name] for name in shown}
    assert not set(shown) & set(OWN_DEFAULTS)
    assert explorer.controls["nbeta"].value == "" and explorer.controls["auto_step"].value
    assert list(changed_settings(explorer.config)) == list(ALWAYS)
    assert explorer.controls["n"].tooltip == SETTINGS["n"].help


def config_of_command_line(line: str) -> LLCConfig:
    """The config ``llc-explorer estimate`` runs for ``line`` (as ``cli.run_estimate`` reads
    its flags)."""
    args = cli.build_parser().parse_args(shlex.split(line)[1:])
    names = [*(name for name in SETTINGS if name not in ("widths", "rank")), *all_hyperparameters()]
    given = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
    return make_config(args.widths, args.rank, **given)


@pytest.mark.parametrize(
    "settings",
    [
        {"nbeta": 2500.0, "teacher": "first_layer", "a": 0.2, "n": 5000},  # adapting step
        {"widths": [5, 3, 5], "rank": 2, "sampler": "sgld", "burn_in": 0.5, "step_size": 1e-6},
        {"sampler": "sghmc", "friction": 0.2, "gamma": 3.0, "batch_size": 50},
        {"sampler": "sgld", "nbeta": 1234.5678, "step_size": 1.2345678e-5},  # every digit
    ],
)
def test_the_code_and_command_line_reproduce_every_setting(settings: dict) -> None:
    """Without running: the call's settings and the command line's flags make the very config
    the explorer runs (derived defaults included: n*beta, and the steps and warm-up factor of
    a tiny network, which the explorer's own differ from)."""
    config = Explorer(**settings).config
    assert make_config(config.widths, config.rank, **changed_settings(config)) == config
    line = command_line(config)
    assert config_of_command_line(line) == config
    assert ("--step-size auto" in line) == config.adapt_step_size
