"""Chains on a 1e8-parameter DLN: chain-steps per second and peak device memory.

Meant for a GPU with about 80 GB (it runs anywhere, slowly): the widths default to five
layers of 5,000 (four 5,000 x 5,000 matrices: d = 1.0e8), n = 100,000 inputs, batch 100,
RMSPropSGLD. Data and ``L_n(w*)`` are built in row chunks on the device; the chain state
never leaves the device between chunks (only the recorded losses do).

    python benchmarks/device_1e8.py [--widths 5000,5000,5000,5000,5000 --rank 2500 \\
        --steps 200 --chains 1 --step-size 3e-8]

Prints one JSON line: d, steps, step size, chain-steps per second (compile excluded), compile
and total seconds, the device's peak bytes in use (where the backend reports it) and the
estimate against the exact LLC. Results on an H200 are in docs/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import time

import jax

from llc_explorer import estimate_llc, num_params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", default="5000,5000,5000,5000,5000")
    parser.add_argument("--rank", type=int, default=2500)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--chains", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--chunk-size", type=int, default=50)
    parser.add_argument(
        "--step-size", type=float, default=None, help="default: automatic (adapted in the burn-in)"
    )
    args = parser.parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    began = time.perf_counter()
    result = estimate_llc(
        widths, args.rank, sampler="rmsprop_sgld", n=args.n, steps=args.steps,
        chains=args.chains, batch_size=args.batch_size, chunk_size=args.chunk_size, burn_in=0.5,
        step_size=args.step_size,
    )  # fmt: skip
    total = time.perf_counter() - began
    device = jax.devices()[0]
    stats = device.memory_stats() or {}
    print(
        json.dumps(
            {
                "device": f"{jax.device_count()} x {device.device_kind}",
                "widths": widths,
                "d": num_params(widths),
                "steps": args.steps,
                "step_size": result.config.step_size,
                "chains": args.chains,
                "chain_steps_per_second": result.steps_per_second,
                "compile_seconds": result.compile_seconds,
                "total_seconds": total,
                "peak_bytes_in_use": stats.get("peak_bytes_in_use"),
                "bytes_limit": stats.get("bytes_limit"),
                "llc_mean": result.llc_mean,
                "true_llc": float(result.true_llc),
                "diverged_chains": result.diverged_chains,
            }
        )
    )


if __name__ == "__main__":
    main()
