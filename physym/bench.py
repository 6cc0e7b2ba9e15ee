"""How fast physym trains and evaluates a Lagrangian neural network on this machine.

:func:`benchmark` times the seed architecture (4-32-32-32-32-1 Softplus(β=0.5),
P = 3361 for two degrees of freedom) on the double pendulum with exact targets, the
problem of the LNN peer benchmark (``benchmarks/README.md``): the median seconds of one
Adam step (forward + backward + update + ``loss.item()``) and the inference throughput
(accelerations per second under ``torch.no_grad()``).

>>> result = benchmark(batch=64, steps=2, min_time=0.0)   # doctest: +SKIP
>>> result.train_step_s                                    # doctest: +SKIP
0.0021
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["BenchResult", "benchmark", "time_median"]


@dataclass(frozen=True)
class BenchResult:
    """What :func:`benchmark` measured.

    Attributes
    ----------
    train_step_s : float
        Median seconds of one training step.
    accels_per_s : float
        Accelerations per second in inference (``batch / median call time``).
    batch : int
    n_params : int
    model : str
    hessian_method : str
    dtype : str
    torch : str
        Torch version.
    threads : dict
        ``torch.get_num_threads()``, ``OMP_NUM_THREADS`` and ``OMP_WAIT_POLICY`` in force.
    train_steps : int
        Timed training steps behind the median.
    loss_at_init : float
    """

    train_step_s: float
    accels_per_s: float
    batch: int
    n_params: int
    model: str
    hessian_method: str
    dtype: str
    torch: str
    threads: dict[str, Any]
    train_steps: int
    loss_at_init: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def time_median(
    fn: Callable[[], object],
    *,
    warmup: int = 2,
    steps: int = 7,
    min_time: float = 1.0,
    max_steps: int = 200,
) -> tuple[float, int]:
    """Median wall time of ``fn()`` after ``warmup`` calls.

    Repeats until at least ``steps`` calls and ``min_time`` seconds were timed (at most
    ``max_steps`` calls). Returns ``(median seconds, number of timed calls)``.
    """
    for _ in range(warmup):
        fn()
    times: list[float] = []
    while len(times) < max_steps and (len(times) < steps or sum(times) < min_time):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(times)


def benchmark(
    batch: int = 16384,
    *,
    model: str = "seed",
    hessian_method: str = "closed_form",
    dtype: str = "float32",
    steps: int = 7,
    warmup: int = 2,
    min_time: float = 1.0,
    seed: int = 0,
) -> BenchResult:
    """Time training steps and inference of a learned Lagrangian on the double pendulum.

    Parameters
    ----------
    batch : int
        States per training step and per inference call.
    model : str
        A name for :func:`physym.network.build_model` (default the seed preset).
    hessian_method : str
        For MLP models (see :class:`physym.network.MLPLagrangian`).
    dtype : {"float32", "float64"}
    steps, warmup, min_time : int, int, float
        Timing: median of at least ``steps`` calls and ``min_time`` seconds, after
        ``warmup`` untimed calls.
    seed : int
        Seed of the weights and of the sampled states.

    Returns
    -------
    BenchResult
    """
    import numpy as np
    import torch

    from physym.network import build_model
    from physym.systems import load_system

    torch_dtype = {"float32": torch.float32, "float64": torch.float64}[dtype]
    system = load_system("double_pendulum")
    low, high = system.box
    states_np = np.random.default_rng(seed).uniform(low, high, size=(batch, 2 * system.n_dof))
    states = torch.from_numpy(states_np).to(torch_dtype)
    targets = torch.from_numpy(system.accelerations(states_np)).to(torch_dtype)
    # Extra keywords go to build_model's ``**options`` (typed Any), not to its named ones.
    options: dict[str, Any] = {"hessian_method": hessian_method} if model in ("seed", "mlp") else {}
    net = build_model(model, system.n_dof, dtype=torch_dtype, seed=seed, **options)
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-3)
    losses: list[float] = []

    def train_step() -> None:
        optimiser.zero_grad(set_to_none=True)
        loss = torch.mean((net.accelerations(states) - targets) ** 2)
        loss.backward()
        optimiser.step()
        losses.append(loss.item())

    def infer() -> None:
        with torch.no_grad():
            net.accelerations(states)

    train_s, n_train = time_median(train_step, warmup=warmup, steps=steps, min_time=min_time)
    infer_s, _ = time_median(infer, warmup=warmup, steps=steps, min_time=min_time)
    return BenchResult(
        train_step_s=train_s,
        accels_per_s=batch / infer_s,
        batch=batch,
        n_params=sum(p.numel() for p in net.parameters()),
        model=model,
        hessian_method=hessian_method,
        dtype=dtype,
        torch=torch.__version__,
        threads={
            "torch_num_threads": torch.get_num_threads(),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
            "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY"),
        },
        train_steps=n_train,
        loss_at_init=losses[0],
    )
