"""Throughput of devinterp 1.3.2's SGLD sampler (PyTorch, CPU) on a deep linear network.

What it measures
----------------
Chain-steps per second of devinterp's own LLC-estimation loop: one call to
``devinterp.slt.sampler.estimate_learning_coeff_with_summary`` with the (legacy, default)
``devinterp.optim.sgld.SGLD`` sampler, 1 chain, ``cores=1``, ``device="cpu"``,
``num_burnin_steps=0`` and ``num_draws=--steps``. The model is a bias-free deep linear network
(``nn.Sequential`` of ``nn.Linear(..., bias=False)``) with the widths given by ``--widths``
(input to output), sampled around a teacher network of the same architecture: the dataset is
``n`` inputs ``x ~ N(0, I)`` with noiseless targets ``y = teacher(x)``, served by a
``torch.utils.data.DataLoader`` (``batch_size=--batch-size``, ``shuffle=True``), and the chain
starts at (and is localized to) the teacher's weights. The loss is devinterp's own
``devinterp.utils.evaluate_mse`` (``F.mse_loss``, i.e. the mean over batch *and* output
dimensions). Hyperparameters: ``lr=1e-6``, ``localization=1.0``, ``nbeta=n/log(n)``,
``noise_level=1``.

Threads
-------
``--threads`` (``torch.set_num_threads``) defaults to 1, not to ``os.cpu_count()``. On the
project's 2-core machine (torch 2.13.0+cpu, OpenMP/libgomp backend, MKL) one thread was both the
fastest and the only stable setting for these small matrices (batch 100, widths <= 100):
medians of 3 x 2000 steps were ~950 steps/s (d=800) and ~470 steps/s (d=40000) with 1 thread,
while 2 threads gave 600-650 steps/s when lucky and, in about half of the runs, spin-wait stalls
of 40-120 s per 2000-step call (down to 28 steps/s, both cores at 100 % user time); with
``OMP_WAIT_POLICY=PASSIVE`` the stalls went away but 2 threads stayed slower than 1
(~300-550 steps/s at d=800). Pass ``--threads "$(nproc)"`` to measure all cores anyway.

Timing
------
The timed region is the whole ``estimate_learning_coeff_with_summary`` call, after one short
warm-up call (20 draws); it is repeated ``--repeats`` times (default 3) and the median time is
reported. Besides the SGLD steps, each timed call contains devinterp's fixed per-call overhead
(initial loss on one batch, ``deepcopy`` of the model, a ``cloudpickle`` round trip of the
DataLoader, the final LLC reduction) and its per-step bookkeeping: a fresh DataLoader batch
(per-sample indexing plus ``default_collate``), ``zero_grad``, and the ``LLCEstimator``
callback, called with ``**locals()`` at every draw, which checks the loss for NaN and stores
it. This is what a devinterp user pays per step; it is not a re-implementation.

Output: one JSON line on stdout, e.g.
``{"peer": "devinterp 1.3.2 SGLD", "torch": "2.13.0+cpu", "widths": [10, 20, 20, 10], "d": 800,
"batch_size": 100, "steps": 2000, "seconds": ..., "chain_steps_per_second": ..., "threads": 1}``.

Step-size convention
--------------------
devinterp 1.3.2, ``devinterp/optim/sgld.py`` (``SGLD.step``, lines 204-253), per parameter::

    dw = nbeta * grad L_m(w) + localization * (w - w_init)   # L_m: minibatch mean loss
    w <- w - (lr / 2) * dw + sqrt(lr) * noise_level * N(0, I)

i.e. ``w <- w - (lr/2) * (nbeta * grad L + localization * (w - w*)) + sqrt(lr) * N(0, 1)``
(``p.data.add_(dw, alpha=-0.5 * lr)``; ``p.data.add_(noise, alpha=lr ** 0.5)``). The same
convention is used by the newer ``devinterp.optim.sgmcmc.SGMCMC.sgld`` (``sgmcmc.py``
lines 355-395). So devinterp's ``lr`` is the full Langevin step size epsilon, not epsilon/2.
Note that devinterp's own default ``nbeta`` is ``batch_size / log(batch_size)``
(``devinterp.utils.default_nbeta``); this benchmark passes ``n / log(n)`` explicitly, which does
not change the cost of a step.

Install (a separate virtual environment, outside the repository)
----------------------------------------------------------------
::

    python3 -m venv /work/bench-venv
    /work/bench-venv/bin/pip install torch==2.13.0 devinterp==1.3.2

(devinterp 1.3.2 requires only cloudpickle, einops, matplotlib, numpy, pandas, torch and tqdm,
with no upper pin on torch, so ``--no-deps`` is not needed.) Run with that interpreter::

    /work/bench-venv/bin/python benchmarks/devinterp_peer.py --widths 10,20,20,10
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
import warnings
from importlib.metadata import version
from itertools import pairwise
from typing import Any

import torch
from devinterp.optim.sgld import SGLD
from devinterp.slt.sampler import estimate_learning_coeff_with_summary
from devinterp.utils import evaluate_mse
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

WARMUP_STEPS = 20
LR = 1e-6
LOCALIZATION = 1.0


def parse_widths(text: str) -> list[int]:
    """Parse a comma-separated list of layer widths, input to output."""
    widths = [int(part) for part in text.split(",") if part.strip()]
    if len(widths) < 2 or any(w <= 0 for w in widths):
        raise argparse.ArgumentTypeError(f"need at least two positive widths, got {text!r}")
    return widths


def make_network(widths: list[int]) -> nn.Sequential:
    """A bias-free deep linear network with the given widths (input to output)."""
    return nn.Sequential(*(nn.Linear(w_in, w_out, bias=False) for w_in, w_out in pairwise(widths)))


def make_loader(teacher: nn.Module, n: int, batch_size: int, in_dim: int) -> DataLoader:
    """n samples x ~ N(0, I), y = teacher(x) (no noise), shuffled minibatches."""
    x = torch.randn(n, in_dim)
    with torch.no_grad():
        y = teacher(x)
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)


def run_devinterp(model: nn.Module, loader: DataLoader, steps: int, nbeta: float) -> dict[str, Any]:
    """One call to devinterp's own LLC estimation loop: SGLD, 1 chain, CPU, no burn-in."""
    return estimate_learning_coeff_with_summary(
        model,
        loader=loader,
        evaluate=evaluate_mse,
        sampling_method=SGLD,
        optimizer_kwargs={"lr": LR, "localization": LOCALIZATION, "nbeta": nbeta},
        num_draws=steps,
        num_chains=1,
        num_burnin_steps=0,
        num_steps_bw_draws=1,
        cores=1,
        device=torch.device("cpu"),
        verbose=False,
        online=False,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--widths", type=parse_widths, default=[10, 20, 20, 10], help="e.g. 10,20,20,10"
    )
    parser.add_argument("--steps", type=int, default=2000, help="SGLD steps (draws) timed")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--n", type=int, default=10000, help="dataset size")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch.set_num_threads (see module docstring)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed calls; median reported")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if min(args.steps, args.batch_size, args.threads, args.repeats) < 1 or args.n < args.batch_size:
        parser.error("need steps, threads, repeats >= 1 and n >= batch-size >= 1")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    widths: list[int] = args.widths
    teacher = make_network(widths)
    loader = make_loader(teacher, args.n, args.batch_size, widths[0])
    model = make_network(widths)
    model.load_state_dict(teacher.state_dict())  # sample around the true parameter w* = teacher
    d = sum(p.numel() for p in model.parameters())
    nbeta = args.n / math.log(args.n)

    with warnings.catch_warnings():
        # devinterp warns on every call (SGLD deprecation, draws > burn-in, draws > batches,
        # explicit nbeta); none of these concern throughput.
        warnings.simplefilter("ignore")
        run_devinterp(model, loader, min(WARMUP_STEPS, args.steps), nbeta)
        times: list[float] = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            results = run_devinterp(model, loader, args.steps, nbeta)
            times.append(time.perf_counter() - start)
    seconds = statistics.median(times)

    print(
        f"devinterp llc/mean = {results['llc/mean']:.4g} (sanity only); "
        f"seconds per call: {', '.join(f'{t:.3f}' for t in times)}",
        file=sys.stderr,
    )
    record = {
        "peer": f"devinterp {version('devinterp')} SGLD",
        "torch": torch.__version__,
        "widths": widths,
        "d": d,
        "batch_size": args.batch_size,
        "steps": args.steps,
        "seconds": seconds,
        "chain_steps_per_second": args.steps / seconds,
        "threads": args.threads,
    }
    print(json.dumps(record))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
