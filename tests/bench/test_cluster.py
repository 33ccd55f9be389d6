"""Sweeps on a cluster: the SLURM job array script, run as separate local processes (one per
array task, as SLURM would), and merged by ``summary``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from llc_explorer import ConfigError
from llc_explorer.bench.sweep import make_spec, parse_shard, read_rows

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "sweep_slurm.sbatch"
TINY = {
    "SIZE_CLASS": "1e3", "ARCHS": "2", "ARCH_SEED": "3", "SAMPLERS": "sgld,sghmc",
    "STEP_SIZES": "1e-7,1e-6", "SEEDS": "0", "STEPS": "200", "CHAINS": "2", "N": "1000",
}  # fmt: skip


def test_shard_from_a_slurm_array() -> None:
    env = {"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1"}
    assert parse_shard("slurm", env) == (2, 3)  # --array=1-3: the third task
    first = {**env, "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_ID": "0"}
    assert parse_shard("slurm", first) == (0, 3)  # --array=0-2: the first task
    with pytest.raises(ConfigError, match="needs SLURM_ARRAY_TASK_ID"):
        parse_shard("slurm", {"SLURM_ARRAY_TASK_COUNT": "3"})
    with pytest.raises(ConfigError, match="0 <= I < N"):
        parse_shard("slurm", {**env, "SLURM_ARRAY_TASK_ID": "4"})


def test_the_sbatch_script_as_three_array_tasks_covers_the_grid(tmp_path: Path) -> None:
    out = tmp_path / "results"
    base = {
        **os.environ,
        **TINY,
        "OUT": str(out),
        "LLC_EXPLORER": f"{sys.executable} -m llc_explorer",
    }
    tasks = [
        subprocess.Popen(
            ["bash", str(SCRIPT)],
            env={
                **base,
                "SLURM_ARRAY_TASK_ID": str(task),
                "SLURM_ARRAY_TASK_COUNT": "3",
                "SLURM_ARRAY_TASK_MIN": "1",
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for task in (1, 2, 3)
    ]
    for task in tasks:
        _, err = task.communicate(timeout=600)
        assert task.returncode == 0, err
    assert sorted(p.name for p in out.glob("*.jsonl")) == [
        f"results-{i}-of-3.jsonl" for i in range(3)
    ]
    spec = make_spec(
        samplers=("sgld", "sghmc"), step_sizes=(1e-7, 1e-6), size_class_name="1e3", archs=2,
        arch_seed=3, seeds=(0,), steps=200, chains=2, n=1000,
    )  # fmt: skip
    ids = [row["id"] for row in read_rows([out])]
    assert sorted(ids) == sorted(run.run_id for run in spec.runs())  # each run exactly once
    summary = subprocess.run(
        [sys.executable, "-m", "llc_explorer", "summary", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "| sgld | 1e3 | 4 |" in summary.stdout and "| sghmc | 1e3 | 4 |" in summary.stdout
