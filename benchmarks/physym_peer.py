"""physym as a peer of the LNN agreement check (``agree.py --extra physym=THIS_FILE``).

Loads the peers' numpy weights (``common.init_weights``: ``[(W[out, in], b[out]), ...]``)
into physym's seed-preset MLP and evaluates its accelerations, loss and parameter
gradients with physym's default (closed-form) Hessian::

    cd /work/shared/bench/peers
    /work/main/.venv/bin/python agree.py --extra physym=/work/main/benchmarks/physym_peer.py
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from physym.network import MLPLagrangian, build_model

__all__ = ["accelerations", "load_weights", "loss_and_grads"]

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def load_weights(
    weights: Sequence[tuple[np.ndarray, np.ndarray]], dtype: str, **options: object
) -> MLPLagrangian:
    """The seed-preset model (4-32-32-32-32-1, Softplus(β=0.5)) with the given weights."""
    model = build_model("seed", 2, dtype=_DTYPES[dtype], **options)
    assert isinstance(model, MLPLagrangian)
    if len(weights) != len(model.layers):
        raise ValueError(f"{len(weights)} layers of weights for {len(model.layers)} layers")
    with torch.no_grad():
        for layer, (w, b) in zip(model.layers, weights, strict=True):
            layer.weight.copy_(torch.from_numpy(np.asarray(w)))
            layer.bias.copy_(torch.from_numpy(np.asarray(b)))
    return model


def accelerations(
    weights: Sequence[tuple[np.ndarray, np.ndarray]], states: np.ndarray, dtype: str = "float64"
) -> np.ndarray:
    """``q̈`` ``(n, 2)`` in ``dtype`` at ``states`` ``(n, 4)``."""
    model = load_weights(weights, dtype)
    with torch.no_grad():
        x = torch.from_numpy(np.asarray(states)).to(_DTYPES[dtype])
        return model.accelerations(x).numpy()


def loss_and_grads(
    weights: Sequence[tuple[np.ndarray, np.ndarray]],
    states: np.ndarray,
    targets: np.ndarray,
    dtype: str = "float64",
) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
    """MSE of ``q̈`` against ``targets`` and its gradient w.r.t. every ``(W, b)``.

    The output bias only shifts ``L``, so it gets no gradient (reported as zeros).
    """
    model = load_weights(weights, dtype)
    dt = _DTYPES[dtype]
    x = torch.from_numpy(np.asarray(states)).to(dt)
    y = torch.from_numpy(np.asarray(targets)).to(dt)
    loss = torch.mean((model.accelerations(x) - y) ** 2)
    loss.backward()

    def grad(p: torch.Tensor) -> np.ndarray:
        return (p.grad if p.grad is not None else torch.zeros_like(p)).numpy().copy()

    return float(loss.detach()), [(grad(layer.weight), grad(layer.bias)) for layer in model.layers]
