"""The train stage: the seeded network trained with checkpoints, distilled at scheduled
epochs to stop once its closed form is found (:mod:`physym.run.stopping`), and a more
general fallback model trained too when the first stalls inaccurate
(:mod:`physym.training.fallback`). Writes ``model.pt`` and ``metrics.json``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from physym.io import write_json
from physym.run.context import RunContext
from physym.run.resolve import model_build_options
from physym.run.stages.distill import distil_network
from physym.run.stopping import ClosedFormStop
from physym.runs import CHECKPOINT, CHECKS, METRICS, MODEL, json_safe, save_model

if TYPE_CHECKING:
    from physym.training import TrainResult

__all__ = ["train_stage"]


def train_stage(ctx: RunContext) -> None:
    """Train ``config.model`` (and the fallback when the rule calls for it)."""
    from physym.training.fallback import (
        FALLBACK_CHECKPOINT,
        fallback_record,
        should_fall_back,
        val_errors,
    )

    model = ctx.config.model
    first, first_stop, options = _train_model(ctx, model.name, CHECKPOINT)
    name, result, stopper = model.name, first, first_stop
    second = None
    found = first.stop_reason not in ("budget", "patience")
    if not found and should_fall_back(ctx.config, val_errors(first)):
        second, second_stop, second_options = _train_model(
            ctx, model.fallback.name, FALLBACK_CHECKPOINT
        )
        fallback = fallback_record(ctx.config, first, second)
        if fallback["used"]:
            name, result, stopper, options = (
                model.fallback.name,
                second,
                second_stop,
                second_options,
            )
    else:
        fallback = fallback_record(ctx.config, first, None)
    write_json(
        ctx.run_dir / METRICS, {**json_safe(result.metrics), "fallback": json_safe(fallback)}
    )
    save_model(ctx.run_dir / MODEL, result.model, name, options)
    ctx.model, ctx.train_result, ctx.model_name, ctx.stopper = (result.model, result, name, stopper)
    last = result.history[-1] if result.history else {}
    ctx.summary["training"] = {
        "model": name,
        "epochs_run": result.epochs_run,
        "best_epoch": result.best_epoch,
        "best_val_rel_error": result.best_val_rel_error,
        "stopped_early": result.stopped_early,
        "skipped_updates": result.skipped_updates,
        "nonfinite_losses": result.nonfinite_losses,
        "final_lr": last.get("lr"),
        "wall_s": first.wall_s + (second.wall_s if second is not None else 0.0),
        "cpu_s": first.cpu_s + (second.cpu_s if second is not None else 0.0),
        "fallback": fallback,
        "stop": {
            "reason": result.stop_reason,
            "budget_epochs": ctx.config.train.epochs,
            "rule": "distil at epochs 1, 2, 3, … (growth "
            f"{ctx.config.train.stop.growth:g}); stop when two consecutive "
            "checks find the same closed form and the acceptance rule calls "
            "it found"
            if ctx.config.train.stop.when_found
            else "off",
            **(stopper.record() if stopper is not None else {"checks": []}),
        },
    }


def _train_model(
    ctx: RunContext, name: str, checkpoint_name: str
) -> tuple[TrainResult, ClosedFormStop | None, dict[str, Any]]:
    """Train one registry model on the run's data: its result, checks and build options."""
    from physym.network import build_model
    from physym.training import train
    from physym.training.dtypes import torch_dtype

    config = ctx.config
    options = model_build_options(config, ctx.system, name)
    model = build_model(
        name, ctx.dataset.n_dof, **{**options, "dtype": torch_dtype(config.model.dtype)}
    )
    checkpoint = ctx.run_dir / checkpoint_name
    resume = ctx.resume and checkpoint.is_file()
    stopper = _stopper(ctx, checkpoint_name, resume)
    metrics_path = ctx.run_dir / METRICS
    result = train(
        model,
        ctx.dataset,
        config,
        system=ctx.system,
        checkpoint=checkpoint,
        resume=resume,
        progress=ctx.progress,
        periodic=tuple(options["periodic"]),
        on_epoch=lambda metrics: write_json(metrics_path, json_safe(metrics)),
        stop_check=stopper,
    )
    return result, stopper, options


def _stopper(ctx: RunContext, checkpoint_name: str, resume: bool) -> ClosedFormStop | None:
    """The closed-form checks of one training (``None`` when off or not distilling)."""
    config = ctx.config
    if not (config.train.stop.when_found and config.distill.enabled) or ctx.data is None:
        return None
    data, source = ctx.data, ctx.source
    log = ctx.run_dir / (
        CHECKS if checkpoint_name == CHECKPOINT else CHECKS.replace(".json", "_fallback.json")
    )
    if not resume:
        log.unlink(missing_ok=True)
    refine = source.check_refinement(data) if config.distill.shooting else None

    def distil(model: Any) -> Any:
        result = distil_network(model, config, data, source, check=True)
        return result if refine is None else refine(result, model)

    return ClosedFormStop(
        distil,
        config.train.epochs,
        config.train.stop.growth,
        log=log,
    )
