"""The non-conservative built-ins against equations of motion derived by hand.

Each ``hand_*`` below writes out, in NumPy, the mass matrix ``M``, the right-hand side ``f``
of ``M q̈ = f`` (Lagrangian part, friction ``−∂R/∂q̇`` and known forces ``Q``), the energy
``E = q̇·∂L/∂q̇ − L`` and the power ``dE/dt = Q·q̇ − q̇·∂R/∂q̇ − ∂L/∂t``, all derived on
paper from the spec's L, R and Q (never with SymPy). The tests check physym's derivation,
NumPy and Torch evaluation against them, with the built-in parameters and with perturbed
ones (so a dropped or swapped parameter cannot hide behind a value of 1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest
import torch
from helpers import assert_rel_close, builtin, uniform_conditions, uniform_states

import physym

RTOL = 1e-10


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
    return Hand(_one(np.full_like(x, m)), (-k * x)[:, None], (-c * v)[:, None],
                np.zeros((len(x), 1)), m * v**2 / 2 + k * x**2 / 2, -c * v**2)


def hand_driven_damped_pendulum(s, t, u, p) -> Hand:
    # m l^2 th'' = -m g l sin th - b th' + A cos(w t).
    th, w_ = s.T
    m, length, g, b, amp, w = p["m"], p["l"], p["g"], p["b"], p["A"], p["w"]
    torque = amp * np.cos(w * t)
    return Hand(_one(np.full_like(th, m * length**2)), (-m * g * length * np.sin(th))[:, None],
                (-b * w_)[:, None], torque[:, None],
                m * length**2 * w_**2 / 2 - m * g * length * np.cos(th),
                w_ * (torque - b * w_))


def hand_cart_pole(s, t, u, p) -> Hand:
    # (M + m) x'' + m l cos th th'' = m l th'^2 sin th - b x' + u
    # m l cos th x'' + m l^2 th''   = -m g l sin th
    x, th, v, w_ = s.T
    cart, m, length, g, b = p["M"], p["m"], p["l"], p["g"], p["b"]
    force = u[:, 0]
    coupling = m * length * np.cos(th)
    mass = np.stack([np.stack([np.full_like(x, cart + m), coupling], -1),
                     np.stack([coupling, np.full_like(x, m * length**2)], -1)], 1)
    lagrangian = np.stack([m * length * w_**2 * np.sin(th), -m * g * length * np.sin(th)], 1)
    friction = np.stack([-b * v, np.zeros_like(v)], 1)
    known = np.stack([force, np.zeros_like(force)], 1)
    energy = ((cart + m) * v**2 / 2 + m * length * v * w_ * np.cos(th)
              + m * length**2 * w_**2 / 2 - m * g * length * np.cos(th))
    return Hand(mass, lagrangian, friction, known, energy, v * (force - b * v))


def hand_kapitza_pendulum(s, t, u, p) -> Hand:
    # Pivot at height a cos(w t): effective gravity g - a w^2 cos(w t) (Landau & Lifshitz §30).
    th, w_ = s.T
    m, length, g, a, w = p["m"], p["l"], p["g"], p["a"], p["w"]
    gravity = g - a * w**2 * np.cos(w * t)
    d_lagrangian_dt = m * length * a * w**3 * np.sin(w * t) * np.cos(th)
    return Hand(_one(np.full_like(th, m * length**2)),
                (-m * length * gravity * np.sin(th))[:, None], np.zeros((len(th), 1)),
                np.zeros((len(th), 1)),
                m * length**2 * w_**2 / 2 - m * length * gravity * np.cos(th),
                -d_lagrangian_dt)


def hand_damped_double_pendulum(s, t, u, p) -> Hand:
    # Double pendulum (Goldstein §1.6) with R = b1 w1^2/2 + b2 (w2 - w1)^2/2.
    t1, t2, w1, w2 = s.T
    m1, m2, l1, l2, g, b1, b2 = (p[k] for k in ("m1", "m2", "l1", "l2", "g", "b1", "b2"))
    d = t1 - t2
    coupling = m2 * l1 * l2 * np.cos(d)
    mass = np.stack([np.stack([np.full_like(d, (m1 + m2) * l1**2), coupling], -1),
                     np.stack([coupling, np.full_like(d, m2 * l2**2)], -1)], 1)
    lagrangian = np.stack([-m2 * l1 * l2 * w2**2 * np.sin(d) - (m1 + m2) * g * l1 * np.sin(t1),
                           m2 * l1 * l2 * w1**2 * np.sin(d) - m2 * g * l2 * np.sin(t2)], 1)
    relative = w2 - w1
    friction = np.stack([-(b1 * w1 - b2 * relative), -b2 * relative], 1)
    energy = ((m1 + m2) * l1**2 * w1**2 / 2 + m2 * l2**2 * w2**2 / 2 + coupling * w1 * w2
              - (m1 + m2) * g * l1 * np.cos(t1) - m2 * g * l2 * np.cos(t2))
    power = -(b1 * w1**2 + b2 * relative**2)
    return Hand(mass, lagrangian, friction, np.zeros_like(friction), energy, power)


HAND: dict[str, Callable[..., Hand]] = {
    "damped_oscillator": hand_damped_oscillator,
    "driven_damped_pendulum": hand_driven_damped_pendulum,
    "cart_pole": hand_cart_pole,
    "kapitza_pendulum": hand_kapitza_pendulum,
    "damped_double_pendulum": hand_damped_double_pendulum,
}


def hand_for(system: physym.System, states, t, inputs) -> Hand:
    return HAND[system.name](states, t, inputs, dict(system.parameters))


def other_parameters(system: physym.System, seed: int) -> physym.System:
    rng = np.random.default_rng(seed)
    data = system.to_dict()
    data["parameters"] = {k: v * rng.uniform(0.6, 1.6) for k, v in system.parameters.items()}
    return physym.System.from_dict(data)


def test_every_non_conservative_builtin_has_hand_derived_equations():
    assert set(HAND) == set(physym.builtin_names(conservative=False))


@pytest.mark.parametrize("name", sorted(HAND))
@pytest.mark.parametrize("perturbed", [False, True])
def test_accelerations_and_pieces_match_hand_derivation(name, perturbed):
    system = builtin(name)
    if perturbed:
        system = other_parameters(system, seed=sum(map(ord, name)))
    states = uniform_states(system, 200, seed=1)
    t, inputs = uniform_conditions(system, 200, seed=1)
    hand = hand_for(system, states, t, inputs)
    assert_rel_close(system.accelerations(states, t, inputs), hand.accelerations, RTOL,
                     elementwise=True, what=f"{name} q̈")
    assert_rel_close(system.mass_matrix(states, t), hand.mass, RTOL, what=f"{name} M")
    assert_rel_close(system.dissipation_force(states, t, inputs), hand.friction, RTOL,
                     floor=1e-12, elementwise=True, what=f"{name} −∂R/∂q̇")
    assert_rel_close(system.generalised_forces(states, t, inputs), hand.known, RTOL,
                     floor=1e-12, elementwise=True, what=f"{name} Q")
    assert_rel_close(system.energy(states, t), hand.energy, RTOL, what=f"{name} E")
    assert_rel_close(system.power(states, t, inputs), hand.power, RTOL, elementwise=True,
                     what=f"{name} dE/dt")
    assert not system.is_conservative


@pytest.mark.parametrize("name", sorted(HAND))
def test_torch_matches_hand_derivation_and_is_differentiable(name):
    system = builtin(name)
    states = uniform_states(system, 64, seed=2)
    t, inputs = uniform_conditions(system, 64, seed=2)
    hand = hand_for(system, states, t, inputs)

    def tensor(a):
        return None if a is None else torch.tensor(a, dtype=torch.float64)

    actual = system.torch_accelerations(tensor(states), tensor(t), tensor(inputs))
    assert actual.dtype == torch.float64
    assert_rel_close(actual, hand.accelerations, 1e-12, elementwise=True, what=name)
    assert_rel_close(system.torch_dissipation_force(tensor(states), tensor(t), tensor(inputs)),
                     hand.friction, 1e-12, floor=1e-12, elementwise=True)
    assert_rel_close(system.torch_generalised_forces(tensor(states), tensor(t),
                                                     tensor(inputs)),
                     hand.known, 1e-12, floor=1e-12, elementwise=True)
    # Gradients flow to the states, to t and to the inputs.
    arguments = [tensor(states[:3]).requires_grad_(True)]
    if t is not None:
        arguments.append(tensor(t[:3]).requires_grad_(True))
    if inputs is not None:
        arguments.append(tensor(inputs[:3]).requires_grad_(True))

    def accelerations(*args):
        x, rest = args[0], list(args[1:])
        time = rest.pop(0) if t is not None else None
        values = rest.pop(0) if inputs is not None else None
        return system.torch_accelerations(x, time, values)

    assert torch.autograd.gradcheck(accelerations, tuple(arguments), eps=1e-6, atol=1e-6,
                                    rtol=1e-5)


def test_gradient_with_respect_to_time_and_input_matches_hand_derivative():
    pendulum = builtin("driven_damped_pendulum")
    p = pendulum.parameters
    t = torch.tensor([0.3, 1.7], dtype=torch.float64, requires_grad=True)
    states = torch.zeros(2, 2, dtype=torch.float64)
    pendulum.torch_accelerations(states, t).sum().backward()
    expected = -p["A"] * p["w"] * np.sin(p["w"] * t.detach().numpy()) / (p["m"] * p["l"] ** 2)
    assert_rel_close(t.grad, expected, 1e-12)
    cart = builtin("cart_pole")
    u = torch.tensor([[1.0], [-2.0]], dtype=torch.float64, requires_grad=True)
    theta = np.array([0.4, 2.0])
    states = torch.tensor(np.stack([np.zeros(2), theta, np.zeros(2), np.zeros(2)], 1))
    cart.torch_accelerations(states, None, u)[:, 0].sum().backward()
    c = cart.parameters  # ∂ẍ/∂u = m l² / det M = 1 / (M + m sin²θ)
    assert_rel_close(u.grad[:, 0], 1 / (c["M"] + c["m"] * np.sin(theta) ** 2), 1e-12)


def test_damped_oscillator_decays_at_the_textbook_rate():
    # Landau & Lifshitz §25: x ∝ exp(−λ t) cos(ω t) with λ = c / 2m, ω² = k/m − λ².
    system = builtin("damped_oscillator")
    m, k, c = (system.parameters[n] for n in ("m", "k", "c"))
    lam, omega = c / (2 * m), np.sqrt(k / m - (c / (2 * m)) ** 2)
    time = np.linspace(0, 4, 9)
    x = np.exp(-lam * time) * np.cos(omega * time)
    v = -lam * x - omega * np.exp(-lam * time) * np.sin(omega * time)
    a = -k / m * x - c / m * v
    assert_rel_close(system.accelerations(np.stack([x, v], 1))[:, 0], a, 1e-12)


def test_kapitza_drive_reverses_effective_gravity():
    system = builtin("kapitza_pendulum")
    p = system.parameters
    assert p["a"] ** 2 * p["w"] ** 2 > 2 * p["g"] * p["l"]  # the inverted state is stable
    states = np.array([[0.5, 0.0], [0.5, 0.0]])
    at_rest_pivot = system.accelerations(states, t=[np.pi / (2 * p["w"]), 0.0])[:, 0]
    assert at_rest_pivot[0] == pytest.approx(-p["g"] / p["l"] * np.sin(0.5), rel=1e-12)
    assert at_rest_pivot[1] > 0  # pivot at its top, decelerating: gravity points up
