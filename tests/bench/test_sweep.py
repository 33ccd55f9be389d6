"""The benchmark sweep: resume after kill -9, shards, summary statistics, report, bad config."""

import json
import math
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from llc_explorer.bench.report import write_report
from llc_explorer.bench.spec import spec_data, spec_from_data
from llc_explorer.bench.summary import format_step_table, summarize_rows
from llc_explorer.bench.sweep import (
    lock_shard,
    make_spec,
    read_rows,
    read_specs,
    run_sweep,
    shard,
    unlock_shard,
)
from llc_explorer.errors import ConfigError

GRID = [
    "--widths", "4,3,4", "--widths", "3,2,3", "--rank", "1", "--samplers", "sgld,sghmc",
    "--step-sizes", "1e-6,1e-5,1e-4", "--seeds", "0", "--steps", "150", "--n", "1000",
    "--chains", "2",
]  # fmt: skip


def cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "llc_explorer", *args], capture_output=True, text=True,
        timeout=600, **kwargs,
    )  # fmt: skip


def planned_ids() -> set[str]:
    spec = make_spec(
        samplers=["sgld", "sghmc"], step_sizes=[1e-6, 1e-5, 1e-4], widths=[(4, 3, 4), (3, 2, 3)],
        rank=1, seeds=(0,), steps=150, n=1000, chains=2,
    )  # fmt: skip
    return {run.run_id for run in spec.runs()}


def test_resume_after_kill_leaves_every_row_exactly_once(tmp_path):
    out = tmp_path / "out"
    results = out / "results-0-of-1.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "llc_explorer", "sweep", *GRID, "--out", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if results.exists() and results.read_text().count("\n") >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = results.read_text().count("\n")
    assert 2 <= before < 12, "the kill should land mid-sweep"
    with results.open("a") as handle:  # as if killed inside a write: a partial last line
        handle.write('{"id": "partial", "sampl')
    done = cli("sweep", *GRID, "--out", str(out))
    assert done.returncode == 0, done.stderr
    ids = [row["id"] for row in read_rows([out])]
    assert len(ids) == len(set(ids)) == 12
    assert set(ids) == planned_ids()
    assert results.read_text().endswith("\n")
    assert not list(out.glob("*.lock")), "a finished sweep removes its lock file"
    again = cli("sweep", *GRID, "--out", str(out))  # nothing left to do
    assert again.returncode == 0 and len(read_rows([out])) == 12
    row = read_rows([out])[0]
    for field in ("sampler", "step_size", "widths", "rank", "seed", "true_llc", "llc_mean",
                  "llc_std", "llc_stderr", "relative_error", "diverged_chains", "wall_seconds",
                  "compile_seconds", "device"):  # fmt: skip
        assert field in row


def test_shards_cover_the_grid_exactly_once():
    spec = make_spec(
        samplers=["sgld", "adam_sgld", "sgnht"], step_sizes=[1e-7, 1e-6], size_class_name="1e3",
        archs=4, seeds=(0, 1), steps=100, n=1000,
    )  # fmt: skip
    runs = spec.runs()
    assert len(runs) == 3 * 2 * 4 * 2
    for count in (1, 2, 3, 7):
        parts = [shard(runs, index, count) for index in range(count)]
        ids = [run.run_id for part in parts for run in part]
        assert sorted(ids) == sorted(run.run_id for run in runs)
        assert len(set(ids)) == len(ids)


def test_a_sweep_writes_its_spec_once_and_reads_it_back(tmp_path):
    """``run_sweep`` writes the spec beside the rows, one file per distinct spec: the shards
    of one sweep share it, another sweep into the folder adds its own; read back, it is the
    spec that ran, and the rows record the seed of its architecture draw."""
    spec = make_spec(
        samplers=["sgld"], step_sizes=[1e-6, 1e-5], size_class_name="1e3", archs=2, arch_seed=5,
        steps=100, n=1000, chains=2, hyper={},
    )  # fmt: skip
    assert spec_from_data(json.loads(json.dumps(spec_data(spec)))) == spec
    out = tmp_path / "out"
    rows = [row for part in range(2) for row in run_sweep(spec, out, part, 2)]
    assert [p.name for p in out.glob("spec-*.json")] == [next(out.glob("spec-*.json")).name]
    assert read_specs(out) == [spec]
    assert {row["arch_seed"] for row in rows} == {5} and len(rows) == 4
    listed = make_spec(samplers=["sgld"], step_sizes=[1e-6], widths=[(3, 2, 3)], rank=1,
                       steps=100, n=1000, chains=2, arch_seed=5)  # fmt: skip
    (row,) = run_sweep(listed, out)
    assert row["arch_seed"] is None and listed.arch_seed is None
    assert sorted(read_specs(out), key=str) == sorted([spec, listed], key=str)
    assert not list(out.glob(".spec-*"))  # no temporary file left behind


