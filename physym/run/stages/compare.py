"""The compare stage: the recovered ``L`` beside the true one on fresh states, and rolled
out from the network's rollout states with the same integrator (``rollout.npz`` gains
``recovered``); then what the data source adds (the recovered ``L`` against measured
data)."""

from __future__ import annotations

from typing import Any

import numpy as np

from physym.distill.identifiability import uniform_acceleration
from physym.distill.outcome import apply_outcome
from physym.io import save_npz
from physym.progress import status_bar, time_bar
from physym.run.context import RunContext
from physym.runs import ROLLOUT, read_arrays

__all__ = ["FRESH_STATES", "compare_stage"]

#: States drawn afresh from the sampling box (not the training data) for the comparison.
FRESH_STATES = 2000
#: Offset of the comparison's seed from the run's, so its states are not the training ones.
_FRESH_SEED_OFFSET = 7919


def compare_stage(ctx: RunContext) -> None:
    """Verdicts on fresh states and a rollout of the recovered ``L``; then the source's."""
    import sympy as sp

    from physym.comparison import compare

    distillation = ctx.distillation
    if distillation is None:
        return
    if ctx.system is not None and not (ctx.system.is_conservative and not ctx.system.has_inputs):
        _compare_forced(ctx)
        ctx.source.compare(ctx)
        apply_outcome(ctx.summary, distillation)
        return
    if ctx.system is not None:
        with status_bar("compare", ctx.progress):
            comparison = compare(
                ctx.system,
                distillation.lagrangian,
                n_states=FRESH_STATES,
                seed=ctx.config.seed + _FRESH_SEED_OFFSET,
                tolerance=ctx.config.distill.compare_tolerance,
            )
        network_error = (ctx.summary.get("accel_rel_error") or {}).get("network")
        ctx.summary.update(comparison.to_summary(network_error))
        ctx.summary["comparison"]["fresh_states"] = FRESH_STATES
        ctx.summary["recovered_lagrangian"] = sp.sstr(distillation.lagrangian)
        try:
            _rollout_recovered(ctx, comparison)
        except Exception as exc:  # evaluation must never cost the result
            rollout = ctx.summary.get("rollout")
            if isinstance(rollout, dict):
                rollout["recovered"] = {"failed": f"{type(exc).__name__}: {exc}"}
    ctx.source.compare(ctx)
    _check_conservative(ctx)
    apply_outcome(ctx.summary, distillation)  # no closed form found: say so, keep the best
    if ctx.data is not None:  # uniformly accelerated data cannot single out one L: say so
        note = uniform_acceleration(ctx.data.dataset.accelerations, ctx.data.noise_floor)
        if note:
            ctx.summary["identifiability"] = note


def _check_conservative(ctx: RunContext) -> None:
    """Measured data a conservative ``L`` cannot explain: ``summary["warnings"]`` says so
    (:mod:`physym.run.honesty`)."""
    from physym.run.honesty import WARNING_PREFIX, conservative_check

    estimate = getattr(ctx.source, "estimate", None)
    if ctx.distillation is None or ctx.data is None or estimate is None:
        return
    check, warnings = conservative_check(
        ctx.distillation, ctx.data.space, estimate, ctx.data.noise_floor
    )
    ctx.summary["conservative_check"] = check
    kept = [w for w in ctx.summary.get("warnings") or [] if not w.startswith(WARNING_PREFIX)]
    ctx.summary["warnings"] = kept + warnings


def _rollout_recovered(ctx: RunContext, comparison: Any) -> None:
    """Roll the recovered ``L`` out from the rollout's initial states (the same batched RK4
    and step as the network's; ``rollout.npz``'s exact trajectories as the reference)."""
    from physym.comparison import recovered_system
    from physym.rollout import system_accelerations
    from physym.rollout.evaluation import (
        RolloutPlan,
        RolloutRun,
        comparison_of,
        integrate_plan,
        rollout_energies,
    )

    arrays = ctx.rollout if ctx.rollout is not None else read_arrays(ctx.run_dir / ROLLOUT)
    rollout = ctx.summary.get("rollout")
    if not arrays or "true" not in arrays or not isinstance(rollout, dict):
        return
    if not comparison.equivalent:
        rollout["recovered"] = {
            "skipped": "the recovered Lagrangian is not equivalent to the true one"
        }
        return
    assert ctx.system is not None
    t, true = arrays["t"], arrays["true"]
    dt = ctx.config.evaluate.rollout.dt
    plan = RolloutPlan(true[0], t, true[0][:0], 0.0, dt, seed=ctx.config.seed)
    system = recovered_system(ctx.system, comparison.recovered_lagrangian)
    with time_bar("rollout (recovered L)", float(t[-1]), ctx.progress) as bar:
        mine = integrate_plan(system_accelerations(system), plan, on_time=bar.update)
    perturbed = arrays.get("perturbed", true)
    exact = RolloutRun(trajectories=np.concatenate([true, perturbed], axis=1), finals=true[0][:0])
    own = comparison_of(ctx.system, plan, exact, mine.trajectories).to_dict()
    valid = own["valid_time"]
    failures = (
        []
        if own["n_diverged"] == 0
        else [f"{own['n_diverged']} of {len(true[0])} trajectories left the finite range"]
    )
    rollout["recovered"] = {
        "state_error_rms": own["state_error_rms"],
        "state_error_final": own["state_error_final"],
        "state_error_final_median": own["state_error_final_median"],
        "valid_time_mean": valid["network_mean"],
        "valid_time_median": valid["network_median"],
        "valid_time_censored_fraction": valid["network_censored_fraction"],
        "energy_drift": own["energy_drift"]["network"],
        "n_diverged": own["n_diverged"],
        "integrator": own["integrator"],
        "failures": failures,
    }
    ctx.rollout = {
        **arrays,
        "recovered": mine.trajectories,
        "energy_recovered": rollout_energies(ctx.system, mine.trajectories),
    }
    save_npz(ctx.run_dir / ROLLOUT, ctx.rollout)


def _compare_forced(ctx: RunContext) -> None:
    """``equivalent`` and ``exact`` for ``L`` and ``R`` under the true forces."""
    import sympy as sp

    from physym.comparison.forced import compare_forced

    distillation, system = ctx.distillation, ctx.system
    assert distillation is not None and system is not None
    with status_bar("compare", ctx.progress):
        result = compare_forced(
            system,
            distillation.lagrangian,
            distillation.dissipation,
            n_states=FRESH_STATES,
            seed=ctx.config.seed + _FRESH_SEED_OFFSET,
            tolerance=ctx.config.distill.compare_tolerance,
        )
    errors = dict(ctx.summary.get("accel_rel_error") or {})
    errors["recovered"] = result.pop("accel_rel_error_recovered")
    ctx.summary.update(result)
    ctx.summary["accel_rel_error"] = errors
    ctx.summary["recovered_lagrangian"] = sp.sstr(distillation.lagrangian)
    ctx.summary["recovered_dissipation"] = (
        None if distillation.dissipation is None else sp.sstr(distillation.dissipation)
    )
