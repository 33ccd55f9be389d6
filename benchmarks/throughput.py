"""Chain-steps per second of llc_explorer against devinterp 1.3.2 and the machine's matmul rate.

One run measures, on this machine:

1. the float32 matmul rate (a jitted 2048 x 2048 product, best of 5);
2. llc_explorer's SGLD chain-steps per second (compile excluded) on the DLNs 10,20,20,10
   (d = 800) and 100,100,100,100,100 (d = 40,000), batch 100;
3. devinterp 1.3.2's SGLD on the same DLNs and batch, via ``devinterp_peer.py`` run by
   the interpreter given with ``--peer-python`` (a venv with ``torch==2.13.0 devinterp==1.3.2``);

Our side runs in subprocesses twice per DLN: on one XLA CPU device (XLA's intra-op threads
share the cores) and with the chains sharded over one host device per core
(``XLA_FLAGS=--xla_force_host_platform_device_count=N``); both figures are printed and the
better one is compared. devinterp runs with one torch thread, its fastest stable setting on
a 2-core machine (see ``devinterp_peer.py``). Prints the ratios with the issue's targets
(>= 60x devinterp at d = 800 with 8 chains; at d = 40,000 with one chain, >= 8x devinterp
and >= 50% of the matmul rate counting 6 x batch x d flops per chain-step; where the latter
is missed, ``step_breakdown.py`` shows each part of a step against its own limit):

    python3 -m venv /tmp/peer && /tmp/peer/bin/pip install torch==2.13.0 devinterp==1.3.2
    python benchmarks/throughput.py --peer-python /tmp/peer/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp

from llc_explorer import estimate_llc, num_params

CASES = [
    # widths, rank, our chains, our steps, devinterp steps, target ratio vs devinterp
    ((10, 20, 20, 10), 3, 8, 20_000, 2000, 60.0),
    ((100, 100, 100, 100, 100), 50, 1, 4000, 300, 8.0),
]
BATCH = 100
MATMUL_TARGET = 0.5


def matmul_rate(size: int = 2048, repeats: int = 5) -> float:
    """Best float32 flops per second of a jitted ``size x size`` matmul."""
    a = jax.random.normal(jax.random.PRNGKey(0), (size, size), jnp.float32)
    product = jax.jit(lambda x: x @ x)
    product(a).block_until_ready()
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        product(a).block_until_ready()
        best = min(best, time.perf_counter() - began)
    return 2 * size**3 / best


def ours(widths: tuple[int, ...], rank: int, chains: int, steps: int) -> float:
    """llc_explorer SGLD chain-steps per second (best of two runs, compile excluded)."""
    runs = [
        estimate_llc(
            widths, rank, sampler="sgld", step_size=2e-6, batch_size=BATCH, chains=chains,
            steps=steps, seed=seed, burn_in=0.5,
        ).steps_per_second
        for seed in (0, 1)
    ]  # fmt: skip
    return max(runs)


def ours_with_devices(devices: int, *case: object) -> float:
    """:func:`ours` in a subprocess with ``devices`` XLA host devices."""
    env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}
    done = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(case)],
        capture_output=True, text=True, check=True, env=env,
    )  # fmt: skip
    return float(done.stdout.strip().splitlines()[-1])


def peer(python: str, widths: tuple[int, ...], steps: int) -> dict:
    """devinterp's chain-steps per second, from ``devinterp_peer.py`` in its own venv."""
    script = Path(__file__).with_name("devinterp_peer.py")
    done = subprocess.run(
        [
            python,
            str(script),
            "--widths",
            ",".join(map(str, widths)),
            "--steps",
            str(steps),
            "--batch-size",
            str(BATCH),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", help="python of a venv with devinterp 1.3.2 and torch")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        widths, rank, chains, steps = json.loads(args.worker)
        print(ours(tuple(widths), rank, chains, steps))
        return 0
    cores = os.cpu_count() or 1
    rate = matmul_rate()
    print(f"float32 matmul rate (jax, one device, 2048^2): {rate / 1e9:.1f} GFLOP/s")
    print(f"jax {jax.__version__} on {cores} CPU cores; devinterp: 1 torch thread")
    print(
        "| widths | d | llc_explorer chain-steps/s: 1 device / "
        f"{cores} host devices | devinterp chain-steps/s | ratio (target) "
        "| matmul efficiency (target) |"
    )
    print("|---|---|---|---|---|---|")
    ok = True
    for widths, rank, chains, steps, peer_steps, target in CASES:
        single = ours_with_devices(1, widths, rank, chains, steps)
        sharded = ours_with_devices(cores, widths, rank, chains, steps)
        speed = max(single, sharded)
        d = num_params(widths)
        efficiency = 6 * BATCH * d * speed / rate
        if args.peer_python:
            theirs = peer(args.peer_python, widths, peer_steps)["chain_steps_per_second"]
            ratio = speed / theirs
            ok &= ratio >= target
            peer_cells = f"{theirs:,.0f} | {ratio:.1f}x ({target:.0f}x)"
        else:
            peer_cells = "not run | -"
        eff_target = f"({MATMUL_TARGET:.0%})" if d >= 40_000 else "-"
        if d >= 40_000:
            ok &= efficiency >= MATMUL_TARGET
        print(
            f"| {','.join(map(str, widths))} | {d:,} | {single:,.0f} / {sharded:,.0f} "
            f"({chains} chains) | {peer_cells} | {efficiency:.0%} {eff_target} |"
        )
    print("all targets met" if ok else "some targets missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
