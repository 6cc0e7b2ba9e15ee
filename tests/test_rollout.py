"""Rollouts: RK4, metrics on the exact system, the chaos floor and the LNN energy metric."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from physym import DegenerateLagrangianError, load_system
from physym.network import system_lagrangian
from physym.rollout import (
    compare_rollouts,
    default_ic_box,
    energy_metric,
    model_accelerations,
    potential_maximum,
    rk4_rollout,
    system_accelerations,
    valid_prediction_times,
    wrap_difference,
)

PENDULUM = load_system("pendulum")
DOUBLE = load_system("double_pendulum")


def test_rk4_is_fourth_order_on_a_spring():
    spring = lambda x: -x[:, :1]  # noqa: E731 - q(t) = cos t
    errors = []
    for dt in (0.1, 0.05):
        t, states = rk4_rollout(spring, np.array([[1.0, 0.0]]), 2.0, dt, n_points=3)
        assert t.tolist() == [0.0, 1.0, 2.0]
        errors.append(abs(states[-1, 0, 0] - math.cos(2.0)))
    assert 12 < errors[0] / errors[1] < 20  # 2⁴ = 16


def test_rk4_marks_diverging_rows_nan_and_keeps_the_others():
    def blow_up(x):
        return np.where(x[:, :1] > 0, x[:, :1] ** 3 * 1e6, -x[:, :1])

    _, states = rk4_rollout(blow_up, np.array([[1.0, 0.0], [-1.0, 0.0]]), 1.0, 0.1)
    assert np.isnan(states[-1, 0]).all() and np.isfinite(states[-1, 1]).all()


def test_exact_rollout_through_a_singular_state_diverges_alone():
    # A Kepler orbit that RK4 threw out (seen in a fit: r ~ 1e10) has M = diag(m, m r²)
    # numerically singular: the exact system raises for the whole batch; its rollout
    # wrapper marks that trajectory nan and integrates the others.
    kepler = load_system("kepler_polar")
    x0 = np.array([[1e11, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0]])  # thrown out / circular
    with pytest.raises(DegenerateLagrangianError):
        rk4_rollout(kepler.accelerations, x0, 3.0, 0.01)
    _, states = rk4_rollout(system_accelerations(kepler), x0, 3.0, 0.01)
    assert np.isnan(states[-1, 0]).all()
    np.testing.assert_allclose(states[-1, 1], [1.0, 3.0, 0.0, 1.0], atol=1e-8)


def test_model_accelerations_of_the_true_lagrangian_are_exact():
    states = np.random.default_rng(0).uniform(*DOUBLE.box, size=(64, 4))
    model = system_lagrangian(DOUBLE).to(torch.float32)  # float64 is used whatever the dtype
    np.testing.assert_allclose(
        model_accelerations(model)(states), DOUBLE.accelerations(states), rtol=1e-10, atol=1e-10
    )


def test_exact_model_has_zero_rollout_error():
    x0 = np.random.default_rng(1).uniform(*PENDULUM.box, size=(3, 2))
    comparison = compare_rollouts(PENDULUM, PENDULUM.accelerations, x0, 3.0, dt=0.01, n_points=31)
    report = comparison.to_dict()
    assert report["state_error_rms"] < 1e-6 and report["n_diverged"] == 0
    assert report["valid_time"]["network_censored_fraction"] == 1.0
    assert report["energy_drift"]["network"] < 1e-7
    assert report["energy_drift"]["exact"] < 1e-9
    assert report["horizon_s"] == 3.0


def test_chaos_floor_of_the_double_pendulum_is_finite():
    x0 = np.array([[2.5, 2.0, 0.0, 0.0]])  # high energy: chaotic
    comparison = compare_rollouts(DOUBLE, DOUBLE.accelerations, x0, 30.0, dt=0.005, n_points=601)
    valid = comparison.to_dict()["valid_time"]
    assert 0 < valid["chaos_floor_mean"] < 30.0
    assert valid["chaos_floor_censored_fraction"] == 0.0


def test_valid_prediction_time_and_wrapping():
    t = np.linspace(0, 4, 5)
    errors = np.array([[0, 0], [0.01, 0.2], [0.05, 0.3], [0.2, 0.4], [0.05, 0.5]])
    times, censored = valid_prediction_times(t, errors, threshold=0.1)
    assert times.tolist() == [3.0, 1.0] and not censored.any()
    diff = wrap_difference(np.array([[3.1, 0.0]]), np.array([[-3.1, 0.0]]), [True])
    assert diff[0, 0] == pytest.approx(6.2 - 2 * math.pi)


def test_energy_metric_definition():
    assert potential_maximum(DOUBLE) == pytest.approx(3 * 9.81, rel=1e-9)
    assert potential_maximum(PENDULUM) == pytest.approx(9.81, rel=1e-9)
    box = default_ic_box(DOUBLE)
    assert box["theta1"] == (0.0, 2 * math.pi) and box["theta2_dot"] == (0.0, 0.1)
    exact = energy_metric(DOUBLE, DOUBLE.accelerations, n_states=4, t_end=5.0, dt=0.005)
    assert exact.value < 1e-5 and exact.n_diverged == 0
    report = exact.to_dict()
    assert report["potential_max"] == pytest.approx(29.43) and report["t_end"] == 5.0

    def slow(x):  # 5 % too little acceleration: the true energy is not conserved
        return 0.95 * DOUBLE.accelerations(x)

    wrong = energy_metric(DOUBLE, slow, n_states=4, t_end=5.0, dt=0.005)
    assert wrong.value > 100 * exact.value
    with pytest.raises(ValueError, match="not a coordinate"):
        energy_metric(DOUBLE, slow, ic_box={"x": [0, 1]})


def test_one_batched_plan_equals_separate_rollouts():
    from physym.rollout.energy import energy_initial_states, energy_metric_of
    from physym.rollout.evaluation import RolloutPlan, integrate_plan

    x0 = np.random.default_rng(4).uniform(*DOUBLE.box, size=(3, 4))
    box = {k: tuple(v) for k, v in DOUBLE.sampling.items()}
    energy_x0 = energy_initial_states(DOUBLE, box, 4, seed=0)
    plan = RolloutPlan(x0, np.linspace(0, 1.0, 11), energy_x0, 2.5, 0.01)
    run = integrate_plan(DOUBLE.accelerations, plan, perturbed=True)
    _, alone = rk4_rollout(DOUBLE.accelerations, x0, 1.0, 0.01, n_points=11)
    np.testing.assert_allclose(run.trajectories[:, :3], alone, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        run.trajectories[:, 3:],
        integrate_plan(
            DOUBLE.accelerations, RolloutPlan(plan.perturbed_states, plan.t, x0[:0], 0.0, 0.01)
        ).trajectories,
        rtol=0,
        atol=1e-12,
    )
    _, final = rk4_rollout(DOUBLE.accelerations, energy_x0, 2.5, 0.01, n_points=2)
    np.testing.assert_allclose(run.finals, final[-1], rtol=0, atol=1e-12)
    metric = energy_metric_of(DOUBLE, energy_x0, run.finals, 29.43, box, t_end=2.5, dt=0.01)
    assert metric.value < 1e-4 and metric.n_diverged == 0  # RK4 at dt = 0.01, exact model


def test_diverging_rollouts_are_counted_not_raised():
    from physym.rollout.evaluation import RolloutPlan, comparison_of, integrate_plan

    def blow_up(x):  # the second state runs away in finite time
        return np.where(x[:, :1] > 0.5, 1e3 * x[:, :1] ** 3, -x[:, :1])

    x0 = np.array([[0.1, 0.0], [1.0, 0.0]])
    plan = RolloutPlan(x0, np.linspace(0, 2.0, 21), x0, 2.0, 0.01)
    exact = integrate_plan(PENDULUM.accelerations, plan, perturbed=True)
    model = integrate_plan(blow_up, plan)
    report = comparison_of(PENDULUM, plan, exact, model.trajectories).to_dict()
    assert report["n_diverged"] == 1 and report["state_error_rms"] is None
    assert np.isnan(model.finals[1]).all() and np.isfinite(model.finals[0]).all()
