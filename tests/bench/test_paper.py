"""The paper's three experiments: the stored results are exactly what the recorded sweeps plan
(every run, nothing else), each sweep's command makes the same sweep through the CLI, and the
small recompute runs end to end."""

from __future__ import annotations

import shlex
from collections import defaultdict
from pathlib import Path

import pytest

from llc_explorer.bench import paper
from llc_explorer.bench.summary import sampler_label
from llc_explorer.bench.sweep import read_rows, read_specs
from llc_explorer.cli.commands import sweep_spec_of
from llc_explorer.cli.parser import build_parser
from llc_explorer.errors import ConfigError

STORED = Path(__file__).resolve().parents[2] / "docs" / "results" / "paper"


def planned_ids(scale: str, out: Path) -> dict[str, set[str]]:
    """Folder name -> the run ids its sweeps plan at ``scale``."""
    planned: dict[str, set[str]] = defaultdict(set)
    for experiment in paper.EXPERIMENTS:
        for sweep in paper.sweeps(experiment, paper.SCALES[scale], out):
            planned[sweep.out.name] |= {run.run_id for run in sweep.spec.runs()}
    return planned


def test_the_stored_results_are_the_recorded_sweeps_runs() -> None:
    """docs/results/paper holds one row per run of ``paper.sweeps(..., "cpu", ...)`` (the
    commands docs/RESULTS.md lists): none missing, none extra, none twice."""
    planned = planned_ids("cpu", STORED)
    assert set(planned) == {p.name for p in STORED.iterdir() if p.is_dir()}
    for name, ids in planned.items():
        stored = [row["id"] for row in read_rows([STORED / name])]
        assert len(stored) == len(set(stored)), name
        assert set(stored) == ids, name


def test_each_sweeps_command_makes_the_same_sweep_through_the_cli() -> None:
    """What ``run_experiments`` echoes is the command line of the sweep it runs: parsed by
    ``llc-explorer sweep``, it gives the same spec (so the same run ids) and folder."""
    for experiment in paper.EXPERIMENTS:
        for sweep in paper.sweeps(experiment, paper.SCALES["cpu"], STORED):
            argv = shlex.split(sweep.command)
            assert argv[:2] == ["llc-explorer", "sweep"]
            args = build_parser().parse_args(argv[1:])
            assert (sweep_spec_of(args), args.out) == (sweep.spec, sweep.out)


def test_the_stored_rows_record_their_architecture_seed() -> None:
    """Experiments 1 and 2 drew with seed 2026, experiment 3 with 2027 (the stored rows were
    backfilled by benchmarks/backfill_arch_seed.py)."""
    for folder in STORED.iterdir():
        if folder.is_dir():
            seed = paper.ORDER_SEED if folder.name.startswith("order") else paper.DRAW_SEED
            assert {row["arch_seed"] for row in read_rows([folder])} == {seed}, folder.name


def test_experiment_3_uses_each_samplers_best_step_size_from_experiment_1() -> None:
    best = paper.best_step_sizes(STORED, paper.SCALES["cpu"])
    variants = {v.label for v in paper.VARIANTS.values() if v.in_order}
    assert len(variants) == 2 and set(paper.PAPER_SAMPLERS) | variants <= set(best)
    labels = set()
    for row in read_rows([STORED / "order_1e4", STORED / "order_1e5"]):
        assert row["step_size"] == best[sampler_label(row)]
        labels.add(sampler_label(row))
    assert labels == set(paper.PAPER_SAMPLERS) | variants


def test_the_small_recompute_runs_every_experiment(tmp_path: Path) -> None:
    echoed: list[str] = []
    paper.run_experiments("small", tmp_path, echo=echoed.append)
    results = paper.load_results(tmp_path)
    assert set(results) == {"step_size_1e3", "precondition_1e3", "order_1e3"}
    assert len(results["step_size_1e3"]) == 5 * 5  # samplers x step sizes (one seed)
    assert len(results["precondition_1e3"]) == 3 * 5 * 2  # samplers x step sizes x seeds
    assert len(results["order_1e3"]) == 5 * 3  # samplers x architectures
    assert len({tuple(r["widths"]) for r in results["order_1e3"]}) == 3
    best = paper.best_step_sizes(tmp_path, paper.SCALES["small"])
    assert all(r["step_size"] == best[r["sampler"]] for r in results["order_1e3"])
    assert all(line.startswith("llc-explorer sweep --size-class") for line in echoed)
    for experiment in paper.EXPERIMENTS:  # each folder holds the specs of its sweeps
        for sweep in paper.sweeps(experiment, paper.SCALES["small"], tmp_path):
            assert sweep.spec in read_specs(sweep.out)
    paper.run_experiments("small", tmp_path, echo=echoed.append)  # resumes: nothing reruns
    assert sum(map(len, paper.load_results(tmp_path).values())) == 25 + 30 + 15


def test_bad_experiment_settings_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="scale must be one of small, cpu, gpu"):
        paper.run_experiments("huge", tmp_path)
    with pytest.raises(ConfigError, match="experiment must be one of"):
        paper.sweeps("speed", paper.SCALES["small"], tmp_path)
    with pytest.raises(ConfigError, match="takes its step sizes from experiment 1, which has no"):
        paper.sweeps("order", paper.SCALES["small"], tmp_path)


def test_precondition_table_on_hand_made_rows() -> None:
    def row(sampler, error, seed=0, step=1e-6, diverged=(), hyper=None):
        return {"sampler": sampler, "relative_error": error, "llc_mean": 1.0 + error,
                "diverged_chains": list(diverged), "hyper": hyper or {}, "widths": [2, 2],
                "step_size": step, "seed": seed}  # fmt: skip

    rows = [row("sgld", 0.1), row("sgld", -0.1, seed=1), row("sgld", 3.0, step=1e-5)]
    rows += [row("sgld", float("nan"), seed=1, step=1e-5, diverged=[0])]
    rows += [row("rmsprop_sgld", 0.02), row("rmsprop_sgld", 0.04, hyper={"b2": 0.99})]
    lines = paper.precondition_table(rows).splitlines()
    # sgld: 1 of 4 NaN, 1 blown up (+300%), 2 within 20%; median |e| of 0.1, 0.1, 3.0; the
    # seeds of the 1e-6 cell differ by sd(0.1, -0.1) = 14.1%
    assert lines[2] == "| sgld | 4 | 25% | 25% | 50% | 10.0% | 14.1% |"
    assert lines[3] == "| rmsprop_sgld | 1 | 0% | 0% | 100% | 2.0% | - |"
    assert lines[4].startswith("| rmsprop_sgld (b2=0.99) | 1 | 0% | 0% | 100% | 4.0% |")
