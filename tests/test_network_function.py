"""Exact Lagrangians as models: numeric subexpressions (``sqrt(2)``, ``cos(1)``, ``exp(k)``
with ``k`` substituted) must evaluate in Torch, where functions take tensors only."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import physym
from physym.distill import ExpressionModel
from physym.network import system_lagrangian

# L = a ẋ²/2 − b x² + c: the accelerations are ẍ = −2 b x / a, whatever the constant c
CASES = [
    ("sqrt(2)*x_dot**2/2 - cos(1)*x**2 + 3", math.sqrt(2), math.cos(1)),
    ("x_dot**2*sin(pi/7)/2 - exp(k)*x**2 + tanh(1)", math.sin(math.pi / 7), math.exp(2.0)),
    ("x_dot**2/2 - log(3)*x**2 + atan(2)", 1.0, math.log(3)),
    ("x_dot**2/2 - sqrt(k)*x**2*cosh(k)/cosh(2)", 1.0, math.sqrt(2.0)),
]

STATES = torch.tensor([[0.3, 0.2], [-0.7, 1.1], [0.05, -0.4]], dtype=torch.float64)


def _system(text: str) -> physym.System:
    return physym.System("numeric", ["x"], text, {"k": 2.0}, {"x": (-1, 1), "x_dot": (-1, 1)})


@pytest.mark.parametrize(("text", "a", "b"), CASES)
def test_system_lagrangian_with_numeric_subexpressions(text: str, a: float, b: float) -> None:
    model = system_lagrangian(_system(text))
    states = STATES.clone().requires_grad_(True)
    accel = model.accelerations(states)
    expected = -2 * b * STATES[:, :1] / a
    torch.testing.assert_close(accel.detach(), expected, rtol=1e-12, atol=1e-14)
    accel.sum().backward()  # gradients flow through the folded constants
    assert states.grad is not None and torch.isfinite(states.grad).all()


@pytest.mark.parametrize(("text", "a", "b"), CASES)
def test_expression_model_with_numeric_subexpressions(text: str, a: float, b: float) -> None:
    model = ExpressionModel.from_system(_system(text))
    accel = model.accelerations(STATES, False)
    np.testing.assert_allclose(accel.numpy(), -2 * b * STATES[:, :1].numpy() / a, rtol=1e-12)


def test_constant_lagrangian_terms_keep_float32() -> None:
    """A folded constant is a Python float: the model's dtype is the states'."""
    model = system_lagrangian(_system(CASES[0][0]))
    value = model(STATES.to(torch.float32))
    assert value.dtype == torch.float32 and value.shape == (3,)
    x, v = (float(c) for c in STATES[0])
    assert value[0].item() == pytest.approx(
        math.sqrt(2) * v**2 / 2 - math.cos(1) * x**2 + 3, rel=1e-6
    )
