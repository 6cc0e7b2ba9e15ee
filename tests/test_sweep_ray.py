"""The Ray executor on a local two-CPU Ray instance (needs ``physym[ray]``)."""

from __future__ import annotations

import pytest

from physym.sweep import run_sweep

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install physym[ray])")

TINY = {
    "depth": 1,
    "epochs": 2,
    "rollout_states": 2,
    "rollout_t_end": 1.0,
    "energy_states": 0,
    "monitor_states": 16,
}


@pytest.mark.slow
def test_two_point_sweep_on_local_ray(tmp_path):
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        result = run_sweep(
            "harmonic_oscillator",
            {"samples": [64, 128], "width": [8]},
            TINY,
            tmp_path,
            executor="ray",
            plot=False,
        )
        assert ray.is_initialized()  # an instance the caller started stays up
    finally:
        ray.shutdown()
    assert [row["status"] for row in result.rows] == ["done", "done"], result.rows
    assert all((tmp_path / row["run_dir"] / "summary.json").is_file() for row in result.rows)
    assert (tmp_path / "sweep.csv").read_text().count("\n") == 3
