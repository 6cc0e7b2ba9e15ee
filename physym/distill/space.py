"""What distillation may know about a system: its coordinates, angles and sampling box.

Distillation must work for systems that are not in physym's library, so it never reads a
system's Lagrangian, name or parameters: :class:`StateSpace` keeps only the coordinate
names, which of them are periodic (angles) and the sampling box.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from physym.systems.system import System, coordinate_symbol, velocity_symbol

__all__ = ["StateSpace"]


@dataclass(frozen=True)
class StateSpace:
    """Coordinates, periodic flags and sampling box of a system (nothing else).

    Attributes
    ----------
    coordinates : tuple of str
    periodic : tuple of bool
        One flag per coordinate.
    low, high : numpy.ndarray, shape ``(2n,)``
        Corners of the sampling box, coordinates then velocities.
    """

    coordinates: tuple[str, ...]
    periodic: tuple[bool, ...]
    low: np.ndarray
    high: np.ndarray

    @classmethod
    def from_system(cls, system: System) -> StateSpace:
        """Read only the coordinates, the periodic flags and the box of ``system``."""
        low, high = system.box
        periodic = tuple(q in system.periodic for q in system.coordinates)
        return cls(tuple(system.coordinates), periodic, low, high)

    @property
    def n_dof(self) -> int:
        return len(self.coordinates)

    @property
    def q_symbols(self) -> tuple[sp.Symbol, ...]:
        return tuple(coordinate_symbol(q) for q in self.coordinates)

    @property
    def v_symbols(self) -> tuple[sp.Symbol, ...]:
        return tuple(velocity_symbol(q) for q in self.coordinates)

    @property
    def q_reference(self) -> np.ndarray:
        """Centre of the coordinate box: ``V(q_ref) = 0`` by convention."""
        n = self.n_dof
        return 0.5 * (self.low[:n] + self.high[:n])

    @property
    def speed_bound(self) -> float:
        """Largest ``|q̇|`` (Euclidean) in the box."""
        n = self.n_dof
        corner = np.maximum(np.abs(self.low[n:]), np.abs(self.high[n:]))
        return float(np.linalg.norm(corner))

    def sample_q(self, n_points: int, rng: np.random.Generator) -> np.ndarray:
        """Uniform coordinates from the box, shape ``(n_points, n)``."""
        n = self.n_dof
        return rng.uniform(self.low[:n], self.high[:n], size=(n_points, n))

    def sample_v(self, n_points: int, rng: np.random.Generator) -> np.ndarray:
        """Uniform velocities from the box, shape ``(n_points, n)``."""
        n = self.n_dof
        return rng.uniform(self.low[n:], self.high[n:], size=(n_points, n))

    def sample_states(self, n_points: int, rng: np.random.Generator) -> np.ndarray:
        """Uniform states from the box, shape ``(n_points, 2n)``."""
        return rng.uniform(self.low, self.high, size=(n_points, 2 * self.n_dof))