def test_shard_files_are_read_together(tmp_path):
    out = tmp_path / "out"
    args = [*GRID, "--samplers", "sgld", "--step-sizes", "1e-6", "--out", str(out)]
    for part in ("0/2", "1/2"):
        assert cli("sweep", *args, "--shard", part).returncode == 0
    assert sorted(p.name for p in out.glob("*.jsonl")) == [
        "results-0-of-2.jsonl",
        "results-1-of-2.jsonl",
    ]
    assert len(read_rows([out])) == 2
    summary = cli("summary", str(out))
    assert summary.returncode == 0 and "| sgld | listed | 2 | 1e-06 |" in summary.stdout
    by_step = cli("summary", "--per-step-size", str(out)).stdout.splitlines()
    median = np.median([row["relative_error"] for row in read_rows([out])])
    assert by_step[0] == "| step size | sgld |" and by_step[2] == f"| 1e-06 | {median:+.1%} |"


def row(sampler, step, widths, truth, estimate, diverged=False, size=1000.0):
    return {
        "sampler": sampler, "step_size": step, "widths": widths, "rank": 1, "size_class": size,
        "true_llc": truth, "llc_mean": math.nan if diverged else estimate,
        "relative_error": (estimate - truth) / truth,
        "diverged_chains": [{"chain": 0, "step": 5}] if diverged else [],
    }  # fmt: skip


def hand_made_rows() -> list[dict]:
    archs = [([2, 2], 2.0), ([3, 3], 4.5), ([4, 4], 8.0), ([5, 5], 12.5)]
    rows = []
    for widths, truth in archs:
        rows.append(row("a", 1e-7, widths, truth, truth * 1.30))  # 30% over
        rows.append(row("a", 1e-6, widths, truth, truth * 1.05))  # 5%: best
        rows.append(row("a", 1e-5, widths, truth, truth * 0.92))  # 8%
        rows.append(row("a", 1e-4, widths, truth, truth, diverged=True))
        # sampler b: best at 1e-5, order reversed (estimates fall as the truth rises)
        rows.append(row("b", 1e-5, widths, truth, 20 - truth))
        rows.append(row("b", 1e-4, widths, truth, 100 * truth))
    return rows


def test_summary_statistics_on_hand_made_results():
    a, b = summarize_rows(hand_made_rows())
    assert (a.sampler, a.size_class, a.runs) == ("a", "1e3", 16)
    assert a.best_step_size == 1e-6
    assert a.median_error == pytest.approx(0.05) and a.worst_error == pytest.approx(0.05)
    assert a.diverged_fraction == pytest.approx(0.25)
    assert a.good_range_decades == pytest.approx(1.0)  # 1e-6 .. 1e-5 within 10%
    assert a.spearman == pytest.approx(1.0)
    assert b.best_step_size == 1e-5 and b.spearman == pytest.approx(-1.0)
    assert math.isnan(b.good_range_decades)


def test_per_step_size_table_on_hand_made_results():
    lines = format_step_table(hand_made_rows()).splitlines()
    assert lines[0] == "| step size | a | b |"
    assert lines[2:] == [
        "| 1e-07 | +30.0% | - |",
        "| 1e-06 | +5.0% | - |",
        "| 1e-05 | -8.0% | +147.2% |",  # b: (20 - 2 t) / t at t = 2, 4.5, 8, 12.5: median
        "| 0.0001 | NaN | +9900.0% |",
    ]


def test_rows_without_a_known_local_llc_are_left_out_of_the_summary(tmp_path):
    unknown = {**row("a", 1e-6, [6, 6], 1.0, 1.0), "true_llc": None, "relative_error": math.nan}
    assert summarize_rows([*hand_made_rows(), unknown]) == summarize_rows(hand_made_rows())
    write_report([*hand_made_rows(), unknown], tmp_path / "report.html")  # no None arithmetic


def test_report_is_one_offline_html_naming_every_sampler(tmp_path):
    path = tmp_path / "report.html"
    write_report(hand_made_rows(), path)
    text = path.read_text()
    assert "cdn.bokeh.org" not in text and "Bokeh" in text
    for sampler in ("a: rho 1.00", "b: rho -1.00", "exact LLC (eps 1e-06)"):
        assert sampler in text  # each sampler's order panel, at its best step size
    assert "<table" in text and "diverged chain" in text


