"""The DLN, its teacher of exact product rank, chunked data, and the architecture generator."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from llc_explorer import dln_llc, num_params
from llc_explorer.dln.architectures import SIZE_CLASSES, random_architectures, size_class
from llc_explorer.dln.data import full_loss, make_dataset
from llc_explorer.dln.model import forward, has_rank, loss, make_teacher, product


@pytest.mark.parametrize(
    ("widths", "rank"),
    [
        ((10, 20, 20, 10), 3),
        ((5, 3, 5), 0),
        ((4, 6, 3, 7, 5), 3),
        ((30, 30, 30, 30), 30),
        ((2, 9), 1),
    ],
)
@pytest.mark.parametrize("construction", ["minimal", "first_layer"])
def test_teacher_product_has_the_requested_rank(widths, rank, construction):
    teacher = make_teacher(jax.random.PRNGKey(0), widths, rank, construction=construction)
    assert [w.shape for w in teacher] == [(o, i) for i, o in itertools.pairwise(widths)]
    assert all(w.dtype == jnp.float32 for w in teacher)
    s = np.linalg.svd(product(teacher), compute_uv=False)
    assert np.sum(s > 1e-5 * s[0]) == rank if rank else np.all(s == 0)
    assert has_rank(product(teacher), rank)
    assert rank == 0 or not has_rank(product(teacher), rank - 1)


def test_teacher_entries_have_the_specified_scale():
    teacher = make_teacher(jax.random.PRNGKey(0), (400, 300, 200), 200, construction="first_layer")
    assert np.std(np.asarray(teacher[1])) == pytest.approx(1 / np.sqrt(300), rel=0.02)


def test_chunked_data_and_loss_match_one_piece():
    teacher = make_teacher(jax.random.PRNGKey(0), (7, 5, 6), 2)
    key = jax.random.PRNGKey(1)
    data = make_dataset(key, teacher, n=1001, chunk_rows=64)
    whole = make_dataset(key, teacher, n=1001, chunk_rows=4096)
    np.testing.assert_allclose(data.y, forward(teacher, data.x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(data.y, whole.y, rtol=1e-5, atol=1e-6)
    assert float(full_loss(teacher, data, chunk_rows=64)) == pytest.approx(0.0, abs=1e-10)
    moved = tuple(w + 0.01 for w in teacher)
    assert float(full_loss(moved, data, chunk_rows=64)) == pytest.approx(
        float(loss(moved, data.x, data.y)), rel=1e-5
    )


def test_noise_and_uniform_inputs():
    teacher = make_teacher(jax.random.PRNGKey(0), (3, 4), 3)
    noisy = make_dataset(jax.random.PRNGKey(1), teacher, n=20000, noise=0.5)
    # L_n(w*) = 0.5 * E||sigma xi||^2 = 0.5 * 0.25 * H_M
    assert float(full_loss(teacher, noisy)) == pytest.approx(0.5 * 0.25 * 4, rel=0.03)
    uniform = make_dataset(
        jax.random.PRNGKey(1), teacher, n=5000, input_dist="uniform", input_bound=2.0
    )
    assert float(jnp.max(jnp.abs(uniform.x))) <= 2.0
    assert float(jnp.var(uniform.x)) == pytest.approx(4 / 3, rel=0.05)


def test_architecture_generator_is_seeded_and_sized():
    for size in SIZE_CLASSES:
        archs = random_architectures(size, 10, seed=5)
        assert archs == random_architectures(size, 10, seed=5)
        assert archs != random_architectures(size, 10, seed=6)
        for arch in archs:
            assert size / 10**0.5 <= arch.num_params <= size * 10**0.5
            assert arch.num_params == num_params(arch.widths)
            assert 3 <= len(arch.widths) <= 7
            assert arch.rank == min(*arch.widths, *arch.layer_ranks)
            dln_llc(arch.widths, arch.rank)
    assert len({a.rank for a in random_architectures(1e4, 10, seed=0)}) > 3


def test_generated_small_architectures_build_minimal_teachers_of_their_rank():
    for arch in random_architectures(1e3, 10, seed=1):
        assert arch.layer_ranks == (arch.rank,) * (len(arch.widths) - 1)
        teacher = make_teacher(jax.random.PRNGKey(3), arch.widths, arch.rank)
        assert has_rank(product(teacher), arch.rank)
        assert all(has_rank(w, arch.rank) for w in teacher)


def test_size_class_rejects_unlisted():
    assert size_class("1e4") == 1e4
    with pytest.raises(ValueError, match="size class must be one of"):
        size_class("5e4")
