"""The stages of ``fit`` after training: distil, compare, report (DESIGN.md §4–5).

``distill_stage`` reads a closed form off the trained network and polishes its constants
on the training samples (``distillation.json``); ``compare_stage`` sets it beside the true
Lagrangian on fresh states and rolls it out from the same initial states as the network
(``rollout.npz`` gains ``recovered``); :func:`write_report` writes ``report.md`` once
``summary.json`` is there.
:func:`redistill` runs the three again on a finished run (``physym distill DIR``).
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import numpy as np

from physym.io import read_json, save_npz, write_json
from physym.runs import ROLLOUT, SUMMARY, json_safe, load_run, versions

__all__ = ["DISTILLATION", "FRESH_STATES", "compare_stage", "distill_stage",
           "read_distillation", "redistill", "write_report"]

DISTILLATION = "distillation.json"
#: States drawn afresh from the sampling box (not the training data) for the comparison.
FRESH_STATES = 2000
#: Slack of the distillation's prune and rationalisation with accelerations estimated from
#: measured positions: their error is partly systematic (smoothing bias), which spurious
#: terms could absorb beyond the default 5 %.
MEASURED_SLACK = 0.5
#: Offset of the comparison's seed from the run's, so its states are not the training ones.
_FRESH_SEED_OFFSET = 7919


def distill_stage(ctx: Any) -> None:
    """Distil ``ctx.model`` with ``ctx.config.backend``: ``ctx.distillation``."""
    import torch

    from physym.distill import distill

    cfg = ctx.config
    if not cfg.distill:
        return
    model = copy.deepcopy(ctx.model).to(torch.float64).eval()
    index = ctx.dataset.train_index
    data = (ctx.dataset.states[index], ctx.dataset.accelerations[index])
    space = ctx.system if ctx.system is not None else ctx.space  # measured data alone
    slack = cfg.distill_slack if cfg.distill_slack is not None else \
        MEASURED_SLACK if cfg.data is not None else 0.05
    result = distill(model, space, data=data, backend=cfg.backend, slack=slack,
                     n_states=cfg.distill_states, seed=cfg.seed, noise_floor=_noise_floor(ctx))
    write_json(ctx.run_dir / DISTILLATION, json_safe(result.to_dict()))
    ctx.distillation = result
    ctx.summary["backend"] = result.backend
    ctx.summary["closed_form"] = result.closed_form
    ctx.summary["distillation"] = {
        "acceptance": result.acceptance,
        "targets": result.targets, "scale_convention": result.scale.get("convention"),
        "alpha": result.scale.get("alpha"), "polish": result.polish,
        "quadratic_check": result.quadratic_check, "curl_check": result.curl_check,
        "timings": result.timings,
        "search": {"level": result.search.get("level"), "levels": result.search.get("levels")},
    }


def compare_stage(ctx: Any) -> None:
    """Verdicts on fresh states and a rollout of the recovered ``L`` beside the network's."""
    from physym.comparison import compare

    distillation = getattr(ctx, "distillation", None)
    if distillation is None:
        return
    cfg = ctx.config
    comparison = compare(ctx.system, distillation.lagrangian, n_states=FRESH_STATES,
                         seed=cfg.seed + _FRESH_SEED_OFFSET, tolerance=cfg.compare_tolerance)
    network_error = (ctx.summary.get("accel_rel_error") or {}).get("network")
    ctx.summary.update(comparison.to_summary(network_error))
    ctx.summary["comparison"]["fresh_states"] = FRESH_STATES
    ctx.summary["recovered_lagrangian"] = _sympify_ready(distillation.lagrangian)
    from physym.distill.outcome import apply_outcome

    apply_outcome(ctx.summary, distillation)  # no closed form found: say so, keep the best
    _rollout_recovered(ctx, comparison)


def write_report(run_dir: Path) -> str | None:
    """Build ``report.md`` of a run; the first line of the error if it fails."""
    from physym.report import build_report

    try:
        build_report(run_dir)
    except Exception as exc:  # a report must never cost the run
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return None


