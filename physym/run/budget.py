"""What a fit's settings will cost, judged before anything runs.

Each numeric setting is already checked on its own (a number, finite, not below its
bound: :mod:`physym.config.settings`). What only their combination decides is checked
here, so that ``rollout_t_end=1e308`` or ``width=10**6`` is a one-line
:class:`~physym.config.ConfigError` before the run directory exists, not an
``OverflowError`` after training or an allocation failure halfway through:

* **horizons**: every RK4 integration a run will do (the rollouts, the energy metric, the
  multi-step loss) has a positive step and at most :data:`MAX_RK4_STEPS` steps;
* **memory**: the data, the networks (weights, gradients and Adam's two moments, counted
  exactly by building the model on PyTorch's ``meta`` device, which allocates nothing),
  the activations of a batch, the distillation's design matrices and the energy-metric
  states must fit in this machine's physical memory.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from typing import Any

from physym.config import ConfigError, RunConfig

__all__ = ["MAX_MULTISTEP_STEPS", "MAX_RK4_STEPS", "check_budget", "physical_memory"]

#: RK4 steps of one rollout horizon (t_end / dt): the LNN paper's metric takes 10⁴.
MAX_RK4_STEPS = 1_000_000
#: RK4 steps of one segment of the multi-step loss, integrated for every training batch.
MAX_MULTISTEP_STEPS = 10_000

_GIB = 2.0**30


def check_budget(
    config: RunConfig, n_dof: int, parameter_count: Callable[[str], int] | None = None
) -> None:
    """Raise :class:`ConfigError` if ``config`` asks for an integration that never ends or
    for more memory than this machine has.

    Parameters
    ----------
    config : RunConfig
    n_dof : int
        Coordinates of the system (or of the measured data).
    parameter_count : callable, optional
        ``parameter_count(model_name) -> int``; default: no network term.
    """
    _check_horizons(config)
    _check_memory(config, n_dof, parameter_count)


def _check_horizons(config: RunConfig) -> None:
    evaluate, multistep = config.evaluate, config.train.multistep
    rollout, energy = evaluate.rollout, evaluate.energy
    horizons = (
        ("rollout_t_end", rollout.t_end, "rollout_dt", rollout.dt, rollout.states, MAX_RK4_STEPS),
        ("energy_t_end", energy.t_end, "rollout_dt", rollout.dt, energy.states, MAX_RK4_STEPS),
    )
    for t_key, t_end, dt_key, dt, used, limit in horizons:
        if used and t_end > 0:
            _check_steps(t_key, t_end, dt_key, dt, limit)
    if multistep.steps:
        if multistep.dt <= 0:
            raise ConfigError(
                f"fit: multistep_dt must be > 0 with multistep_steps, got {multistep.dt!r}"
            )
        if multistep.steps > MAX_MULTISTEP_STEPS:
            raise ConfigError(
                f"fit: multistep_steps = {multistep.steps} RK4 steps of the network for every "
                f"training batch; at most {MAX_MULTISTEP_STEPS}"
            )


def _check_steps(t_key: str, t_end: float, dt_key: str, dt: float, limit: int) -> None:
    if dt <= 0:
        raise ConfigError(f"fit: {dt_key} must be > 0 to integrate to {t_key} = {t_end:g}")
    steps = t_end / dt
    if steps > limit:
        count = f"{steps:.3g}" if math.isfinite(steps) else "more than 1e308"
        raise ConfigError(
            f"fit: {t_key} / {dt_key} = {t_end:g} / {dt:g} asks for {count} RK4 steps; at "
            f"most {limit:.0e} (shorten {t_key} or lengthen {dt_key})"
        )


def _check_memory(
    config: RunConfig, n_dof: int, parameter_count: Callable[[str], int] | None
) -> None:
    available = physical_memory()
    if available is None:
        return
    parts = _memory_parts(config, n_dof, parameter_count)
    total = sum(parts.values())
    if total > available:
        key, largest = max(parts.items(), key=lambda item: item[1])
        raise ConfigError(
            f"fit: these settings need about {total / _GIB:.3g} GiB of memory, more than this "
            f"machine's {available / _GIB:.3g} GiB; most of it ({largest / _GIB:.3g} GiB) "
            f"for {key}"
        )


def _memory_parts(
    config: RunConfig, n_dof: int, parameter_count: Callable[[str], int] | None
) -> Mapping[str, float]:
    """Bytes by what needs them, float64 and generous: an estimate, not a measurement."""
    state = 2 * n_dof
    model = config.model
    names = [model.name] + ([model.fallback.name] if model.fallback.name != "none" else [])
    parameters = sum(parameter_count(name) for name in names) if parameter_count else 0
    samples = config.data.samples
    batch = min(config.train.batch_size, samples)
    width, depth = model.width or 64, model.depth or 3
    parts: dict[str, float] = {
        # states, targets and clean targets, as arrays and tensors, plus their splits
        "the data (samples)": 8.0 * samples * (state + 2 * n_dof) * 4,
        # weights, gradients, Adam's two moments, the best weights and a checkpoint
        "the networks (width, depth)": 8.0 * parameters * 6,
        # each layer's activations and their Jacobians with respect to the state
        "a training batch (batch_size × width × depth)": 8.0
        * batch
        * width
        * depth
        * (state + 2)
        * 4,
        # candidate-term columns of the least-squares problems
        "the distillation (distill_states)": 8.0 * config.distill.states * state * 256,
        # initial, perturbed and four RK4 stage states
        "the energy metric (energy_states)": 8.0 * config.evaluate.energy.states * state * 12,
    }
    return parts


def physical_memory() -> float | None:
    """This machine's physical memory in bytes (``None`` where the OS does not say)."""
    try:
        return float(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):  # pragma: no cover - not POSIX
        return None


def meta_parameter_count(build: Callable[[], Any]) -> int:
    """Parameters of the module ``build()`` makes, built on the ``meta`` device (no memory
    is allocated, whatever its size)."""
    import torch

    with torch.device("meta"):
        module = build()
    return int(sum(p.numel() for p in module.parameters()))
