"""Training stops when the closed form is found: the check schedule and the rule, on real
distillations of exact models (a network that *is* the true Lagrangian)."""

from __future__ import annotations

import json

import sympy as sp

from physym import System, load_system
from physym.distill import ExpressionModel, distill
from physym.run.stopping import ClosedFormStop, check_epochs, same_lagrangian

PENDULUM = load_system("pendulum")
#: the same coordinates and box, another gravity: another closed form
WEAKER = System(
    "weaker",
    PENDULUM.coordinates,
    PENDULUM.lagrangian,
    {**PENDULUM.parameters, "g": 5.0},
    PENDULUM.sampling,
    periodic=PENDULUM.periodic,
)


def _distil(model):
    return distill(model, PENDULUM, n_states=200, seed=0)


def test_schedule_is_geometric_and_starts_at_once():
    assert check_epochs(60, 1.25) == [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 19, 24, 30, 38, 48, 60]
    assert check_epochs(5, 2.0) == [1, 2, 4]
    assert check_epochs(3, 1.0) == [1, 2, 3]


def test_stops_at_the_second_check_that_finds_the_same_form(tmp_path):
    model = ExpressionModel.from_system(PENDULUM)
    stop = ClosedFormStop(_distil, budget=60, growth=1.25, log=tmp_path / "checks.json")
    assert stop(1, model) is None  # found once: not yet
    reason = stop(2, model)
    assert reason is not None and "epochs 1 and 2" in reason
    first, second = stop.checks
    assert first.closed_form == second.closed_form == "found" and second.same_as_previous
    assert stop.reusable(2) is not None and stop.reusable(1) is None
    saved = json.loads((tmp_path / "checks.json").read_text())
    assert [c["epoch"] for c in saved["checks"]] == [1, 2]
    assert stop.record()["check_cpu_s"] > 0


def test_a_different_form_at_the_next_check_does_not_stop():
    pendulum, weaker = ExpressionModel.from_system(PENDULUM), ExpressionModel.from_system(WEAKER)
    stop = ClosedFormStop(_distil, budget=60, growth=1.25)
    assert stop(1, pendulum) is None
    assert stop(2, weaker) is None  # found, but not what the last check found
    assert stop(7, weaker) is None  # not a check epoch: nothing runs
    assert [c.epoch for c in stop.checks] == [1, 2]
    assert stop(3, weaker) is not None  # the same again: stop
    assert stop(60, weaker) is None  # the last epoch ends training anyway: no check


def test_a_resumed_run_remembers_its_checks(tmp_path):
    model = ExpressionModel.from_system(PENDULUM)
    log = tmp_path / "checks.json"
    ClosedFormStop(_distil, budget=60, growth=1.25, log=log)(1, model)
    resumed = ClosedFormStop(_distil, budget=60, growth=1.25, log=log)
    assert [c.epoch for c in resumed.checks] == [1]
    assert resumed(2, model) is not None


def test_symbolic_equality_of_closed_forms():
    x, v = sp.symbols("x x_dot", real=True)
    assert same_lagrangian(v**2 / 2 - sp.cos(x) * 3, sp.Rational(1, 2) * v**2 - 3 * sp.cos(x))
    assert same_lagrangian(sp.sin(x) ** 2 + v**2, 1 - sp.cos(x) ** 2 + v**2)
    assert not same_lagrangian(v**2 / 2 - sp.cos(x), v**2 / 2 + sp.cos(x))


def _burn(seconds: float) -> None:
    """Spend ``seconds`` of this process's CPU time."""
    import time

    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_checks_never_cost_more_cpu_than_the_training_between_them():
    def costly(model):  # a distillation that finds nothing, at 0.2 CPU-s a time
        _burn(0.2)
        return distill(
            model, PENDULUM, n_states=50, seed=0, polish=False, forms=False, fallback_backend=None
        )

    # a model that is not the pendulum's L: the pendulum's search finds no closed form
    model = ExpressionModel.from_system(
        System("quartic", ["theta"], sp.S("theta_dot**4 - theta**6"), {}, PENDULUM.sampling)
    )
    stop = ClosedFormStop(costly, budget=60, growth=1.25)
    assert stop(1, model) is None
    assert stop.checks[0].closed_form != "found"
    spent = stop.checks[0].cpu_s
    assert stop(2, model) is None and stop(3, model) is None  # no training since: skipped
    assert [c.epoch for c in stop.checks] == [1] and stop.skipped == [2, 3]
    _burn(spent + 0.1)  # training catches up: the next scheduled check runs
    assert stop(4, model) is None
    assert [c.epoch for c in stop.checks] == [1, 4]
    assert stop.record()["skipped_epochs"] == [2, 3]
