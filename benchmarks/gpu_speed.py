"""Everything the GPU targets need, measured in one short run (prepared for a lent GPU; it runs
anywhere: ``--small`` shrinks every size for a CPU check).

1. **Bandwidth**: the device's measured memory bandwidth, from a jitted ``y = a * x + b`` over
   a large float32 array (bytes read and written per second, best of 5).
2. **1e8 DLN** (five layers of 5,000; n = 100,000; batch 100; RMSPropSGLD and SGLD, 1 and 4
   chains): chain-steps/s, compile excluded. The bytes one chain-step moves come from the
   compiled program (XLA's cost analysis of a one-step chunk, ``bytes accessed``, per
   chain); ``bandwidth / bytes`` is the chain-steps/s that memory traffic allows, and the
   ratio to it is printed against the 80% target. Memory per chain: the slope of the
   compiled chunk's memory (arguments + temporaries + outputs) from 1 to 4 chains.
3. **1e5 and 1e6 batches**: each sampler runs the paper's grid cell as the sweep does
   (``llc_explorer.bench.sweep.run_group``: 9 step sizes x 4 chains = 36 chains in one vmapped
   batch) on a random DLN of the class; chain-steps/s per sampler, and the wall time the
   paper's size-class sweep (10 architectures x 5 samplers x 9 step sizes x 2 seeds x 4 chains
   x 10,000 steps) would take at those rates (compile excluded, reported apart).

    python benchmarks/gpu_speed.py            # on the GPU (about 5 minutes on an H200)
    python benchmarks/gpu_speed.py --small    # the same code at small sizes, on a CPU

Prints one JSON line per measurement, then a Markdown summary.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

import jax
import jax.numpy as jnp
import numpy as np

from llc_explorer import estimate_llc, num_params
from llc_explorer.apps.precompile import chunk_arguments
from llc_explorer.bench.sweep import make_spec, run_group
from llc_explorer.config import make_config
from llc_explorer.sgmcmc.chains import CHUNKS
from llc_explorer.sgmcmc.registry import sampler_names

TRAFFIC_TARGET = 0.8
PAPER_SWEEP = {"archs": 10, "seeds": 2, "step_sizes": 9, "chains": 4, "steps": 10_000}

SIZES = {
    "full": {
        "bandwidth_bytes": 2**32, "dln": (5000,) * 5, "rank": 2500, "n": 100_000,
        "steps": 200, "classes": ("1e5", "1e6"), "batch_steps": 1000,
    },
    "small": {
        "bandwidth_bytes": 2**26, "dln": (200,) * 5, "rank": 100, "n": 2000,
        "steps": 40, "classes": ("1e3", "1e4"), "batch_steps": 40,
    },
}  # fmt: skip


def emit(record: dict) -> dict:
    print(json.dumps(record), flush=True)
    return record


def bandwidth(size_bytes: int) -> float:
    """Best bytes/s of ``y = a * x + b`` over ``size_bytes`` of float32 (read x, write y)."""
    x = jnp.ones((size_bytes // 4,), jnp.float32)
    axpb = jax.jit(lambda x: 1.0001 * x + 0.5)
    axpb(x).block_until_ready()
    best = float("inf")
    for _ in range(5):
        began = time.perf_counter()
        axpb(x).block_until_ready()
        best = min(best, time.perf_counter() - began)
    return 2 * size_bytes / best


def compiled_step(config):
    """The compiled one-step chunk of ``config`` (from shapes: nothing allocated)."""
    return CHUNKS.get(*chunk_arguments(dataclasses.replace(config, chunk_size=1)))[0]


def first(analysis):
    """XLA's analyses come as a dict or a one-element list, depending on the version."""
    return analysis[0] if isinstance(analysis, list) else analysis


def step_bytes(config) -> float:
    """Bytes one chain-step reads and writes, by XLA's cost analysis of the compiled step."""
    return float(first(compiled_step(config).cost_analysis())["bytes accessed"]) / config.chains


def program_memory(config) -> int:
    """Bytes of the compiled chunk's arguments, temporaries and outputs."""
    memory = first(compiled_step(config).memory_analysis())
    parts = ("argument_size_in_bytes", "temp_size_in_bytes", "output_size_in_bytes")
    return int(sum(getattr(memory, part) for part in parts))


