"""The benchmark problem for one run: teacher ``w*``, its data, ``L_n(w*)`` and the exact LLC
at ``w*`` (local), beside Aoyagi's global value."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, NamedTuple, ParamSpec, Protocol, TypeVar

import jax

from llc_explorer.dln.data import Dataset, chunk_rows_for, full_loss, make_dataset
from llc_explorer.dln.gradients import MinibatchGradient
from llc_explorer.dln.local_truth import teacher_llc
from llc_explorer.dln.model import Params, make_teacher
from llc_explorer.dln.truth import LearningCoefficient, dln_llc, num_params
from llc_explorer.sgmcmc.potential import GradientEstimator
from llc_explorer.sgmcmc.prng import chain_key


class Target(Protocol):
    """What a run's chains sample: the point ``teacher`` (``w*``) they start from and are
    localised at, the ``data``, the full-data loss ``L_n(w*)``, the number of parameters, the
    exact LLC where known (``truth``, local; ``global_truth``, Aoyagi's) and the gradient
    estimator for a batch size. A DLN :class:`Problem` is one; a model of one's own brings
    another (:mod:`llc_explorer.models`)."""

    @property
    def teacher(self) -> Any: ...
    @property
    def data(self) -> Any: ...
    @property
    def loss_at_teacher(self) -> float: ...
    @property
    def num_params(self) -> int: ...
    @property
    def truth(self) -> LearningCoefficient | None: ...
    @property
    def global_truth(self) -> LearningCoefficient | None: ...
    @property
    def data_bytes(self) -> int: ...
    def gradient(self, batch_size: int) -> GradientEstimator: ...


class Problem(NamedTuple):
    """A DLN teacher with its dataset, the full-data loss at the teacher and the truth:
    ``truth`` is the local learning coefficient at the teacher (``None`` where the package
    cannot compute it), ``global_truth`` Aoyagi's value (a lower bound for it)."""

    widths: tuple[int, ...]
    rank: int
    teacher: Params
    data: Dataset
    loss_at_teacher: float
    truth: LearningCoefficient | None
    global_truth: LearningCoefficient
    num_params: int

    @property
    def data_bytes(self) -> int:
        """Bytes of the data (float32 inputs and targets)."""
        return int(self.data.x.nbytes + self.data.y.nbytes)

    def gradient(self, batch_size: int) -> MinibatchGradient:
        """The DLN's minibatch gradient estimator."""
        return MinibatchGradient(batch_size)


def problem_keys(seed: int, prng: str = "fast") -> tuple[jax.Array, jax.Array, jax.Array]:
    """Independent keys for the teacher, the data and the chains, all from one ``seed``
    (the chains' key uses the noise generator ``prng`` of :mod:`llc_explorer.sgmcmc.prng`)."""
    teacher_key, data_key, chains = jax.random.split(jax.random.PRNGKey(seed), 3)
    return teacher_key, data_key, chain_key(chains, prng)


P = ParamSpec("P")
R = TypeVar("R")


def one_at_a_time(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` called by one thread at a time: a background preparation
    (:mod:`llc_explorer.apps.precompile`) and a run asking for the same cached problem build it
    once, the second thread waiting for the first."""
    lock = threading.Lock()

    @functools.wraps(function)
    def locked(*args: P.args, **kwargs: P.kwargs) -> R:
        with lock:
            return function(*args, **kwargs)

    return locked


@one_at_a_time
@functools.lru_cache(maxsize=2)
def build_problem(
    widths: tuple[int, ...],
    rank: int,
    *,
    n: int,
    seed: int,
    noise: float = 0.0,
    input_dist: str = "normal",
    teacher: str = "minimal",
) -> Problem:
    """Teacher of product rank ``rank`` built by the construction ``teacher``, ``n`` data
    points, ``L_n(w*)``, the local LLC at the teacher (:func:`teacher_llc`) and ``dln_llc``.

    Cached (the last two problems): rerunning with only sampler settings changed reuses them.
    One thread builds at a time.
    """
    teacher_key, data_key, _ = problem_keys(seed)
    w_star = make_teacher(teacher_key, widths, rank, construction=teacher)
    chunk_rows = chunk_rows_for(widths)
    data = make_dataset(
        data_key, w_star, n=n, noise=noise, input_dist=input_dist, chunk_rows=chunk_rows
    )
    loss_at_teacher = float(full_loss(w_star, data, chunk_rows=chunk_rows))
    return Problem(
        widths,
        rank,
        w_star,
        data,
        loss_at_teacher,
        teacher_llc(widths, rank, teacher),
        dln_llc(widths, rank),
        num_params(widths),
    )
