"""A model of one's own, three implementations: ``estimate_model_llc`` against BlackJAX's SGLD
kernel (an independent JAX implementation) on the same MLP potential, and the files that
``benchmarks/devinterp_mlp.py`` needs to run devinterp (PyTorch) on the very same weights and
data.

The network is a tanh MLP, widths ``--widths`` (16,48,48,4: 3,364 parameters), at ``w*``, the
weights of a teacher of the same architecture; the data are ``n`` inputs ``x ~ N(0, I)`` with
targets ``teacher(x) + 0.1 xi``. The loss of a batch is ``mean_rows 0.5 ||y - f(x; w)||^2``.
Every implementation runs SGLD at one step size ``eps`` (``w <- w - (eps/2) U' +
sqrt(eps) eta``; BlackJAX's ``h`` is ``eps / 2``), ``U = n*beta L_B + (gamma/2) ||w - w*||^2``
with ``n*beta = n / log n``, ``gamma`` 1, batches of ``--batch-size`` rows drawn with
replacement, ``--chains`` chains of ``--steps`` steps, the estimate averaging the last
``1 - burn_in`` of them: ``n*beta (mean L_B - L_n(w*))`` per chain, mean and standard error
over chains.

Output: one JSON line per seed and implementation (estimate, standard error, chain-steps/s),
then ``z = (ours - blackjax) / hypot(se, se)`` per seed. With ``--export FILE`` it also writes
the weights, data and settings for the devinterp side (``.npz``).

    python benchmarks/model_crosscheck.py --seeds 0,1,2 --export /tmp/mlp.npz

BlackJAX is not a dependency of llc_explorer: ``pip install blackjax`` to run this.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import blackjax
import jax
import jax.numpy as jnp
import numpy as np

from llc_explorer import estimate_model_llc


def init_mlp(key: jax.Array, widths: list[int]) -> list[dict[str, jax.Array]]:
    """A tanh MLP's layers (``w``: in x out, ``b``: out), LeCun-normal weights."""
    keys = jax.random.split(key, len(widths) - 1)
    return [
        {"w": jax.random.normal(k, (i, o)) / math.sqrt(i), "b": 0.1 * jax.random.normal(k, (o,))}
        for k, i, o in zip(keys, widths[:-1], widths[1:], strict=True)
    ]


def forward(params: list[dict[str, jax.Array]], x: jax.Array) -> jax.Array:
    """``f(x; w)``: tanh between layers, linear output."""
    for layer in params[:-1]:
        x = jnp.tanh(x @ layer["w"] + layer["b"][None, :])
    return x @ params[-1]["w"] + params[-1]["b"][None, :]


def loss(params: list[dict[str, jax.Array]], batch: tuple[jax.Array, jax.Array]) -> jax.Array:
    """``mean_rows 0.5 ||y - f(x; w)||^2``."""
    x, y = batch
    return 0.5 * jnp.mean(jnp.sum((y - forward(params, x)) ** 2, axis=-1))


def task(widths: list[int], n: int) -> tuple[list[dict[str, jax.Array]], tuple]:
    """The teacher ``w*`` and its noisy data (fixed seed: every run samples the same task)."""
    teacher_key, x_key, noise_key = jax.random.split(jax.random.PRNGKey(2026), 3)
    teacher = init_mlp(teacher_key, widths)
    x = jax.random.normal(x_key, (n, widths[0]))
    y = forward(teacher, x) + 0.1 * jax.random.normal(noise_key, (n, widths[-1]))
    return teacher, (x, y)


def blackjax_llc(teacher, data, args, nbeta: float, loss_at_teacher: float, seed: int) -> dict:
    """BlackJAX's SGLD on the same potential: estimate, standard error, chain-steps/s."""
    x, y = data

    def grad_log_density(position, batch):
        grad = jax.grad(loss)(position, batch)
        return jax.tree.map(
            lambda g, w, c: -(nbeta * g + args.gamma * (w - c)), grad, position, teacher
        )

    sgld = blackjax.sgld(grad_log_density)

    def chain(key: jax.Array) -> jax.Array:
        def step(position, step_key):
            batch_key, noise_key = jax.random.split(step_key)
            rows = jax.random.randint(batch_key, (args.batch_size,), 0, x.shape[0])
            batch = (x[rows], y[rows])
            return sgld.step(noise_key, position, batch, args.step_size / 2), loss(position, batch)

        _, losses = jax.lax.scan(step, teacher, jax.random.split(key, args.steps))
        return losses

    run = jax.jit(jax.vmap(chain))
    keys = jax.random.split(jax.random.PRNGKey(1000 + seed), args.chains)
    run(keys).block_until_ready()  # compile
    start = time.perf_counter()
    losses = np.asarray(run(keys), np.float64)
    seconds = time.perf_counter() - start
    kept = losses[:, int(args.burn_in * args.steps) :]
    per_chain = nbeta * (kept.mean(axis=1) - loss_at_teacher)
    return {
        "llc": float(per_chain.mean()),
        "se": float(per_chain.std(ddof=1) / math.sqrt(args.chains)),
        "chain_steps_per_second": args.chains * args.steps / seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--widths", default="16,48,48,4")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--step-size", type=float, default=1e-5)
    parser.add_argument("--gamma", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--chains", type=int, default=8)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--burn-in", type=float, default=0.5)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--export", help="write weights, data and settings here (.npz)")
    args = parser.parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    teacher, data = task(widths, args.n)
    d = sum(leaf.size for leaf in jax.tree.leaves(teacher))
    nbeta = args.n / math.log(args.n)
    settings = {"sampler": "sgld", "step_size": args.step_size, "gamma": args.gamma,
                "nbeta": nbeta, "batch_size": args.batch_size, "chains": args.chains,
                "steps": args.steps, "burn_in": args.burn_in, "warmup_factor": 1.0}  # fmt: skip
    if args.export:
        arrays = {f"{name}{k}": np.asarray(layer[name]) for k, layer in enumerate(teacher)
                  for name in ("w", "b")}  # fmt: skip
        np.savez(args.export, x=np.asarray(data[0]), y=np.asarray(data[1]), **arrays,
                 settings=json.dumps({**settings, "widths": widths, "n": args.n}))  # fmt: skip
    for seed in (int(s) for s in args.seeds.split(",")):
        result = estimate_model_llc(loss, teacher, data, seed=seed, **settings)
        ours = {"llc": result.llc_mean, "se": result.llc_stderr,
                "chain_steps_per_second": result.steps_per_second}  # fmt: skip
        theirs = blackjax_llc(teacher, data, args, nbeta, result.loss_at_teacher, seed)
        z = (ours["llc"] - theirs["llc"]) / math.hypot(ours["se"], theirs["se"])
        for name, row in (("llc_explorer", ours), ("blackjax 1.7 sgld", theirs)):
            print(json.dumps({"seed": seed, "d": d, "implementation": name, **row}), flush=True)
        print(json.dumps({"seed": seed, "z": z, "speed_ratio": ours["chain_steps_per_second"]
                          / theirs["chain_steps_per_second"]}), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
