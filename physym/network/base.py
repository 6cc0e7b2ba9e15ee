"""The interface every Lagrangian model implements.

A model maps a batch of states ``(batch, 2n)`` (coordinates then velocities) to the
scalar Lagrangian ``(batch,)``. Accelerations follow from the Euler–Lagrange equations,
``q̈ = H_vv⁻¹ (∂L/∂q − H_vq q̇)`` with ``H_vv = ∂²L/∂q̇²`` and ``H_vq = ∂²L/∂q̇∂q``,
solved with ``torch.linalg.solve`` for the whole batch at once.

The default implementation here uses batched reverse-mode autograd (the gradient of
``Σ_b L(x_b)`` gives every per-state gradient, one more ``grad`` per velocity component
gives the Hessian rows); subclasses may override :meth:`derivatives` with something faster
(e.g. the closed-form input Hessian of an MLP).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import torch
from torch import nn

__all__ = ["HessianReport", "LagrangianModel", "linear_layers"]


@dataclass(frozen=True)
class HessianReport:
    """Health of the velocity Hessian ``∂²L/∂q̇²`` over a batch of states.

    Attributes
    ----------
    n_states : int
    n_indefinite : int
        States whose Hessian has a non-positive eigenvalue.
    n_singular : int
        States whose Hessian has condition number above ``cond_limit``.
    min_eigenvalue : float
    max_condition : float
    median_condition : float
    """

    n_states: int
    n_indefinite: int
    n_singular: int
    min_eigenvalue: float
    max_condition: float
    median_condition: float

    def to_dict(self) -> dict[str, float | int]:
        return dict(self.__dict__)


class LagrangianModel(nn.Module):
    """Base class of learned Lagrangians ``L_θ(q, q̇)``.

    Subclasses implement :meth:`forward` (``(batch, 2n) -> (batch,)``) and may override
    :meth:`derivatives`.
    """

    #: Whether ``L`` depends on time: states then carry ``t`` as a last column, ``(B, 2n + 1)``.
    time_dependent: bool = False

    def __init__(self, n_dof: int):
        super().__init__()
        self.n_dof = int(n_dof)

    @property
    def input_width(self) -> int:
        """Columns of the states this model takes: ``2n`` (``q, q̇``), ``+ 1`` with ``t``."""
        return 2 * self.n_dof + int(self.time_dependent)

    def forward(self, states: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def derivatives(
        self, states: torch.Tensor, create_graph: bool
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``∂L/∂q`` ``(B, n)``, ``H_vv`` ``(B, n, n)`` and ``H_vq`` ``(B, n, n)``.

        ``H_vq[b, i, j] = ∂²L/∂q̇_i∂q_j``. With ``create_graph`` the results stay
        differentiable w.r.t. the parameters (for training).
        """
        n = self.n_dof
        grad_q, rows = self._gradient_and_velocity_rows(states, create_graph)
        return grad_q, rows[:, :, n : 2 * n], rows[:, :, :n]

    def _gradient_and_velocity_rows(
        self, states: torch.Tensor, create_graph: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``∂L/∂q`` ``(B, n)`` and the rows ``∂(∇L)/∂q̇_i`` ``(B, n, width)`` of the
        Hessian over every input column (``t`` included), by batched autograd."""
        n = self.n_dof
        with torch.enable_grad():
            # keep the graph to states that need grad (e.g. from an unrolled integrator)
            keep = create_graph and states.requires_grad
            x = states if keep else states.detach().requires_grad_(True)
            lagrangian = self(x).sum()
            grad = torch.autograd.grad(lagrangian, x, create_graph=True)[0]
            rows = [
                torch.autograd.grad(
                    grad[:, n + i].sum(), x, create_graph=create_graph, retain_graph=True
                )[0]
                for i in range(n)
            ]
        hessian_rows = torch.stack(rows, dim=1)
        grad_q = grad[:, :n]
        if not create_graph:
            grad_q, hessian_rows = grad_q.detach(), hessian_rows.detach()
        return grad_q, hessian_rows

    def euler_lagrange_terms(
        self, states: torch.Tensor, create_graph: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``H_vv`` ``(B, n, n)`` and the right-hand side ``f`` ``(B, n)`` of ``H_vv q̈ = f``.

        ``f = ∂L/∂q − H_vq q̇``, and ``− ∂²L/∂q̇∂t`` for a time-dependent ``L`` (whose
        states carry ``t`` as their last column). Models with friction or known forces
        (:class:`~physym.network.forced.ForcedLagrangian`) add them here.
        """
        n = self.n_dof
        qdot = states[:, n : 2 * n]
        if self.time_dependent:
            grad_q, rows = self._gradient_and_velocity_rows(states, create_graph)
            h_vv, h_vq, h_vt = rows[:, :, n : 2 * n], rows[:, :, :n], rows[:, :, 2 * n]
            return h_vv, grad_q - (h_vq @ qdot.unsqueeze(-1)).squeeze(-1) - h_vt
        grad_q, h_vv, h_vq = self.derivatives(states, create_graph)
        return h_vv, grad_q - (h_vq @ qdot.unsqueeze(-1)).squeeze(-1)

    def accelerations(self, states: torch.Tensor, create_graph: bool | None = None) -> torch.Tensor:
        """Euler–Lagrange accelerations ``q̈`` for a batch, shape ``(B, n)``.

        ``create_graph`` defaults to ``torch.is_grad_enabled()``: inside ``torch.no_grad()``
        nothing is kept for backpropagation.
        """
        return self.accelerations_and_hessian(states, create_graph)[0]

    def accelerations_and_hessian(
        self, states: torch.Tensor, create_graph: bool | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``q̈`` ``(B, n)`` and the velocity Hessian ``H_vv`` ``(B, n, n)`` it was solved with.

        For a training loss that also penalises an indefinite ``H_vv`` (e.g. through
        ``torch.linalg.eigvalsh``) without computing the derivatives twice.
        ``torch.linalg.solve`` raises on an exactly singular ``H_vv``; near-singular ones
        give large accelerations, which :meth:`hessian_report` counts.
        """
        if create_graph is None:
            create_graph = torch.is_grad_enabled()
        h_vv, rhs = self.euler_lagrange_terms(states, create_graph)
        return torch.linalg.solve(h_vv, rhs), h_vv

    def velocity_hessian(self, states: torch.Tensor) -> torch.Tensor:
        """``∂²L/∂q̇²`` at each state, shape ``(B, n, n)`` (no graph kept)."""
        return self.derivatives(states, create_graph=False)[1]

    @torch.no_grad()
    def hessian_report(self, states: torch.Tensor, cond_limit: float = 1e6) -> HessianReport:
        """Count states where ``∂²L/∂q̇²`` is indefinite or near-singular."""
        h_vv = self.velocity_hessian(states).to(torch.float64)
        eig = torch.linalg.eigvalsh(h_vv)
        abs_eig = eig.abs()
        cond = abs_eig.max(dim=-1).values / abs_eig.min(dim=-1).values.clamp_min(1e-300)
        return HessianReport(
            n_states=int(states.shape[0]),
            n_indefinite=int((eig.min(dim=-1).values <= 0).sum()),
            n_singular=int((cond > cond_limit).sum()),
            min_eigenvalue=float(eig.min()),
            max_condition=float(cond.max()),
            median_condition=float(cond.median()),
        )


def linear_layers(layers: nn.ModuleList) -> list[nn.Linear]:
    """The layers of an MLP's ``ModuleList`` typed as what they are: ``nn.Linear``."""
    return cast("list[nn.Linear]", list(layers))
