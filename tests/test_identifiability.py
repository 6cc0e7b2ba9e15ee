"""Uniformly accelerated data: the run says that M and V are not separately identifiable."""

from __future__ import annotations

import numpy as np
import sympy as sp

import physym
from physym import System
from physym.distill.identifiability import uniform_acceleration

# a pulley-like system: constant, non-diagonal mass matrix and a linear potential
PULLEYS = System(
    "pulleys",
    ["x", "y"],
    sp.S("x_dot**2 + x_dot*y_dot/3 + y_dot**2/2 + 3*x - y/2"),
    {},
    {"x": (-1, 1), "y": (-1, 1), "x_dot": (-1, 1), "y_dot": (-1, 1)},
)


def _states(system: System, n: int = 300) -> np.ndarray:
    return np.random.default_rng(0).uniform(-1, 1, size=(n, 2 * system.n_dof))


def test_uniform_accelerations_of_exact_data_are_flagged():
    accelerations = PULLEYS.accelerations(_states(PULLEYS))
    # the same M⁻¹F at every state, solved independently here
    mass = np.array([[2.0, 1 / 3], [1 / 3, 1.0]])
    np.testing.assert_allclose(
        accelerations, np.tile(np.linalg.solve(mass, [3.0, -0.5]), (300, 1)), rtol=1e-12
    )
    note = uniform_acceleration(accelerations)
    assert note is not None and note["spread"] < 1e-12
    assert "not separately identifiable" in note["note"]


def test_state_dependent_accelerations_are_not_flagged():
    pendulum = physym.load_system("pendulum")
    assert uniform_acceleration(pendulum.accelerations(_states(pendulum))) is None
    # nearly uniform (a weak spring added): flagged only within the stated noise floor
    spring = System(
        "weak_spring",
        ["x"],
        sp.S("x_dot**2/2 - x - x**2/200"),
        {},
        {"x": (-1, 1), "x_dot": (-1, 1)},
    )
    accelerations = spring.accelerations(_states(spring))
    assert uniform_acceleration(accelerations) is None
    assert uniform_acceleration(accelerations, noise_floor=0.01) is not None


def test_a_fit_of_uniformly_accelerated_motion_says_so(tmp_path):
    result = physym.fit(PULLEYS, tmp_path / "run", samples=512, epochs=3, seed=0)
    note = result.summary["identifiability"]
    assert note["uniform_acceleration"] is True
    assert "Identifiability" in (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    # whatever L was chosen, its motion is the true one
    assert result.summary["accel_rel_error"]["recovered"] < 1e-9
