"""The exact input gradient and Hessian rows of an MLP, for a whole batch, in closed form.

For a network ``a_1 = W_1 x + b_1``, ``h_l = σ(a_l)``, ``a_{l+1} = W_{l+1} h_l + b_{l+1}``,
``L = W_out h_D + b_out``, the input Hessian is

    ∂²L/∂x² = Σ_l J_lᵀ diag(g_l ⊙ σ''(a_l)) J_l,    J_l = ∂a_l/∂x,  g_l = ∂L/∂h_l.

Only the rows of the ``r`` velocity inputs are needed, and they are formed here without
ever materialising a per-sample ``J_l``: each row ``i`` is the directional derivative of
the gradient along input ``i``. A forward sweep carries the tangents ``ȧ_l = J_l e_i``
(``ȧ_1 = W_1 e_i``, ``ȧ_{l+1} = W_{l+1} (σ'(a_l) ⊙ ȧ_l)``); the backward sweep carries
the gradient and its tangent,

    g_{a_l} = σ'(a_l) ⊙ g_l,                 ġ_{a_l} = σ''(a_l) ⊙ ȧ_l ⊙ g_l + σ'(a_l) ⊙ ġ_l,
    g_{l-1} = W_lᵀ g_{a_l},                  ġ_{l-1} = W_lᵀ ġ_{a_l},

so that ``∂L/∂x = W_1ᵀ g_{a_1}`` and ``(∂²L/∂x_i∂x)ᵀ = W_1ᵀ ġ_{a_1}``. This is the same
sum over layers as the formula above (expand ``ġ``), computed as
``2 + 2r`` matrix products per layer, ``(B·r, width) @ (width, width)``, and elementwise
products: dense kernels only, no batched small matrix products, no per-sample work.
Tangents are kept as ``(r, B, width)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.nn import functional

from physym.network.activations import Activation

__all__ = ["mlp_gradient_and_hessian_rows", "mlp_tangents"]


def mlp_gradient_and_hessian_rows(
    inputs: torch.Tensor,
    weights: Sequence[torch.Tensor],
    biases: Sequence[torch.Tensor],
    activation: Activation,
    n_rows: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Input gradient and the Hessian rows of the last ``n_rows`` inputs of a scalar MLP.

    Parameters
    ----------
    inputs : torch.Tensor, ``(B, d)``
        Network inputs; the last ``n_rows`` columns are the ones whose rows are wanted
        (the velocities).
    weights : sequence of tensors
        ``W_1 (width, d), W_2 … W_D (width, width), W_out (1, width)``.
    biases : sequence of tensors
        ``b_1 … b_D`` (the output bias does not matter and may be left out).
    activation : Activation
    n_rows : int

    Returns
    -------
    gradient : ``(B, d)``, ``∂L/∂x``
    hessian_rows : ``(n_rows, B, d)``, ``hessian_rows[i, b] = ∂²L/∂x_{d-r+i}∂x`` at ``x_b``
    """
    depth = len(weights) - 1
    first = weights[0]
    a = functional.linear(inputs, first, biases[0])
    a_dot = first[:, first.shape[1] - n_rows :].T.unsqueeze(1)  # (r, 1, width): ȧ_1 = W_1 e_i
    saved = []
    for layer in range(depth):
        h, slope, curvature = activation.with_derivatives(a)
        saved.append((a_dot, slope, curvature))
        if layer + 1 < depth:
            weight = weights[layer + 1]
            a = functional.linear(h, weight, biases[layer + 1])
            a_dot = (slope * a_dot) @ weight.T

    g = weights[-1]  # ∂L/∂h_D, (1, width), broadcast over the batch
    g_dot: torch.Tensor | None = None
    for layer in reversed(range(depth)):
        a_dot, slope, curvature = saved[layer]
        g_pre = slope * g
        g_pre_dot = (curvature * g) * a_dot
        if g_dot is not None:
            g_pre_dot = g_pre_dot + slope * g_dot
        g = g_pre @ weights[layer]
        g_dot = g_pre_dot @ weights[layer]
    assert g_dot is not None
    return g, g_dot


def mlp_tangents(
    first_preactivation: torch.Tensor,
    first_tangents: Sequence[torch.Tensor],
    weights: Sequence[torch.Tensor],
    biases: Sequence[torch.Tensor],
    activation: Activation,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Output and forward-mode tangents of a (vector-output) MLP.

    Parameters
    ----------
    first_preactivation : torch.Tensor, ``(B, width)``
    first_tangents : sequence of ``k`` tensors, each ``(width,)`` or ``(B, width)``
        ``∂a_1/∂z_j`` for the ``k`` input directions of interest.
    weights, biases : sequences of tensors
        The later layers ``W_2 … W_D, W_out`` and ``b_2 … b_D, b_out``.
    activation : Activation

    Returns
    -------
    output : ``(B, m)``
    tangents : ``(k, B, m)``, ``∂output/∂z_j``
    """
    a = first_preactivation
    tangent = torch.stack([t.expand_as(a) for t in first_tangents])
    for weight, bias in zip(weights, biases, strict=True):
        h, slope, _ = activation.with_derivatives(a)
        a = functional.linear(h, weight, bias)
        tangent = (slope * tangent) @ weight.T
    return a, tangent
