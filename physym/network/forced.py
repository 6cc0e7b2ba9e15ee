"""A learned Lagrangian with friction and known forces: ``H_vv q̈ = f_L − ∂R_θ/∂q̇ + Q``.

:class:`ForcedLagrangian` wraps any :class:`~physym.network.base.LagrangianModel`
``L_θ(q, q̇[, t])`` with an optional learned Rayleigh function ``R_θ``
(:class:`~physym.network.dissipation.RayleighDissipation`) and the known generalised
forces ``Q``. Its states are *extended*: the columns are

    q (n), q̇ (n), t (1, when time matters), Q (n, when forces are known)

so that every caller that passes a batch of rows (training batches, prediction,
evaluation) passes the conditions of each sample with it. ``Q`` comes from the spec,
evaluated exactly at each sample's state, time and inputs, and enters the equations as it
is: known forces fix the scale of ``L_θ`` and ``R_θ`` (a model ``α L_θ`` would need
``α Q``).
"""

from __future__ import annotations

import torch

from physym.network.base import LagrangianModel
from physym.network.dissipation import RayleighDissipation

__all__ = ["ForcedLagrangian"]


class ForcedLagrangian(LagrangianModel):
    """``L_θ`` with friction ``−∂R_θ/∂q̇`` and known forces ``Q`` (see the module docstring).

    Parameters
    ----------
    lagrangian : LagrangianModel
        ``L_θ``; time-dependent ones read the ``t`` column.
    dissipation : RayleighDissipation, optional
        ``R_θ`` (none: no friction is learned).
    time_column : bool
        Whether the extended states carry ``t`` (column ``2n``).
    known_forces : bool
        Whether the extended states end with the ``n`` known forces ``Q``.

    Examples
    --------
    >>> from physym.network import StructuredLagrangian
    >>> model = ForcedLagrangian(StructuredLagrangian(1, width=8, depth=1),
    ...                          RayleighDissipation(1, width=8, depth=1), known_forces=True)
    >>> model.input_width
    3
    >>> model.accelerations(torch.zeros(4, 3)).shape
    torch.Size([4, 1])
    """

    def __init__(
        self,
        lagrangian: LagrangianModel,
        dissipation: RayleighDissipation | None = None,
        *,
        time_column: bool = False,
        known_forces: bool = False,
    ):
        super().__init__(lagrangian.n_dof)
        if lagrangian.time_dependent and not time_column:
            raise ValueError("a time-dependent Lagrangian needs the t column (time_column=True)")
        if dissipation is not None and dissipation.time_dependent and not time_column:
            raise ValueError("a time-dependent dissipation needs the t column")
        self.lagrangian = lagrangian
        self.dissipation = dissipation
        self.time_column = bool(time_column)
        self.known_forces = bool(known_forces)

    @property
    def input_width(self) -> int:
        """``2n`` plus the ``t`` column plus ``n`` known forces, where present."""
        return 2 * self.n_dof + int(self.time_column) + self.n_dof * int(self.known_forces)

    def extra_repr(self) -> str:
        return f"time_column={self.time_column}, known_forces={self.known_forces}"

    def _lagrangian_states(self, states: torch.Tensor) -> torch.Tensor:
        return states[..., : 2 * self.n_dof + int(self.lagrangian.time_dependent)]

    def _check(self, states: torch.Tensor) -> None:
        if states.shape[-1] != self.input_width:
            raise ValueError(
                f"states must have {self.input_width} columns (q, q_dot"
                f"{', t' if self.time_column else ''}"
                f"{', Q' if self.known_forces else ''}), got {states.shape[-1]}"
            )

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        """``L_θ`` at each (extended) state, ``(B,)``."""
        return self.lagrangian(self._lagrangian_states(states))

    def rayleigh(self, states: torch.Tensor) -> torch.Tensor:
        """``R_θ`` at each (extended) state, ``(B,)`` (zeros without dissipation)."""
        if self.dissipation is None:
            return torch.zeros(states.shape[:-1], dtype=states.dtype, device=states.device)
        return self.dissipation(states[..., : 2 * self.n_dof + int(self.time_column)])

    def derivatives(
        self, states: torch.Tensor, create_graph: bool
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The derivatives of ``L_θ`` alone (friction and forces are not part of them)."""
        return self.lagrangian.derivatives(self._lagrangian_states(states), create_graph)

    def euler_lagrange_terms(
        self, states: torch.Tensor, create_graph: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``H_vv`` and ``f = f_L − ∂R_θ/∂q̇ + Q`` of ``H_vv q̈ = f``."""
        self._check(states)
        n = self.n_dof
        h_vv, rhs = self.lagrangian.euler_lagrange_terms(
            self._lagrangian_states(states), create_graph
        )
        if self.dissipation is not None:
            rhs = rhs + self.dissipation.friction(
                states[:, : 2 * n + int(self.time_column)], create_graph
            )
        if self.known_forces:
            rhs = rhs + states[:, -n:]
        return h_vv, rhs

    def velocity_hessian(self, states: torch.Tensor) -> torch.Tensor:
        """``∂²L_θ/∂q̇²`` at each (extended) state, ``(B, n, n)``."""
        return self.lagrangian.velocity_hessian(self._lagrangian_states(states))

    @torch.no_grad()
    def scale_coordinate_inputs(self, factor: float) -> None:
        """Scale the coordinate inputs of ``L_θ`` (see ``calibrate_acceleration_scale``)."""
        self.lagrangian.scale_coordinate_inputs(factor)  # type: ignore[operator]
