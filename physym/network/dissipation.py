"""A learned Rayleigh dissipation function ``R_θ = ½ q̇ᵀ D_θ q̇`` with ``D_θ ⪰ 0``.

``D_θ = C Cᵀ`` with ``C`` lower-triangular, the ``n(n+1)/2`` entries of ``C`` the outputs
of an MLP: positive semi-definite for every input and every parameter value, so the
friction ``−∂R/∂q̇`` never feeds energy in (``q̇·∂R/∂q̇ = 2R ≥ 0`` when ``D`` does not
depend on ``q̇``). Two kinds:

``inputs="q"`` (with the structured Lagrangian)
    ``D_θ(q[, t])``: viscous friction with a configuration-dependent matrix, the usual
    linear damping of mechanics; the friction is ``−D_θ q̇`` in closed form.
``inputs="state"`` (with the MLP Lagrangian)
    ``D_θ(q, q̇[, t])``: a general non-negative ``R_θ``, e.g. quadratic drag; the friction
    is ``−∂R_θ/∂q̇`` by autograd.

The output layer starts at zero weights and a small diagonal, so an untrained model has
a weak, uniform friction that the data then set.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch import nn

from physym.network.activations import Activation, get_activation
from physym.network.base import linear_layers
from physym.network.embedding import CoordinateEmbedding

__all__ = ["DISSIPATION_INPUTS", "RayleighDissipation"]

DISSIPATION_INPUTS = ("q", "state")
_INITIAL_DIAGONAL = 0.3


class RayleighDissipation(nn.Module):
    """``R_θ = ½ q̇ᵀ D_θ q̇``, ``D_θ = C Cᵀ`` (see the module docstring).

    Parameters
    ----------
    n_dof : int
    width, depth : int
        Hidden layers of the MLP.
    activation : str or Activation
    beta : float
        Softplus sharpness.
    periodic : sequence of bool, optional
        Coordinates fed as ``(sin q, cos q)``.
    inputs : {"q", "state"}
        What ``D_θ`` depends on besides ``t``.
    time_dependent : bool
        States carry ``t`` as column ``2n`` and ``D_θ`` takes it as an input.

    Examples
    --------
    >>> r = RayleighDissipation(2, width=8, depth=1)
    >>> d = r.matrix(torch.randn(5, 4))
    >>> bool((torch.linalg.eigvalsh(d) >= -1e-7).all())
    True
    """

    def __init__(
        self,
        n_dof: int,
        *,
        width: int = 32,
        depth: int = 2,
        activation: str | Activation = "softplus",
        beta: float = 1.0,
        periodic: Sequence[bool] | None = None,
        inputs: str = "q",
        time_dependent: bool = False,
    ):
        super().__init__()
        if inputs not in DISSIPATION_INPUTS:
            raise ValueError(
                f"dissipation inputs must be one of {DISSIPATION_INPUTS}, got {inputs!r}"
            )
        self.n_dof = n = int(n_dof)
        self.inputs = inputs
        self.time_dependent = bool(time_dependent)
        self.activation = get_activation(activation, beta)
        self.embedding = CoordinateEmbedding(n, periodic)
        self.n_cholesky = n * (n + 1) // 2
        n_in = self.embedding.n_features + (n if inputs == "state" else 0) + int(time_dependent)
        sizes = [n_in] + [int(width)] * int(depth) + [self.n_cholesky]
        self.layers = nn.ModuleList(nn.Linear(i, o) for i, o in itertools.pairwise(sizes))
        rows, cols = torch.tril_indices(n, n)
        placement = torch.zeros(n * n, self.n_cholesky)
        placement[rows * n + cols, torch.arange(self.n_cholesky)] = 1.0
        self.register_buffer("_placement", placement, persistent=False)
        with torch.no_grad():
            last = linear_layers(self.layers)[-1]
            last.weight.zero_()
            last.bias.copy_(torch.where(rows == cols, _INITIAL_DIAGONAL, 0.0))

    def extra_repr(self) -> str:
        return f"n_dof={self.n_dof}, inputs={self.inputs!r}, time_dependent={self.time_dependent}"

    def _features(self, states: torch.Tensor) -> torch.Tensor:
        n = self.n_dof
        parts = [self.embedding.features(states[..., :n])]
        if self.inputs == "state":
            parts.append(states[..., n : 2 * n])
        if self.time_dependent:
            parts.append(states[..., 2 * n : 2 * n + 1])
        return torch.cat(parts, dim=-1)

    def factor(self, states: torch.Tensor) -> torch.Tensor:
        """``C`` ``(B, n, n)``, lower-triangular, with ``D = C Cᵀ``."""
        h = self._features(states)
        for layer in self.layers[:-1]:
            h = self.activation(layer(h))
        entries = self.layers[-1](h)
        n = self.n_dof
        return (entries @ self._placement.T).unflatten(-1, (n, n))

    def matrix(self, states: torch.Tensor) -> torch.Tensor:
        """``D_θ`` at each state, ``(B, n, n)``, positive semi-definite."""
        c = self.factor(states)
        return c @ c.transpose(-1, -2)

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        """``R_θ`` at each state: ``(B, 2n[+1]) -> (B,)``."""
        qdot = states[..., self.n_dof : 2 * self.n_dof]
        u = (qdot.unsqueeze(-2) @ self.factor(states)).squeeze(-2)  # Cᵀ q̇
        return 0.5 * (u * u).sum(-1)

    def friction(self, states: torch.Tensor, create_graph: bool) -> torch.Tensor:
        """``−∂R_θ/∂q̇`` at each state, ``(B, n)``."""
        n = self.n_dof
        if self.inputs == "q":
            with torch.set_grad_enabled(create_graph):
                qdot = states[:, n : 2 * n]
                return -(self.matrix(states) @ qdot.unsqueeze(-1)).squeeze(-1)
        with torch.enable_grad():
            x = (
                states
                if (create_graph and states.requires_grad)
                else states.detach().requires_grad_(True)
            )
            grad = torch.autograd.grad(self(x).sum(), x, create_graph=create_graph)[0]
        return -grad[:, n : 2 * n]
