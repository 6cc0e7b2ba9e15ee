"""The :class:`Trajectory`: states over time with their accelerations, energy and inputs.

:func:`physym.data.simulate` makes them from the exact equations of motion. They report
their energy drift: for a system with dissipation, forces, inputs or time, the drift of the
balance ``E − E(0) − W`` with ``W`` the work those terms do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from physym.data._npz import read_npz
from physym.data.errors import DataError
from physym.io import save_npz

__all__ = ["Trajectory"]


@dataclass(frozen=True, eq=False)
class Trajectory:
    """A trajectory sampled at output times, with its accelerations and energy.

    Attributes
    ----------
    t : numpy.ndarray, shape ``(T,)``
    states : numpy.ndarray, shape ``(T, 2n)``
        Rows ``(q, q_dot)`` in :attr:`state_names` order.
    accelerations : numpy.ndarray, shape ``(T, n)``
        Exact ``q̈`` at the output states.
    energy : numpy.ndarray, shape ``(T,)``
    energy_scale : float
        Typical energy of the system (see :func:`physym.data.energy_scale`); the floor of
        the denominator of :attr:`energy_drift`.
    system : str
        Name of the system.
    state_names : tuple of str
    inputs : numpy.ndarray, shape ``(T, m)``, or None
        Input values at the output times (None for a system without inputs).
    input_names : tuple of str
    work : numpy.ndarray, shape ``(T,)``, or None
        ``W(t) = ∫ (Q·q̇ − q̇·∂R/∂q̇ − ∂L/∂t) dt`` from the start: the energy put in by
        forces and drive and taken out by friction (None for a conservative system).
    """

    t: np.ndarray
    states: np.ndarray
    accelerations: np.ndarray
    energy: np.ndarray
    energy_scale: float
    system: str
    state_names: tuple[str, ...]
    inputs: np.ndarray | None = None
    input_names: tuple[str, ...] = ()
    work: np.ndarray | None = None

    def __post_init__(self) -> None:
        t = np.asarray(self.t, dtype=np.float64)
        states = np.asarray(self.states, dtype=np.float64)
        if t.ndim != 1 or t.size < 1 or states.shape != (t.size, len(self.state_names)):
            raise ValueError(
                f"trajectory: t must be (T,) and states (T, "
                f"{len(self.state_names)}), got {t.shape} and {states.shape}"
            )
        expected = {"accelerations": (t.size, states.shape[1] // 2), "energy": (t.size,)}
        if self.inputs is not None or self.input_names:
            expected["inputs"] = (t.size, len(self.input_names))
        if self.work is not None:
            expected["work"] = (t.size,)
        arrays = {"t": t, "states": states}
        for name, shape in expected.items():
            if getattr(self, name) is None:
                raise ValueError(
                    f"trajectory: {name} are missing for inputs {', '.join(self.input_names)}"
                )
            arrays[name] = np.asarray(getattr(self, name), dtype=np.float64)
            if arrays[name].shape != shape:
                raise ValueError(
                    f"trajectory: {name} must have shape {shape}, got {arrays[name].shape}"
                )
        for name, value in arrays.items():  # read-only views: the result is immutable
            view = value.view()
            view.setflags(write=False)
            object.__setattr__(self, name, view)
        object.__setattr__(self, "state_names", tuple(self.state_names))
        object.__setattr__(self, "input_names", tuple(self.input_names))
        object.__setattr__(self, "energy_scale", float(self.energy_scale))

    @property
    def n_dof(self) -> int:
        """Number of degrees of freedom."""
        return self.states.shape[1] // 2

    @property
    def energy_reference(self) -> float:
        """``max(|E(0)|, energy_scale)``: what drift is relative to."""
        return max(abs(float(self.energy[0])), self.energy_scale)

    @property
    def energy_error(self) -> np.ndarray:
        """``(E(t) − E(0) − W(t)) / energy_reference``, shape ``(T,)`` (``W = 0`` when
        conservative): the error of the energy balance."""
        change = self.energy - self.energy[0]
        if self.work is not None:
            change = change - (self.work - self.work[0])
        return change / self.energy_reference

    @property
    def energy_drift(self) -> float:
        """``max_t |E(t) − E(0) − W(t)| / max(|E(0)|, energy_scale)``.

        Relative to ``|E(0)|`` when that is large, and to the system's typical energy
        (the spread of ``E`` over the sampling box) when ``E(0) ≈ 0``, where a plain
        relative error would be meaningless. For a system with dissipation, forces or
        time, the work ``W`` they do is subtracted: what remains is integration error.
        """
        return float(np.max(np.abs(self.energy_error)))

    def save(self, path: str | Path) -> Path:
        """Write an ``.npz`` atomically; reload with :meth:`load`."""
        arrays: dict[str, Any] = {
            "t": self.t,
            "states": self.states,
            "accelerations": self.accelerations,
            "energy": self.energy,
            "energy_scale": np.float64(self.energy_scale),
            "system": np.str_(self.system),
            "state_names": np.array(self.state_names),
        }
        if self.inputs is not None:
            arrays |= {
                "inputs": self.inputs,
                "input_names": np.array(self.input_names, dtype=np.str_),
            }
        if self.work is not None:
            arrays["work"] = self.work
        return save_npz(path, arrays)

    @classmethod
    def load(cls, path: str | Path) -> Trajectory:
        """Read a trajectory written by :meth:`save` (one-line :class:`DataError` if not)."""
        keys = ("t", "states", "accelerations", "energy", "energy_scale", "system", "state_names")
        arrays = read_npz(path, keys, "trajectory")
        try:
            input_names = tuple(str(s) for s in np.atleast_1d(arrays.get("input_names", [])))
            return cls(
                arrays["t"],
                arrays["states"],
                arrays["accelerations"],
                arrays["energy"],
                float(arrays["energy_scale"]),
                str(arrays["system"]),
                tuple(str(s) for s in np.atleast_1d(arrays["state_names"])),
                arrays.get("inputs"),
                input_names,
                arrays.get("work"),
            )
        except (TypeError, ValueError) as exc:
            message = str(exc).removeprefix("trajectory: ")
            raise DataError(f"{path}: inconsistent trajectory file ({message})") from None

    def plot(self, axes: Any = None) -> Any:
        """Coordinates and relative energy error against time; returns the two Axes."""
        from physym.data.plotting import plot_trajectory

        return plot_trajectory(self, axes)

    def __repr__(self) -> str:
        return (
            f"Trajectory({self.system!r}, t=[{self.t[0]:g}, {self.t[-1]:g}], "
            f"points={len(self.t)}, energy_drift={self.energy_drift:.2e})"
        )
