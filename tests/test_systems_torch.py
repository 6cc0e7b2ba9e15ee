"""The Torch evaluators agree with NumPy and are differentiable (float64)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import (
    BUILTIN_NAMES,
    assert_rel_close,
    builtin,
    uniform_conditions,
    uniform_states,
)


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_torch_accelerations_match_numpy(name):
    system = builtin(name)
    states = uniform_states(system, 128, seed=7)
    t, inputs = uniform_conditions(system, 128, seed=7)
    expected = system.accelerations(states, t, inputs)
    actual = system.torch_accelerations(
        torch.tensor(states, dtype=torch.float64),
        None if t is None else torch.tensor(t, dtype=torch.float64),
        None if inputs is None else torch.tensor(inputs, dtype=torch.float64),
    )
    assert isinstance(actual, torch.Tensor)
    assert actual.dtype == torch.float64
    assert tuple(actual.shape) == expected.shape
    assert_rel_close(actual, expected, 1e-12, elementwise=True, what=name)


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_torch_energy_matches_numpy(name):
    system = builtin(name)
    states = uniform_states(system, 64, seed=8)
    t, _ = uniform_conditions(system, 64, seed=8)
    actual = system.dynamics.torch_energy(torch.tensor(states, dtype=torch.float64), t)
    assert_rel_close(actual, system.energy(states, t), 1e-12, what=name)


@pytest.mark.parametrize(
    "name",
    [
        "pendulum",
        "double_pendulum",
        "kepler_polar",
        "charged_particle_magnetic",
        "relativistic_oscillator",
        "fpu_chain",
    ],
)
def test_torch_accelerations_gradcheck(name):
    system = builtin(name)
    states = torch.tensor(
        uniform_states(system, 3, seed=9), dtype=torch.float64, requires_grad=True
    )
    assert torch.autograd.gradcheck(
        system.torch_accelerations, (states,), eps=1e-6, atol=1e-6, rtol=1e-5
    )


def test_torch_gradient_matches_closed_form_jacobian():
    # Pendulum: d(theta_ddot)/d(theta) = -(g/l) cos(theta), d/d(theta_dot) = 0.
    system = builtin("pendulum")
    theta = torch.linspace(-3.0, 3.0, 7, dtype=torch.float64)
    states = torch.stack([theta, torch.ones_like(theta)], dim=1).requires_grad_(True)
    system.torch_accelerations(states).sum().backward()
    g_over_l = system.parameters["g"] / system.parameters["l"]
    expected = np.stack([-g_over_l * np.cos(theta.numpy()), np.zeros(7)], axis=1)
    assert_rel_close(states.grad, expected, 1e-12)


def test_torch_rejects_wrong_shape():
    system = builtin("double_pendulum")
    with pytest.raises(ValueError, match="shape"):
        system.torch_accelerations(torch.zeros(3, 3, dtype=torch.float64))