def redistill(run_dir: str | Path, *, backend: str | None = None,
              progress: bool | None = None) -> Any:
    """Distil, compare and report a finished run again (``physym distill DIR``).

    Parameters
    ----------
    run_dir : path
        A directory written by ``physym fit``.
    backend : str, optional
        ``"sparse"``, ``"operon"`` or ``"pysr"``; default: the run's own.
    progress : bool, optional
        Unused; accepted for symmetry with :func:`physym.fit`.

    Returns
    -------
    FitResult
        The run with its updated ``summary.json``.
    """
    from physym.pipeline import RunContext

    run = load_run(run_dir)
    config = run.config if backend is None else run.config.replace(backend=backend)
    config = config.replace(distill=True)
    ctx = RunContext(config=config, system=run.system, run_dir=run.path, progress=progress)
    ctx.model, ctx.dataset = run.model, run.data
    ctx.summary = dict(run.summary)
    compare = compare_stage
    if config.data is not None:  # a fit from measured positions
        from physym.pipeline_measured import measured_compare_stage, restore_measured

        restore_measured(ctx)
        compare = measured_compare_stage
    for name, stage in (("distill", distill_stage), ("compare", compare)):
        begin = time.perf_counter()
        stage(ctx)
        ctx.summary.setdefault("timings", {})[name] = time.perf_counter() - begin
    ctx.summary["versions"] = versions()
    write_json(run.path / SUMMARY, json_safe(ctx.summary))
    write_json(run.path / "config.json", config.to_dict())
    note = write_report(run.path)
    if note:
        ctx.summary["report_error"] = note
        write_json(run.path / SUMMARY, json_safe(ctx.summary))
    return load_run(run.path)


# ------------------------------------------------------------------ helpers


#: Margin of the acceptance threshold over the data's expected relative noise.
_FLOOR_MARGIN = 1.5


def _noise_floor(ctx: Any) -> float:
    """Relative acceleration noise of the training targets: 0 for exact samples, the
    synthetic level for noisy ones, the smoothing estimate for measured positions."""
    measured = getattr(ctx, "measured", None)
    if measured is not None:
        expected = measured.target_noise()
        return _FLOOR_MARGIN * expected if expected else 0.0
    return _FLOOR_MARGIN * float(getattr(ctx.dataset, "noise", 0.0) or 0.0)


def _sympify_ready(expr: Any) -> str:
    """``sstr`` of the recovered ``L``: ``sympy.sympify`` reads it back with the coordinate
    and ``<q>_dot`` names (no parameters are left in it; rationals stay exact)."""
    import sympy as sp

    return sp.sstr(expr)


def _rollout_recovered(ctx: Any, comparison: Any) -> None:
    """Roll the recovered ``L`` out from the network's rollout states (``rollout.npz``)."""
    from physym.comparison import recovered_system
    from physym.rollout import compare_rollouts, system_accelerations

    arrays = ctx.rollout_arrays
    if arrays is None and (ctx.run_dir / ROLLOUT).is_file():
        with np.load(ctx.run_dir / ROLLOUT) as saved:
            arrays = {k: saved[k] for k in saved.files}
    rollout = ctx.summary.get("rollout")
    if not arrays or not isinstance(rollout, dict) or not comparison.equivalent:
        if isinstance(rollout, dict):
            rollout["recovered"] = None if comparison.equivalent else {
                "skipped": "the recovered Lagrangian is not equivalent to the true one"}
        return
    cfg = ctx.config
    system = recovered_system(ctx.system, comparison.recovered_lagrangian)
    t, true = arrays["t"], arrays["true"]
    result = compare_rollouts(ctx.system, system_accelerations(system), true[0], float(t[-1]),
                              cfg.rollout_dt, n_points=len(t), seed=cfg.seed)
    own = result.to_dict()  # "network" there is the recovered L here
    valid = own["valid_time"]
    rollout["recovered"] = {
        "state_error_rms": own["state_error_rms"],
        "state_error_final": own["state_error_final"],
        "state_error_final_median": own["state_error_final_median"],
        "valid_time_mean": valid["network_mean"],
        "valid_time_median": valid["network_median"],
        "valid_time_censored_fraction": valid["network_censored_fraction"],
        "energy_drift": own["energy_drift"]["network"],
        "n_diverged": own["n_diverged"],
    }
    arrays = {**arrays, "recovered": result.predicted,
              "energy_recovered": result.energy_predicted}
    ctx.rollout_arrays = arrays
    save_npz(ctx.run_dir / ROLLOUT, arrays)


def read_distillation(run_dir: str | Path) -> Any:
    """The :class:`~physym.distill.Distillation` a run saved, or ``None``."""
    from physym.distill import Distillation

    path = Path(run_dir) / DISTILLATION
    return Distillation.from_dict(read_json(path)) if path.is_file() else None
