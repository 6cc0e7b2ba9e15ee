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
    rows = torch.stack(
        [torch.autograd.grad(grad[:, n + i].sum(), z, retain_graph=True)[0] for i in range(n)], 1
    )
    rhs = grad[:, :n] - (rows[:, :, :n] @ x[:, n : 2 * n, None])[..., 0]
    if model.time_column:
        rhs = rhs - rows[:, :, 2 * n]
    zr = x.clone().requires_grad_(True)
    rhs = rhs - torch.autograd.grad(model.rayleigh(zr).sum(), zr)[0][:, n : 2 * n]
    if model.known_forces:
        rhs = rhs + x[:, -n:]
    return torch.linalg.solve(rows[:, :, n : 2 * n], rhs).detach()


@pytest.mark.parametrize("name,dissipation", [("structured", "q"), ("mlp", "state")])
@pytest.mark.parametrize("time_dependent", [False, True])
def test_forced_model_solves_the_full_equations(name, dissipation, time_dependent):
    model = build_model(
        name,
        2,
        width=12,
        depth=2,
        dtype=torch.float64,
        seed=1,
        time_dependent=time_dependent,
        time_column=True,
        time_range=(0.0, 3.0),
        dissipation=dissipation,
        known_forces=True,
    )
    x = torch.randn(
        9, model.input_width, dtype=torch.float64, generator=torch.Generator().manual_seed(2)
    )
    got = model.accelerations(x, create_graph=False)
    torch.testing.assert_close(got, _reference_accelerations(model, x, 2), rtol=1e-9, atol=1e-10)


def test_learned_friction_never_feeds_energy_in():
    model = build_model(
        "structured", 2, width=12, depth=2, dtype=torch.float64, seed=3, dissipation="q"
    )
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


PUSHED = """name = "pushed_spring"
coordinates = ["x"]
lagrangian = "m*x_dot**2/2 - k*x**2/2"
dissipation = "c*x_dot**2/2"
inputs = ["u"]
[forces]
x = "u"
[parameters]
m = 1.0
k = 4.0
c = 0.4
[sampling]
x = [-2, 2]
x_dot = [-4, 4]
u = [-1, 1]
"""


def _recovered_accelerations(summary, states, inputs):
    """``ẍ`` of the recovered ``L`` and ``R`` under the force ``u``, derived here."""
    names = {s: sp.Symbol(s, real=True) for s in ("x", "x_dot", "u")}
    x, v, u = names["x"], names["x_dot"], names["u"]
    lag = sp.sympify(summary["recovered_lagrangian"], locals=names)
    ray = sp.sympify(summary["recovered_dissipation"] or "0", locals=names)
    force = sp.diff(lag, x) - sp.diff(lag, v, x) * v - sp.diff(ray, v) + u
    accel = sp.lambdify((x, v, u), force / sp.diff(lag, v, 2), "numpy")
    return np.broadcast_to(accel(states[:, 0], states[:, 1], inputs[:, 0]), len(states))


def test_measured_positions_with_an_input_column_recover_l_and_r(tmp_path):
    """Positions and the input driving them, one CSV; the spec names the input ``u``."""
    from physym.data import simulate

    spec = tmp_path / "pushed.toml"
    spec.write_text(PUSHED)
    system = physym.load_system(spec)
    rows = ["trajectory,t,x,u"]
    for k in range(4):

        def push(t, k=k):
            return [0.8 * np.sin((1.0 + 0.3 * k) * t + k)]

        run = simulate(system, [0.5 * (k - 1.5), 0.0], 8.0, 401, inputs=push)
        rows += [
            f"{k},{float(t)!r},{float(x)!r},{float(push(t)[0])!r}"
            for t, x in zip(run.t, run.states[:, 0], strict=True)
        ]
    data = tmp_path / "pushed.csv"
    data.write_text("\n".join(rows) + "\n")
    result = physym.fit(
        spec,
        tmp_path / "run",
        data=str(data),
        trajectory_column="trajectory",
        epochs=8,
        rollout_states=0,
        energy_states=0,
        progress=False,
    )
    summary = result.summary
    assert summary["inputs"] == ["u"] and summary["recovered_dissipation"] is not None
    rng = np.random.default_rng(6)
    states = rng.uniform(*system.box, size=(300, 2))
    pushes = rng.uniform(-1, 1, (300, 1))
    truth = system.accelerations(states, inputs=pushes)[:, 0]
    got = _recovered_accelerations(summary, states, pushes)
    assert np.linalg.norm(got - truth) / np.linalg.norm(truth) < 1e-6
    assert summary["measured"]["recovered_accel_error_vs_data"] < 1e-4


def test_measured_positions_without_the_input_column_are_refused(tmp_path):
    spec = tmp_path / "pushed.toml"
    spec.write_text(PUSHED)
    data = tmp_path / "no_input.csv"
    data.write_text("t,x\n" + "\n".join(f"{0.05 * i},{np.cos(0.1 * i)}" for i in range(40)))
    with pytest.raises(physym.PhysymError, match="missing input column\\(s\\) 'u'"):
        physym.fit(spec, tmp_path / "run", data=str(data), progress=False)
