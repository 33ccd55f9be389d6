"""Wall time of one estimate at the CLI defaults, against the 30 s limit for d <= 1e4.

    python benchmarks/accuracy_timing.py [--arch-seed 30333] [--count 3]

For the ``--count`` largest of 20 architectures of the 1e3 and 1e4 size classes with
``d <= 1e4`` (seed ``--arch-seed``), runs ``estimate_llc`` at its defaults (automatic step
size) in a fresh process each (imports, data and compilation included; the library API uses
no persistent compilation cache, so this is what a first ``llc-explorer estimate`` costs) and
prints seconds and the ratio to the limit. Run it on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from llc_explorer.dln.architectures import random_architectures

LIMIT_SECONDS = 30.0
"""The issue's budget for one estimate with d <= 1e4 on the 2-core CPU."""

ONE_RUN = """
import json, sys
from llc_explorer import estimate_llc
widths, rank = json.loads(sys.argv[1])
result = estimate_llc(widths, rank)
print(json.dumps([result.relative_error, result.num_params]))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch-seed", type=int, default=30333)
    parser.add_argument("--count", type=int, default=3)
    args = parser.parse_args()
    print("| size class | widths | r | d | wall s | / limit | rel. error |")
    print("|---|---|---|---|---|---|---|")
    for size in ("1e3", "1e4"):
        drawn = [a for a in random_architectures(size, 20, seed=args.arch_seed)
                 if a.num_params <= 10_000]  # fmt: skip
        archs = sorted(drawn, key=lambda a: a.num_params, reverse=True)[: args.count]
        for arch in archs:
            began = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", ONE_RUN, json.dumps([arch.widths, arch.rank])],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            wall = time.perf_counter() - began
            error, d = json.loads(out.stdout.splitlines()[-1])
            print(
                f"| {size} | {','.join(map(str, arch.widths))} | {arch.rank} | {d:,} "
                f"| {wall:.1f} | {wall / LIMIT_SECONDS:.2f} | {error:+.1%} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
