"""Fits of systems with friction, known forces and time: the network's equations, and a
tiny damped fit end to end, judged against accelerations derived here from the strings in
``summary.json`` (not the pipeline's own verdict)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import torch

import physym
from physym.network import build_model
from physym.training.conditions import extend_states


def _reference_accelerations(model, x: torch.Tensor, n: int) -> torch.Tensor:
    """``q̈`` from autograd of ``L_θ`` and ``R_θ`` on the whole input row."""
    z = x.clone().requires_grad_(True)
    grad = torch.autograd.grad(model(z).sum(), z, create_graph=True)[0]
    rows = torch.stack([torch.autograd.grad(grad[:, n + i].sum(), z, retain_graph=True)[0]
                        for i in range(n)], 1)
    rhs = grad[:, :n] - (rows[:, :, :n] @ x[:, n:2 * n, None])[..., 0]
    if model.time_column:
        rhs = rhs - rows[:, :, 2 * n]
    zr = x.clone().requires_grad_(True)
    rhs = rhs - torch.autograd.grad(model.rayleigh(zr).sum(), zr)[0][:, n:2 * n]
    if model.known_forces:
        rhs = rhs + x[:, -n:]
    return torch.linalg.solve(rows[:, :, n:2 * n], rhs).detach()


@pytest.mark.parametrize("name,dissipation", [("structured", "q"), ("mlp", "state")])
@pytest.mark.parametrize("time_dependent", [False, True])
def test_forced_model_solves_the_full_equations(name, dissipation, time_dependent):
    model = build_model(name, 2, width=12, depth=2, dtype=torch.float64, seed=1,
                        time_dependent=time_dependent, time_column=True,
                        time_range=(0.0, 3.0), dissipation=dissipation, known_forces=True)
    x = torch.randn(9, model.input_width, dtype=torch.float64, generator=torch.Generator()
                    .manual_seed(2))
    got = model.accelerations(x, create_graph=False)
    torch.testing.assert_close(got, _reference_accelerations(model, x, 2), rtol=1e-9,
                               atol=1e-10)


def test_learned_friction_never_feeds_energy_in():
    model = build_model("structured", 2, width=12, depth=2, dtype=torch.float64, seed=3,
                        dissipation="q")
    x = torch.randn(50, 4, dtype=torch.float64) * 3
    power = (model.dissipation.friction(x, False) * x[:, 2:]).sum(-1)  # −q̇·∂R/∂q̇ = −2R
    assert torch.all(power <= 1e-12)
    torch.testing.assert_close(power, -2 * model.rayleigh(x))


def test_known_forces_need_their_columns():
    model = build_model("structured", 1, width=8, depth=1, known_forces=True)
    with pytest.raises(ValueError, match="known forces"):
        extend_states(model, np.zeros((3, 2)), None, None)


def test_tiny_damped_fit_recovers_the_accelerations(tmp_path):
    system = physym.load_system("damped_oscillator")
    run = physym.fit("damped_oscillator", tmp_path / "run", samples=600, epochs=8, seed=0)
    summary = run.summary
    assert summary["true_dissipation"] is not None and summary["forces"] == {}
    assert summary["recovered_dissipation"] is not None, "damping came back as undamped"
    names = {s: sp.Symbol(s, real=True) for s in ("x", "x_dot")}
    lag = sp.sympify(summary["recovered_lagrangian"], locals=names)
    ray = sp.sympify(summary["recovered_dissipation"], locals=names)
    x, v = names["x"], names["x_dot"]
    # Euler–Lagrange with friction, derived here: M ẍ = ∂L/∂x − (∂²L/∂ẋ∂x) ẋ − ∂R/∂ẋ.
    mass = sp.diff(lag, v, 2)
    force = sp.diff(lag, x) - sp.diff(lag, v, x) * v - sp.diff(ray, v)
    accel = sp.lambdify((x, v), force / mass, "numpy")
    states = np.random.default_rng(5).uniform(*system.box, size=(400, 2))
    truth = system.accelerations(states)[:, 0]
    got = np.broadcast_to(accel(states[:, 0], states[:, 1]), truth.shape)
    assert np.linalg.norm(got - truth) / np.linalg.norm(truth) < 1e-6
    assert summary["equivalent"] is True
