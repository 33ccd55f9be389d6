"""devinterp's SGLD (PyTorch, CPU) on the MLP of ``benchmarks/model_crosscheck.py``: the same
weights, data, loss and settings, for the agreement table of a model of one's own.

``model_crosscheck.py --export FILE`` writes the task (the teacher's weights ``w*``, the data,
the settings); this script rebuilds the network in PyTorch with those weights, runs
``devinterp.slt.sampler.estimate_learning_coeff_with_summary`` with devinterp's ``SGLD``
(``lr`` = our ``eps``: devinterp steps ``w <- w - (lr/2)(n*beta g + gamma (w - w*)) + sqrt(lr)
N(0, 1)``, as we do; ``localization`` = ``gamma``; ``nbeta`` = ``n / log n``), the loss
``mean_rows 0.5 ||y - f(x)||^2`` (ours, not devinterp's default ``F.mse_loss``), batches of the
same size (devinterp's ``DataLoader`` draws them without replacement within an epoch and cycles
its batches once they run out; ``--with-replacement`` draws as we do), the same chains, burn-in
and draws, and ``init_loss`` the full-data loss at ``w*`` (devinterp's default would take one
batch's). It prints one JSON line per seed: the estimate, its standard error over chains,
chain-steps/s (1 torch thread).

Install (a separate virtual environment, outside the repository)::

    python3 -m venv /work/bench-venv
    /work/bench-venv/bin/pip install torch devinterp==1.3.2

Run::

    python benchmarks/model_crosscheck.py --export /tmp/mlp.npz
    /work/bench-venv/bin/python benchmarks/devinterp_mlp.py /tmp/mlp.npz --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import time

import numpy as np
import torch
from devinterp.optim.sgld import SGLD
from devinterp.slt.sampler import estimate_learning_coeff_with_summary
from torch import nn
from torch.utils.data import DataLoader, RandomSampler, TensorDataset


def network(task: np.lib.npyio.NpzFile, widths: list[int]) -> nn.Sequential:
    """The tanh MLP with the exported weights (PyTorch stores ``w`` transposed)."""
    layers: list[nn.Module] = []
    for k, (fan_in, fan_out) in enumerate(itertools.pairwise(widths)):
        linear = nn.Linear(fan_in, fan_out)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(task[f"w{k}"].T.copy()))
            linear.bias.copy_(torch.from_numpy(task[f"b{k}"].copy()))
        layers += [linear, nn.Tanh()]
    return nn.Sequential(*layers[:-1])


def half_squared_error(model: nn.Module, batch: list[torch.Tensor]) -> torch.Tensor:
    """``mean_rows 0.5 ||y - f(x)||^2``, the loss of the JAX side."""
    x, y = batch
    return 0.5 * ((y - model(x)) ** 2).sum(dim=-1).mean()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task", help="the .npz that model_crosscheck.py --export wrote")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--with-replacement",
        action="store_true",
        help="draw batches with replacement (as the JAX side does), not devinterp's epochs",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    task = np.load(args.task)
    settings = json.loads(str(task["settings"]))
    x, y = torch.from_numpy(task["x"]), torch.from_numpy(task["y"])
    model = network(task, settings["widths"])
    with torch.no_grad():
        init_loss = float(half_squared_error(model, [x, y]))
    steps, chains = settings["steps"], settings["chains"]
    burn_in = int(settings["burn_in"] * steps)
    for seed in (int(s) for s in args.seeds.split(",")):
        rows = TensorDataset(x, y)
        if args.with_replacement:  # enough batches for every step: none is cycled
            draws = RandomSampler(
                rows, replacement=True, num_samples=steps * settings["batch_size"]
            )
            loader = DataLoader(rows, batch_size=settings["batch_size"], sampler=draws)
        else:
            loader = DataLoader(rows, batch_size=settings["batch_size"], shuffle=True)
        start = time.perf_counter()
        summary = estimate_learning_coeff_with_summary(
            model, loader, evaluate=half_squared_error, sampling_method=SGLD,
            optimizer_kwargs={"lr": settings["step_size"], "localization": settings["gamma"],
                              "nbeta": settings["nbeta"]},
            num_chains=chains, num_draws=steps - burn_in, num_burnin_steps=burn_in,
            init_loss=init_loss, seed=seed, device="cpu", verbose=False,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        per_chain = settings["nbeta"] * (np.asarray(summary["loss/trace"]).mean(axis=1) - init_loss)
        print(json.dumps({
            "seed": seed, "implementation": "devinterp 1.3.2 sgld",
            "batches": "with replacement" if args.with_replacement else "epochs",
            "llc": float(per_chain.mean()),
            "se": float(per_chain.std(ddof=1) / math.sqrt(chains)),
            "chain_steps_per_second": chains * steps / seconds,
            "torch": torch.__version__,
        }), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
