"""Time the ways physym computes an MLP Lagrangian's accelerations (one JSON line).

For each ``hessian_method`` of :class:`physym.network.MLPLagrangian` (seed net, double
pendulum targets) this times a training step (forward + backward + Adam) and inference
(``torch.no_grad()``), interleaving the methods round by round so that load from other
processes hits them alike: compare the numbers of one run with each other.

    python benchmarks/hessian_methods.py [--batch 16384] [--rounds 7] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np


def double_pendulum_targets(states: np.ndarray) -> np.ndarray:
    """Exact q̈ of the unit double pendulum (g = 9.81), as in the peers' common.py."""
    t1, t2, w1, w2 = states.T
    c, s = np.cos(t1 - t2), np.sin(t1 - t2)
    a11, a12, a22 = 2.0, c, 1.0
    f1 = -(w2**2) * s - 2.0 * 9.81 * np.sin(t1)
    f2 = w1**2 * s - 9.81 * np.sin(t2)
    det = a11 * a22 - a12 * a12
    return np.stack([(a22 * f1 - a12 * f2) / det, (a11 * f2 - a12 * f1) / det], axis=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16384)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", 2)))
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--methods", default="closed_form,closed_form_traced,autograd,func")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads libgomp
    import torch

    from physym.network import build_model

    torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    rng = np.random.default_rng(1)
    x = rng.uniform(-1.0, 1.0, size=(args.batch, 4)) * np.array([np.pi, np.pi, 2.0, 2.0])
    states = torch.from_numpy(x).to(dtype)
    targets = torch.from_numpy(double_pendulum_targets(x)).to(dtype)

    runs = {}
    for method in args.methods.split(","):
        torch.manual_seed(0)
        model = build_model("seed", 2, dtype=dtype, hessian_method=method)
        optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)

        def train_step(
            model: torch.nn.Module = model, optimiser: torch.optim.Optimizer = optimiser
        ) -> float:
            optimiser.zero_grad(set_to_none=True)
            loss = torch.mean((model.accelerations(states) - targets) ** 2)
            loss.backward()
            optimiser.step()
            return loss.item()

        def infer(model: torch.nn.Module = model) -> None:
            with torch.no_grad():
                model.accelerations(states)

        runs[method] = {"train": train_step, "infer": infer, "train_s": [], "infer_s": []}
    for round_ in range(args.rounds + 2):  # two warm-up rounds
        for run in runs.values():
            for kind in ("train", "infer"):
                start = time.perf_counter()
                run[kind]()
                if round_ >= 2:
                    run[f"{kind}_s"].append(time.perf_counter() - start)
    result = {
        "batch": args.batch,
        "dtype": args.dtype,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "load_avg": os.getloadavg()[0],
        "methods": {
            name: {
                "train_median_s": round(statistics.median(run["train_s"]), 5),
                "train_min_s": round(min(run["train_s"]), 5),
                "infer_median_s": round(statistics.median(run["infer_s"]), 5),
                "accels_per_s": round(args.batch / statistics.median(run["infer_s"])),
            }
            for name, run in runs.items()
        },
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
