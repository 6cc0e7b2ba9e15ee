"""The evaluate and rollout stages: the network's held-out errors, then its rollouts.

Evaluation never ends a run: a trajectory that escapes is counted (``n_diverged``) and
named in ``summary["rollout"]["failures"]``, and an evaluation that raises is recorded as
``{"failed": "<error>"}``; the fit goes on to distil either way.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import numpy as np

from physym.io import save_npz
from physym.progress import time_bar
from physym.run.context import RunContext
from physym.runs import ROLLOUT

if TYPE_CHECKING:
    from physym.data import Dataset
    from physym.rollout.evaluation import RolloutPlan

__all__ = ["clean_split", "evaluate_stage", "rollout_stage"]


def clean_split(dataset: Dataset, split: str) -> tuple[np.ndarray, np.ndarray]:
    """States and *exact* accelerations of a split (the truth, when targets are noisy)."""
    index = getattr(dataset, f"{split}_index")
    clean = dataset.accelerations_clean
    targets = dataset.accelerations if clean is None else clean
    return dataset.states[index], targets[index]


def evaluate_stage(ctx: RunContext) -> None:
    """Relative acceleration error (float64) per split and velocity-Hessian health."""
    import torch

    from physym.training import hessian_health, predict, relative_error
    from physym.training.conditions import model_rows

    assert ctx.model is not None
    model = copy.deepcopy(ctx.model).to(torch.float64)
    rows = model_rows(model, ctx.dataset, ctx.system)  # states [+ t, known forces]
    errors: dict[str, Any] = {}
    for split in ("train", "val", "test"):
        index = getattr(ctx.dataset, f"{split}_index")
        targets = clean_split(ctx.dataset, split)[1]
        errors[split] = relative_error(predict(model, rows[index]), targets) if len(index) else None
    held_out = "test" if errors["test"] is not None else "val"
    ctx.summary["accel_rel_error"] = {"network": errors[held_out], "recovered": None}
    ctx.summary["accel_rel_error_splits"] = {**errors, "held_out": held_out}
    ctx.summary["hessian"] = hessian_health(model, rows[getattr(ctx.dataset, f"{held_out}_index")])
    settings = ctx.config.model
    ctx.summary["network"] = {
        "model": ctx.model_name or settings.name,
        "width": settings.width,
        "depth": settings.depth,
        "activation": settings.activation,
        "dtype": settings.dtype,
        "parameters": sum(p.numel() for p in ctx.model.parameters()),
    }


def rollout_stage(ctx: RunContext) -> None:
    """Rollouts of the network and the exact system from held-out states, the chaos floor
    and the energy metric, each a single batched integration (``rollout.npz``); then what
    the data source adds (rollouts against measured positions)."""
    report: dict[str, Any] | None = None
    if ctx.system is not None and not (ctx.system.is_conservative and not ctx.system.has_inputs):
        ctx.summary["rollout"] = {
            "skipped": "rollouts of systems with friction, known forces, inputs or time are "
            "not run yet; the fit is judged on held-out and fresh states"
        }
        return
    try:
        if ctx.system is not None and ctx.model is not None:
            report = _exact_rollouts(ctx)
    except Exception as exc:  # evaluation must never cost the distillation
        report = {"failed": _one_line(exc)}
    if report is not None or ctx.system is not None:
        ctx.summary["rollout"] = report
    try:
        ctx.source.evaluate(ctx)
    except Exception as exc:
        ctx.summary.setdefault("measured", {})["rollout"] = {"failed": _one_line(exc)}


def rollout_plan(ctx: RunContext) -> RolloutPlan | None:
    """Initial states and horizons: the first held-out test states, and energy states
    drawn from the box of the data (``energy_ic_box`` overrides parts of it)."""
    from physym.rollout.energy import check_ic_box, energy_initial_states
    from physym.rollout.evaluation import RolloutPlan

    system = ctx.system
    assert system is not None
    settings = ctx.config.evaluate
    rollout, energy = settings.rollout, settings.energy
    states = clean_split(ctx.dataset, "test")[0]
    if len(states) == 0:
        states = clean_split(ctx.dataset, "val")[0]
    x0 = states[: rollout.states] if rollout.t_end > 0 else states[:0]
    n_points = min(501, round(rollout.t_end / rollout.dt) + 1) if len(x0) else 2
    box = check_ic_box(system, energy.ic_box or {}, base=system.sampling)
    n_energy = energy.states if energy.t_end > 0 else 0
    energy_x0 = energy_initial_states(system, box, n_energy, ctx.config.seed)
    if len(x0) == 0 and len(energy_x0) == 0:
        return None
    t = np.linspace(0.0, rollout.t_end, max(2, n_points)) if len(x0) else np.zeros(1)
    return RolloutPlan(x0, t, energy_x0, energy.t_end, rollout.dt, seed=ctx.config.seed)


def _exact_rollouts(ctx: RunContext) -> dict[str, Any] | None:
    from physym.rollout import model_accelerations, potential_maximum, system_accelerations
    from physym.rollout.energy import check_ic_box
    from physym.rollout.evaluation import (
        comparison_of,
        energy_of,
        integrate_plan,
        integrator_floor,
    )

    system = ctx.system
    assert system is not None and ctx.model is not None
    plan = rollout_plan(ctx)
    if plan is None:
        return None
    ctx.plan = plan
    with _bar(ctx, "rollout (network)", plan.horizon) as bar:
        predicted = integrate_plan(model_accelerations(ctx.model), plan, on_time=bar.update)
    with _bar(ctx, "rollout (exact)", plan.horizon) as bar:
        exact = integrate_plan(
            system_accelerations(system), plan, perturbed=True, on_time=bar.update
        )
    report: dict[str, Any] = {}
    failures: list[str] = []
    n = len(plan.rollout_states)
    if n:
        comparison = comparison_of(system, plan, exact, predicted.trajectories)
        report.update(comparison.to_dict())
        report["integrator_floor"] = integrator_floor(comparison)
        ctx.rollout = {
            "t": comparison.t,
            "true": comparison.true,
            "perturbed": comparison.perturbed,
            "predicted": comparison.predicted,
            "energy_true": comparison.energy_true,
            "energy_predicted": comparison.energy_predicted,
        }
        save_npz(ctx.run_dir / ROLLOUT, ctx.rollout)
        failures += _diverged("network rollouts", comparison.predicted)
        failures += _diverged("exact rollouts", comparison.true)
    if len(plan.energy_states):
        box = check_ic_box(system, ctx.config.evaluate.energy.ic_box or {}, base=system.sampling)
        v_max = potential_maximum(system, {q: box[q] for q in system.coordinates}, ctx.config.seed)
        metric = energy_of(system, plan, predicted.finals, v_max, box).to_dict()
        metric["integrator_floor"] = energy_of(system, plan, exact.finals, v_max, box).value
        report["energy_metric"] = metric
        failures += _diverged("energy-metric rollouts", predicted.finals[None])
    if failures:
        report["failures"] = failures
    return report


def _diverged(what: str, states: np.ndarray) -> list[str]:
    bad = int((~np.isfinite(states).all(axis=(0, 2))).sum())
    return (
        [
            f"{bad} of {states.shape[1]} {what} left the finite range (diverged or reached "
            "a singular mass matrix)"
        ]
        if bad
        else []
    )


def _bar(ctx: RunContext, name: str, horizon: float) -> Any:
    return time_bar(name, horizon, ctx.progress)


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
