"""A general learned Lagrangian ``L_θ(q, q̇)``: an MLP of the state.

Four ways to get ``∂L/∂q``, ``H_vv`` and ``H_vq`` for a whole batch are built in, chosen
by ``hessian_method``; all are exact and agree to rounding:

``"closed_form"`` (default)
    The exact input Hessian of an MLP, ``H = Σ_l J_lᵀ diag(g_l ⊙ σ''(a_l)) J_l``, formed
    for the ``n`` velocity rows only by forward tangents ``ȧ_l = J_l e_i`` and a gradient
    sweep (:mod:`physym.network.input_hessian`), run as one autograd node with a
    hand-written backward (:mod:`physym.network.fused_hessian`). Inference builds no
    autograd graph. Chosen because it was the fastest at every batch size measured, for
    training steps and inference: at batch 16384 (seed net, float32, 2 threads) a
    training step took ~0.8x the time of ``"closed_form_traced"``, ~0.5x that of
    ``"autograd"``, ~0.4x that of ``"func"``, and ~0.45x the JAX peer's fused step
    (``benchmarks/README.md``). On CPU the cost is the number of passes over
    ``(B, width)`` arrays, and the hand-written backward needs about a third of the
    passes autograd replays. When the states themselves require grad (derivatives
    w.r.t. the inputs, e.g. through an unrolled integrator), the traced version is used.
``"closed_form_traced"``
    The same formulas traced by autograd (differentiable to any order).
``"func"``
    ``torch.func``: ``vmap`` of a forward-mode Jacobian (over ``q̇`` only) of the reverse
    gradient, the "fused" formulation of the ``torch_func`` peer. Slowest here.
``"autograd"``
    The base class's batched reverse-mode autograd (one ``grad`` per velocity component).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch import nn
from torch.func import functional_call, jacfwd, jacrev, vmap

from physym.network.activations import Activation, get_activation
from physym.network.base import LagrangianModel, linear_layers
from physym.network.embedding import CoordinateEmbedding, TimeFeature
from physym.network.fused_hessian import fused_gradient_and_hessian_rows
from physym.network.input_hessian import mlp_gradient_and_hessian_rows

__all__ = ["HESSIAN_METHODS", "MLPLagrangian"]

HESSIAN_METHODS = ("closed_form", "closed_form_traced", "func", "autograd")


class MLPLagrangian(LagrangianModel):
    """``L_θ(q, q̇)`` as a multilayer perceptron of ``(e(q), q̇)``.

    Parameters
    ----------
    n_dof : int
        Number of coordinates ``n``; states are ``(B, 2n)``.
    width : int
        Units per hidden layer.
    depth : int
        Number of hidden layers (the seed net 4-32-32-32-32-1 has ``depth=4, width=32``).
    activation : str or Activation
        A smooth activation (``softplus``, ``tanh``, ``sigmoid``, ``silu``, ``gelu``,
        ``sin``); ``relu`` and other piecewise-linear ones raise ``ValueError``.
    beta : float
        Softplus sharpness (``nn.Softplus(beta)``).
    periodic : sequence of bool, optional
        Coordinates fed as ``(sin q, cos q)``.
    epsilon : float
        Adds ``ε/2 ‖q̇‖²`` to ``L`` (so ``H_vv + ε I``): a guard that keeps the velocity
        Hessian away from singular where the network alone would be flat.
    hessian_method : {"closed_form", "func", "autograd"}
        How :meth:`derivatives` is computed (see the module docstring).
    time_range : (t0, t1), optional
        The sampled time range: ``t`` is fed to the network mapped onto ``[−1, 1]``.
    time_dependent : bool
        ``L_θ(q, q̇, t)``: states carry ``t`` as a last column and the network takes it as
        an input (derivatives then by batched autograd).

    Examples
    --------
    >>> model = MLPLagrangian(2, width=16, depth=2)
    >>> model.accelerations(torch.zeros(5, 4)).shape
    torch.Size([5, 2])
    """

    def __init__(
        self,
        n_dof: int,
        *,
        width: int = 64,
        depth: int = 3,
        activation: str | Activation = "softplus",
        beta: float = 1.0,
        periodic: Sequence[bool] | None = None,
        epsilon: float = 0.0,
        hessian_method: str = "closed_form",
        time_dependent: bool = False,
        time_range: Sequence[float] | None = None,
    ):
        super().__init__(n_dof)
        self.time_dependent = bool(time_dependent)
        self.time_feature = TimeFeature(time_range)
        if width < 1 or depth < 1:
            raise ValueError(f"width and depth must be positive, got {width} and {depth}")
        if hessian_method not in HESSIAN_METHODS:
            raise ValueError(f"hessian_method must be one of {HESSIAN_METHODS}")
        if epsilon < 0:
            raise ValueError(f"epsilon must be non-negative, got {epsilon}")
        self.activation = get_activation(activation, beta)
        self.embedding = CoordinateEmbedding(n_dof, periodic)
        self.epsilon = float(epsilon)
        self.hessian_method = hessian_method
        sizes = (
            [self.embedding.n_features + self.input_width - self.n_dof]
            + [int(width)] * int(depth)
            + [1]
        )
        self.layers = nn.ModuleList(nn.Linear(i, o) for i, o in itertools.pairwise(sizes))

    @property
    def width(self) -> int:
        return linear_layers(self.layers)[0].out_features

    @property
    def depth(self) -> int:
        return len(self.layers) - 1

    def extra_repr(self) -> str:
        return (
            f"n_dof={self.n_dof}, activation={self.activation.name}"
            f"(beta={self.activation.beta}), periodic={self.embedding.periodic}, "
            f"epsilon={self.epsilon}, hessian_method={self.hessian_method!r}"
            + (", time_dependent=True" if self.time_dependent else "")
        )

    def features(self, states: torch.Tensor) -> torch.Tensor:
        """Network input ``(e(q), q̇[, t])``: ``(..., 2n[+1]) -> (..., n_features + n[+1])``."""
        n = self.n_dof
        parts = [self.embedding.features(states[..., :n]), states[..., n : 2 * n]]
        if self.time_dependent:
            parts.append(self.time_feature(states[..., 2 * n : 2 * n + 1]))
        return torch.cat(parts, dim=-1)

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        """``L`` at each state: ``(B, 2n) -> (B,)`` (a single state ``(2n,)`` gives ``()``)."""
        h = self.features(states)
        for layer in self.layers[:-1]:
            h = self.activation(layer(h))
        lagrangian = self.layers[-1](h).squeeze(-1)
        if self.epsilon:
            qdot = states[..., self.n_dof : 2 * self.n_dof]
            lagrangian = lagrangian + 0.5 * self.epsilon * (qdot * qdot).sum(-1)
        return lagrangian

    def derivatives(
        self, states: torch.Tensor, create_graph: bool
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``∂L/∂q`` ``(B, n)``, ``H_vv`` ``(B, n, n)``, ``H_vq`` ``(B, n, n)``."""
        if self.hessian_method == "autograd" or self.time_dependent:
            grad_q, h_vv, h_vq = super().derivatives(states, create_graph)
            return grad_q, h_vv, h_vq  # ε‖q̇‖²/2 is part of forward here
        if self.hessian_method == "func":
            return self._func_derivatives(states, create_graph)
        with torch.set_grad_enabled(create_graph):
            grad_q, h_vv, h_vq = self._closed_form(states)
        if self.epsilon:
            h_vv = h_vv + self.epsilon * torch.eye(self.n_dof, dtype=h_vv.dtype, device=h_vv.device)
        return grad_q, h_vv, h_vq

    def _closed_form(self, states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        n, n_coord = self.n_dof, self.embedding.n_features
        q = states[:, :n]
        linears = linear_layers(self.layers)
        weights: list[torch.Tensor] = [layer.weight for layer in linears]
        biases: list[torch.Tensor] = [layer.bias for layer in linears[:-1]]
        features = self.features(states)
        if self.hessian_method == "closed_form" and not (
            torch.is_grad_enabled() and features.requires_grad
        ):
            gradient, rows = fused_gradient_and_hessian_rows(
                features, weights, biases, self.activation.name, self.activation.beta, n
            )
        else:  # autograd through the same formulas: also differentiable w.r.t. states
            gradient, rows = mlp_gradient_and_hessian_rows(
                features, weights, biases, self.activation, n
            )
        grad_q = self.embedding.pullback(q, gradient[:, :n_coord])
        h_vq = self.embedding.pullback(q, rows[..., :n_coord])  # (n, B, n)
        return grad_q, rows[..., n_coord:].transpose(0, 1), h_vq.transpose(0, 1)

    def _func_derivatives(
        self, states: torch.Tensor, create_graph: bool
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        n = self.n_dof
        params: dict[str, torch.Tensor] = dict(self.named_parameters())
        if not create_graph:
            params = {k: v.detach() for k, v in params.items()}

        def lagrangian(
            p: dict[str, torch.Tensor], q: torch.Tensor, qdot: torch.Tensor
        ) -> torch.Tensor:
            return functional_call(self, p, (torch.cat([q, qdot]),))

        def gradient(p, q, qdot):
            g = jacrev(lagrangian, argnums=(1, 2))(p, q, qdot)
            return g, g

        def one_state(p, x):
            (dgq_dv, dgv_dv), (gq, _) = jacfwd(gradient, argnums=2, has_aux=True)(p, x[:n], x[n:])
            return gq, dgv_dv, dgq_dv.T  # H_vq = (∂(∂L/∂q)/∂q̇)ᵀ

        with torch.set_grad_enabled(create_graph):
            return vmap(one_state, in_dims=(None, 0))(params, states)

    @torch.no_grad()
    def scale_coordinate_inputs(self, factor: float) -> None:
        """Multiply the first-layer weights of the coordinate features by ``factor``.

        ``L(q, q̇) → L(b·e(q), q̇)`` multiplies ``∂L/∂q`` and ``H_vq`` by ``b``, hence
        ``q̈`` by about ``b``; used by :func:`physym.network.init.calibrate_acceleration_scale`.
        """
        linear_layers(self.layers)[0].weight[:, : self.embedding.n_features].mul_(factor)
