"""The structured model's velocity-linear term ``A_θ(q)·q̇``.

A charged particle in a uniform magnetic field, ``L = m/2 |v|² + qB/2 (x ẏ − y ẋ) − k/2 |r|²``,
has a gyroscopic force ``qB (ẏ, −ẋ)`` that no ``½ q̇ᵀ M(q) q̇ − V(q)`` can produce: the
model with the ``A`` term learns it from a little data, the one without cannot.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from physym import load_system
from physym.data import make_dataset
from physym.network import StructuredLagrangian, build_model
from physym.network.base import LagrangianModel
from physym.runs import load_model, save_model
from physym.training import FitConfig, train


def _random_head(model: StructuredLagrangian, seed: int = 0) -> StructuredLagrangian:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.vector_head.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator))
    return model


@pytest.mark.parametrize("n_dof", [1, 2, 3])
def test_closed_form_derivatives_with_a_term_match_autograd(n_dof):
    model = build_model(
        "structured",
        n_dof,
        width=16,
        depth=2,
        dtype=torch.float64,
        periodic=[True] + [False] * (n_dof - 1),
        seed=1,
    )
    _random_head(model)
    states = torch.randn(
        9, 2 * n_dof, dtype=torch.float64, generator=torch.Generator().manual_seed(2)
    )
    closed = model.derivatives(states, create_graph=False)
    reference = LagrangianModel.derivatives(model, states, create_graph=False)
    for got, want in zip(closed, reference, strict=True):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=0, atol=1e-12)


def test_a_term_enters_as_a_gyroscopic_force_only():
    model = _random_head(
        build_model("structured", 2, width=8, depth=1, dtype=torch.float64, seed=0)
    )
    plain = build_model(
        "structured", 2, width=8, depth=1, dtype=torch.float64, seed=0, vector_potential=False
    )
    plain.load_state_dict(model.state_dict(), strict=False)
    q = torch.randn(5, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    at_rest = torch.cat([q, torch.zeros_like(q)], dim=1)
    # q̇ = 0: no gyroscopic force, the same accelerations with and without A
    np.testing.assert_allclose(
        model.accelerations(at_rest, False).numpy(),
        plain.accelerations(at_rest, False).numpy(),
        atol=1e-12,
    )
    assert model.vector_potential(q).abs().max() > 0
    assert plain.vector_potential(q).abs().max() == 0


def test_a_head_starts_at_zero_and_old_models_load_with_a_zero(tmp_path):
    model = build_model("structured", 2, width=8, depth=1, dtype=torch.float64, seed=0)
    q = torch.randn(4, 2, dtype=torch.float64)
    assert model.vector_potential(q).abs().max() == 0
    old = build_model(
        "structured", 2, width=8, depth=1, dtype=torch.float64, seed=0, vector_potential=False
    )
    path = save_model(
        tmp_path / "model.pt",
        old,
        "structured",
        {"width": 8, "depth": 1, "seed": 0, "dtype": "float64"},
    )
    loaded = load_model(path)  # built with the A term (the default), A = 0
    assert loaded.has_vector_potential
    states = torch.randn(6, 4, dtype=torch.float64)
    np.testing.assert_allclose(
        loaded(states).detach().numpy(), old(states).detach().numpy(), atol=1e-14
    )


def _fit_charged_particle(vector_potential: bool) -> float:
    system = load_system("charged_particle_magnetic")
    data = make_dataset(system, 1500, seed=0)
    config = FitConfig(
        system=system.name, epochs=25, batch_size=64, lr=1e-2, patience=0, monitor_states=64
    )
    model = build_model(
        "structured",
        2,
        width=32,
        depth=2,
        dtype=torch.float64,
        seed=0,
        vector_potential=vector_potential,
    )
    result = train(model, data, config, progress=False)
    states, _ = data.test
    with torch.no_grad():
        predicted = result.model.accelerations(torch.as_tensor(states), create_graph=False)
    exact = system.accelerations(states)
    return float(np.linalg.norm(predicted.numpy() - exact) / np.linalg.norm(exact))


def test_a_term_learns_a_uniform_magnetic_field():
    with_a = _fit_charged_particle(True)
    without_a = _fit_charged_particle(False)
    assert with_a < 0.05
    assert without_a > 0.2  # the Lorentz force is out of reach of ½q̇ᵀMq̇ − V