SMALL = ["--widths", "4,3,4", "--rank", "1"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["sweep", *SMALL, "--samplers", "foo", "--step-sizes", "1e-6"],
            "sampler must be one of",
        ),
        (["sweep", "--widths", "4,3,4", "--rank", "1", "--step-sizes=-1e-6"], "step_size"),
        (["sweep", "--widths", "4,3,4", "--rank", "5", "--step-sizes", "1e-6"], "rank"),
        (["sweep", "--size-class", "5e4", "--step-sizes", "1e-6"], "size class"),
        (
            ["sweep", "--widths", "4,3,4", "--rank", "1", "--step-sizes", "1e-6", "--shard", "2/2"],
            "shard",
        ),
        (
            ["sweep", *SMALL, "--samplers", "sgld", "--step-sizes", "1e-6", "--b2", "0.99"],
            "b2 does not apply to sgld",
        ),
        (["summary", "missing.jsonl"], "cannot read results file"),
        (["report", "missing.jsonl"], "cannot read results file"),
    ],
)
def test_bad_sweep_input_exits_2_with_one_line(tmp_path, args, fragment):
    done = cli(*args, "--out", str(tmp_path)) if args[0] == "sweep" else cli(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], done.stderr


def test_toml_config_and_unknown_key(tmp_path):
    good = tmp_path / "sweep.toml"
    good.write_text(
        'widths = [[3, 2, 3]]\nrank = 1\nsamplers = ["sgld"]\nstep_sizes = [1e-6]\n'
        "steps = 100\nn = 1000\nchains = 2\n"
    )
    done = cli("sweep", "--config", str(good), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert len(read_rows([tmp_path / "out"])) == 1
    bad = tmp_path / "bad.toml"
    bad.write_text("widths = [[3, 2, 3]]\nrank = 1\nstepsize = 1e-6\n")
    done = cli("sweep", "--config", str(bad), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "stepsize" in done.stderr
    assert os.path.exists(tmp_path / "out")
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("not json\n")
    done = cli("summary", str(garbage))
    assert done.returncode == 2 and "not a JSON results row" in done.stderr
    assert json.loads((tmp_path / "out" / "results-0-of-1.jsonl").read_text())["n"] == 1000
    assert Path(tmp_path / "out").is_dir()


def test_a_second_sweep_on_the_same_shard_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    fd = lock_shard(out, 0, 1)  # as if another sweep were writing this shard
    try:
        done = cli("sweep", *GRID, "--out", str(out))
        assert done.returncode == 2
        assert "another sweep is writing shard 0/1" in done.stderr
        assert not (out / "results-0-of-1.jsonl").exists()
    finally:
        os.close(fd)


def test_a_lock_file_removed_under_a_holder_is_taken_afresh(tmp_path):
    """A sweep that ends removes its lock file; the next one creates and locks a new file, and
    a lock file removed while held (its holder ending) does not block a new sweep. (The
    inode check of ``lock_shard``, for a sweep that opened the old file just before it was
    removed, needs that interleaving and is not exercised here.)"""
    first = lock_shard(tmp_path, 0, 1)
    unlock_shard(first, tmp_path, 0, 1)
    assert not (tmp_path / "results-0-of-1.lock").exists()
    held = lock_shard(tmp_path, 0, 1)
    (tmp_path / "results-0-of-1.lock").unlink()  # as if its holder had just ended
    fresh = lock_shard(tmp_path, 0, 1)  # locks the new file, not the removed one
    with pytest.raises(ConfigError, match="another sweep is writing shard 0/1"):
        lock_shard(tmp_path, 0, 1)
    os.close(held)
    unlock_shard(fresh, tmp_path, 0, 1)


def test_a_sweep_too_large_for_memory_is_refused_before_it_runs(tmp_path):
    """Checked at plan time, per batch of step sizes: no row, no allocation."""
    spec = make_spec(samplers=["sgld"], step_sizes=[1e-6, 1e-5], widths=[(4, 3, 4), (20_000,) * 4],
                     rank=1, steps=150, n=1000, chains=2)  # fmt: skip
    with pytest.raises(ConfigError, match=r"needs about [\d,.]+ GiB, over the"):
        list(run_sweep(spec, tmp_path))
    assert not (tmp_path / "results-0-of-1.jsonl").exists() or not read_rows([tmp_path])
    assert not list(tmp_path.glob("*.lock"))


def test_a_variant_sweep_sets_hyperparameters_and_keeps_its_own_rows(tmp_path):
    """``--b2 0.99 --bias-correction off`` (devinterp's RMSPropSGLD) runs next to the default
    in one folder: its own ids and rows, labelled as a variant in the summary, and other
    estimates (same seeds and data: only the hyperparameters differ)."""
    out = tmp_path / "out"
    grid = ["--widths", "4,3,4", "--rank", "1", "--samplers", "rmsprop_sgld",
            "--step-sizes", "1e-5", "--steps", "200", "--n", "1000", "--chains", "2"]  # fmt: skip
    assert cli("sweep", *grid, "--out", str(out)).returncode == 0
    variant = cli("sweep", *grid, "--b2", "0.99", "--bias-correction", "off", "--out", str(out))
    assert variant.returncode == 0, variant.stderr
    rows = read_rows([out])
    assert [row["hyper"] for row in rows] == [{}, {"b2": 0.99, "bias_correction": False}]
    assert rows[0]["id"] != rows[1]["id"]
    assert rows[0]["llc_mean"] != rows[1]["llc_mean"]
    labels = [s.sampler for s in summarize_rows(rows)]
    assert labels == ["rmsprop_sgld", "rmsprop_sgld (b2=0.99, bias_correction=off)"]
    again = cli("sweep", *grid, "--b2", "0.99", "--bias-correction", "off", "--out", str(out))
    assert again.returncode == 0 and len(read_rows([out])) == 2  # resumed: nothing reran


def test_run_ids_without_hyperparameters_are_those_of_earlier_sweeps():
    """Adding ``hyper`` to a run left the ids of default runs as they were, so stored sweeps
    still resume: the rows of docs/results/paper/step_size_1e5 were written before ``hyper``
    existed, and the same sweep today plans exactly their ids."""
    stored = read_rows([Path(__file__).resolve().parents[2] / "docs/results/paper/step_size_1e5"])
    first = stored[0]
    spec = make_spec(
        samplers=sorted({r["sampler"] for r in stored}),
        step_sizes=sorted({r["step_size"] for r in stored}), size_class_name="1e5", archs=1,
        arch_seed=2026, seeds=sorted({r["seed"] for r in stored}), steps=first["steps"],
        chains=first["chains"], warmup_factor=first["warmup_factor"],
    )  # fmt: skip
    assert {row["id"] for row in stored} <= {run.run_id for run in spec.runs()}
    assert "hyper" not in first


SMALL_SWEEP = ["sweep", "--widths", "4,3,4", "--rank", "1", "--samplers", "sgld", "--steps",
               "150", "--n", "1000", "--chains", "2"]  # fmt: skip


def test_a_sweep_into_a_folder_it_cannot_write_exits_2_before_it_runs():
    """/sys refuses new entries even to root (a chmod-ed folder would not stop a root CI)."""
    done = cli(*SMALL_SWEEP, "--step-sizes", "1e-5", "--out", "/sys/llc-explorer-results")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "llc-explorer: error: cannot write the results in /sys/llc-explorer-results: "
        "Operation not permitted; choose another --out"
    )


def test_a_sweep_into_a_full_disk_stops_with_one_line_and_loses_no_complete_row(tmp_path):
    """``ulimit -f 1`` caps the results file at 1 KiB as a full disk would: the second of the
    batch's three rows overruns it. The sweep exits 2 naming the folder; a rerun with room
    finishes the grid, each row once, the cut row repaired."""
    out = tmp_path / "out"
    grid = [*SMALL_SWEEP, "--step-sizes", "1e-6,1e-5,1e-4", "--out", str(out)]
    capped = subprocess.run(
        ["bash", "-c", f"ulimit -f 1; {shlex.join([sys.executable, '-m', 'llc_explorer', *grid])}"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert capped.returncode == 2, capped.stderr
    assert "cannot write the results in" in capped.stderr and "free some space" in capped.stderr
    kept = read_rows([out])  # complete rows only
    assert len(kept) == 1  # ~640 bytes a row: the first fits in 1 KiB, the second is cut
    done = cli(*grid)
    assert done.returncode == 0, done.stderr
    rows = read_rows([out])
    assert sorted(r["step_size"] for r in rows) == [1e-6, 1e-5, 1e-4]
    assert [r["id"] for r in kept] == [r["id"] for r in rows[: len(kept)]]
