"""A DLN written as a user's model, on fresh random DLNs: ``estimate_model_llc`` against
``estimate_llc`` at the defaults, per DLN the two estimates, whether they are equal to the last
bit, and the relative error against the exact LLC (so the user-model path's accuracy is the
built-in defaults', measured on DLNs neither has seen).

    python benchmarks/model_validation.py --arch-seed 76123 --class tiny=3 --class 1e3=4

The model's data are the DLN problem's own (``build_problem``: same teacher, same rows), its
loss the DLN's written as ``loss(params, (x, y))``, its seed the run's seed.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from llc_explorer import estimate_llc, estimate_model_llc
from llc_explorer.dln.architectures import random_architectures, random_tiny_architectures
from llc_explorer.dln.model import loss as dln_loss
from llc_explorer.dln.problem import build_problem


def as_model(params, batch):
    """The DLN's loss as a user writes it."""
    x, y = batch
    return dln_loss(params, x, y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch-seed", type=int, required=True)
    parser.add_argument("--class", dest="classes", action="append", default=[],
                        help="SIZE=COUNT, e.g. 1e3=4 (tiny: below 100 parameters)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="the runs' seed")
    args = parser.parse_args()
    equal = total = 0
    for spec in args.classes:
        size, count = spec.split("=")
        draw = random_tiny_architectures if size == "tiny" else None
        archs = (
            draw(int(count), seed=args.arch_seed)
            if draw
            else random_architectures(size, int(count), seed=args.arch_seed)
        )
        for arch in archs:
            start = time.perf_counter()
            builtin = estimate_llc(arch.widths, arch.rank, seed=args.seed)
            config = builtin.config
            problem = build_problem(arch.widths, arch.rank, n=config.n, seed=args.seed)
            data = (problem.data.x, problem.data.y)
            model = estimate_model_llc(as_model, problem.teacher, data, seed=args.seed)
            same = bool(np.array_equal(model.llc_per_chain, builtin.llc_per_chain))
            equal, total = equal + same, total + 1
            exact = float(builtin.true_llc)
            print(json.dumps({
                "class": size, "widths": list(arch.widths), "rank": arch.rank,
                "d": builtin.num_params, "exact": exact, "builtin": builtin.llc_mean,
                "model": model.llc_mean, "bit_for_bit": same,
                "error": (model.llc_mean - exact) / exact, "seconds": time.perf_counter() - start,
            }), flush=True)  # fmt: skip
    print(f"{equal} of {total} equal to the last bit")


if __name__ == "__main__":
    main()
