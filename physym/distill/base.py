"""The interface of a distillation backend and the registry that names them.

A backend regresses one scalar *target* (an entry of the mass matrix, the potential, a
component of the curl of ``A``, or the velocity part ``T``) sampled on a set of points, and
returns its complexity–error front as :class:`~physym.distill.pareto.Candidate` objects.
Which model of the front is used is decided outside the backend, by one
:class:`~physym.distill.pareto.SelectionRule` for all of them. Backends are named in
:mod:`physym.distill.registry`.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

from physym.distill.pareto import Candidate
from physym.distill.space import StateSpace
from physym.errors import PhysymError

__all__ = ["Backend", "BackendUnavailableError", "Problem"]


class BackendUnavailableError(PhysymError, RuntimeError):
    """A backend's optional dependency is missing; the message says what to install."""


@dataclass(frozen=True, eq=False)
class Problem:
    """One scalar regression target.

    Attributes
    ----------
    name : str
        E.g. ``"M[theta1,theta2]"``, ``"V"``, ``"curl[x,y]"``, ``"T"``.
    symbols : tuple of sympy.Symbol
        The inputs, one per column of ``inputs`` (coordinates, then velocities if any).
    inputs : numpy.ndarray, shape ``(batch, len(symbols))``
    target : numpy.ndarray, shape ``(batch,)``
    scale : float
        Natural size of the target: errors are RMS residuals divided by it.
    domain : {"q", "state"}
        Whether the target depends on the coordinates only or on the whole state.
    space : StateSpace
    function : callable, optional
        ``function(inputs) -> values``: the target evaluated afresh at any inputs
        ``(batch, len(symbols))`` (the network probed again), for backends that probe the
        target's structure; ``None`` when only the samples are known.
    noise : float
        The target's expected relative error (the network's inconsistency), 0 if unknown.
    """

    name: str
    symbols: tuple[sp.Symbol, ...]
    inputs: np.ndarray
    target: np.ndarray
    scale: float
    domain: str
    space: StateSpace
    function: Callable[[np.ndarray], np.ndarray] | None = None
    noise: float = 0.0

    def error(self, prediction: np.ndarray) -> float:
        """RMS of ``prediction − target`` over :attr:`scale`."""
        residual = np.asarray(prediction, dtype=np.float64) - self.target
        if not np.all(np.isfinite(residual)):
            return float("inf")
        return float(np.sqrt(np.mean(residual**2)) / self.scale)


class Backend(abc.ABC):
    """Strategy that turns a :class:`Problem` into a complexity–error front."""

    name: str = "abstract"

    @abc.abstractmethod
    def fit(self, problem: Problem, *, seed: int = 0) -> list[Candidate]:
        """Candidates for ``problem`` (any order; the caller keeps the Pareto front)."""

    def check_available(self) -> None:
        """Raise :class:`BackendUnavailableError` if the backend cannot run here."""
        return None
