"""Acceptance by the data: does a closed form explain held-out data better than the network?

A closed form is *found* when, with its constants polished, its Euler–Lagrange
accelerations on held-out samples are within the threshold ``max(1e-9, noise_floor)``
(round-off on exact data; the noise the data carry otherwise) and better than the
network's on the same samples. It is *approximate* when it beats the network but misses
the threshold, and there is *none* when it does not beat the network. Without independent
data (the network's own accelerations are the samples) the network cannot be beaten, and
the threshold alone decides between "found" and "approximate".

On noisy data both errors sit at the noise level, and which is smaller is then a matter of
the draw: an error ``e`` estimated from ``N`` held-out values has a relative standard
error of about ``1/√(2N)``. So "better than the network" means not worse by more than
three such standard errors (a 3 % tie band for 1000 two-coordinate samples); on exact
data the closed form is at round-off, far below the network, and the band plays no role.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp
from torch import nn

from physym.distill._probe import model_accelerations
from physym.distill.euler_lagrange import TermDynamics
from physym.distill.space import StateSpace

__all__ = ["ROUND_OFF", "Acceptance", "accept", "closed_form_accelerations", "relative_error"]

#: Relative acceleration error that counts as round-off on exact data.
ROUND_OFF = 1e-9


def relative_error(predicted: np.ndarray, targets: np.ndarray) -> float:
    """``‖predicted − targets‖ / ‖targets‖`` (``inf`` where anything is non-finite)."""
    if not np.all(np.isfinite(predicted)):
        return float("inf")
    norm = float(np.linalg.norm(targets))
    return float(np.linalg.norm(predicted - targets)) / max(norm, 1e-300)


def closed_form_accelerations(
    lagrangian: sp.Expr, space: StateSpace, states: np.ndarray
) -> np.ndarray:
    """Euler–Lagrange accelerations of ``lagrangian`` at ``states`` ``(batch, 2n)``.

    NaN where its mass matrix is singular or not finite.
    """
    dynamics = TermDynamics([lagrangian], space.q_symbols, space.v_symbols)
    mass, force = dynamics.evaluate(states)
    return dynamics.accelerations(mass, force, np.ones(1))


class Acceptance:
    """The acceptance rule on one held-out set: judge closed forms one after another.

    Parameters
    ----------
    model : torch.nn.Module
        The network ``L_θ``.
    space : StateSpace
    held_out : (states, accelerations)
        Samples not used to choose or polish the closed form, ``(N, 2n)`` and ``(N, n)``.
    network_is_truth : bool
        Whether the accelerations are the network's own (no independent data).
    noise_floor : float
        Relative acceleration error the data's noise puts on any model.
    """

    def __init__(
        self,
        model: nn.Module,
        space: StateSpace,
        held_out: tuple[np.ndarray, np.ndarray],
        *,
        network_is_truth: bool,
        noise_floor: float = 0.0,
    ):
        self.space = space
        self.states, self.targets = held_out
        self.noise_floor = float(noise_floor)
        self.threshold = max(ROUND_OFF, self.noise_floor)
        self.network_error = (
            None
            if network_is_truth
            else relative_error(model_accelerations(model, self.states), self.targets)
        )

    def error(self, lagrangian: sp.Expr) -> float:
        """Held-out relative acceleration error of ``lagrangian`` (``inf`` if undefined)."""
        if not lagrangian.free_symbols:
            return float("inf")
        return relative_error(
            closed_form_accelerations(lagrangian, self.space, self.states), self.targets
        )

    def judge(self, lagrangian: sp.Expr) -> dict[str, Any]:
        """The verdict and its evidence (see :func:`accept`)."""
        error = self.error(lagrangian)
        tie = 3.0 / np.sqrt(2.0 * self.targets.size)
        beats_network = self.network_error is None or error < self.network_error * (1 + tie)
        if beats_network and error <= self.threshold:
            verdict = "found"
        elif beats_network and np.isfinite(error) and error < 1.0:
            verdict = "approximate"
        else:
            verdict = "none"
        return {
            "verdict": verdict,
            "error": error,
            "network_error": self.network_error,
            "noise_floor": self.noise_floor,
            "threshold": self.threshold,
            "n_states": int(self.states.shape[0]),
        }


def accept(
    model: nn.Module,
    lagrangian: sp.Expr,
    space: StateSpace,
    held_out: tuple[np.ndarray, np.ndarray],
    *,
    network_is_truth: bool,
    noise_floor: float = 0.0,
) -> dict[str, Any]:
    """The acceptance verdict and its evidence (see the module docstring).

    Parameters
    ----------
    model : torch.nn.Module
        The network ``L_θ``.
    lagrangian : sympy.Expr
        The polished closed form.
    space : StateSpace
    held_out : (states, accelerations)
        Samples not used to choose or polish the closed form, ``(N, 2n)`` and ``(N, n)``.
    network_is_truth : bool
        Whether the accelerations are the network's own (no independent data).
    noise_floor : float
        Relative acceleration error the data's noise puts on any model.

    Returns
    -------
    dict
        ``verdict`` ("found", "approximate" or "none"), ``error``, ``network_error``
        (None when the network is the truth), ``noise_floor``, ``threshold``, ``n_states``.
    """
    return Acceptance(
        model, space, held_out, network_is_truth=network_is_truth, noise_floor=noise_floor
    ).judge(lagrangian)
