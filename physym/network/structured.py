"""A structured Lagrangian ``L = ½ q̇ᵀ M_θ(q) q̇ − V_θ(q)`` (Deep Lagrangian Networks).

As in Lutter, Ritter & Peters (2019), the mass matrix is ``M = L Lᵀ + ε I`` with ``L``
lower-triangular, its diagonal passed through softplus: ``M`` is symmetric positive
definite for every ``q`` and every parameter value, so ``H_vv = M`` can never be singular
or indefinite. One MLP of ``q`` (its coordinates sin/cos-embedded where periodic) outputs
the ``n(n+1)/2`` entries of ``L`` and ``V``.

The Euler–Lagrange terms follow in closed form from ``M``, ``∂M/∂q_k`` and ``∂V/∂q``, with
the ``q``-tangents of the MLP propagated forward (``n`` directions):

    ∂L/∂q_k = ½ q̇ᵀ (∂_k M) q̇ − ∂_k V,     H_vv = M,     (H_vq)_{ik} = (∂_k M q̇)_i,

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
from physym.network.base import LagrangianModel
from physym.network.embedding import CoordinateEmbedding
from physym.network.input_hessian import mlp_tangents

__all__ = ["StructuredLagrangian"]


class StructuredLagrangian(LagrangianModel):
    """``L = ½ q̇ᵀ M_θ(q) q̇ − V_θ(q)`` with ``M_θ = L Lᵀ + ε I`` positive definite.

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

    Examples
    --------
    >>> model = StructuredLagrangian(2, width=16, depth=2)
    >>> m = model.mass_matrix(torch.zeros(3, 2))
    >>> bool((torch.linalg.eigvalsh(m) > 0).all())
    True
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
        mass_epsilon: float = 1e-3,
    ):
        super().__init__(n_dof)
        if width < 1 or depth < 1:
            raise ValueError(f"width and depth must be positive, got {width} and {depth}")
        if mass_epsilon < 0:
            raise ValueError(f"mass_epsilon must be non-negative, got {mass_epsilon}")
        n = self.n_dof
        self.activation = get_activation(activation, beta)
        self.embedding = CoordinateEmbedding(n, periodic)
        self.mass_epsilon = float(mass_epsilon)
        self.n_cholesky = n * (n + 1) // 2
        sizes = [self.embedding.n_features] + [int(width)] * int(depth) + [self.n_cholesky + 1]
        self.layers = nn.ModuleList(nn.Linear(i, o) for i, o in itertools.pairwise(sizes))
        rows, cols = torch.tril_indices(n, n)
        is_diag = rows == cols
        # Entry k of the network output goes to L[rows[k], cols[k]]: a 0/1 placement
        # matrix keeps the assembly one (differentiable) matmul.
        placement = torch.zeros(n * n, self.n_cholesky)
        placement[rows * n + cols, torch.arange(self.n_cholesky)] = 1.0
        self.register_buffer("_placement", placement, persistent=False)
        self.register_buffer("_is_diag", is_diag, persistent=False)

    def extra_repr(self) -> str:
        return (f"n_dof={self.n_dof}, activation={self.activation.name}"
                f"(beta={self.activation.beta}), periodic={self.embedding.periodic}, "
                f"mass_epsilon={self.mass_epsilon}")

    def _network(self, q: torch.Tensor) -> torch.Tensor:
        h = self.embedding.features(q)
        for layer in self.layers[:-1]:
            h = self.activation(layer(h))
        return self.layers[-1](h)

    def _cholesky(self, raw: torch.Tensor) -> torch.Tensor:
        """``(..., n(n+1)/2) -> (..., n, n)`` lower-triangular, positive diagonal."""
        entries = torch.where(self._is_diag, functional.softplus(raw), raw)
        n = self.n_dof
        return (entries @ self._placement.T).unflatten(-1, (n, n))

    def _mass(self, cholesky: torch.Tensor) -> torch.Tensor:
        eye = torch.eye(self.n_dof, dtype=cholesky.dtype, device=cholesky.device)
        return cholesky @ cholesky.transpose(-1, -2) + self.mass_epsilon * eye

    def mass_matrix(self, q: torch.Tensor) -> torch.Tensor:
        """``M_θ(q)``: ``(B, n) -> (B, n, n)``, symmetric positive definite."""
        return self._mass(self._cholesky(self._network(q)[..., : self.n_cholesky]))

    def potential(self, q: torch.Tensor) -> torch.Tensor:
        """``V_θ(q)``: ``(B, n) -> (B,)``."""
        return self._network(q)[..., -1]

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        """``L`` at each state: ``(B, 2n) -> (B,)``."""
        n = self.n_dof
        out = self._network(states[..., :n])
        mass = self._mass(self._cholesky(out[..., : self.n_cholesky]))
        qdot = states[..., n:]
        kinetic = 0.5 * (qdot.unsqueeze(-2) @ mass @ qdot.unsqueeze(-1)).squeeze(-1).squeeze(-1)
        return kinetic - out[..., -1]

    def derivatives(
        self, states: torch.Tensor, create_graph: bool
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``∂L/∂q`` ``(B, n)``, ``H_vv = M`` ``(B, n, n)``, ``H_vq`` ``(B, n, n)``, exact."""
        with torch.set_grad_enabled(create_graph):
            return self._closed_form(states)

    def _closed_form(self, states: torch.Tensor
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        n, nc = self.n_dof, self.n_cholesky
        q, qdot = states[:, :n], states[:, n:]
        first = self.layers[0]
        out, d_out = mlp_tangents(
            first(self.embedding.features(q)),
            self.embedding.linear_tangents(q, first.weight),
            [layer.weight for layer in self.layers[1:]],
            [layer.bias for layer in self.layers[1:]],
            self.activation)
        raw, d_raw = out[:, :nc], d_out[..., :nc]                      # (B, nc), (n, B, nc)
        d_entries = torch.where(self._is_diag, torch.sigmoid(raw), 1.0) * d_raw
        chol = self._cholesky(raw)                                     # (B, n, n)
        d_chol = (d_entries @ self._placement.T).unflatten(-1, (n, n))  # (n_k, B, n, n)
        u = (qdot.unsqueeze(-2) @ chol).squeeze(-2)                    # Lᵀ q̇, (B, n)
        w = (qdot.unsqueeze(-2) @ d_chol).squeeze(-2)                  # (∂_k L)ᵀ q̇, (k, B, n)
        grad_q = (w * u).sum(-1).T - d_out[..., -1].T                  # ½q̇ᵀ∂_kMq̇ − ∂_kV
        h_vq = (d_chol @ u.unsqueeze(-1)).squeeze(-1) + (chol @ w.unsqueeze(-1)).squeeze(-1)
        return grad_q, self._mass(chol), h_vq.permute(1, 2, 0)         # (B, i, k)

    @torch.no_grad()
    def scale_coordinate_inputs(self, factor: float) -> None:
        """Multiply the first-layer weights by ``factor`` (see ``calibrate_acceleration_scale``)."""
        self.layers[0].weight.mul_(factor)
