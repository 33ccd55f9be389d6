"""Explorer latency against the issue's limits: Run to the first plotted point.

Three fresh processes share one new, empty JAX compilation cache folder:

1. cold: nothing cached (data generation and compilation included), limit 1.5 s;
2. restarted kernel: the persistent cache holds the compiled chunk, limit 1.5 s;
3. in the same process as 2, a rerun after changing only the step size, limit 0.3 s.

The time is from ``Explorer.run()`` to the first data in the loss-trace source, at the
explorer's default settings (10,20,20,10, rank 2, RMSPropSGLD, n = 1e5, 4 chains).

    python benchmarks/explorer_latency.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

LIMITS = {"cold": 1.5, "restarted kernel": 1.5, "rerun, step size changed": 0.3}


def first_point_seconds(explorer) -> float:
    """Seconds from ``run()`` to the first point in the loss source (then stop)."""
    source = explorer.sources["loss"]
    began = time.perf_counter()
    explorer.run()
    while not len(source.data.get("xs", ())) and explorer.running:
        time.sleep(0.002)
        explorer.flush()  # what the kernel's event loop does in a notebook
    elapsed = time.perf_counter() - began
    explorer.stop()
    explorer.wait()
    return elapsed


def worker(rerun: bool) -> None:
    from llc_explorer import Explorer

    explorer = Explorer()
    times = [first_point_seconds(explorer)]
    if rerun:
        explorer.controls["step_size"].value = explorer.controls["step_size"].value * 2
        times.append(first_point_seconds(explorer))
    print(json.dumps(times))


def run_worker(cache: str, rerun: bool) -> list[float]:
    env = {**os.environ, "XDG_CACHE_HOME": cache}
    done = subprocess.run(
        [sys.executable, __file__, "--worker", "rerun" if rerun else "once"],
        capture_output=True, text=True, check=True, env=env,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2] == "rerun")
        return
    with tempfile.TemporaryDirectory() as cache:
        (cold,) = run_worker(cache, rerun=False)
        restarted, rerun = run_worker(cache, rerun=True)
    print("| case | Run to first point | limit | ratio |")
    print("|---|---|---|---|")
    for case, seconds in zip(LIMITS, (cold, restarted, rerun), strict=True):
        limit = LIMITS[case]
        print(f"| {case} | {seconds:.2f} s | {limit} s | {seconds / limit:.2f} |")


if __name__ == "__main__":
    main()