def dln_speed(size: dict, sampler: str, chains: int, rate: float) -> dict:
    widths, rank = size["dln"], size["rank"]
    settings = dict(sampler=sampler, n=size["n"], chains=chains, batch_size=100, burn_in=0.5)
    config = make_config(widths, rank, steps=size["steps"], chunk_size=50, **settings)
    traffic = step_bytes(config)
    result = estimate_llc(widths, rank, steps=size["steps"], chunk_size=50, **settings,
                          step_size=config.step_size)  # fmt: skip
    allowed = rate / traffic
    return emit({
        "measure": "dln", "d": num_params(widths), "sampler": sampler, "chains": chains,
        "chain_steps_per_second": result.steps_per_second, "bytes_per_chain_step": traffic,
        "traffic_limit_chain_steps_per_second": allowed,
        "fraction_of_traffic_limit": result.steps_per_second / allowed,
        "program_bytes": program_memory(config), "compile_seconds": result.compile_seconds,
        "llc_mean": result.llc_mean, "exact": float(result.true_llc or "nan"),
    })  # fmt: skip


def batch_speed(size_class: str, sampler: str, steps: int) -> dict:
    """The sweep's batch (9 step sizes x 4 chains) of ``sampler`` on a random DLN."""
    spec = make_spec(
        samplers=[sampler], step_sizes=np.logspace(-9, -5, 9), size_class_name=size_class,
        archs=1, arch_seed=7, steps=steps, chains=4,
    )  # fmt: skip
    rows = run_group(spec.runs())
    return emit({
        "measure": "batch", "size_class": size_class, "d": rows[0]["num_params"],
        "sampler": sampler, "chains": len(rows) * spec.chains,
        # each row's rate counts its own chains over the batch's sampling time
        "chain_steps_per_second": sum(row["steps_per_second"] for row in rows),
        "compile_seconds": rows[0]["compile_seconds"], "wall_seconds": rows[0]["wall_seconds"],
    })  # fmt: skip


def paper_sweep_hours(rates: dict[str, float]) -> float:
    """Hours for the paper's size-class sweep at these per-sampler chain-steps/s."""
    p = PAPER_SWEEP
    per_sampler = p["archs"] * p["seeds"] * p["step_sizes"] * p["chains"] * p["steps"]
    return sum(per_sampler / rate for rate in rates.values()) / 3600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="small sizes, for a CPU check")
    size = SIZES["small" if parser.parse_args().small else "full"]
    device = jax.devices()[0]
    emit({"measure": "device", "device": f"{jax.device_count()} x {device.device_kind}",
          "jax": jax.__version__})  # fmt: skip
    rate = bandwidth(size["bandwidth_bytes"])
    emit({"measure": "bandwidth", "bytes_per_second": rate})
    dln = [dln_speed(size, s, c, rate) for s in ("rmsprop_sgld", "sgld") for c in (1, 4)]
    program = {(r["sampler"], r["chains"]): r["program_bytes"] for r in dln}
    per_chain = {s: (program[s, 4] - program[s, 1]) / 3 for s in ("rmsprop_sgld", "sgld")}
    batches = {
        size_class: {s: batch_speed(size_class, s, size["batch_steps"]) for s in sampler_names()}
        for size_class in size["classes"]
    }
    print(f"\nbandwidth {rate / 1e9:,.0f} GB/s on {device.device_kind}")
    print("| d | sampler | chains | chain-steps/s | bytes/chain-step | traffic limit | "
          f"fraction (target {TRAFFIC_TARGET:.0%}) | memory/chain |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for r in dln:
        print(
            f"| {r['d']:.1e} | {r['sampler']} | {r['chains']} | "
            f"{r['chain_steps_per_second']:,.0f} | {r['bytes_per_chain_step'] / 1e9:.2f} GB | "
            f"{r['traffic_limit_chain_steps_per_second']:,.0f} | "
            f"{r['fraction_of_traffic_limit']:.0%} | {per_chain[r['sampler']] / 2**30:.2f} GiB |"
        )
    print("\n| size class | d | sampler | chains batched | chain-steps/s | compile |")
    print("|---|---|---|---|---|---|")
    for size_class, by_sampler in batches.items():
        for r in by_sampler.values():
            print(
                f"| {size_class} | {r['d']:,} | {r['sampler']} | {r['chains']} | "
                f"{r['chain_steps_per_second']:,.0f} | {r['compile_seconds']:.1f} s |"
            )
        rates = {s: r["chain_steps_per_second"] for s, r in by_sampler.items()}
        print(f"paper's {size_class} sweep at these rates: {paper_sweep_hours(rates):.2f} h "
              "(compile excluded)")  # fmt: skip


if __name__ == "__main__":
    main()
