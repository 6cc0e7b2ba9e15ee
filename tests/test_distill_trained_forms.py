"""The search over forms on really trained networks (slow: a short training per form).

Forms the first-harmonics library could not express (a second harmonic on a velocity
term, an exponential with an unknown rate, the cosine of an angle nobody declared
periodic), each in a system written for this test. The network trains on exact samples
for a few dozen epochs; the closed form must pass the acceptance rule and be exactly
the truth up to scale and a total derivative, by :func:`physym.compare` and by the
accelerations on the test split.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from physym import System, compare
from physym.distill import distill
from physym.run.fit import STAGES, fit


def _forms() -> dict[str, System]:
    theta, x, theta_dot, phi_dot, x_dot = sp.symbols("theta x theta_dot phi_dot x_dot", real=True)
    sphere = System(
        "sphere_point",
        ["theta", "phi"],
        (theta_dot**2 + sp.sin(theta) ** 2 * phi_dot**2) / 2 + 4 * sp.cos(theta),
        {},
        {"theta": (0.5, 2.6), "phi": (-3.1, 3.1), "theta_dot": (-2, 2), "phi_dot": (-2, 2)},
        periodic=["phi"],
    )
    well = System(
        "exp_well",
        ["x"],
        x_dot**2 / 2 - 2 * (1 - sp.exp(-sp.Rational(6, 5) * x)) ** 2,
        {},
        {"x": (-0.4, 1.5), "x_dot": (-1.5, 1.5)},
    )
    block = System(
        "block_pendulum",
        ["x", "theta"],
        (3 * x_dot**2 + 2 * x_dot * theta_dot * sp.cos(theta) + theta_dot**2) / 2
        + 5 * sp.cos(theta)
        - x**2,
        {},
        {"x": (-1, 1), "theta": (-2.4, 2.4), "x_dot": (-1, 1), "theta_dot": (-2, 2)},
    )
    return {s.name: s for s in (sphere, well, block)}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["sphere_point", "exp_well", "block_pendulum"])
def test_trained_network_of_a_new_form_is_recovered_exactly(name, tmp_path):
    system = _forms()[name]
    stages = [s for s in STAGES if s.name in ("data", "train", "evaluate")]
    run = fit(
        system,
        tmp_path / "run",
        samples=6000,
        epochs=40,
        stop_when_found=False,
        stages=stages,
        progress=False,
    )
    with np.load(tmp_path / "run" / "data.npz") as data:
        train, test = data["train_index"], data["test_index"]
        states, accelerations = data["states"], data["accelerations"]
    result = distill(run.model, system, data=(states[train], accelerations[train]))
    assert result.selection["network_accel_error"] > 1e-4  # a real, imperfect network
    assert result.found, result.search["candidates"]
    recovered = System("recovered", system.coordinates, result.lagrangian, {}, system.sampling)
    exact = system.accelerations(states[test])
    error = np.linalg.norm(recovered.accelerations(states[test]) - exact) / np.linalg.norm(exact)
    assert error <= 1e-8
    assert compare(system, result.lagrangian).exact
