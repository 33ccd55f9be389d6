"""The chains' noise generators side by side: this package's hash (``prng="fast"``), JAX's
threefry and JAX's philox4x32, on this machine.

For each: Gaussian draws per second (1,000 draws of d = 40,000 normals in one jitted loop,
best of 3) and SGLD chain-steps per second on the DLN 100 x 5 (d = 40,000, batch 100, one
chain, compile excluded), with the ratio to ``fast``.

    python benchmarks/prng_speed.py
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp

from llc_explorer import estimate_llc
from llc_explorer.sgmcmc.prng import PRNGS

DIM = 40_000
DRAWS = 1000


def normals_per_second(impl) -> float:
    """Normals per second: ``DRAWS`` draws of ``DIM`` normals, each from a split key."""

    @jax.jit
    def draw(key):
        def body(_, carry):
            key, total = carry
            key, sub = jax.random.split(key)
            return key, total + jnp.sum(jax.random.normal(sub, (DIM,)))

        return jax.lax.fori_loop(0, DRAWS, body, (key, jnp.float32(0)))[1]

    key = jax.random.key(0, impl=impl)
    draw(key).block_until_ready()
    best = min(timed(lambda: draw(key).block_until_ready()) for _ in range(3))
    return DRAWS * DIM / best


def timed(run) -> float:
    began = time.perf_counter()
    run()
    return time.perf_counter() - began


def chain_steps_per_second(prng: str) -> float:
    """SGLD chain-steps per second on 100 x 5 with this generator."""
    settings = {"sampler": "sgld", "step_size": 2e-6, "chains": 1, "steps": 4000, "prng": prng}
    estimate_llc([100] * 5, 3, **settings)  # compile
    return estimate_llc([100] * 5, 3, **settings).steps_per_second


def main() -> None:
    print(f"{jax.devices()[0].device_kind}, d = {DIM:,}")
    print(f"{'prng':<10}{'normals/s':>14}{'ratio':>8}{'chain-steps/s':>16}{'ratio':>8}")
    rows = {name: (normals_per_second(impl), chain_steps_per_second(name))
            for name, impl in PRNGS.items()}  # fmt: skip
    base = rows["fast"]
    for name, (normals, steps) in rows.items():
        print(f"{name:<10}{normals:>14,.3g}{normals / base[0]:>8.2f}"
              f"{steps:>16,.0f}{steps / base[1]:>8.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
