"""When to train a second, more general model: a rule on the measured validation error.

The default ``structured`` model, ``L = ½ q̇ᵀ M(q) q̇ + A(q)·q̇ − V(q)``, is quadratic in
``q̇`` by construction. On a system whose Lagrangian is not (a relativistic particle,
``−mc²√(1 − v²/c²)``) it cannot reach the data: its accelerations ``M⁻¹(f − …)`` miss the
velocity dependence however long it trains. The rule needs no knowledge of the system:

1. train ``config.model``;
2. if its best validation relative acceleration error is above
   ``config.fallback_threshold`` (combined in quadrature with ``config.noise``, the floor
   that noisy targets put under any model's validation error) **and** training has
   stalled, i.e. the best error of the second half of the epochs is above
   :data:`STALL_RATIO` times that of the first half, train ``config.fallback_model``
   (default ``mlp``, a general ``L_θ(q, q̇)``) on the same data with the same settings;
3. keep whichever of the two has the lower best validation error, unless the fallback's
   training stopped because its closed form was found (two consecutive checks, the
   acceptance rule on held-out data): that one is kept, whatever its validation error
   when it stopped (a few epochs in, it is still higher than the first model's).

Measured on the built-in systems (default fit, exact data): models quadratic in ``q̇``
end at 0.01–4.8 % (the triple pendulum the highest) and still improve while the learning
rate decays (second-half best / first-half best = 0.30–0.54 over 60 epochs); on the
relativistic oscillator
(``|v| ≤ 0.8 c``) the structured model stalls at 1.9 % (ratio 0.97), the relative
residual of the best ``a₀(q) + c(q) v²`` fit to ``−x (1 − v²)^{3/2}``, a floor no training
removes. The stall test keeps a slowly converging quadratic system (the triple pendulum)
from paying for a second training. Runs of fewer than four epochs count as stalled (too
short to tell). The decision and what it measured are in
``summary["training"]["fallback"]``.

Examples
--------
>>> from physym.training import FitConfig
>>> cfg = FitConfig(system="pendulum")
>>> stalled, improving = [0.3, 0.02, 0.019, 0.019], [0.3, 0.05, 0.02, 0.012]
>>> should_fall_back(cfg, stalled), should_fall_back(cfg, improving)
(True, False)
>>> should_fall_back(cfg, [0.01, 0.005, 0.004, 0.004])  # below the threshold
False
>>> should_fall_back(cfg.replace(fallback_model="none"), stalled)
False
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from physym.config import RunConfig
from physym.training.config import FitConfig

__all__ = [
    "FALLBACK_CHECKPOINT",
    "STALL_RATIO",
    "effective_threshold",
    "fallback_record",
    "keep_fallback",
    "should_fall_back",
    "stall_ratio",
    "val_errors",
]

#: Checkpoint of the fallback model's training (``--resume`` continues it).
FALLBACK_CHECKPOINT = "checkpoint_fallback.pt"
#: Second-half best over first-half best validation error above which training has stalled.
STALL_RATIO = 0.8

_OFF = "none"
#: Stop reasons of a training that did not end on a found closed form.
_NOT_FOUND = ("budget", "patience")
_MIN_EPOCHS = 4


def _nested(config: RunConfig | FitConfig) -> RunConfig:
    return config.nested if isinstance(config, FitConfig) else config


def effective_threshold(config: RunConfig | FitConfig) -> float:
    """``hypot(fallback_threshold, noise)``: relative noise on the validation targets adds
    (in quadrature) to the error of even a perfect model."""
    config = _nested(config)
    return math.hypot(config.model.fallback.threshold, config.data.noise)


def stall_ratio(val_errors: Sequence[float]) -> float | None:
    """Best validation error of the second half of the epochs over that of the first half
    (``None`` for fewer than four epochs)."""
    finite = [e if math.isfinite(e) else math.inf for e in val_errors]
    if len(finite) < _MIN_EPOCHS:
        return None
    half = len(finite) // 2
    first, second = min(finite[:half]), min(finite[half:])
    if not math.isfinite(first):
        return 0.0 if math.isfinite(second) else 1.0
    return second / first if first > 0 else 1.0


def should_fall_back(config: RunConfig | FitConfig, val_errors: Sequence[float]) -> bool:
    """Whether the first model's validation errors (one per epoch) call for the fallback."""
    model = _nested(config).model
    if model.fallback.name in (_OFF, model.name):
        return False
    best = min((e for e in val_errors if math.isfinite(e)), default=math.inf)
    if best <= effective_threshold(config):
        return False
    ratio = stall_ratio(val_errors)
    return ratio is None or ratio > STALL_RATIO


def keep_fallback(first_error: float, fallback_error: float, found: bool = False) -> bool:
    """Whether the fallback model replaces the first: its training stopped on a found
    closed form (``found``), or a strictly lower validation error."""
    if found:
        return True
    if not math.isfinite(fallback_error):
        return False
    return not first_error <= fallback_error


def fallback_record(
    config: RunConfig | FitConfig, first: Any, second: Any | None
) -> dict[str, Any]:
    """``summary["training"]["fallback"]``: the rule, what it measured and what it chose.

    Parameters
    ----------
    config : RunConfig or FitConfig
    first, second : TrainResult or None
        The first model's training, and the fallback's (``None`` if not triggered).
    """
    model = _nested(config).model
    record: dict[str, Any] = {
        "rule": "train fallback_model when the best validation rel. error of model exceeds "
        "hypot(fallback_threshold, noise) and its second-half best is above "
        f"{STALL_RATIO} x its first-half best, unless training stopped because the "
        "closed form was found; keep the fallback if its training stopped on a found closed "
        "form, else the lower validation error",
        "model": model.name,
        "fallback_model": model.fallback.name,
        "threshold": model.fallback.threshold,
        "effective_threshold": effective_threshold(config),
        "first_val_rel_error": first.best_val_rel_error,
        "stall_ratio": stall_ratio(val_errors(first)),
        "triggered": second is not None,
        "used": False,
    }
    if second is not None:
        record.update(
            {
                "fallback_val_rel_error": second.best_val_rel_error,
                "used": keep_fallback(
                    first.best_val_rel_error,
                    second.best_val_rel_error,
                    found=getattr(second, "stop_reason", "budget") not in _NOT_FOUND,
                ),
                "first_wall_s": first.wall_s,
                "fallback_wall_s": second.wall_s,
                "first_epochs_run": first.epochs_run,
                "fallback_epochs_run": second.epochs_run,
            }
        )
        if record["used"]:
            record.update({"from": model.name, "to": model.fallback.name})
    return record


def val_errors(result: Any) -> list[float]:
    """The per-epoch validation errors of a ``TrainResult``."""
    return [float(record["val_rel_error"]) for record in result.history]
