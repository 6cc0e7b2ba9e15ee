"""The non-conservative built-ins against equations of motion derived by hand.

The hand derivations (``forced_systems.py``) give ``M``, the Lagrangian part of ``f``, the
friction ``−∂R/∂q̇``, the known forces ``Q``, ``E`` and ``dE/dt``; the tests check physym's
derivation, NumPy and Torch evaluation against them, with the built-in parameters and with
perturbed ones (so a dropped or swapped parameter cannot hide behind a value of 1).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from forced_systems import HAND, hand_for
from helpers import assert_rel_close, builtin, uniform_conditions, uniform_states

import physym

RTOL = 1e-10


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
    assert_rel_close(
        system.accelerations(states, t, inputs),
        hand.accelerations,
        RTOL,
        elementwise=True,
        what=f"{name} q̈",
    )
    assert_rel_close(system.mass_matrix(states, t), hand.mass, RTOL, what=f"{name} M")
    assert_rel_close(
        system.dissipation_force(states, t, inputs),
        hand.friction,
        RTOL,
        floor=1e-12,
        elementwise=True,
        what=f"{name} −∂R/∂q̇",
    )
    assert_rel_close(
        system.generalised_forces(states, t, inputs),
        hand.known,
        RTOL,
        floor=1e-12,
        elementwise=True,
        what=f"{name} Q",
    )
    assert_rel_close(system.energy(states, t), hand.energy, RTOL, what=f"{name} E")
    assert_rel_close(
        system.power(states, t, inputs), hand.power, RTOL, elementwise=True, what=f"{name} dE/dt"
    )
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
    assert_rel_close(
        system.torch_dissipation_force(tensor(states), tensor(t), tensor(inputs)),
        hand.friction,
        1e-12,
        floor=1e-12,
        elementwise=True,
    )
    assert_rel_close(
        system.torch_generalised_forces(tensor(states), tensor(t), tensor(inputs)),
        hand.known,
        1e-12,
        floor=1e-12,
        elementwise=True,
    )
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

    assert torch.autograd.gradcheck(accelerations, tuple(arguments), eps=1e-6, atol=1e-6, rtol=1e-5)


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
