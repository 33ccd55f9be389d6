"""A fast counter-based PRNG for the samplers' Gaussian noise, registered with JAX.

Every sampler step needs ``d`` fresh normals per chain. JAX's default threefry generator
costs about 25-60 ns per 32-bit value on a CPU core, more than the gradient of a small DLN,
so the noise would dominate a chain step. This implementation keeps threefry for ``seed``,
``split`` and ``fold_in`` (a few calls per step) and makes the bulk bits with a keyed
counter hash: value ``i`` of a key ``(k0, k1)`` is

    h(h(i * 0x9E3779B9 xor k0) xor k1),   h = "lowbias32" (C. Wellons' integer hash)

which XLA vectorises (about 2x threefry's normals per second on a 2-core CPU:
``benchmarks/prng_speed.py``). Normals then come from
``jax.random.normal`` as usual. Statistical checks live in ``tests/sgmcmc/test_prng.py``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend import random as jax_random

from llc_explorer.errors import lookup


def lowbias32(x: jax.Array) -> jax.Array:
    """The lowbias32 integer hash of uint32 values."""
    x = x ^ (x >> 16)
    x = x * jnp.uint32(0x7FEB352D)
    x = x ^ (x >> 15)
    x = x * jnp.uint32(0x846CA68B)
    return x ^ (x >> 16)


def _bits32(key: jax.Array, size: int) -> jax.Array:
    counter = jax.lax.iota(jnp.uint32, size)
    return lowbias32(lowbias32(counter * jnp.uint32(0x9E3779B9) ^ key[0]) ^ key[1])


def random_bits(key: jax.Array, bit_width: int, shape: tuple[int, ...]) -> jax.Array:
    """``shape`` random unsigned ints of ``bit_width`` bits from raw key data ``key``."""
    size = int(np.prod(shape))
    if bit_width == 64:
        pair = _bits32(key, 2 * size).astype(jnp.uint64)
        return ((pair[:size] << 32) | pair[size:]).reshape(shape)
    dtype = {8: jnp.uint8, 16: jnp.uint16, 32: jnp.uint32}[bit_width]
    return _bits32(key, size).astype(dtype).reshape(shape)


def _threefry(data: jax.Array) -> jax.Array:
    return jax.random.wrap_key_data(data, impl="threefry2x32")


HASH32 = jax_random.define_prng_impl(
    key_shape=(2,),
    seed=lambda seed: jax.random.key_data(jax.random.key(seed, impl="threefry2x32")),
    split=lambda key, shape: jax.random.key_data(jax.random.split(_threefry(key), shape)),
    random_bits=random_bits,
    fold_in=lambda key, data: jax.random.key_data(jax.random.fold_in(_threefry(key), data)),
    name="llc_explorer_hash32",
)
"""The PRNG implementation of the chain keys by default (``prng="fast"``)."""

PRNGS = {"fast": HASH32, "threefry": "threefry2x32", "philox": "philox4x32"}
"""The chains' noise generators by name: this module's hash (the default; the fastest on a
CPU, ``benchmarks/prng_speed.py``), JAX's default threefry and JAX's philox."""


def chain_key(data: jax.Array, prng: str) -> jax.Array:
    """The chains' key from the raw threefry key data ``data`` (2 uint32), for the generator
    named ``prng`` (:data:`PRNGS`; ``ConfigError`` for another name)."""
    impl = lookup("prng", prng, PRNGS)
    if prng == "philox":  # a key of its own shape, seeded from the data
        return jax.random.key(int(data[0]), impl=impl)
    return jax.random.wrap_key_data(data, impl=impl)
