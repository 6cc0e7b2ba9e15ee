"""The batched ground truth of a :class:`~physym.systems.System`, as methods of the system.

Each method evaluates one derived quantity on a batch of states (with ``t`` and inputs
where the system needs them) through the system's cached :class:`~physym.systems.Dynamics`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

    from physym.systems.dynamics import Dynamics

__all__ = ["GroundTruthMethods"]


class GroundTruthMethods(ABC):
    """``accelerations``, ``energy``, ``generalised_forces``... of a system with ``dynamics``."""

    @property
    @abstractmethod
    def dynamics(self) -> Dynamics:
        """The system's derived ground truth (derived once, cached)."""

    def accelerations(self, states: Any, t: Any = None, inputs: Any = None) -> np.ndarray:
        """Exact accelerations ``q̈`` for a batch of states.

        Parameters
        ----------
        states : array_like, shape ``(batch, 2n)``
            Rows ``(q, q_dot)`` in :attr:`state_names` order.
        t : float or array_like ``(batch,)``, optional
            Time; needed when the system depends on time, ignored otherwise.
        inputs : array_like ``(batch, m)`` or ``(m,)``, or mapping name -> values, optional
            Input values; needed when the system has inputs.

        Returns
        -------
        numpy.ndarray, shape ``(batch, n)``, float64
        """
        return self.dynamics.accelerations(states, t, inputs)

    def generalised_forces(self, states: Any, t: Any = None, inputs: Any = None) -> np.ndarray:
        """Known forces ``Q`` for a batch of states, shape ``(batch, n)``."""
        return self.dynamics.generalised_forces(states, t, inputs)

    def dissipation_force(self, states: Any, t: Any = None, inputs: Any = None) -> np.ndarray:
        """Friction ``−∂R/∂q̇`` for a batch of states, shape ``(batch, n)``."""
        return self.dynamics.dissipation_force(states, t, inputs)

    def dissipation_value(self, states: Any, t: Any = None, inputs: Any = None) -> np.ndarray:
        """``R`` evaluated on a batch of states, shape ``(batch,)``."""
        return self.dynamics.dissipation(states, t, inputs)

    def power(self, states: Any, t: Any = None, inputs: Any = None) -> np.ndarray:
        """``dE/dt = Q·q̇ − q̇·∂R/∂q̇ − ∂L/∂t`` for a batch of states, shape ``(batch,)``."""
        return self.dynamics.power(states, t, inputs)

    def energy(self, states: Any, t: Any = None) -> np.ndarray:
        """Energy ``E = q̇·∂L/∂q̇ − L`` for a batch of states, shape ``(batch,)``."""
        return self.dynamics.energy(states, t)

    def lagrangian_value(self, states: Any, t: Any = None) -> np.ndarray:
        """``L`` evaluated on a batch of states, shape ``(batch,)``."""
        return self.dynamics.lagrangian_value(states, t)

    def mass_matrix(self, states: Any, t: Any = None) -> np.ndarray:
        """Mass matrix ``∂²L/∂q̇²`` for a batch of states, shape ``(batch, n, n)``."""
        return self.dynamics.mass_matrix(states, t)

    def torch_accelerations(
        self, states: torch.Tensor, t: Any = None, inputs: Any = None
    ) -> torch.Tensor:
        """Exact accelerations in Torch, differentiable w.r.t. ``states`` ``(batch, 2n)``,
        ``t`` and ``inputs``."""
        return self.dynamics.torch_accelerations(states, t, inputs)

    def torch_generalised_forces(
        self, states: torch.Tensor, t: Any = None, inputs: Any = None
    ) -> torch.Tensor:
        """Known forces ``Q`` in Torch, shape ``(batch, n)``."""
        return self.dynamics.torch_generalised_forces(states, t, inputs)

    def torch_dissipation_force(
        self, states: torch.Tensor, t: Any = None, inputs: Any = None
    ) -> torch.Tensor:
        """Friction ``−∂R/∂q̇`` in Torch, shape ``(batch, n)``."""
        return self.dynamics.torch_dissipation_force(states, t, inputs)
