"""Gauge-invariant regression targets read off the network.

A Lagrangian is fixed only up to ``α L + dF(q)/dt + const``, and a trained network carries
an arbitrary ``∇F(q)·q̇``. The targets below do not see that gauge part:

* quadratic route (``targets = "M,A,V"``), when ``∂²L_θ/∂q̇²`` does not depend on ``q̇``:
  ``M(q) = ∂²L_θ/∂q̇²``; ``V(q) = L_θ(q_ref, 0) − L_θ(q, 0)``; and instead of
  ``A(q) = ∂L_θ/∂q̇ |_{q̇=0}`` (gauge dependent) its curl
  ``F_ij = ∂A_j/∂q_i − ∂A_i/∂q_j`` (gauge invariant). ``A·q̇`` is dropped as a total
  derivative when the gyroscopic force ``F q̇`` is negligible next to the network's force.
* fallback (``targets = "L"``): the velocity part
  ``T = L_θ(q, q̇) − L_θ(q, 0) − q̇·∂L_θ/∂q̇(q, 0)``, with ``V`` and ``F`` as above. When
  the quadratic check fails both routes are set up; the polish on data decides.

``M``, ``A`` and ``V`` are functions of ``q`` only; each is averaged over ``q̇ = 0`` and
two ``±q̇`` pairs, which removes what is odd in ``q̇``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from torch import nn

from physym.distill._probe import probe
from physym.distill.base import Problem
from physym.distill.space import StateSpace

__all__ = ["NetworkTarget", "TargetSet", "build_targets"]

_PAIRS = 2  # ±q̇ pairs per sampled q


@dataclass(frozen=True, eq=False)
class TargetSet:
    """The regression problems and the checks that chose them.

    Attributes
    ----------
    routes : dict of str to list of Problem
        ``"M,A,V"`` always; ``"L"`` too when the quadratic check fails (both are then
        tried and the data decide).
    quadratic_check : dict
        ``passed``, ``measured`` (RMS change of ``∂²L/∂q̇²`` with ``q̇`` over its RMS) and
        ``tolerance``.
    curl_check : dict
        ``kept``, ``measured`` (RMS gyroscopic force ``F q̇`` over RMS force) and
        ``tolerance``.
    noise : float
        The network's measured inconsistency, used as the selection noise level.
    """

    routes: dict[str, list[Problem]]
    quadratic_check: dict
    curl_check: dict
    noise: float


def _rms(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(values))))


def build_targets(
    model: nn.Module,
    space: StateSpace,
    n_states: int,
    rng: np.random.Generator,
    *,
    quadratic_tolerance: float,
    curl_tolerance: float,
) -> TargetSet:
    """Sample the network and set up the regression problems (see module docstring)."""
    n = space.n_dof
    q = space.sample_q(n_states, rng)
    velocities = [np.zeros_like(q)]
    for _ in range(_PAIRS):
        v = space.sample_v(n_states, rng)
        velocities += [v, -v]
    states = np.concatenate([np.hstack([q, v]) for v in velocities])
    result = probe(model, states)
    shape = (len(velocities), n_states)
    h_vv = result.h_vv.reshape(*shape, n, n)
    h_vq = result.h_vq.reshape(*shape, n, n)
    mass = h_vv.mean(axis=0)
    quadratic = _rms(h_vv - mass) / max(_rms(mass), 1e-300)
    quadratic_ok = bool(quadratic <= quadratic_tolerance)

    d_a = h_vq.mean(axis=0)  # ∂A_i/∂q_j: the q̇-odd part cancels over ±q̇ pairs
    curl = np.swapaxes(d_a, 1, 2) - d_a  # F_ij = ∂_i A_j − ∂_j A_i
    moving = states[n_states:]
    forces = result.forces(states)[n_states:]
    gyroscopic = np.einsum("bij,bj->bi", np.tile(curl, (2 * _PAIRS, 1, 1)), moving[:, n:])
    curl_measure = _rms(gyroscopic) / max(_rms(forces), 1e-300)
    curl_kept = bool(n >= 2 and curl_measure > curl_tolerance)

    reference = np.concatenate([space.q_reference, np.zeros(n)])[None, :]
    potential = probe(model, reference).value[0] - result.value[:n_states]
    kinetic = 0.5 * np.einsum(
        "bi,bij,bj->b", moving[:, n:], np.tile(mass, (2 * _PAIRS, 1, 1)), moving[:, n:]
    )
    energy_scale = _rms(potential) + _rms(kinetic)

    q_symbols = space.q_symbols
    names = space.coordinates
    noise = float(quadratic) if quadratic_ok else 0.0
    shared: list[Problem] = []
    if curl_kept:
        curl_scale = _rms(forces) / max(_rms(moving[:, n:]), 1e-300)
        for i, j in itertools.combinations(range(n), 2):
            shared.append(
                Problem(
                    f"curl[{names[i]},{names[j]}]",
                    q_symbols,
                    q,
                    curl[:, i, j],
                    curl_scale,
                    "q",
                    space,
                    NetworkTarget(model, "curl", i, j, 0.0),
                    noise,
                )
            )
    shared.append(
        Problem(
            "V",
            q_symbols,
            q,
            potential,
            energy_scale,
            "q",
            space,
            NetworkTarget(model, "V", 0, 0, probe(model, reference).value[0]),
            noise,
        )
    )
    mass_scale = _rms(mass) * np.sqrt(n)  # RMS eigenvalue size
    quadratic_problems = [
        Problem(
            f"M[{names[i]},{names[j]}]",
            q_symbols,
            q,
            mass[:, i, j],
            mass_scale,
            "q",
            space,
            NetworkTarget(model, "M", i, j, 0.0),
            noise,
        )
        for i, j in itertools.combinations_with_replacement(range(n), 2)
    ]
    routes = {"M,A,V": quadratic_problems + shared}
    if not quadratic_ok:
        p0 = result.grad_v[:n_states]
        value0 = result.value[:n_states]
        copies = 2 * _PAIRS
        velocity_part = (
            result.value[n_states:]
            - np.tile(value0, copies)
            - np.einsum("bi,bi->b", moving[:, n:], np.tile(p0, (copies, 1)))
        )
        routes["L"] = [
            Problem(
                "T",
                q_symbols + space.v_symbols,
                moving,
                velocity_part,
                _rms(velocity_part) + _rms(potential),
                "state",
                space,
            ),
            *shared,
        ]
    return TargetSet(
        routes=routes,
        quadratic_check={
            "passed": quadratic_ok,
            "measured": float(quadratic),
            "tolerance": float(quadratic_tolerance),
        },
        curl_check={
            "kept": curl_kept,
            "measured": float(curl_measure),
            "tolerance": float(curl_tolerance),
        },
        noise=noise,
    )


class NetworkTarget:
    """A target as a function of ``q`` ``(batch, n)``, read off the network at ``q̇ = 0``.

    ``kind`` ``"M"`` (entry ``i, j`` of the velocity Hessian), ``"curl"`` (component
    ``i, j`` of the curl of ``A``) or ``"V"`` (``reference − L_θ(q, 0)``).
    """

    def __init__(self, model: nn.Module, kind: str, i: int, j: int, reference: float):
        self.model, self.kind, self.i, self.j = model, kind, i, j
        self.reference = float(reference)

    def __call__(self, q: np.ndarray) -> np.ndarray:
        q = np.asarray(q, dtype=np.float64)
        result = probe(self.model, np.hstack([q, np.zeros_like(q)]))
        if self.kind == "M":
            return result.h_vv[:, self.i, self.j]
        if self.kind == "curl":
            return result.h_vq[:, self.j, self.i] - result.h_vq[:, self.i, self.j]
        return self.reference - result.value
