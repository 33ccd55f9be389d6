"""The benchmark problem for one run: teacher ``w*``, its data, ``L_n(w*)`` and the exact LLC."""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax

from llc_explorer.data import Dataset, chunk_rows_for, full_loss, make_dataset
from llc_explorer.dln import Params, make_teacher
from llc_explorer.prng import HASH32
from llc_explorer.truth import LearningCoefficient, dln_llc, num_params


class Problem(NamedTuple):
    """A DLN teacher with its dataset, the full-data loss at the teacher and the truth."""

    widths: tuple[int, ...]
    rank: int
    teacher: Params
    data: Dataset
    loss_at_teacher: float
    truth: LearningCoefficient
    num_params: int


def problem_keys(seed: int) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Independent keys for the teacher, the data and the chains, all from one ``seed``
    (the chains' key uses the fast noise generator of :mod:`llc_explorer.prng`)."""
    teacher_key, data_key, chain_key = jax.random.split(jax.random.PRNGKey(seed), 3)
    return teacher_key, data_key, jax.random.wrap_key_data(chain_key, impl=HASH32)


@functools.lru_cache(maxsize=2)
def build_problem(
    widths: tuple[int, ...],
    rank: int,
    *,
    n: int,
    seed: int,
    noise: float = 0.0,
    input_dist: str = "normal",
) -> Problem:
    """Teacher of product rank ``rank``, ``n`` data points, ``L_n(w*)`` and ``dln_llc``.

    Cached (the last two problems): rerunning with only sampler settings changed reuses them.
    """
    teacher_key, data_key, _ = problem_keys(seed)
    teacher = make_teacher(teacher_key, widths, rank)
    chunk_rows = chunk_rows_for(widths)
    data = make_dataset(
        data_key, teacher, n=n, noise=noise, input_dist=input_dist, chunk_rows=chunk_rows
    )
    loss_at_teacher = float(full_loss(teacher, data, chunk_rows=chunk_rows))
    return Problem(
        widths, rank, teacher, data, loss_at_teacher, dln_llc(widths, rank), num_params(widths)
    )
