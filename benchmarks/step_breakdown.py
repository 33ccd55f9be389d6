"""Where an SGLD chain-step's time goes at d = 40,000 (widths 100 x 5, batch 100, one chain),
each part against its own limit, measured in one run on this machine.

Every part runs as a jitted ``lax.scan`` of 1,000 steps (best of 5), so it is timed as it runs
inside a chunk:

- **matmul**: the 11 products of a step's forward and backward pass (4 forward, 3 for the
  gradients of the activations, 4 for those of the weights; 100 x 100 x 100 each), against
  the same flops at this machine's float32 rate for a large (2048^2) product;
- **gradient**: the whole minibatch gradient (row draw, gather, forward, backward), against the
  matmul part alone;
- **noise**: ``d`` standard normals from the chains' generator (``prng="fast"``), against the
  random bits alone (the Gaussian transform is the difference);
- **step**: the package's SGLD chunk (``estimate_llc``, compile excluded), against gradient +
  noise measured apart (the rest: update, divergence check, MALA bookkeeping);
- **gradient**'s limit is its matmul part; its own extra is the row draw, the gather, the
  residual and the layouts of the backward products.

    python benchmarks/step_breakdown.py
"""

from __future__ import annotations

import itertools
import time

import jax
import jax.numpy as jnp
from jax import lax
from throughput import matmul_rate  # this folder is on the path when run as a script

from llc_explorer import estimate_llc
from llc_explorer.dln.data import Dataset
from llc_explorer.dln.gradients import MinibatchGradient
from llc_explorer.sgmcmc.prng import HASH32

WIDTHS = (100,) * 5
BATCH = 100
STEPS = 1000
D = sum(a * b for a, b in itertools.pairwise(WIDTHS))
PRODUCTS = 11  # 4 forward, 3 activation gradients, 4 weight gradients


def per_step(run, *args) -> float:
    """Best seconds per step of a jitted ``STEPS``-step scan ``run(*args)``."""
    run = jax.jit(run)
    jax.block_until_ready(run(*args))
    best = float("inf")
    for _ in range(5):
        began = time.perf_counter()
        jax.block_until_ready(run(*args))
        best = min(best, time.perf_counter() - began)
    return best / STEPS


def matmul_part() -> float:
    a = jax.random.normal(jax.random.key(1), (BATCH, 100), jnp.float32) * 0.1
    w = jax.random.normal(jax.random.key(2), (100, 100), jnp.float32) * 0.1

    def products(c, _):
        for _ in range(PRODUCTS):
            c = c @ w
        return c, None

    return per_step(lambda a: lax.scan(products, a, None, STEPS)[0], a)


def gradient_part() -> float:
    """The package's gradient estimator (:class:`MinibatchGradient`), keys as in a chunk."""
    layers = tuple(
        jax.random.normal(jax.random.key(3 + j), (100, 100), jnp.float32) * 0.1 for j in range(4)
    )
    data = Dataset(
        jax.random.normal(jax.random.key(8), (100_000, 100), jnp.float32),
        jax.random.normal(jax.random.key(9), (100_000, 100), jnp.float32),
    )
    estimate = MinibatchGradient(BATCH)

    def step(carry, _):
        w, key = carry
        key, batch_key = jax.random.split(key)
        value, grad = estimate(w, data, key=batch_key)
        return (tuple(a - 1e-9 * g for a, g in zip(w, grad, strict=True)), key), value

    start = (layers, jax.random.key(0, impl=HASH32))
    return per_step(lambda c: lax.scan(step, c, None, STEPS)[1], start)


def random_part(draw) -> float:
    def step(key, _):
        key, sub = jax.random.split(key)
        return key, jnp.sum(draw(sub))

    return per_step(lambda k: lax.scan(step, k, None, STEPS)[1], jax.random.key(0, impl=HASH32))


def sgld_step() -> float:
    rates = [
        estimate_llc(WIDTHS, 50, sampler="sgld", step_size=2e-6, batch_size=BATCH, chains=1,
                     steps=4000, burn_in=0.5, seed=seed).steps_per_second
        for seed in (0, 1)
    ]  # fmt: skip
    return 1 / max(rates)


def main() -> None:
    rate = matmul_rate()  # throughput.py's: the same 2048^2 product, best of 5
    matmul = matmul_part()
    gradient = gradient_part()
    noise = random_part(lambda k: jax.random.normal(k, (D,), jnp.float32))
    bits = random_part(lambda k: jax.random.bits(k, (D,), jnp.uint32))
    step = sgld_step()
    flops = PRODUCTS * 2 * BATCH * 100 * 100
    rows = [
        ("matmul (11 products)", matmul, flops / rate, "the same flops at the 2048^2 rate"),
        ("gradient (draw, gather, pass)", gradient, matmul, "its matmul part"),
        (f"noise ({D:,} normals)", noise, bits, "the random bits alone"),
        ("SGLD chain-step", step, gradient + noise, "gradient + noise"),
    ]
    print(f"float32 matmul rate (2048^2): {rate / 1e9:.0f} GFLOP/s; d = {D:,}, batch {BATCH}")
    print("| part | us per step | its limit | limit (us) | limit / measured |")
    print("|---|---|---|---|---|")
    for name, seconds, limit, what in rows:
        print(
            f"| {name} | {seconds * 1e6:.0f} | {what} | {limit * 1e6:.0f} | {limit / seconds:.0%} |"
        )
    print(
        f"SGLD: {1 / step:,.0f} chain-steps/s = {6 * BATCH * D / step / rate:.0%} of the matmul "
        "rate for 6 x batch x d flops per step"
    )


if __name__ == "__main__":
    main()
