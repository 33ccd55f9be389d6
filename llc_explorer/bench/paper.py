"""The paper's three experiments (Hitchcock & Hoogland 2025) as benchmark sweeps.

1. ``step_size``: relative error and diverged runs against step size (1e-14 ... 1e-6 on a
   half-decade grid at the paper's scale) on a 1e5-parameter DLN, all five samplers; with it,
   the AdamSGLD / RMSPropSGLD variants of :data:`VARIANTS` on the same DLN, and (on CPU, where
   the main grid runs short) longer runs of SGLD, RMSPropSGLD, pSGLD and RMSPropSGLD with
   ``a`` = 1e-5 (:func:`long_sweeps`).
2. ``precondition``: SGLD against RMSPropSGLD and AdamSGLD on 1e6-parameter DLNs: the share of
   runs that end in NaN and the spread of the error over seeds and step sizes.
3. ``order``: 10 fresh DLNs per size class, each sampler at one fixed step size (its best in
   experiment 1), Spearman's rho between estimated and exact LLC.

Each experiment is a list of :class:`Sweep` (:func:`sweeps`): a
:class:`llc_explorer.bench.spec.SweepSpec`, run by :func:`run_experiments` through
:func:`llc_explorer.bench.sweep.run_sweep` into ``OUT/<folder>`` (:func:`folder`), resumable like
any sweep. A :class:`Scale` sets the sizes: ``small`` (the notebook's recompute, about a
minute), ``cpu`` (about 2 hours on 2 cores: docs/results/paper) and ``gpu`` (one GPU run: 50,000
steps at 1e4 and 1e5, 20,000 at 1e6; 75,680,000 chain-steps). Architectures come from seeds
the other sweeps never used (:data:`DRAW_SEED`, and :data:`ORDER_SEED` for experiment 3, so
its DLNs are not the one experiment 1 tuned the step sizes on). Every run has one chain per
seed and warm-up factor 1: the step size as given from the first step, as in the paper.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from llc_explorer.bench.spec import SweepSpec, make_spec
from llc_explorer.bench.summary import by_key, failed, sampler_label, summarize_rows
from llc_explorer.bench.sweep import read_rows, run_sweep
from llc_explorer.errors import ConfigError, not_one_of

PAPER_SAMPLERS = ("rmsprop_sgld", "sgld", "adam_sgld", "sghmc", "sgnht")
"""The paper's five samplers, its headline one first."""

PRECONDITIONING = ("sgld", "rmsprop_sgld", "adam_sgld")
"""Experiment 2's samplers: without and with a preconditioner."""

EXPERIMENTS = ("step_size", "precondition", "order")

DRAW_SEED = 2026
"""The architecture seed of experiments 1 and 2."""

ORDER_SEED = 2027
"""The architecture seed of experiment 3."""

Hyper = Mapping[str, float | bool] | None
"""A variant's sampler hyperparameters (``None``: the sampler's defaults)."""


def half_decades(low: int, high: int) -> list[float]:
    """``1e{low}, 3.16e{low}, ..., 1e{high}``: step sizes half a decade apart."""
    return [float(f"{mantissa}e{power}") for power in range(low, high + 1)
            for mantissa in ("1", "3.16")[: 1 + (power < high)]]  # fmt: skip


class Variant(NamedTuple):
    """A variant of one of the paper's samplers: the hyperparameters it sets, its step sizes in
    experiment 1 (decades; ``None``: the whole grid), in experiment 2 (``None``: left out) and
    whether experiment 3 runs it too (at its best step size in experiment 1)."""

    sampler: str
    hyper: dict[str, float | bool]
    decades: tuple[int, int] | None
    precondition_decades: tuple[int, int] | None = None
    in_order: bool = False

    @property
    def label(self) -> str:
        """The name ``summary`` gives its rows: ``rmsprop_sgld (a=1e-05)``."""
        return sampler_label({"sampler": self.sampler, "hyper": self.hyper})


VARIANTS = {
    "devinterp_rmsprop": Variant("rmsprop_sgld", {"b2": 0.99, "bias_correction": False},
                                 (-10, -6)),
    "li_psgld": Variant("rmsprop_sgld", {"a": 1e-5, "b2": 0.99, "bias_correction": False},
                        None, (-10, -8), True),
    "small_a": Variant("rmsprop_sgld", {"a": 1e-5}, None, (-10, -8), True),
    "adam_no_bias_correction": Variant("adam_sgld", {"bias_correction": False}, (-10, -6)),
    "kim_adaptive_drift": Variant("adaptive_drift_sgld", {}, (-10, -6)),
}  # fmt: skip
"""The variants docs/RESULTS.md compares with our defaults: devinterp's RMSPropSGLD (``b2``
0.99, no bias correction), Li et al.'s pSGLD (``a`` = 1e-5 as well), ours with only ``a``
changed to 1e-5 (these two precondition for real, so experiments 2 and 3 run them too),
AdamSGLD without bias correction, and Kim, Song & Liang's Adam-SGLD (the Adam direction added
to SGLD's drift)."""


