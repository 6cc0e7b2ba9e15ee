"""What is watched during and after training: relative error and velocity-Hessian health."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from physym.network.base import LagrangianModel

__all__ = ["hessian_health", "predict", "relative_error"]


def predict(
    model: LagrangianModel, states: np.ndarray | torch.Tensor, chunk: int = 8192
) -> np.ndarray:
    """The model's accelerations ``(N, n)`` as float64 NumPy, without a graph.

    Computed in the model's own dtype; states whose ``H_vv`` cannot be solved give
    ``nan``. ``states`` are the rows the model takes (with ``t`` and known forces for a
    :class:`~physym.network.forced.ForcedLagrangian`, see
    :func:`physym.training.conditions.model_rows`).
    """
    dtype = next(model.parameters()).dtype
    x = torch.as_tensor(np.asarray(states)).to(dtype)
    out = []
    with torch.no_grad():
        for start in range(0, len(x), chunk):
            xs = x[start : start + chunk]
            h_vv, rhs = model.euler_lagrange_terms(xs, create_graph=False)
            solution, info = torch.linalg.solve_ex(h_vv, rhs)
            solution[info != 0] = float("nan")
            out.append(solution.to(torch.float64))
    return torch.cat(out).numpy()


def relative_error(predicted: np.ndarray, target: np.ndarray) -> float:
    """``‖â − a‖ / ‖a‖`` over a whole set (Frobenius norms), ``inf`` if not finite."""
    value = float(np.linalg.norm(predicted - target) / np.linalg.norm(target))
    return value if np.isfinite(value) else float("inf")


def hessian_health(
    model: LagrangianModel, states: np.ndarray | torch.Tensor, cond_limit: float = 1e6
) -> dict[str, Any]:
    """Eigenvalues and condition numbers of ``H_vv = ∂²L/∂q̇²`` over ``states``.

    ``L_θ`` and ``−L_θ`` give the same motion, so a negative-definite ``H_vv`` is healthy
    (the sign convention is merely flipped); an *indefinite* one (eigenvalues of both
    signs) or a near-singular one is not.

    Returns
    -------
    dict
        ``min_eigenvalue`` (signed), ``max_condition`` and ``median_condition``
        (``max|λ| / min|λ|``), the counts ``n_indefinite`` (eigenvalues of both signs, a
        zero, or not finite), ``n_negative_definite`` and ``n_singular`` (condition above
        ``cond_limit``) out of ``n_states``, and ``min_eigenvalue_ratio``: the smallest
        eigenvalue over the median largest ``|λ|`` (does not depend on the arbitrary
        scale of ``L_θ``; negative for a flipped sign or an indefinite Hessian).
    """
    dtype = next(model.parameters()).dtype
    x = torch.as_tensor(np.asarray(states)).to(dtype)
    with torch.no_grad():
        h_vv = model.velocity_hessian(x).to(torch.float64)
    h_vv = torch.nan_to_num(h_vv, nan=0.0, posinf=0.0, neginf=0.0)
    eig = torch.linalg.eigvalsh(h_vv)
    lowest, highest = eig[:, 0], eig[:, -1]
    abs_eig = eig.abs()
    cond = abs_eig.max(dim=-1).values / abs_eig.min(dim=-1).values.clamp_min(1e-300)
    typical = float(abs_eig.max(dim=-1).values.median())
    return {
        "n_states": len(x),
        "n_indefinite": int(((lowest <= 0) & (highest >= 0)).sum()),
        "n_negative_definite": int((highest < 0).sum()),
        "n_singular": int((cond > cond_limit).sum()),
        "min_eigenvalue": float(lowest.min()),
        "min_eigenvalue_ratio": float(lowest.min()) / typical if typical else float("nan"),
        "max_condition": float(cond.max()),
        "median_condition": float(cond.median()),
    }
