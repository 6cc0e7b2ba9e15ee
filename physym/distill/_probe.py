"""Evaluate a learned Lagrangian and its derivatives on batches of states (NumPy out).

Distillation only reads the model: any ``nn.Module`` mapping ``(batch, 2n)`` states to
``(batch,)`` values will do. Derivatives come from batched reverse-mode autograd (the
gradient of ``Σ_b L(x_b)`` is every per-state gradient), evaluated in chunks so that the
memory stays small, and are returned as float64 NumPy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

__all__ = ["Probe", "model_accelerations", "probe"]

_CHUNK = 4096


@dataclass(frozen=True)
class Probe:
    """The model's value and derivatives at a batch of states.

    Attributes
    ----------
    value : numpy.ndarray, shape ``(batch,)``
        ``L_θ``.
    grad_q, grad_v : numpy.ndarray, shape ``(batch, n)``
        ``∂L_θ/∂q`` and ``∂L_θ/∂q̇``.
    h_vv, h_vq : numpy.ndarray, shape ``(batch, n, n)``
        ``∂²L_θ/∂q̇_i∂q̇_j`` and ``∂²L_θ/∂q̇_i∂q_j``.
    """

    value: np.ndarray
    grad_q: np.ndarray
    grad_v: np.ndarray
    h_vv: np.ndarray
    h_vq: np.ndarray

    def forces(self, states: np.ndarray) -> np.ndarray:
        """``f = ∂L/∂q − H_vq q̇``, shape ``(batch, n)``."""
        n = self.grad_q.shape[1]
        return self.grad_q - np.einsum("bij,bj->bi", self.h_vq, states[:, n:])


def _model_dtype(model: nn.Module) -> tuple[torch.dtype, torch.device]:
    for parameter in model.parameters():
        if parameter.is_floating_point():
            return parameter.dtype, parameter.device
    return torch.float64, torch.device("cpu")


def _probe_chunk(
    model: nn.Module, states: np.ndarray, n: int, where: tuple[torch.dtype, torch.device]
) -> list:
    x = torch.as_tensor(states, dtype=where[0], device=where[1]).requires_grad_(True)
    value = model(x).reshape(-1)
    if value.shape[0] != x.shape[0]:
        raise ValueError(
            f"model must map (batch, {2 * n}) states to (batch,) values, got {tuple(value.shape)}"
        )
    grad = torch.autograd.grad(value.sum(), x, create_graph=True)[0]
    rows = []
    for i in range(n):
        row = torch.autograd.grad(grad[:, n + i].sum(), x, retain_graph=True, allow_unused=True)[0]
        rows.append(torch.zeros_like(x) if row is None else row)
    hessian = torch.stack(rows, dim=1)  # (B, n, 2n): rows ∂/∂q̇_i of the full gradient
    out = [value, grad[:, :n], grad[:, n:], hessian[:, :, n:], hessian[:, :, :n]]
    return [t.detach().to(torch.float64).cpu().numpy() for t in out]


def probe(model: nn.Module, states: np.ndarray) -> Probe:
    """Value, gradient and velocity-Hessian rows of ``model`` at ``states`` ``(batch, 2n)``.

    Examples
    --------
    >>> import torch
    >>> class Free(torch.nn.Module):
    ...     def forward(self, s):
    ...         return 0.5 * s[:, 1] ** 2
    >>> float(probe(Free(), np.array([[0.0, 2.0]])).h_vv[0, 0, 0])
    1.0
    """
    states = np.asarray(states, dtype=np.float64)
    n = states.shape[1] // 2
    where = _model_dtype(model)
    parts = []
    with torch.enable_grad():
        for start in range(0, states.shape[0], _CHUNK):
            parts.append(_probe_chunk(model, states[start : start + _CHUNK], n, where))
    return Probe(*(np.concatenate([p[k] for p in parts]) for k in range(5)))


def model_accelerations(model: nn.Module, states: np.ndarray) -> np.ndarray:
    """Euler–Lagrange accelerations of ``model`` at ``states``, shape ``(batch, n)``."""
    states = np.asarray(states, dtype=np.float64)
    result = probe(model, states)
    return np.linalg.solve(result.h_vv, result.forces(states)[..., None])[..., 0]
