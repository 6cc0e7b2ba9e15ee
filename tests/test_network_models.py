"""Learned Lagrangians: exact accelerations against independent per-state references."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import physym
from physym.network import (
    MODELS,
    FunctionLagrangian,
    MLPLagrangian,
    StructuredLagrangian,
    build_model,
    system_lagrangian,
)
from physym.network.init import calibrate_acceleration_scale

F64 = torch.float64


def reference_accelerations(model: torch.nn.Module, states: torch.Tensor) -> torch.Tensor:
    """One state at a time with torch.autograd.functional.hessian (no shared code)."""
    n = states.shape[1] // 2
    rows = []
    for x in states:

        def lagrangian(s: torch.Tensor) -> torch.Tensor:
            return model(s.unsqueeze(0))[0]

        hess = torch.autograd.functional.hessian(lagrangian, x)
        grad = torch.autograd.functional.jacobian(lagrangian, x)
        rhs = grad[:n] - hess[n:, :n] @ x[n:]
        rows.append(torch.linalg.solve(hess[n:, n:], rhs))
    return torch.stack(rows)


def max_rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-300))


def states(n_dof: int, count: int = 12, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return (torch.rand(count, 2 * n_dof, generator=gen, dtype=F64) * 2 - 1) * 2.0


MODEL_CASES = [
    ("seed", 2, {}),
    ("mlp", 2, {"width": 8, "depth": 2, "activation": "tanh", "periodic": [True, False]}),
    ("mlp", 3, {"width": 8, "depth": 3, "activation": "gelu", "epsilon": 0.3}),
    ("mlp", 1, {"width": 8, "depth": 1, "activation": "silu"}),
    ("mlp", 2, {"width": 8, "depth": 2, "activation": "sigmoid", "beta": 2.0}),
    (
        "mlp",
        2,
        {"width": 8, "depth": 2, "activation": "softplus", "beta": 0.3, "periodic": [True, True]},
    ),
    ("structured", 2, {"width": 8, "depth": 2}),
    (
        "structured",
        3,
        {"width": 8, "depth": 2, "activation": "tanh", "periodic": [True, False, True]},
    ),
]


@pytest.mark.parametrize(("name", "n_dof", "options"), MODEL_CASES)
def test_accelerations_match_per_state_hessian(name: str, n_dof: int, options: dict) -> None:
    model = build_model(name, n_dof, dtype=F64, seed=1, **options)
    x = states(n_dof)
    with torch.no_grad():
        fast = model.accelerations(x)
    assert fast.shape == (x.shape[0], n_dof) and fast.dtype == F64
    assert max_rel(fast, reference_accelerations(model, x)) < 1e-10


@pytest.mark.parametrize("method", ["closed_form", "closed_form_traced", "func", "autograd"])
def test_hessian_methods_agree(method: str) -> None:
    model = build_model(
        "mlp",
        2,
        width=12,
        depth=3,
        beta=0.5,
        periodic=[True, False],
        epsilon=0.1,
        dtype=F64,
        seed=2,
    )
    x = states(2, 20)
    reference = model.derivatives(x, create_graph=False)
    model.hessian_method = method
    for got, want in zip(model.derivatives(x, create_graph=False), reference, strict=True):
        assert got.shape == want.shape
        assert max_rel(got, want) < 1e-12


def test_training_gradients_agree_across_methods() -> None:
    x, y = states(2, 16), states(2, 16, seed=5)[:, :2]
    grads = {}
    for method in ("closed_form", "closed_form_traced", "autograd"):
        model = build_model("seed", 2, dtype=F64, seed=3, hessian_method=method)
        loss = torch.mean((model.accelerations(x) - y) ** 2)
        loss.backward()
        grads[method] = torch.cat(
            [p.grad.flatten() for p in model.parameters() if p.grad is not None]
        )
    for method in ("closed_form_traced", "autograd"):
        assert max_rel(grads["closed_form"], grads[method]) < 1e-10


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("mlp", {"activation": "softplus", "beta": 0.5}),
        ("mlp", {"activation": "tanh", "periodic": [True, False]}),
        ("mlp", {"activation": "softplus", "hessian_method": "closed_form_traced"}),
        ("structured", {"activation": "softplus"}),
    ],
)
def test_gradcheck_accelerations_wrt_parameters(name: str, options: dict) -> None:
    model = build_model(name, 2, width=4, depth=2, dtype=F64, seed=4, **options)
    x = states(2, 3)
    params = tuple(p.detach().requires_grad_() for p in model.parameters())

    def accelerations(*values: torch.Tensor) -> torch.Tensor:
        return _with_params(model, values, x)

    assert torch.autograd.gradcheck(accelerations, params)


def _with_params(
    model: torch.nn.Module, values: tuple[torch.Tensor, ...], x: torch.Tensor
) -> torch.Tensor:
    """Accelerations with the parameters replaced by ``values`` (kept in the graph)."""
    originals = dict(model.named_parameters())
    for (name, _), value in zip(originals.items(), values, strict=True):
        module_name, _, attr = name.rpartition(".")
        module = model.get_submodule(module_name)
        delattr(module, attr)
        setattr(module, attr, value)
    try:
        return model.accelerations(x, create_graph=True)
    finally:
        for name, param in originals.items():
            module_name, _, attr = name.rpartition(".")
            module = model.get_submodule(module_name)
            delattr(module, attr)
            module.register_parameter(attr, param)


def test_gradients_wrt_states_use_the_traced_closed_form() -> None:
    x = states(2, 6).requires_grad_(True)
    out = {}
    for method in ("closed_form", "autograd"):
        model = build_model("seed", 2, dtype=F64, seed=6, hessian_method=method)
        (out[method],) = torch.autograd.grad(model.accelerations(x).pow(2).sum(), x)
    assert max_rel(out["closed_form"], out["autograd"]) < 1e-10


def test_true_double_pendulum_reproduces_system_accelerations(rng: np.random.Generator) -> None:
    system = physym.load_system("double_pendulum")
    low, high = system.box
    x = rng.uniform(low, high, size=(64, 4))
    model = system_lagrangian(system)
    qdd, h_vv = model.accelerations_and_hessian(torch.from_numpy(x), create_graph=False)
    assert np.max(np.abs(qdd.numpy() - system.accelerations(x))) < 1e-10
    assert np.max(np.abs(h_vv.numpy() - system.mass_matrix(x))) < 1e-12


def test_accelerations_and_hessian_returns_the_velocity_hessian() -> None:
    model = build_model("mlp", 2, width=8, depth=2, epsilon=0.5, dtype=F64, seed=7)
    x = states(2, 5)
    qdd, h_vv = model.accelerations_and_hessian(x)
    assert torch.allclose(qdd, model.accelerations(x))
    assert torch.allclose(h_vv, model.velocity_hessian(x))
    plain = build_model("mlp", 2, width=8, depth=2, dtype=F64, seed=7)
    assert torch.allclose(h_vv - plain.velocity_hessian(x), 0.5 * torch.eye(2, dtype=F64))


def test_hessian_report_counts_indefinite_and_singular_states() -> None:
    saddle = FunctionLagrangian(2, lambda s: 0.5 * (s[:, 2] ** 2 - s[:, 3] ** 2))
    report = saddle.hessian_report(states(2, 7))
    assert report.n_states == 7 and report.n_indefinite == 7 and report.n_singular == 0
    flat = FunctionLagrangian(2, lambda s: 0.5 * s[:, 2] ** 2 + 1e-9 * s[:, 3] ** 2)
    assert flat.hessian_report(states(2, 4)).n_singular == 4
    structured = build_model("structured", 2, width=8, depth=2, dtype=F64, seed=8)
    assert structured.hessian_report(states(2, 50)).n_indefinite == 0


def test_structured_mass_matrix_is_positive_definite_and_periodic() -> None:
    model = build_model(
        "structured", 2, width=8, depth=2, periodic=[True, False], dtype=F64, seed=9
    )
    assert isinstance(model, StructuredLagrangian)
    q = states(1, 200).reshape(-1, 2) * 5
    assert bool((torch.linalg.eigvalsh(model.mass_matrix(q)) > 0).all())
    x = states(2, 10)
    shifted = x.clone()
    shifted[:, 0] += 2 * math.pi
    with torch.no_grad():
        assert torch.allclose(model(x), model(shifted))
        assert torch.allclose(model.accelerations(x), model.accelerations(shifted))


def test_registry() -> None:
    seed = build_model("seed", 2)
    assert isinstance(seed, MLPLagrangian)
    assert sum(p.numel() for p in seed.parameters()) == 3361
    assert (seed.width, seed.depth, seed.activation.beta) == (32, 4, 0.5)
    assert sum(p.numel() for p in build_model("mlp", 2, preset="seed").parameters()) == 3361
    assert set(MODELS) == {"mlp", "structured"}
    assert next(build_model("structured", 2, dtype=F64).parameters()).dtype == F64
    a, b = build_model("mlp", 2, seed=3), build_model("mlp", 2, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    with pytest.raises(ValueError, match="piecewise linear"):
        build_model("mlp", 2, activation="relu")
    with pytest.raises(ValueError, match="unknown model"):
        build_model("transformer", 2)
    with pytest.raises(ValueError, match="periodic"):
        build_model("mlp", 2, periodic=[True])
    with pytest.raises(ValueError, match="dtype"):
        build_model("mlp", 2, dtype=torch.float16)


def test_lnn_init_calibrates_acceleration_scale() -> None:
    for name in ("mlp", "structured"):
        model = build_model(name, 2, width=16, depth=2, init="lnn", seed=10, dtype=F64)
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(256, 4, generator=gen, dtype=F64)
        factor, rms = calibrate_acceleration_scale(model, x, factors=[1.0])  # measure only
        assert factor == 1.0 and 0.3 < rms < 3.0
