"""train(): reproducibility, exact resume, guards against non-finite losses and gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from physym import load_system
from physym.data import make_dataset
from physym.network import build_model
from physym.training import (
    FitConfig,
    TrainingDivergedError,
    hessian_penalty,
    load_checkpoint,
    make_loss,
    train,
)

PENDULUM = load_system("pendulum")
DATA = make_dataset(PENDULUM, 400, seed=0)


def _config(**changes):
    settings = {"samples": 400, "epochs": 4, "batch_size": 64, "width": 16, "depth": 2}
    return FitConfig(system="pendulum", **{**settings, **changes})


def _model(config):
    return build_model(
        config.model,
        1,
        width=config.width,
        depth=config.depth,
        periodic=[True],
        dtype=getattr(torch, config.dtype),
        seed=config.seed,
    )


def _losses(result):
    return [(r["train_loss"], r["val_rel_error"]) for r in result.history]


def test_training_reduces_the_error_and_is_reproducible():
    config = _config()
    first = train(_model(config), DATA, config, progress=False)
    second = train(_model(config), DATA, config, progress=False)
    assert _losses(first) == _losses(second)
    assert first.history[-1]["val_rel_error"] < first.history[0]["val_rel_error"]
    record = first.history[-1]
    assert {"lr", "grad_norm", "clipped_fraction", "hessian", "time_s"} <= set(record)
    assert record["hessian"]["n_indefinite"] == 0  # structured: M is positive definite


def test_resume_continues_exactly(tmp_path):
    config = _config(multistep_steps=1, multistep_dt=0.02, hessian_penalty=0.1)
    reference = train(_model(config), DATA, config, system=PENDULUM, progress=False)

    checkpoint = tmp_path / "checkpoint.pt"

    def stop_after_two(metrics):
        if len(metrics["epochs"]) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(
            _model(config),
            DATA,
            config,
            system=PENDULUM,
            checkpoint=checkpoint,
            progress=False,
            on_epoch=stop_after_two,
        )
    assert load_checkpoint(checkpoint)["epoch"] == 2
    resumed = train(
        _model(config.replace(seed=99)),
        DATA,
        config,
        system=PENDULUM,
        checkpoint=checkpoint,
        resume=True,
        progress=False,
    )
    assert _losses(resumed) == _losses(reference)
    for a, b in zip(resumed.model.parameters(), reference.model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert not list(tmp_path.glob(".*.tmp"))


def test_nonfinite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    config = _config(max_bad_batches=3)
    model = _model(config)
    checkpoint = tmp_path / "checkpoint.pt"

    def poison(metrics):  # from epoch 2 on, every prediction is nan
        if len(metrics["epochs"]) == 1:
            model.accelerations = lambda x, create_graph=None: x[:, :1] * math.nan

    with pytest.raises(TrainingDivergedError) as info:
        train(model, DATA, config, checkpoint=checkpoint, progress=False, on_epoch=poison)
    message = str(info.value)
    assert "epoch 2" in message and "nan" in message and "\n" not in message
    assert str(checkpoint) in message
    saved = load_checkpoint(checkpoint)
    assert saved["epoch"] == 1 and math.isfinite(saved["history"][0]["val_rel_error"])


def test_huge_learning_rate_diverges_with_a_message():
    config = _config(lr=1e8, dtype="float32", clip_norm=0.0, warmup_epochs=0)
    with pytest.raises(TrainingDivergedError, match="diverged in epoch 1"):
        train(_model(config), DATA, config, progress=False)


def test_nonfinite_gradients_are_skipped_and_counted():
    config = _config(epochs=1)
    model = _model(config)
    calls = {"n": 0}

    def corrupt(grad):
        calls["n"] += 1
        return grad * math.inf if calls["n"] <= 2 else grad

    next(model.parameters()).register_hook(corrupt)
    result = train(model, DATA, config, progress=False)
    assert result.skipped_updates == 2
    assert all(torch.isfinite(p).all() for p in result.model.parameters())


def test_losses_and_hessian_penalty():
    pred, target = torch.tensor([[3.0, 0.0]]), torch.zeros(1, 2)
    assert float(make_loss("mse", 4.0)(pred, target)) == 9.0
    assert float(make_loss("normalised", 4.0)(pred, target)) == 2.25
    # Huber: quadratic below δ, linear (slope 2δ) above; r = 1.5
    assert float(make_loss("huber", 4.0, delta=1.0)(pred, target)) == pytest.approx(2.0)
    assert float(make_loss("huber", 4.0, delta=2.0)(pred, target)) == pytest.approx(2.25)
    definite = torch.diag(torch.tensor([2.0, 1.0]))[None]
    assert float(hessian_penalty(definite, 0.1)) == 0.0
    assert float(hessian_penalty(-definite, 0.1)) == 0.0  # −L is as good as L
    indefinite = torch.diag(torch.tensor([2.0, -1.0]))[None]
    assert float(hessian_penalty(indefinite, 0.0)) == pytest.approx(0.25)


@pytest.mark.parametrize("schedule", ["cosine", "plateau", "constant"])
def test_schedules_run(schedule):
    config = _config(epochs=2, schedule=schedule)
    result = train(_model(config), DATA, config, progress=False)
    lrs = [r["lr"] for r in result.history]
    if schedule == "cosine":
        assert lrs[-1] == pytest.approx(config.lr * config.min_lr_factor)
    assert np.isfinite(lrs).all()


def test_min_steps_stretches_epochs_patience_and_warmup() -> None:
    from physym.training import FitConfig
    from physym.training.trainer import stretch_to_min_steps

    cfg = FitConfig(system="pendulum", epochs=10, patience=3, warmup_epochs=1, min_steps=95)
    stretched = stretch_to_min_steps(cfg, steps_per_epoch=7)
    assert stretched.epochs == 14 and stretched.epochs * 7 >= 95
    assert stretched.patience == 5 and stretched.warmup_epochs == 2
    assert stretch_to_min_steps(cfg, steps_per_epoch=20) == cfg  # already enough steps
