"""``train``: Adam with a schedule, mini-batches, early stopping, guards and checkpoints.

Guards against the near-singular velocity Hessian (DESIGN.md §3) are options of
:class:`~physym.training.config.FitConfig`: a robust or normalised loss, gradient-norm
clipping, a penalty on small or negative eigenvalues of ``H_vv``, ``ε‖q̇‖²`` (a model
option) and the structured model, whose ``H_vv`` is positive definite by construction.
Whatever happens to a batch, the run stays well defined:

* a batch whose loss is not finite (or whose ``H_vv`` cannot be solved) is skipped and
  counted; ``max_bad_batches`` of them in a row, or a non-finite validation error, stop the
  run with :class:`TrainingDivergedError` and leave the last good checkpoint in place;
* an update whose gradient is not finite is skipped and counted (``skipped_updates``).

The run is seeded (initial weights by the caller, batch order here) and a checkpoint is
written atomically after every epoch, so ``resume=True`` continues exactly where the last
finished epoch left off and ends with the same numbers as an uninterrupted run.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from physym.config import RunConfig, TrainConfig
from physym.data import Dataset
from physym.errors import PhysymError
from physym.network.base import LagrangianModel
from physym.progress import progress_bar, visible_by_default
from physym.systems import System
from physym.training.checkpoint import load_checkpoint, save_checkpoint
from physym.training.conditions import model_rows
from physym.training.config import FitConfig
from physym.training.dtypes import torch_dtype
from physym.training.losses import hessian_penalty, make_loss
from physym.training.monitor import hessian_health, predict, relative_error
from physym.training.multistep import exact_segments, multistep_loss, rk4_unroll
from physym.training.schedule import make_schedule

__all__ = [
    "StopCheck",
    "TrainResult",
    "TrainingDivergedError",
    "stretch_to_min_steps",
    "train",
    "training_metrics",
]


StopCheck = Callable[[int, LagrangianModel], "str | None"]
"""``check(epoch, model) -> reason or None``: called after each epoch; a reason stops."""


class TrainingDivergedError(PhysymError, RuntimeError):
    """The loss or the validation error stopped being finite (the message is one line)."""


@dataclass(frozen=True, eq=False)
class TrainResult:
    """The outcome of :func:`train`.

    Attributes
    ----------
    model : LagrangianModel
        With the weights of the best validation epoch.
    history : tuple of dict
        One record per epoch: ``epoch``, ``lr``, ``train_loss``, ``val_rel_error``,
        ``grad_norm``, ``clipped_fraction``, ``skipped_updates``, ``nonfinite_losses``,
        ``hessian`` (see :func:`~physym.training.monitor.hessian_health`), ``time_s``.
    best_epoch : int
    best_val_rel_error : float
    stopped_early : bool
        Training ended before the budget (``stop_reason`` says why).
    skipped_updates, nonfinite_losses : int
        Totals over the run.
    wall_s : float
        Training time over all sessions of the run (resumes included).
    stop_reason : str
        ``"budget"`` (every epoch ran), ``"patience"`` (no validation improvement) or the
        reason a ``stop_check`` gave.
    cpu_s : float
        CPU seconds of training (``time.process_time``), resumes included.
    """

    model: LagrangianModel
    history: tuple[dict[str, Any], ...]
    best_epoch: int
    best_val_rel_error: float
    stopped_early: bool
    skipped_updates: int
    nonfinite_losses: int
    wall_s: float
    stop_reason: str = "budget"
    cpu_s: float = 0.0

    @property
    def epochs_run(self) -> int:
        return len(self.history)

    @property
    def metrics(self) -> dict[str, Any]:
        """Per-epoch records and run totals (the content of ``metrics.json``)."""
        return training_metrics(
            {
                "history": self.history,
                "best_epoch": self.best_epoch,
                "best_val_rel_error": self.best_val_rel_error,
                "stopped_early": self.stopped_early,
                "skipped_updates": self.skipped_updates,
                "nonfinite_losses": self.nonfinite_losses,
                "train_wall_s": self.wall_s,
                "train_cpu_s": self.cpu_s,
                "stop_reason": self.stop_reason,
            }
        )


class _Batches:
    """The training tensors and the seeded batch order."""

    def __init__(
        self,
        dataset: Dataset,
        config: TrainConfig,
        seed: int,
        dtype: torch.dtype,
        system: System | None,
        rows: np.ndarray,
    ):
        states, targets = dataset.train
        self.states = torch.as_tensor(rows[dataset.train_index]).to(dtype)
        self.targets = torch.as_tensor(targets).to(dtype)
        self.mean_square = float(np.mean(np.sum(targets**2, axis=1)))
        self.segments = None
        multistep = config.multistep
        if multistep.steps:
            if rows.shape[1] != states.shape[1]:
                raise ValueError(
                    "the multi-step loss needs a conservative system (no "
                    "friction, forces or time); set multistep_steps=0"
                )
            if system is None:
                raise ValueError("the multi-step loss needs the system (exact segments)")
            self.segments = torch.as_tensor(
                exact_segments(system, states, multistep.steps, multistep.dt)
            ).to(dtype)
        self.batch_size = min(config.batch_size, len(self.states))
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return math.ceil(len(self.states) / self.batch_size)

    def __iter__(self):
        order = torch.randperm(len(self.states), generator=self.generator)
        for start in range(0, len(order), self.batch_size):
            yield order[start : start + self.batch_size]


def stretch_to_min_steps(config: FitConfig, steps_per_epoch: int) -> FitConfig:
    """``config`` with its training budget raised to ``min_steps`` optimiser steps (see
    :meth:`physym.config.TrainConfig.with_min_steps`).

    Examples
    --------
    >>> cfg = FitConfig(system="pendulum", epochs=10, patience=5, min_steps=200)
    >>> stretch_to_min_steps(cfg, 4).epochs, stretch_to_min_steps(cfg, 4).patience
    (50, 25)
    """
    stretched = config.nested.train.with_min_steps(steps_per_epoch)
    if stretched is config.nested.train:
        return config
    return FitConfig.of(config.nested.replace(train=stretched))


def train_settings(
    config: TrainConfig | RunConfig | FitConfig, seed: int | None, dtype: torch.dtype | None
) -> tuple[TrainConfig, int, torch.dtype | None]:
    """The training part of any configuration, its seed and its dtype (``None``: the
    model's own)."""
    if isinstance(config, FitConfig):
        config = config.nested
    if isinstance(config, RunConfig):
        return (
            config.train,
            config.seed if seed is None else seed,
            torch_dtype(config.model.dtype) if dtype is None else dtype,
        )
    return config, 0 if seed is None else seed, dtype


def train(
    model: LagrangianModel,
    dataset: Dataset,
    config: TrainConfig | RunConfig | FitConfig,
    *,
    system: System | None = None,
    checkpoint: str | Path | None = None,
    resume: bool = False,
    progress: bool | None = None,
    periodic: tuple[bool, ...] | None = None,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
    stop_check: StopCheck | None = None,
    seed: int | None = None,
    dtype: torch.dtype | None = None,
) -> TrainResult:
    """Train ``model`` on ``dataset`` as ``config`` says.

    Parameters
    ----------
    model : LagrangianModel
        Freshly built (seeded) or, with ``resume``, of the same architecture as the
        checkpoint's.
    dataset : Dataset
        Uses the train split for updates and the validation split for early stopping.
    config : TrainConfig, RunConfig or FitConfig
        The training settings (of a whole run's configuration: its ``train`` part, seed
        and dtype). ``min_steps`` raises ``epochs`` for a small dataset.
    system : System, optional
        Needed by the multi-step loss (exact trajectory segments) and, for a model with
        known forces, to evaluate them at each sample (``H_vv q̈ = f_L − ∂R_θ/∂q̇ + Q``).
    checkpoint : path, optional
        Written atomically after every epoch (and before the first).
    resume : bool
        Continue from ``checkpoint`` instead of starting afresh.
    progress : bool, optional
        Show a progress bar; default: only when stderr is a terminal.
    periodic : tuple of bool, optional
        Periodic coordinates (for wrapping in the multi-step loss).
    on_epoch : callable, optional
        Called after each epoch's checkpoint with a summary of the run so far
        (:func:`training_metrics`), e.g. to write ``metrics.json``.
    stop_check : callable, optional
        ``stop_check(epoch, model)`` after each epoch (and its checkpoint): a returned
        reason ends training there (``TrainResult.stop_reason``); the decision is
        checkpointed, so a resumed run stays stopped.
    seed : int, optional
        Seed of the batch order (default: the configuration's, else 0).
    dtype : torch.dtype, optional
        Training dtype (default: the configuration's, else the model's own).

    Returns
    -------
    TrainResult

    Raises
    ------
    TrainingDivergedError
        When the loss stays non-finite (see the module docstring).
    """
    config, seed, dtype = train_settings(config, seed, dtype)
    if dtype is None:
        dtype = next(model.parameters()).dtype
    model.to(dtype)
    rows = model_rows(model, dataset, system)
    batches = _Batches(dataset, config, seed, dtype, system, rows)
    config = config.with_min_steps(len(batches))
    guards, multistep = config.guards, config.multistep
    loss_fn = make_loss(guards.loss, batches.mean_square, guards.huber_delta)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    schedule = make_schedule(
        config.schedule,
        optimizer,
        epochs=config.epochs,
        steps_per_epoch=len(batches),
        warmup_epochs=config.warmup_epochs,
        min_lr_factor=config.min_lr_factor,
    )
    val_targets = dataset.val[1]
    val_states = rows[dataset.val_index]
    monitor_states = val_states[: config.monitor_states]
    periodic = periodic or (False,) * model.n_dof
    state: dict[str, Any] = {
        "epoch": 0,
        "history": [],
        "best_epoch": 0,
        "best_val_rel_error": math.inf,
        "best_model": _copy_state(model),
        "bad_epochs": 0,
        "skipped_updates": 0,
        "nonfinite_losses": 0,
        "train_wall_s": 0.0,
        "train_cpu_s": 0.0,
        "stopped_early": False,
        "stop_reason": "budget",
    }
    if resume:
        state = {
            "train_cpu_s": 0.0,
            "stop_reason": "budget",
            **_restore(checkpoint, model, optimizer, schedule, batches.generator),
        }
    elif checkpoint is not None:
        _save(checkpoint, state, model, optimizer, schedule, batches.generator)

    def step_loss(index: torch.Tensor) -> torch.Tensor:
        xb, yb = batches.states[index], batches.targets[index]
        if guards.hessian_penalty:
            predicted, h_vv = model.accelerations_and_hessian(xb, create_graph=True)
            loss = loss_fn(predicted, yb) + guards.hessian_penalty * hessian_penalty(
                h_vv, guards.hessian_margin
            )
        else:
            loss = loss_fn(model.accelerations(xb, create_graph=True), yb)
        if batches.segments is not None:
            unrolled = rk4_unroll(
                lambda s: model.accelerations(s, create_graph=True),
                xb,
                multistep.steps,
                multistep.dt,
            )
            loss = loss + multistep.weight * multistep_loss(
                unrolled,
                batches.segments[index],
                multistep.dt,
                math.sqrt(batches.mean_square),
                periodic,
            )
        return loss

    show = visible_by_default() if progress is None else progress
    bar = progress_bar(
        total=config.epochs,
        initial=state["epoch"],
        desc="train",
        unit="epoch",
        disable=not show,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    try:
        while state["epoch"] < config.epochs and not state["stopped_early"]:
            record = _run_epoch(model, batches, optimizer, schedule, step_loss, config, state)
            predicted = predict(model, val_states)
            record["val_rel_error"] = relative_error(predicted, val_targets)
            record["hessian"] = hessian_health(model, monitor_states)
            record["time_s"] = time.perf_counter() - record.pop("_start")
            record["cpu_s"] = time.process_time() - record.pop("_cpu_start")
            if not math.isfinite(record["val_rel_error"]):
                raise TrainingDivergedError(
                    f"training diverged in epoch {state['epoch'] + 1}: the validation error is "
                    "not finite"
                )
            schedule.after_epoch(record["val_rel_error"])
            _update_state(state, record, model, config)
            reason = None
            if stop_check is not None:
                bar.set_postfix_str(f"epoch {state['epoch']}: checking", refresh=True)
                reason = stop_check(state["epoch"], model)
            if reason and state["epoch"] < config.epochs:
                state["stopped_early"], state["stop_reason"] = True, reason
            if checkpoint is not None:
                _save(checkpoint, state, model, optimizer, schedule, batches.generator)
            if on_epoch is not None:
                on_epoch(training_metrics(state))
            status = getattr(stop_check, "status", None)
            bar.set_postfix(
                loss=f"{record['train_loss']:.3g}",
                val=f"{record['val_rel_error']:.3g}",
                **({"L": status} if status else {}),
                refresh=False,
            )
            bar.update(1)
    except TrainingDivergedError as exc:
        raise TrainingDivergedError(f"{exc}{_kept(checkpoint, state)}") from None
    finally:
        bar.close()
    model.load_state_dict(state["best_model"])
    return TrainResult(
        model=model,
        history=tuple(state["history"]),
        best_epoch=state["best_epoch"],
        best_val_rel_error=state["best_val_rel_error"],
        stopped_early=state["stopped_early"],
        skipped_updates=state["skipped_updates"],
        nonfinite_losses=state["nonfinite_losses"],
        wall_s=state["train_wall_s"],
        stop_reason=state["stop_reason"],
        cpu_s=state["train_cpu_s"],
    )


def training_metrics(state: dict[str, Any]) -> dict[str, Any]:
    """Per-epoch records and run totals (the content of ``metrics.json``)."""
    keys = (
        "best_epoch",
        "best_val_rel_error",
        "stopped_early",
        "skipped_updates",
        "nonfinite_losses",
        "train_wall_s",
        "train_cpu_s",
        "stop_reason",
    )
    return {"epochs": list(state["history"]), **{k: state.get(k) for k in keys}}


def _run_epoch(
    model: LagrangianModel,
    batches: _Batches,
    optimizer: torch.optim.Optimizer,
    schedule: Any,
    step_loss: Callable[[torch.Tensor], torch.Tensor],
    config: TrainConfig,
    state: dict[str, Any],
) -> dict[str, Any]:
    """One pass over the training set; returns the epoch's partial record."""
    start, cpu_start = time.perf_counter(), time.process_time()
    clip = config.guards.clip_norm if config.guards.clip_norm > 0 else math.inf
    parameters = [p for p in model.parameters() if p.requires_grad]
    total, good, clipped, skipped, nonfinite, in_a_row = 0.0, 0, 0, 0, 0, 0
    norms = []
    for index in batches:
        try:
            loss = step_loss(index)
            value = float(loss.detach())
        except torch.linalg.LinAlgError:  # an exactly singular H_vv in the batch
            value = math.nan
        if not math.isfinite(value):
            nonfinite += 1
            in_a_row += 1
            if in_a_row >= config.guards.max_bad_batches:
                state["nonfinite_losses"] += nonfinite
                raise TrainingDivergedError(
                    f"training diverged in epoch {state['epoch'] + 1}: the loss was {value} "
                    f"in {in_a_row} batches in a row (lower lr, or use loss='huber' / "
                    f"clip_norm)"
                )
            continue
        in_a_row = 0
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = float(torch.nn.utils.clip_grad_norm_(parameters, clip))
        if not math.isfinite(norm):
            skipped += 1
            optimizer.zero_grad(set_to_none=True)
            continue
        clipped += norm > clip
        norms.append(norm)
        optimizer.step()
        schedule.after_batch()
        total += value
        good += 1
    state["skipped_updates"] += skipped
    state["nonfinite_losses"] += nonfinite
    return {
        "epoch": state["epoch"] + 1,
        "lr": optimizer.param_groups[0]["lr"],
        "train_loss": total / good if good else math.nan,
        "grad_norm": float(np.mean(norms)) if norms else math.nan,
        "clipped_fraction": clipped / max(1, good),
        "skipped_updates": skipped,
        "nonfinite_losses": nonfinite,
        "_start": start,
        "_cpu_start": cpu_start,
    }


def _update_state(
    state: dict[str, Any], record: dict[str, Any], model: LagrangianModel, config: TrainConfig
) -> None:
    state["epoch"] += 1
    state["train_wall_s"] += record["time_s"]
    state["train_cpu_s"] += record["cpu_s"]
    state["history"].append(record)
    if record["val_rel_error"] < state["best_val_rel_error"]:
        state["best_val_rel_error"] = record["val_rel_error"]
        state["best_epoch"] = state["epoch"]
        state["best_model"] = _copy_state(model)
        state["bad_epochs"] = 0
    else:
        state["bad_epochs"] += 1
    if config.patience and state["bad_epochs"] >= config.patience:
        state["stopped_early"], state["stop_reason"] = True, "patience"


def _copy_state(model: LagrangianModel) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _save(
    path: str | Path,
    state: dict[str, Any],
    model: LagrangianModel,
    optimizer: torch.optim.Optimizer,
    schedule: Any,
    generator: torch.Generator,
) -> None:
    save_checkpoint(
        path,
        {
            **state,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "schedule": schedule.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "batch_rng": generator.get_state(),
            "checkpoint_path": str(path),
        },
    )


def _restore(
    path: str | Path | None,
    model: LagrangianModel,
    optimizer: torch.optim.Optimizer,
    schedule: Any,
    generator: torch.Generator,
) -> dict[str, Any]:
    if path is None:
        raise ValueError("resume=True needs a checkpoint path")
    saved = load_checkpoint(path)
    model.load_state_dict(saved.pop("model"))
    optimizer.load_state_dict(saved.pop("optimizer"))
    schedule.load_state_dict(saved.pop("schedule"))
    torch.set_rng_state(saved.pop("torch_rng"))
    generator.set_state(saved.pop("batch_rng"))
    for key in ("version", "checkpoint_path"):
        saved.pop(key, None)
    return saved


def _kept(checkpoint: str | Path | None, state: dict[str, Any]) -> str:
    if checkpoint is None:
        return ""
    return f"; the last good checkpoint (epoch {state['epoch']}) is kept at {checkpoint}"
