"""Equations of motion of the non-conservative built-ins, derived by hand (shared by tests).

Each ``hand_*`` writes out, in NumPy, the mass matrix ``M``, the right-hand side of
``M q̈ = f`` split into its Lagrangian part, the friction ``−∂R/∂q̇`` and the known forces
``Q``, the energy ``E = q̇·∂L/∂q̇ − L`` and the power ``dE/dt = Q·q̇ − q̇·∂R/∂q̇ − ∂L/∂t``,
all derived on paper from the spec's L, R and Q (never with SymPy).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np


class Hand(NamedTuple):
    mass: np.ndarray  # (B, n, n)
    lagrangian_force: np.ndarray  # (B, n): ∂L/∂q − (∂²L/∂q̇∂q) q̇ − ∂²L/∂q̇∂t
    friction: np.ndarray  # (B, n): −∂R/∂q̇
    known: np.ndarray  # (B, n): Q
    energy: np.ndarray  # (B,)
    power: np.ndarray  # (B,)

    @property
    def accelerations(self) -> np.ndarray:
        rhs = self.lagrangian_force + self.friction + self.known
        return np.linalg.solve(self.mass, rhs[..., None])[..., 0]


def _one(x: np.ndarray) -> np.ndarray:
    return x.reshape(-1, 1, 1)


def hand_damped_oscillator(s, t, u, p) -> Hand:
    # L = m x'^2/2 - k x^2/2, R = c x'^2/2:  m x'' = -k x - c x'.
    x, v = s.T
    m, k, c = p["m"], p["k"], p["c"]
    return Hand(
        _one(np.full_like(x, m)),
        (-k * x)[:, None],
        (-c * v)[:, None],
        np.zeros((len(x), 1)),
        m * v**2 / 2 + k * x**2 / 2,
        -c * v**2,
    )


def hand_driven_damped_pendulum(s, t, u, p) -> Hand:
    # m l^2 th'' = -m g l sin th - b th' + A cos(w t).
    th, w_ = s.T
    m, length, g, b, amp, w = p["m"], p["l"], p["g"], p["b"], p["A"], p["w"]
    torque = amp * np.cos(w * t)
    return Hand(
        _one(np.full_like(th, m * length**2)),
        (-m * g * length * np.sin(th))[:, None],
        (-b * w_)[:, None],
        torque[:, None],
        m * length**2 * w_**2 / 2 - m * g * length * np.cos(th),
        w_ * (torque - b * w_),
    )


def hand_cart_pole(s, t, u, p) -> Hand:
    # (M + m) x'' + m l cos th th'' = m l th'^2 sin th - b x' + u
    # m l cos th x'' + m l^2 th''   = -m g l sin th
    x, th, v, w_ = s.T
    cart, m, length, g, b = p["M"], p["m"], p["l"], p["g"], p["b"]
    force = u[:, 0]
    coupling = m * length * np.cos(th)
    mass = np.stack(
        [
            np.stack([np.full_like(x, cart + m), coupling], -1),
            np.stack([coupling, np.full_like(x, m * length**2)], -1),
        ],
        1,
    )
    lagrangian = np.stack([m * length * w_**2 * np.sin(th), -m * g * length * np.sin(th)], 1)
    friction = np.stack([-b * v, np.zeros_like(v)], 1)
    known = np.stack([force, np.zeros_like(force)], 1)
    energy = (
        (cart + m) * v**2 / 2
        + m * length * v * w_ * np.cos(th)
        + m * length**2 * w_**2 / 2
        - m * g * length * np.cos(th)
    )
    return Hand(mass, lagrangian, friction, known, energy, v * (force - b * v))


def hand_kapitza_pendulum(s, t, u, p) -> Hand:
    # Pivot at height a cos(w t): effective gravity g - a w^2 cos(w t) (Landau & Lifshitz §30).
    th, w_ = s.T
    m, length, g, a, w = p["m"], p["l"], p["g"], p["a"], p["w"]
    gravity = g - a * w**2 * np.cos(w * t)
    d_lagrangian_dt = m * length * a * w**3 * np.sin(w * t) * np.cos(th)
    return Hand(
        _one(np.full_like(th, m * length**2)),
        (-m * length * gravity * np.sin(th))[:, None],
        np.zeros((len(th), 1)),
        np.zeros((len(th), 1)),
        m * length**2 * w_**2 / 2 - m * length * gravity * np.cos(th),
        -d_lagrangian_dt,
    )


def hand_damped_double_pendulum(s, t, u, p) -> Hand:
    # Double pendulum (Goldstein §1.6) with R = b1 w1^2/2 + b2 (w2 - w1)^2/2.
    t1, t2, w1, w2 = s.T
    m1, m2, l1, l2, g, b1, b2 = (p[k] for k in ("m1", "m2", "l1", "l2", "g", "b1", "b2"))
    d = t1 - t2
    coupling = m2 * l1 * l2 * np.cos(d)
    mass = np.stack(
        [
            np.stack([np.full_like(d, (m1 + m2) * l1**2), coupling], -1),
            np.stack([coupling, np.full_like(d, m2 * l2**2)], -1),
        ],
        1,
    )
    lagrangian = np.stack(
        [
            -m2 * l1 * l2 * w2**2 * np.sin(d) - (m1 + m2) * g * l1 * np.sin(t1),
            m2 * l1 * l2 * w1**2 * np.sin(d) - m2 * g * l2 * np.sin(t2),
        ],
        1,
    )
    relative = w2 - w1
    friction = np.stack([-(b1 * w1 - b2 * relative), -b2 * relative], 1)
    energy = (
        (m1 + m2) * l1**2 * w1**2 / 2
        + m2 * l2**2 * w2**2 / 2
        + coupling * w1 * w2
        - (m1 + m2) * g * l1 * np.cos(t1)
        - m2 * g * l2 * np.cos(t2)
    )
    power = -(b1 * w1**2 + b2 * relative**2)
    return Hand(mass, lagrangian, friction, np.zeros_like(friction), energy, power)


HAND: dict[str, Callable[..., Hand]] = {
    "damped_oscillator": hand_damped_oscillator,
    "driven_damped_pendulum": hand_driven_damped_pendulum,
    "cart_pole": hand_cart_pole,
    "kapitza_pendulum": hand_kapitza_pendulum,
    "damped_double_pendulum": hand_damped_double_pendulum,
}


def hand_for(system: Any, states: Any, t: Any, inputs: Any) -> Hand:
    return HAND[system.name](states, t, inputs, dict(system.parameters))
