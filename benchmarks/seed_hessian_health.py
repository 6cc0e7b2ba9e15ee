"""How well-posed is the forum's network at initialisation?

For the ``seed`` preset (4-32-32-32-32-1, Softplus(β=0.5), P = 3361, PyTorch's default
initialisation) and the LNN initialisation of the same architecture, the velocity Hessian
``∂²L/∂q̇²`` on uniform double-pendulum states, per weight seed: the fraction of states
where it is indefinite and the largest condition number. An indefinite ``∂²L/∂q̇²`` is not
a kinetic energy; ``pinverse`` hides it instead of failing.

Run::

    python benchmarks/seed_hessian_health.py [--seeds 10] [--states 4096]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from physym import load_system
from physym.data import sample_states
from physym.network import build_model
from physym.training import hessian_health


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--states", type=int, default=4096)
    args = parser.parse_args()
    states = sample_states(load_system("double_pendulum"), args.states, seed=12345)
    print("| init | seed | indefinite states | max condition | median condition |")
    print("|---|---|---|---|---|")
    for init in ("torch", "lnn"):
        fractions = []
        for seed in range(args.seeds):
            model = build_model("seed", 2, seed=seed, init=init, dtype=torch.float64)
            health = hessian_health(model, states)
            fraction = health["n_indefinite"] / health["n_states"]
            fractions.append(fraction)
            print(
                f"| {init} | {seed} | {fraction:.1%} | {health['max_condition']:.3g} | "
                f"{health['median_condition']:.3g} |"
            )
        print(f"| {init} | mean | {np.mean(fractions):.1%} | | |")


if __name__ == "__main__":
    main()