@dataclass(frozen=True)
class Scale:
    """How big each experiment is: size classes, run lengths, seeds and grids."""

    step_size_class: str
    step_size_decades: tuple[int, int]
    step_size_archs: int
    step_size_steps: int
    seeds: tuple[int, ...]
    precondition_class: str
    precondition_decades: tuple[int, int]
    precondition_archs: int
    precondition_steps: int
    precondition_seeds: tuple[int, ...]
    order_steps: dict[str, int] = field(default_factory=dict)  # size class -> steps
    order_archs: int = 10
    variants: bool = True
    long_steps: int | None = None  # experiment 1 again, longer (:func:`long_sweeps`)


SCALES = {
    "small": Scale(
        "1e3", (-7, -5), 1, 600, (0,), "1e3", (-7, -5), 1, 300, (0, 1), {"1e3": 600}, 3,
        variants=False,
    ),
    "cpu": Scale(
        "1e5", (-14, -6), 1, 4_000, (0, 1), "1e6", (-7, -5), 2, 800, (0, 1),
        {"1e4": 5_000, "1e5": 4_000}, long_steps=20_000,
    ),
    "gpu": Scale(
        "1e5", (-14, -6), 2, 50_000, (0, 1, 2, 3), "1e6", (-9, -5), 4, 20_000, (0, 1, 2),
        {"1e4": 50_000, "1e5": 50_000, "1e6": 20_000},
    ),
}  # fmt: skip
"""``small``: the notebook's recompute; ``cpu``: docs/results/paper; ``gpu``: one GPU run."""


class Sweep(NamedTuple):
    """One sweep of an experiment: its spec and the folder its rows go to."""

    spec: SweepSpec
    out: Path

    @property
    def command(self) -> str:
        """The ``llc-explorer sweep`` command that runs this sweep."""
        return self.spec.command(self.out)


def drawn(out: Path, size: str, archs: int, arch_seed: int, **grid: Any) -> Sweep:
    """A sweep of the paper into ``out`` on ``archs`` DLNs of the size class ``size`` drawn with
    ``arch_seed``, one chain per seed, the step size from the first step; ``grid`` gives the
    rest of :func:`make_spec`'s arguments (samplers, step sizes, seeds, steps, hyper)."""
    spec = make_spec(size_class_name=size, archs=archs, arch_seed=arch_seed, chains=1,
                     warmup_factor=1.0, **grid)  # fmt: skip
    return Sweep(spec, out)


def folder(out: Path, experiment: str, scale: Scale, size: str | None = None) -> Path:
    """Where an experiment's rows go: ``step_size_1e5``, ``variants_1e5``, ``long_1e5``,
    ``precondition_1e6``, ``order_1e4``, ..."""
    size = size or {"precondition": scale.precondition_class}.get(experiment, scale.step_size_class)
    return out / f"{experiment}_{size}"


def step_size_sweep(
    scale: Scale, out: Path, samplers: Iterable[str], decades: tuple[int, int], hyper: Hyper = None
) -> Sweep:
    """Experiment 1's sweep of ``samplers`` over ``decades``."""
    return drawn(out, scale.step_size_class, scale.step_size_archs, DRAW_SEED, samplers=samplers,
                 step_sizes=half_decades(*decades), seeds=scale.seeds,
                 steps=scale.step_size_steps, hyper=hyper)  # fmt: skip


def long_sweeps(scale: Scale, out: Path) -> list[Sweep]:
    """Experiment 1 at ``long_steps`` (one seed) where the scale has them: SGLD and RMSPropSGLD
    over 1e-10 ... 1e-6; over 1e-11 ... 1e-7 (their valleys lie lower) Li et al.'s pSGLD and
    our RMSPropSGLD with only ``a`` changed to pSGLD's 1e-5 (``b2`` 0.999, bias correction)."""
    if scale.long_steps is None:
        return []
    longer = replace(scale, seeds=(0,), step_size_steps=scale.long_steps)
    where = folder(out, "long", scale)
    return [step_size_sweep(longer, where, ("sgld", "rmsprop_sgld"), (-10, -6))] + [
        step_size_sweep(longer, where, (v.sampler,), (-11, -7), v.hyper)
        for v in (VARIANTS["li_psgld"], VARIANTS["small_a"])
    ]


def best_step_sizes(out: Path, scale: Scale) -> dict[str, float]:
    """Each sampler's (and variant's) best step size in experiment 1 (smallest median
    |relative error|); ``ConfigError`` if experiment 1 has not run into ``out`` for all of
    the samplers and variants that experiment 3 runs."""
    where = [folder(out, "step_size", scale)]
    if scale.variants:
        where.append(folder(out, "variants", scale))
    found = [path for path in where if path.exists()]
    best = {s.sampler: s.best_step_size for s in summarize_rows(read_rows(found))}
    needed = [*PAPER_SAMPLERS] + [
        v.label for v in VARIANTS.values() if scale.variants and v.in_order
    ]
    missing = [name for name in needed if name not in best]
    if missing:
        raise ConfigError(
            f"experiment 3 takes its step sizes from experiment 1, which has no rows for "
            f"{', '.join(missing)} in {out}: run experiment 1 first"
        )
    return best


