"""Choose the Playground's default step sizes: each sampler's error on the four surfaces.

For every sampler and step size of a small grid, estimates the LLC of every surface
(``n*beta = 1000``, ``gamma = 1``, 32 chains, the default steps and burn-in) for two seeds
and prints the error against :func:`llc_explorer.surfaces.library.tempered_llc` (what an exact
sampler converges to) in units of the standard error, and relative to it. The default of a
sampler is a step size whose errors stay within a few percent on all four surfaces while
the chains still cross the arms of the singular surfaces in the run's length::

    python benchmarks/surface_defaults.py [--steps 300000 --seeds 0,1]
"""

from __future__ import annotations

import argparse
import math

from llc_explorer.sgmcmc.registry import REGISTRY
from llc_explorer.surfaces.library import SURFACES
from llc_explorer.surfaces.sampling import estimate_surface_llc

GRID = {
    "sgld": (1e-5, 3e-5, 1e-4),
    "rmsprop_sgld": (1e-6, 3e-6, 1e-5),
    "adam_sgld": (3e-7, 1e-6, 3e-6),
    "sghmc": (1e-5, 3e-5, 1e-4),
    "sgnht": (1e-5, 3e-5, 1e-4),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=None, help="default: the Playground's")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--samplers", default=",".join(GRID))
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    extra = {} if args.steps is None else {"steps": args.steps}
    print("sampler       step     " + "  ".join(f"{name:>18s}" for name in SURFACES))
    for sampler in args.samplers.split(","):
        for step in GRID[sampler]:
            cells = []
            for name in SURFACES:
                runs = [
                    estimate_surface_llc(name, sampler=sampler, step_size=step, seed=seed, **extra)
                    for seed in seeds
                ]
                target = runs[0].tempered_llc
                mean = sum(r.llc_mean for r in runs) / len(runs)
                stderr = math.sqrt(sum(r.llc_stderr**2 for r in runs)) / len(runs)
                diverged = sum(len(r.diverged_chains) for r in runs)
                z = (mean - target) / stderr if stderr > 0 else math.nan
                cells.append(f"{100 * (mean - target) / target:+6.1f}% {z:+5.1f}se d{diverged}")
            default = "*" if REGISTRY[sampler].surface_defaults["step_size"] == step else " "
            print(f"{sampler:12s} {step:7.0e}{default} " + "  ".join(f"{c:>18s}" for c in cells))


if __name__ == "__main__":
    main()
