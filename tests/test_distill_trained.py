"""End to end on a really trained network (slow: trains for about 10–30 s per system)."""

from __future__ import annotations

import numpy as np
import pytest

from physym import System, load_system
from physym.distill import distill

pipeline = pytest.importorskip("physym.run.fit")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["pendulum", "kepler_polar", "double_pendulum"])
def test_trained_network_polished_on_its_training_data_is_exact(name, tmp_path):
    stages = [s for s in pipeline.STAGES if s.name in ("data", "train", "evaluate")]
    run = pipeline.fit(
        name, tmp_path / "run", samples=4000, epochs=40, stages=stages, progress=False
    )
    with np.load(tmp_path / "run" / "data.npz") as data:
        train, test = data["train_index"], data["test_index"]
        states, accelerations = data["states"], data["accelerations"]
    system = load_system(name)
    result = distill(run.model, system, data=(states[train], accelerations[train]))
    assert result.selection["network_accel_error"] > 1e-3  # a real, imperfect network
    recovered = System("recovered", system.coordinates, result.lagrangian, {}, system.sampling)
    exact = system.accelerations(states[test])
    error = np.linalg.norm(recovered.accelerations(states[test]) - exact) / np.linalg.norm(exact)
    assert error <= 1e-8
