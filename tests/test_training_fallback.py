"""The fallback model of ``fit``: a second, general model when the first stays inaccurate.

The rule is on the measured validation error only (no knowledge of the system): a
structured model that misses ``fallback_threshold`` is followed by ``fallback_model``, and
the one with the lower validation error is kept, saved and distilled.
"""

from __future__ import annotations

import json

import pytest

import physym
from physym.network import MLPLagrangian, StructuredLagrangian
from physym.run.fit import STAGES
from physym.runs import load_run
from physym.training import FitConfig
from physym.training.config import ConfigError
from physym.training.fallback import keep_fallback, should_fall_back, stall_ratio

TINY = {
    "samples": 300,
    "epochs": 3,
    "width": 16,
    "depth": 2,
    "rollout_states": 0,
    "energy_states": 0,
    "progress": False,
    "distill": False,
}
UP_TO_EVALUATE = tuple(s for s in STAGES if s.name in ("data", "train", "evaluate"))


def test_rule_on_the_validation_error():
    cfg = FitConfig(system="pendulum", fallback_threshold=0.01)
    stalled = [0.3, 0.05, 0.02, 0.019, 0.0195, 0.019]  # the relativistic oscillator's shape
    improving = [0.3, 0.05, 0.02, 0.015, 0.011, 0.0105]  # a slow quadratic system's
    assert stall_ratio(stalled) == pytest.approx(0.95)
    assert should_fall_back(cfg, stalled)
    assert not should_fall_back(cfg, improving)
    assert not should_fall_back(cfg, [0.3, 0.009, 0.009, 0.009])  # below the threshold
    assert should_fall_back(cfg, [0.3, 0.2])  # too short to tell: high error decides
    assert should_fall_back(cfg, [float("nan")] * 5)
    assert not should_fall_back(cfg.replace(fallback_model="none"), stalled)
    assert not should_fall_back(cfg.replace(model="mlp"), stalled)  # nothing more general
    assert not should_fall_back(cfg.replace(noise=0.05), [0.04] * 6)  # noisy targets: a floor
    assert keep_fallback(0.02, 0.01) and not keep_fallback(0.01, 0.02)
    assert not keep_fallback(0.02, float("nan"))
    assert keep_fallback(float("nan"), 0.3)
    # a fallback whose training stopped on a found closed form is kept
    assert keep_fallback(0.01, 0.03, found=True) and not keep_fallback(0.01, 0.03)


def test_fallback_trains_the_mlp_and_keeps_the_better(tmp_path):
    # threshold 0 and three epochs (too short to judge a stall): the fallback runs; the
    # kept model is the one with the lower validation error
    run = physym.fit(
        "relativistic_oscillator",
        tmp_path / "run",
        stages=UP_TO_EVALUATE,
        fallback_threshold=0.0,
        **TINY,
    )
    record = run.summary["training"]["fallback"]
    assert record["triggered"] and record["fallback_model"] == "mlp"
    first, second = record["first_val_rel_error"], record["fallback_val_rel_error"]
    assert record["used"] == (second < first)
    kept = MLPLagrangian if record["used"] else StructuredLagrangian
    assert run.summary["training"]["model"] == ("mlp" if record["used"] else "structured")
    assert run.summary["training"]["best_val_rel_error"] == min(first, second)
    assert isinstance(load_run(run.path).model, kept)
    assert (run.path / "checkpoint_fallback.pt").is_file()
    metrics = json.loads((run.path / "metrics.json").read_text())
    assert metrics["fallback"]["triggered"]


def test_no_fallback_below_the_threshold(tmp_path):
    run = physym.fit(
        "harmonic_oscillator",
        tmp_path / "run",
        stages=UP_TO_EVALUATE,
        fallback_threshold=10.0,
        **TINY,
    )
    record = run.summary["training"]["fallback"]
    assert not record["triggered"] and not record["used"]
    assert run.summary["training"]["model"] == "structured"
    assert not (run.path / "checkpoint_fallback.pt").exists()


def test_unknown_fallback_model_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="fallback_model 'nope'"):
        physym.fit("pendulum", tmp_path / "run", fallback_model="nope", **TINY)
