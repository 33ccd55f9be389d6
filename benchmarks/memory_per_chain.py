"""Memory each chain holds, per sampler: its state from ``init_chains`` (parameters, the
sampler's own state, hyperparameters, key, divergence bookkeeping) against the parameters
alone, and XLA's accounting of one compiled chunk (arguments other than the data, plus
temporaries), per chain. Default: d = 40,000 (widths 100 x 5), 4 chains, batch 100.

    python benchmarks/memory_per_chain.py [--widths 100,100,100,100,100] [--chains 4]

On a GPU, ``--widths`` of the 1e8 class measures what a chain costs there.
"""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp

from llc_explorer import num_params, sampler_names
from llc_explorer.config import make_config
from llc_explorer.dln.gradients import MinibatchGradient
from llc_explorer.dln.problem import build_problem, problem_keys
from llc_explorer.sgmcmc.chain_state import chain_hyperparameters, init_chains
from llc_explorer.sgmcmc.chains import CHUNKS
from llc_explorer.sgmcmc.potential import Potential
from llc_explorer.sgmcmc.registry import get_sampler


def tree_bytes(tree) -> int:
    """Bytes of every array leaf of ``tree``."""
    return sum(leaf.nbytes for leaf in jax.tree.leaves(tree))


def measure(widths: tuple[int, ...], sampler_name: str, chains: int) -> dict[str, float]:
    """Per-chain bytes of the chain state and of a compiled chunk (XLA's own figures)."""
    config = make_config(widths, 1, sampler=sampler_name, chains=chains, steps=1024, n=10_000)
    problem = build_problem(config.widths, config.rank, n=config.n, seed=0)
    sampler = get_sampler(sampler_name)
    keys = jax.random.split(problem_keys(0)[2], chains)
    state = init_chains(
        sampler, problem.teacher, chain_hyperparameters(sampler, [config]), keys=keys
    )
    potential = Potential(jnp.float32(config.nbeta), jnp.float32(1.0), problem.teacher)
    args = (state, problem.data, potential, jnp.int32(0), jnp.int32(config.steps))
    compiled, _ = CHUNKS.get((sampler, MinibatchGradient(config.batch_size), 64, False), args)
    analysis = compiled.memory_analysis()
    chunk = analysis.argument_size_in_bytes - tree_bytes(problem.data)
    chunk += analysis.temp_size_in_bytes
    return {
        "state": tree_bytes(state) / chains,
        "params": 4 * num_params(widths),
        "chunk": chunk / chains,
    }


def main() -> None:
    """Print one row per sampler."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", default="100,100,100,100,100")
    parser.add_argument("--chains", type=int, default=4)
    args = parser.parse_args()
    widths = tuple(int(w) for w in args.widths.split(","))
    print(f"d = {num_params(widths):,}, {args.chains} chains, {jax.devices()[0].device_kind}")
    print(f"{'sampler':<14}{'state/chain':>14}{'x params':>10}{'chunk/chain':>14}{'x params':>10}")
    for name in sampler_names():
        m = measure(widths, name, args.chains)
        print(
            f"{name:<14}{m['state'] / 2**20:>11.3f} MiB{m['state'] / m['params']:>10.2f}"
            f"{m['chunk'] / 2**20:>11.3f} MiB{m['chunk'] / m['params']:>10.2f}"
        )


if __name__ == "__main__":
    main()