def sweeps(experiment: str, scale: Scale, out: Path) -> list[Sweep]:
    """The sweeps of one experiment (experiment 3 reads experiment 1's rows for its step
    sizes)."""
    variants = list(VARIANTS.values()) if scale.variants else []
    if experiment == "step_size":
        where = folder(out, "variants", scale)
        main = folder(out, "step_size", scale)
        return [
            step_size_sweep(scale, main, PAPER_SAMPLERS, scale.step_size_decades),
            *(step_size_sweep(scale, where, (v.sampler,), v.decades or scale.step_size_decades,
                              v.hyper) for v in variants),
            *long_sweeps(scale, out),
        ]  # fmt: skip
    if experiment == "precondition":
        where = folder(out, "precondition", scale)
        ablation: list[tuple[tuple[str, ...], tuple[int, int], Hyper]] = [
            (PRECONDITIONING, scale.precondition_decades, None)
        ] + [((v.sampler,), v.precondition_decades, v.hyper) for v in variants
             if v.precondition_decades]  # fmt: skip
        return [
            drawn(where, scale.precondition_class, scale.precondition_archs, DRAW_SEED,
                  samplers=samplers, step_sizes=half_decades(*decades),
                  seeds=scale.precondition_seeds, steps=scale.precondition_steps, hyper=hyper)
            for samplers, decades, hyper in ablation
        ]  # fmt: skip
    if experiment == "order":
        best = best_step_sizes(out, scale)
        runs: list[tuple[str, float, Hyper]] = [
            (sampler, best[sampler], None) for sampler in PAPER_SAMPLERS
        ] + [(v.sampler, best[v.label], v.hyper) for v in variants if v.in_order]
        return [
            drawn(folder(out, "order", scale, size), size, scale.order_archs, ORDER_SEED,
                  samplers=(sampler,), step_sizes=(step,), seeds=(0,), steps=steps, hyper=hyper)
            for size, steps in scale.order_steps.items()
            for sampler, step, hyper in runs
        ]  # fmt: skip
    raise not_one_of("experiment", experiment, EXPERIMENTS)


def run_experiments(
    scale: str,
    out: Path,
    experiments: tuple[str, ...] = EXPERIMENTS,
    *,
    echo: Callable[[str], Any] = print,
) -> None:
    """Run the experiments at ``scale`` into ``out``, each sweep's command echoed before it
    runs; ``ConfigError`` names a bad setting or a folder that cannot be written."""
    if scale not in SCALES:
        raise not_one_of("scale", scale, SCALES)
    for experiment in experiments:
        for sweep in sweeps(experiment, SCALES[scale], out):
            echo(sweep.command)
            for _ in run_sweep(sweep.spec, sweep.out):
                pass


def load_results(out: Path) -> dict[str, list[dict[str, Any]]]:
    """Every experiment folder under ``out`` -> its rows (``step_size_1e5`` -> [...])."""
    return {
        path.name: read_rows([path])
        for path in sorted(out.iterdir())
        if path.is_dir() and any(path.glob("results-*.jsonl"))
    }


def precondition_table(rows: list[dict[str, Any]]) -> str:
    """Experiment 2's numbers per sampler, as a markdown table, over every DLN, seed and step
    size: runs, the share that ended in NaN (a diverged chain), the share that stayed finite
    but blew up (``|relative error| > 100%``), the share within 20%, the median
    ``|relative error|`` of the finite runs, and the spread over seeds: the median, over the
    (DLN, step size) cells, of the standard deviation of the relative error across seeds."""
    lines = [
        "| sampler | runs | ended in NaN | finite, off by > 100% | within 20% | "
        "median abs rel. error | sd over seeds |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, group in by_key(rows, sampler_label).items():
        finite = [r["relative_error"] for r in group if not failed(r)]
        cells = by_key(
            [r for r in group if not failed(r)], lambda r: (tuple(r["widths"]), r["step_size"])
        )
        spread = [np.std([r["relative_error"] for r in c], ddof=1) for c in cells.values()
                  if len(c) > 1]  # fmt: skip
        share = {
            "nan": np.mean([failed(r) for r in group]),
            "blown": np.mean([not failed(r) and abs(r["relative_error"]) > 1 for r in group]),
            "good": np.mean([not failed(r) and abs(r["relative_error"]) <= 0.2 for r in group]),
        }
        median = f"{np.median(np.abs(finite)):.1%}" if finite else "-"
        seeds = f"{np.median(spread):.1%}" if spread else "-"
        lines.append(
            f"| {label} | {len(group)} | {share['nan']:.0%} | {share['blown']:.0%} | "
            f"{share['good']:.0%} | {median} | {seeds} |"
        )
    return "\n".join(lines)
