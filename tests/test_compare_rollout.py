"""rollout_compare: trajectories of the recovered Lagrangian against the exact ones."""

from __future__ import annotations

import numpy as np
import pytest

import physym
from physym.comparison import rollout_compare


@pytest.fixture(scope="module")
def pendulum():
    return physym.load_system("pendulum")


STARTS = [[1.0, 0.0], [-2.0, 1.0]]


def test_equivalent_lagrangian_follows_the_exact_trajectory(pendulum):
    r = rollout_compare(
        pendulum,
        "theta_dot**2 + 19.62*cos(theta) + theta_dot*sin(theta)",
        STARTS,
        t_end=3.0,
        n_points=61,
    )
    assert r.true.shape == r.recovered.shape == (61, 2, 2)
    summary = r.to_dict()
    assert summary["state_error_final"] < 1e-8
    assert summary["energy_drift"]["recovered"] < 1e-9
    assert summary["energy_drift"]["recovered_own_energy"] < 1e-9
    assert summary["n_failed"] == 0 and r.failures == ()


def test_wrong_gravity_drifts_away(pendulum):
    r = rollout_compare(
        pendulum, "theta_dot**2/2 + 10.3*cos(theta)", STARTS, t_end=5.0, n_points=101
    )
    errors = r.errors
    assert errors[-1].mean() > 0.1 and errors[-1].mean() > 10 * errors[1].mean()
    # The wrong L conserves its own energy, not the true one.
    drift = r.to_dict()["energy_drift"]
    assert drift["recovered"] > 1e-3 > 1e-9 > drift["recovered_own_energy"]


def test_degenerate_recovered_lagrangian_is_reported_not_raised(pendulum):
    r = rollout_compare(pendulum, "theta*theta_dot + cos(theta)", STARTS, t_end=1.0, n_points=11)
    assert np.isnan(r.recovered).all()
    summary = r.to_dict()
    assert summary["n_failed"] == 2 and "degenerate" in summary["failures"][0]
    assert summary["state_error_rms"] is None


def test_plot_returns_the_axes(pendulum):
    from matplotlib.figure import Figure

    r = rollout_compare(
        pendulum, "theta_dot**2/2 + 9.81*cos(theta)", STARTS[:1], t_end=1.0, n_points=11
    )
    ax = Figure().add_subplot()
    assert r.plot(ax=ax) is ax
    assert len(ax.lines) == 2
