"""The LNN paper's energy figure (0.0043) is shown only where a run measured what the
paper measured: its double pendulum (recognised by its Lagrangian, not its name), in its
box of initial states, at t = 100 (issue 10, item 4)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import physym
from physym.rollout.paper_reference import paper_reference
from physym.runs.result import FitResult
from physym.training.config import FitConfig

TWO_PI = 2 * math.pi


def _box(angles: tuple[str, str], low: float = 0.0, high: float = TWO_PI) -> dict:
    box = {q: [low, high] for q in angles}
    box.update({f"{q}_dot": [0.0, 0.1] for q in angles})
    return box


def _double_pendulum(
    names: tuple[str, str] = ("a", "b"), m2: float = 1.0, g: float = 9.8, scale: float = 1.0
) -> physym.System:
    """The two-rod double pendulum written afresh: other names, a scale and a constant."""
    a, b = names
    text = (
        f"s*((m1 + m2)/2*{a}_dot**2 + m2/2*{b}_dot**2 + m2*{a}_dot*{b}_dot*cos({a} - {b})"
        f" + (m1 + m2)*g*cos({a}) + m2*g*cos({b}) + 7)"
    )
    parameters = {"m1": 1.0, "m2": m2, "g": g, "s": scale}
    box = {a: (-3.0, 3.0), b: (-3.0, 3.0), f"{a}_dot": (-1.0, 1.0), f"{b}_dot": (-1.0, 1.0)}
    return physym.System("anon", [a, b], text, parameters, box, periodic=[a, b])


def test_builtin_double_pendulum_in_the_paper_box_at_t100() -> None:
    system = physym.load_system("double_pendulum")
    box = _box(("theta1", "theta2"), high=6.2832)
    reference = paper_reference(system, {"t_end": 100.0, "ic_box": box})
    assert reference is not None and reference["lnn"] == 0.0043
    assert paper_reference(system, {"t_end": 10.0, "ic_box": box}) is None
    sampling = {k: list(v) for k, v in system.sampling.items()}
    assert paper_reference(system, {"t_end": 100.0, "ic_box": sampling}) is None
    wider = _box(("theta1", "theta2"))
    wider["theta1_dot"] = [0.0, 1.0]
    assert paper_reference(system, {"t_end": 100.0, "ic_box": wider}) is None


@pytest.mark.parametrize(
    ("kwargs", "applies"),
    [
        ({}, True),
        ({"scale": 0.25, "g": 9.81}, True),  # L up to a scale and a constant; physym's g
        ({"m2": 2.0}, False),  # another double pendulum
        ({"g": 3.7}, False),  # another planet
    ],
)
def test_recognised_by_its_lagrangian_not_its_name(kwargs: dict, applies: bool) -> None:
    system = _double_pendulum(**kwargs)
    reference = paper_reference(system, {"t_end": 100.0, "ic_box": _box(("a", "b"))})
    assert (reference is not None) is applies


@pytest.mark.parametrize("name", ["coupled_oscillators", "spring_pendulum", "pendulum"])
def test_other_systems_never_get_the_paper_figure(name: str) -> None:
    system = physym.load_system(name)
    box = {q: [0.0, TWO_PI] for q in system.coordinates}
    box.update({v: [0.0, 0.1] for v in system.velocity_names})
    assert paper_reference(system, {"t_end": 100.0, "ic_box": box}) is None


def _printed(reference: dict | None) -> str:
    metric = {"value": 0.02, "t_end": 10.0, "paper_reference": reference}
    summary = {"system": "x", "rollout": {"energy_metric": metric}}
    config = FitConfig.from_dict({"system": "pendulum"})
    result = FitResult(path=Path("r"), config=config, system=None, summary=summary, metrics={})
    return repr(result)


def test_printed_only_where_it_applies() -> None:
    assert "LNN paper" not in _printed(None)
    shown = _printed({"lnn": 0.0043, "t_end": 100.0})
    assert "energy metric   0.02 at t = 10 (LNN paper: 0.0043 at t = 100)" in shown


def test_energy_metric_carries_the_reference_only_where_it_applies() -> None:
    from physym.rollout import energy_metric

    double = physym.load_system("double_pendulum")
    paper_box = _box(("theta1", "theta2"))
    metric = energy_metric(double, double.accelerations, ic_box=paper_box, n_states=2,
                           t_end=100.0, dt=0.05)  # fmt: skip
    assert metric.to_dict()["paper_reference"]["lnn"] == 0.0043
    pendulum = physym.load_system("pendulum")
    metric = energy_metric(pendulum, pendulum.accelerations, n_states=2, t_end=100.0, dt=0.05)
    assert metric.to_dict()["paper_reference"] is None
