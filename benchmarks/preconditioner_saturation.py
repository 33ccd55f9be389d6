"""How much RMSPropSGLD's preconditioner varies on the benchmark: is ``P_t`` more than ``1/a``?

RMSPropSGLD's ``P_t = 1 / (sqrt(vhat_t) + a)`` is the constant ``1/a`` wherever the loss
gradient's root mean square ``sqrt(vhat_t)`` is small beside ``a``; then the sampler is SGLD
with the step size ``eps / a`` (10 eps at a = 0.1). This runs one RMSPropSGLD chain per
setting on the 1e5-parameter DLN of experiment 1 (docs/RESULTS.md; size class 1e5,
architecture seed 2026, the first draw) and on one DLN per smaller size class, 4,000 steps at
each setting's best step size in experiment 1, and prints, over every coordinate at the last
step, the quantiles of ``a * P_t`` (1 means ``P_t = 1/a``: no preconditioning beyond a scalar)
and the ratio of the largest to the smallest ``P_t``.

    python benchmarks/preconditioner_saturation.py     # about 2 minutes on 2 CPU cores
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from llc_explorer import get_sampler, make_config
from llc_explorer.dln.architectures import random_architectures, size_class
from llc_explorer.dln.gradients import minibatch_loss_and_grad
from llc_explorer.dln.problem import build_problem
from llc_explorer.sgmcmc.potential import Potential
from llc_explorer.sgmcmc.samplers import rmsprop_metric

SETTINGS = {
    # label: (a, b2, bias correction, step size): the default and Li et al.'s pSGLD
    "rmsprop_sgld (a = 0.1, b2 = 0.999)": (0.1, 0.999, True, 1e-7),
    "pSGLD (a = 1e-5, b2 = 0.99, no bias correction)": (1e-5, 0.99, False, 1e-9),
}
STEPS = 4_000


def run_chain(widths: tuple[int, ...], rank: int, a: float, b2: float, bc: bool, eps: float):
    """``a * P_t`` over every coordinate after ``STEPS`` steps from the teacher."""
    config = make_config(widths, rank, sampler="rmsprop_sgld", step_size=eps, steps=STEPS)
    problem = build_problem(widths, rank, n=config.n, seed=0)
    sampler = get_sampler("rmsprop_sgld")
    hyper = sampler.hyperparams(
        step_size=jnp.float32(eps),
        b2=jnp.float32(b2),
        a=jnp.float32(a),
        bias_correction=jnp.float32(bc),
    )
    potential = Potential(jnp.float32(config.nbeta), jnp.float32(config.gamma), problem.teacher)

    def step(carry, key):
        params, state = carry
        grad_key, noise_key = jax.random.split(key)
        _, grad = minibatch_loss_and_grad(params, problem.data, config.batch_size, key=grad_key)
        return sampler.update(params, state, grad, potential, hyper, key=noise_key), None

    start = (problem.teacher, sampler.init(problem.teacher, hyper))
    keys = jax.random.split(jax.random.PRNGKey(1), STEPS)
    (_, state), _ = jax.jit(lambda c: jax.lax.scan(step, c, keys))(start)
    precond = rmsprop_metric(state, hyper)
    return np.concatenate([np.ravel(a * np.asarray(p)) for p in precond])


def main() -> None:
    networks = {
        size: random_architectures(size_class(size), 1, seed=seed)[0]
        for size, seed in (("1e3", 2026), ("1e4", 2026), ("1e5", 2026))
    }
    print("| setting | size class | d | a P: 1% | 50% | 99% | min | largest / smallest P |")
    print("|---|---|---|---|---|---|---|---|")
    for label, (a, b2, bc, eps) in SETTINGS.items():
        for size, arch in networks.items():
            scaled = run_chain(arch.widths, arch.rank, a, b2, bc, eps)
            q01, q50, q99 = np.quantile(scaled, [0.01, 0.5, 0.99])
            print(
                f"| {label} | {size} | {scaled.size:,} | {q01:.3f} | {q50:.3f} | {q99:.3f} "
                f"| {scaled.min():.2e} | {scaled.max() / scaled.min():.3g} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
