"""Statistical checks of the fast noise generator (llc_explorer.sgmcmc.prng).

Each check compares a statistic with its standard error under the ideal generator and allows
5 standard errors (a false alarm about once in 3.5 million runs): a biased or correlated
stream fails by far more.
"""

import jax
import jax.numpy as jnp
import numpy as np

from llc_explorer.sgmcmc.prng import HASH32, lowbias32

N = 1_000_000


def normals(seed: int, size: int = N) -> np.ndarray:
    return np.asarray(jax.random.normal(jax.random.key(seed, impl=HASH32), (size,)), np.float64)


def test_normal_moments():
    x = normals(0)
    assert abs(x.mean()) < 5 / np.sqrt(N)
    assert abs(x.var() - 1) < 5 * np.sqrt(2 / N)
    assert abs(np.mean(x**4) - 3) < 5 * np.sqrt(96 / N)
    assert abs(np.mean(x**3)) < 5 * np.sqrt(15 / N)


def test_uniform_bits_fill_bins_evenly():
    bits = np.asarray(jax.random.bits(jax.random.key(1, impl=HASH32), (N,), jnp.uint32))
    for shift in (0, 8, 24):  # low, middle and high bytes
        counts = np.bincount((bits >> shift) & 0xFF, minlength=256)
        chi2 = np.sum((counts - N / 256) ** 2 / (N / 256))
        # chi-square with 255 degrees of freedom: mean 255, sd sqrt(510)
        assert abs(chi2 - 255) < 5 * np.sqrt(510), (shift, chi2)


def test_no_correlation_along_the_stream_or_across_split_keys():
    x = normals(2)
    assert abs(np.mean(x[1:] * x[:-1])) < 5 / np.sqrt(N)
    keys = jax.random.split(jax.random.key(3, impl=HASH32), 2)
    a, b = (np.asarray(jax.random.normal(k, (N,)), np.float64) for k in keys)
    assert abs(np.mean(a * b)) < 5 / np.sqrt(N)
    folded = jax.random.fold_in(jax.random.key(3, impl=HASH32), 1)
    c = np.asarray(jax.random.normal(folded, (N,)), np.float64)
    assert abs(np.mean(a * c)) < 5 / np.sqrt(N)


def test_same_key_same_stream_and_bit_widths():
    assert np.array_equal(normals(4, 1000), normals(4, 1000))
    key = jax.random.key(5, impl=HASH32)
    for dtype in (jnp.uint8, jnp.uint16, jnp.uint32, jnp.uint64):
        if dtype == jnp.uint64 and not jax.config.jax_enable_x64:
            continue
        out = jax.random.bits(key, (3, 4), dtype)
        assert out.shape == (3, 4) and out.dtype == dtype


def test_lowbias32_reference_values():
    # Reference values computed independently with Python integers.
    def ref(x):
        x ^= x >> 16
        x = (x * 0x7FEB352D) & 0xFFFFFFFF
        x ^= x >> 15
        x = (x * 0x846CA68B) & 0xFFFFFFFF
        return x ^ (x >> 16)

    xs = np.array([0, 1, 2, 12345, 0xFFFFFFFF], np.uint32)
    got = np.asarray(lowbias32(jnp.asarray(xs)))
    assert [int(g) for g in got] == [ref(int(x)) for x in xs]
