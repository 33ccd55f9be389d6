"""The ``llc-explorer`` command line, run as a real subprocess."""

import dataclasses
import io
import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from llc_explorer import dln_llc
from llc_explorer.apps.ui.formatting import significant
from llc_explorer.cli import main

CLI_GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guide" / "cli.md"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "llc_explorer", *args], capture_output=True, text=True, timeout=300
    )


SGLD_535 = ("estimate", "--widths", "5,3,5", "--rank", "1", "--sampler", "sgld")


def test_estimate_json_has_every_field():
    done = cli(
        *SGLD_535,
        "--n",
        "5000",
        "--chains",
        "3",
        "--steps",
        "500",
        "--step-size",
        "1e-4",
        "--seed",
        "2",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    section = CLI_GUIDE.read_text().split("`--json` prints one object", 1)[1].split("\n\n", 1)[0]
    documented = set(re.findall(r"`([a-z_0-9]+)`", section.split("`python -m")[0]))
    top_level = documented - {"chain", "step", "low", "high", "default", "user", "auto", "null"}
    assert top_level - {"step_size"} == set(out)  # the guide lists exactly the keys
    truth = dln_llc([5, 3, 5], 1).llc
    assert out["true_llc"] == float(truth) and out["true_llc_fraction"] == str(truth)
    assert out["num_params"] == 30 and len(out["llc_per_chain"]) == 3
    assert out["config"]["widths"] == [5, 3, 5] and out["config"]["step_size"] == 1e-4
    assert out["config"]["teacher"] == "minimal" and out["global_llc"] == float(truth)
    assert out["config"]["seed"] == 2 and out["config"]["nbeta"] == pytest.approx(
        5000 / 8.5172, rel=1e-4
    )
    assert out["relative_error"] == pytest.approx((out["llc_mean"] - truth) / truth)


def test_teacher_flag_prints_the_value_that_applies():
    short = ("--n", "2000", "--chains", "2", "--steps", "100")
    local = cli("estimate", "--widths", "8,3,4", "--rank", "0", "--teacher", "first_layer", *short)
    assert local.returncode == 0, local.stderr
    assert "exact LLC      12 = 12" in local.stdout
    assert "Aoyagi's global value 6 = 6 is the local one at teachers" in local.stdout
    unknown = cli(
        "estimate", "--widths", "8,12,6,10", "--rank", "2", "--teacher", "first_layer", *short,
        "--json",
    )  # fmt: skip
    out = json.loads(unknown.stdout)
    assert out["true_llc"] is None and out["relative_error"] is None
    assert out["global_llc"] == 27.5 and "lower bound" in out["truth_note"]
    bad = cli("estimate", "--widths", "8,3,4", "--rank", "0", "--teacher", "random")
    assert bad.returncode == 2 and "--teacher" in bad.stderr


def test_diverged_chains_reported_as_chain_and_step():
    done = cli(
        *SGLD_535, "--n", "2000", "--chains", "2", "--steps", "300", "--step-size", "0.1", "--json"
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["llc_mean"] is None
    assert [d["chain"] for d in out["diverged_chains"]] == [0, 1]
    assert all(0 <= d["step"] < 300 for d in out["diverged_chains"])


def test_human_readable_report():
    done = cli("estimate", "--widths", "3,2,3", "--rank", "1", "--steps", "200", "--n", "1000")
    assert done.returncode == 0, done.stderr
    assert "exact LLC      7/2 = 3.5 (multiplicity 2)" in done.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["estimate", "--widths", "10,20,20,10", "--rank", "11"],
            "rank must be an int in [0, min(widths)] = [0, 10]",
        ),
        (["estimate", "--widths", "10,x", "--rank", "1"], "--widths"),
        (["estimate", "--widths", "10", "--rank", "1"], "at least 2"),
        (["estimate", "--widths", "4,0,4", "--rank", "0"], "widths[1]"),
        (["estimate", "--widths", "4,4", "--rank", "1", "--sampler", "x"], "--sampler"),
        (["estimate", "--widths", "4,4", "--rank", "1", "--step-size", "-1"], "step_size"),
        (
            ["estimate", "--widths", "4,4", "--rank", "1", "--n", "10", "--batch-size", "50"],
            "batch_size",
        ),
        (["estimate", "--widths", "4,4", "--rank", "1", "--friction", "0.5"], "friction"),
        (["estimate", "--rank", "1"], "--widths"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, fragment):
    done = cli(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("llc-explorer: error:") and fragment in lines[0]
    assert "Traceback" not in done.stderr


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_estimate_shows_progress_on_a_terminal_only(monkeypatch, capsys) -> None:
    args = ["estimate", "--widths", "3,4,3", "--rank", "1", "--steps", "2000", "--n", "1000"]
    for extra, shown in (([], True), (["--json"], False)):
        terminal = Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        assert main([*args, *extra]) == 0
        bar = terminal.getvalue()
        assert ("100%" in bar and "8.00k/8.00k" in bar and "chain-steps/s" in bar) == shown, bar
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # not a terminal: no bar
    assert main(args) == 0 and sys.stderr.getvalue() == ""


def test_a_bare_call_prints_usage_and_a_version_flag_exists():
    bare = cli()
    assert bare.returncode == 2 and bare.stdout == ""
    usage, error = bare.stderr.strip().splitlines()
    assert usage.startswith("usage: llc-explorer") and "{estimate,sweep,summary,report}" in usage
    assert error.startswith("llc-explorer: error: name a command")
    version = cli("--version")
    assert version.returncode == 0
    assert version.stdout.strip() == f"llc-explorer {metadata.version('llc_explorer')}"


def test_sweep_help_shows_the_sweeps_own_defaults():
    """Issue 27: the sweep's flags showed no defaults. They come from ``SweepSpec``, where the
    sweep declares them (every setting's ``estimate`` flag: tests/test_settings.py)."""
    from llc_explorer.bench.sweep import SweepSpec
    from llc_explorer.cli.parser import build_parser
    from llc_explorer.settings import SETTINGS, shown

    parser = build_parser()
    sweep = next(a for a in parser._actions if a.dest == "command").choices["sweep"]
    helps = {action.dest: action.help for action in sweep._actions}
    spec = {field.name: field.default for field in dataclasses.fields(SweepSpec)}
    shared = [name for name in spec if name in SETTINGS]
    assert {"steps", "chains", "n", "batch_size", "burn_in", "gamma", "teacher"} <= set(shared)
    for name in shared:
        assert f"(default {shown(spec[name])})" in helps[name], name
    assert "(default 10,000)" in helps["steps"] and "(default 10)" in helps["archs"]


def test_one_rounding_rule_for_the_report_and_its_warnings():
    """Issue 27: the diagnostics line said "ESS 8" where the warning said "effective sample
    size 7", and the interval printed as "[48.07, 54.8]". Counts now round to the nearest
    integer everywhere; the estimate and interval keep 4 significant digits, zeros included."""
    from llc_explorer import estimate_llc
    from llc_explorer.cli.commands import format_result

    result = estimate_llc([5, 3, 5], 1, sampler="sgld", n=2000, steps=300, seed=3)
    text = format_result(result)
    bulk, tail = (
        int(x.replace(",", ""))
        for x in re.search(r"ESS ([\d,]+) \(bulk\) / ([\d,]+)", text).groups()
    )
    warned = re.search(r"effective sample size ([\d,]+)", text)
    assert warned is not None and int(warned.group(1).replace(",", "")) == min(bulk, tail)
    assert min(bulk, tail) == round(min(result.diagnostics.ess_bulk, result.diagnostics.ess_tail))
    low, high = re.search(r"95% interval   \[([\d.,-]+), ([\d.,-]+)\]", text).groups()
    for end in (low, high):  # 4 significant digits each, trailing zeros kept
        assert len(end.replace(",", "").replace(".", "").replace("-", "").lstrip("0")) == 4, end
    assert significant(54.8, 4) == "54.80" and significant(48.07, 4) == "48.07"
