"""A structured Lagrangian ``L = ½ q̇ᵀ M_θ(q) q̇ + A_θ(q)·q̇ − V_θ(q)`` (Deep Lagrangian
Networks, with a vector potential).

As in Lutter, Ritter & Peters (2019), the mass matrix is ``M = L Lᵀ + ε I`` with ``L``
lower-triangular, its diagonal passed through softplus: ``M`` is symmetric positive
definite for every ``q`` and every parameter value, so ``H_vv = M`` can never be singular
or indefinite. One MLP of ``q`` (its coordinates sin/cos-embedded where periodic) outputs
the ``n(n+1)/2`` entries of ``L``, ``V`` and the ``n`` components of ``A``.

``A·q̇`` is the most general velocity-linear term: its Euler–Lagrange force is the
gyroscopic ``F q̇`` with ``F_ki = ∂_k A_i − ∂_i A_k`` (a magnetic field, a rotating frame).
It is a total derivative, hence invisible, where ``F = 0`` (always for one degree of
freedom). Its head starts at zero, so an untrained model has no gyroscopic force;
``vector_potential=False`` leaves it out (the pure ``½ q̇ᵀ M q̇ − V`` of DeLaN).

The Euler–Lagrange terms follow in closed form from ``M``, ``∂M/∂q_k``, ``∂A/∂q`` and
``∂V/∂q``, with the ``q``-tangents of the MLP propagated forward (``n`` directions):

    ∂L/∂q_k = ½ q̇ᵀ (∂_k M) q̇ + q̇·∂_k A − ∂_k V,     H_vv = M,
    (H_vq)_{ik} = (∂_k M q̇)_i + ∂_k A_i,

and ``∂_k M = (∂_k L) Lᵀ + L (∂_k L)ᵀ``. No second derivative of the network is needed,
so this is exact and as cheap as one forward pass with ``n`` tangents.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional

from physym.network.activations import Activation, get_activation
from physym.network.base import LagrangianModel, linear_layers
from physym.network.embedding import CoordinateEmbedding, TimeFeature
from physym.network.input_hessian import mlp_tangents

__all__ = ["StructuredLagrangian"]


class StructuredLagrangian(LagrangianModel):
    """``L = ½ q̇ᵀ M_θ(q) q̇ + A_θ(q)·q̇ − V_θ(q)`` with ``M_θ = L Lᵀ + ε I`` positive definite.

    Parameters
    ----------
    n_dof : int
    width, depth : int
        Hidden layers of the MLP of ``q``.
    activation : str or Activation
        Any smooth activation (the tangents need ``σ'``; training needs ``σ''``).
    beta : float
        Softplus sharpness.
    periodic : sequence of bool, optional
        Coordinates fed as ``(sin q, cos q)``.
    mass_epsilon : float
        ``ε`` in ``M = L Lᵀ + ε I``: a lower bound on the eigenvalues of ``M``.
    vector_potential : bool
        Include the velocity-linear term ``A_θ(q)·q̇`` (default), e.g. for a charged
        particle in a magnetic field.
    time_range : (t0, t1), optional
        The sampled time range: ``t`` is fed to the network mapped onto ``[−1, 1]``.
    time_dependent : bool
        ``M_θ(q, t)``, ``A_θ(q, t)``, ``V_θ(q, t)``: states carry ``t`` as a last column,
        fed to the MLP beside ``e(q)`` (derivatives then by batched autograd).

    Examples
    --------
    >>> model = StructuredLagrangian(2, width=16, depth=2)
    >>> m = model.mass_matrix(torch.zeros(3, 2))
    >>> bool((torch.linalg.eigvalsh(m) > 0).all())
    True
    """

    _placement: torch.Tensor
    _is_diag: torch.Tensor

    def __init__(
        self,
        n_dof: int,
        *,
        width: int = 64,
        depth: int = 3,
        activation: str | Activation = "softplus",
        beta: float = 1.0,
        periodic: Sequence[bool] | None = None,
        mass_epsilon: float = 1e-3,
        vector_potential: bool = True,
        time_dependent: bool = False,
        time_range: Sequence[float] | None = None,
    ):
        super().__init__(n_dof)
        self.time_dependent = bool(time_dependent)
        self.time_feature = TimeFeature(time_range)
        if width < 1 or depth < 1:
            raise ValueError(f"width and depth must be positive, got {width} and {depth}")
        if mass_epsilon < 0:
            raise ValueError(f"mass_epsilon must be non-negative, got {mass_epsilon}")
        n = self.n_dof
        self.activation = get_activation(activation, beta)
        self.embedding = CoordinateEmbedding(n, periodic)
        self.mass_epsilon = float(mass_epsilon)
        self.n_cholesky = n * (n + 1) // 2
        sizes = (
            [self.embedding.n_features + int(self.time_dependent)]
            + [int(width)] * int(depth)
            + [self.n_cholesky + 1]
        )
        self.layers = nn.ModuleList(nn.Linear(i, o) for i, o in itertools.pairwise(sizes))
        self.has_vector_potential = bool(vector_potential)
        self.vector_head: nn.Linear | None = None
        if self.has_vector_potential:
            self.vector_head = nn.Linear(sizes[-2], n)
            with torch.no_grad():  # no gyroscopic force until the data ask for one
                self.vector_head.weight.zero_()
                self.vector_head.bias.zero_()
        rows, cols = torch.tril_indices(n, n)
        is_diag = rows == cols
        # Entry k of the network output goes to L[rows[k], cols[k]]: a 0/1 placement
        # matrix keeps the assembly one (differentiable) matmul.
        placement = torch.zeros(n * n, self.n_cholesky)
        placement[rows * n + cols, torch.arange(self.n_cholesky)] = 1.0
        self.register_buffer("_placement", placement, persistent=False)
        self.register_buffer("_is_diag", is_diag, persistent=False)

    def extra_repr(self) -> str:
        return (
            f"n_dof={self.n_dof}, activation={self.activation.name}"
            f"(beta={self.activation.beta}), periodic={self.embedding.periodic}, "
            f"mass_epsilon={self.mass_epsilon}, "
            f"vector_potential={self.has_vector_potential}"
            + (", time_dependent=True" if self.time_dependent else "")
        )

    def _output_layer(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Weight and bias of the outputs ``(Cholesky entries, V, A)`` as one layer."""
        last = linear_layers(self.layers)[-1]
        if self.vector_head is None:
            return last.weight, last.bias
        return (
            torch.cat([last.weight, self.vector_head.weight]),
            torch.cat([last.bias, self.vector_head.bias]),
        )

    def _network(self, q: torch.Tensor, t: torch.Tensor | None = None) -> torch.Tensor:
        """``(..., n) -> (..., n(n+1)/2 + 1 [+ n])``: Cholesky entries, ``V`` [, ``A``].

        ``t`` ``(..., 1)``: the time column of a time-dependent model."""
        h = self.embedding.features(q)
        if self.time_dependent:
            if t is None:
                raise ValueError("this Lagrangian depends on time: states need a t column")
            h = torch.cat([h, self.time_feature(t)], dim=-1)
        for layer in self.layers[:-1]:
            h = self.activation(layer(h))
        return functional.linear(h, *self._output_layer())

    def _cholesky(self, raw: torch.Tensor) -> torch.Tensor:
        """``(..., n(n+1)/2) -> (..., n, n)`` lower-triangular, positive diagonal."""
        entries = torch.where(self._is_diag, functional.softplus(raw), raw)
        n = self.n_dof
        return (entries @ self._placement.T).unflatten(-1, (n, n))

    def _mass(self, cholesky: torch.Tensor) -> torch.Tensor:
        eye = torch.eye(self.n_dof, dtype=cholesky.dtype, device=cholesky.device)
        return cholesky @ cholesky.transpose(-1, -2) + self.mass_epsilon * eye

    def mass_matrix(self, q: torch.Tensor, t: torch.Tensor | None = None) -> torch.Tensor:
        """``M_θ(q[, t])``: ``(B, n) -> (B, n, n)``, symmetric positive definite."""
        return self._mass(self._cholesky(self._network(q, t)[..., : self.n_cholesky]))

    def potential(self, q: torch.Tensor, t: torch.Tensor | None = None) -> torch.Tensor:
        """``V_θ(q[, t])``: ``(B, n) -> (B,)``."""
        return self._network(q, t)[..., self.n_cholesky]

    def vector_potential(self, q: torch.Tensor) -> torch.Tensor:
        """``A_θ(q)``: ``(B, n) -> (B, n)`` (zeros without the term)."""
        out = self._network(q)
        if self.vector_head is None:
            return torch.zeros_like(q)
        return out[..., self.n_cholesky + 1 :]

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        """``L`` at each state: ``(B, 2n) -> (B,)``."""
        n = self.n_dof
        out = self._network(states[..., :n], states[..., 2 * n : 2 * n + 1])
        mass = self._mass(self._cholesky(out[..., : self.n_cholesky]))
        qdot = states[..., n : 2 * n]
        kinetic = 0.5 * (qdot.unsqueeze(-2) @ mass @ qdot.unsqueeze(-1)).squeeze(-1).squeeze(-1)
        lagrangian = kinetic - out[..., self.n_cholesky]
        if self.vector_head is not None:
            lagrangian = lagrangian + (out[..., self.n_cholesky + 1 :] * qdot).sum(-1)
        return lagrangian

    def derivatives(
        self, states: torch.Tensor, create_graph: bool
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``∂L/∂q`` ``(B, n)``, ``H_vv = M`` ``(B, n, n)``, ``H_vq`` ``(B, n, n)``, exact."""
        if self.time_dependent:
            return super().derivatives(states, create_graph)
        with torch.set_grad_enabled(create_graph):
            return self._closed_form(states)

    def _closed_form(self, states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        n, nc = self.n_dof, self.n_cholesky
        q, qdot = states[:, :n], states[:, n:]
        linears = linear_layers(self.layers)
        first = linears[0]
        out_weight, out_bias = self._output_layer()
        out, d_out = mlp_tangents(
            first(self.embedding.features(q)),
            self.embedding.linear_tangents(q, first.weight),
            [layer.weight for layer in linears[1:-1]] + [out_weight],
            [layer.bias for layer in linears[1:-1]] + [out_bias],
            self.activation,
        )
        raw, d_raw = out[:, :nc], d_out[..., :nc]  # (B, nc), (n, B, nc)
        d_entries = torch.where(self._is_diag, torch.sigmoid(raw), 1.0) * d_raw
        chol = self._cholesky(raw)  # (B, n, n)
        d_chol = (d_entries @ self._placement.T).unflatten(-1, (n, n))  # (n_k, B, n, n)
        u = (qdot.unsqueeze(-2) @ chol).squeeze(-2)  # Lᵀ q̇, (B, n)
        w = (qdot.unsqueeze(-2) @ d_chol).squeeze(-2)  # (∂_k L)ᵀ q̇, (k, B, n)
        grad_q = (w * u).sum(-1).T - d_out[..., nc].T  # ½q̇ᵀ∂_kMq̇ − ∂_kV
        h_vq = (d_chol @ u.unsqueeze(-1)).squeeze(-1) + (chol @ w.unsqueeze(-1)).squeeze(-1)
        if self.vector_head is not None:
            d_a = d_out[..., nc + 1 :]  # ∂_k A_i, (k, B, i)
            grad_q = grad_q + (d_a * qdot).sum(-1).T  # + q̇·∂_kA
            h_vq = h_vq + d_a
        return grad_q, self._mass(chol), h_vq.permute(1, 2, 0)  # (B, i, k)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args: object) -> None:
        # A model saved before the A term existed had A = 0: load it as exactly that.
        head = self.vector_head
        if head is not None and prefix + "vector_head.weight" not in state_dict:
            state_dict[prefix + "vector_head.weight"] = torch.zeros_like(head.weight)
            state_dict[prefix + "vector_head.bias"] = torch.zeros_like(head.bias)
        super()._load_from_state_dict(state_dict, prefix, *args)

    @torch.no_grad()
    def scale_coordinate_inputs(self, factor: float) -> None:
        """Multiply the first-layer weights by ``factor`` (see ``calibrate_acceleration_scale``)."""
        linear_layers(self.layers)[0].weight.mul_(factor)
