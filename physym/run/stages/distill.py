"""The distill stage: the trained network to a closed form (``distillation.json``).

:func:`distil_network` is the one call of :func:`physym.distill.distill` a fit makes, for
the checks during training and for the final result alike; when the last check was made
from the weights training kept, its distillation is the result and nothing is redone.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from physym.progress import status_bar
from physym.run.context import RunContext
from physym.run.distillation_record import record_distillation

if TYPE_CHECKING:
    from physym.config import RunConfig
    from physym.distill import Distillation
    from physym.network.base import LagrangianModel
    from physym.run.sources import DataSource, SourceData

__all__ = ["distil_network", "distill_stage", "record_distillation"]


#: CPU seconds after which a training check starts no further search level
CHECK_TIME_BUDGET = 15.0


def distil_network(
    model: LagrangianModel,
    config: RunConfig,
    data: SourceData,
    source: DataSource,
    *,
    check: bool = False,
) -> Distillation:
    """Distil ``model`` (float64, eval) with the run's settings, its training samples for
    the polish and the data source's noise floor for the acceptance.

    A training ``check`` searches the cheap levels only (no genetic programming, a
    :data:`CHECK_TIME_BUDGET`): it runs many times while the network is still poor, and the
    final distillation searches everything when no check found the closed form."""
    from physym.distill import distill

    settings = config.distill
    index = data.dataset.train_index
    samples = (data.dataset.states[index], data.dataset.accelerations[index])
    slack = settings.slack if settings.slack is not None else source.slack
    if hasattr(model, "known_forces"):  # friction, forces or time: L and R together
        from physym.distill.forced import distill_forced
        from physym.training.conditions import model_rows

        rows = model_rows(model, data.dataset, data.system)
        system = data.system
        return distill_forced(
            model,
            data.space,
            data=(rows[index], samples[1]),
            time_range=None if system is None else system.time_range,
            backend=settings.backend if settings.backend in ("sparse", "forms") else "sparse",
            n_states=settings.states,
            seed=config.seed,
            slack=slack,
            noise_floor=data.noise_floor,
        )
    return distill(
        model,
        data.space,
        data=samples,
        backend=settings.backend,
        slack=slack,
        n_states=settings.states,
        seed=config.seed,
        noise_floor=data.noise_floor,
        fallback_backend=None if check else "operon",
        time_budget=CHECK_TIME_BUDGET if check else 60.0,
    )


def distill_stage(ctx: RunContext) -> None:
    """Distil ``ctx.model`` (or take the last check's result): ``ctx.distillation``."""
    import torch

    if not ctx.config.distill.enabled or ctx.model is None or ctx.data is None:
        return
    reused = None
    best = ctx.train_result.best_epoch if ctx.train_result is not None else None
    if ctx.stopper is not None and best is not None:
        reused = ctx.stopper.reusable(best)
    if reused is not None:
        result = reused
        ctx.summary["distillation_reused"] = (
            f"the check at epoch {best} (the weights training kept)"
        )
    else:
        model = copy.deepcopy(ctx.model).to(torch.float64).eval()
        with status_bar("distill", ctx.progress):
            result = distil_network(model, ctx.config, ctx.data, ctx.source)
    record_distillation(ctx, result)
