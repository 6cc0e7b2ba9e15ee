"""Initialisations of learned Lagrangians tuned for unit-scale accelerations.

Accelerations are invariant to scaling ``L``, so the usual variance-preserving rules say
nothing about the scale of ``q̈`` at initialisation. Cranmer et al. (2020, "Lagrangian
Neural Networks") searched per-layer weight scales (biases zero) so that ``q̈`` is close
to ``N(0, 1)`` for ``N(0, 1)`` states. Here the same target is met with one data-driven
knob instead of a search: the first-layer weights of the coordinate features are scaled by
``b``, which maps ``L(q, q̇) → L(b·e(q), q̇)`` and multiplies ``∂L/∂q`` and ``H_vq``, hence
``q̈``, by ``b`` (at a moved evaluation point); the ``b`` whose RMS acceleration on
``N(0, 1)`` states is closest to 1 is chosen from a log-spaced grid.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from physym.network.base import LagrangianModel

__all__ = ["INITS", "calibrate_acceleration_scale", "initialise"]

INITS = ("torch", "lnn")


#: Median of χ²₁: ``median(z²)`` for ``z ~ N(0, 1)``.
_MEDIAN_CHI2_1 = 0.45493642311957283


def _robust_rms(values: torch.Tensor) -> float:
    """``sqrt(median(v²) / median(z²))``: the RMS for Gaussian values, but not dominated by
    the few near-singular states where a random network's ``q̈`` is huge."""
    return math.sqrt(float(values.pow(2).median()) / _MEDIAN_CHI2_1)


@torch.no_grad()
def calibrate_acceleration_scale(
    model: LagrangianModel,
    states: torch.Tensor,
    target_rms: float = 1.0,
    factors: Sequence[float] | None = None,
) -> tuple[float, float]:
    """Rescale the coordinate inputs so that ``rms(q̈)`` is closest to ``target_rms``.

    ``rms`` is a robust estimate, ``sqrt(median(q̈²) / median(z²))`` with ``z ~ N(0, 1)``
    (equal to the RMS for Gaussian accelerations), because at random initialisation a
    few states with a near-singular ``H_vv`` have huge accelerations.

    ``rms(q̈)`` is not monotone in the scale (it also moves the point where the network is
    evaluated), so a log-spaced grid of factors is tried rather than a fixed-point
    iteration, and the best one is kept.

    Parameters
    ----------
    model : LagrangianModel
        Must offer ``scale_coordinate_inputs(factor)`` (the built-in models do).
    states : torch.Tensor, ``(B, 2n)``
    target_rms : float
    factors : sequence of float, optional
        Candidate scales (default ``10**k`` for ``k`` in ``-3 … 3`` in steps of 0.2).

    Returns
    -------
    factor : float
        The scale applied.
    rms : float
        The (robust) root-mean-square acceleration after calibration.
    """
    if factors is None:
        factors = [10.0 ** (k / 5) for k in range(-15, 16)]
    best_factor, best_rms, best_miss = 1.0, float("nan"), math.inf
    current = 1.0
    rescale: Callable[[float], None] = model.scale_coordinate_inputs  # type: ignore[assignment]
    for factor in factors:
        rescale(factor / current)
        current = factor
        try:
            qdd = model.accelerations(states, create_graph=False)
        except torch.linalg.LinAlgError:  # a singular H_vv at this scale: skip it
            continue
        rms = _robust_rms(qdd)
        miss = abs(math.log(rms / target_rms)) if math.isfinite(rms) and rms > 0 else math.inf
        if miss < best_miss:
            best_factor, best_rms, best_miss = factor, rms, miss
    rescale(best_factor / current)
    return best_factor, best_rms


@torch.no_grad()
def initialise(model: LagrangianModel, init: str, generator: torch.Generator | None = None) -> None:
    """Initialise ``model`` in place.

    Parameters
    ----------
    model : LagrangianModel
    init : {"torch", "lnn"}
        ``"torch"`` keeps ``nn.Linear``'s default (uniform ``±1/√fan_in``, the seed net);
        ``"lnn"`` draws weights ``N(0, 1/fan_in)`` with zero biases, then calibrates the
        coordinate inputs so that ``q̈`` has unit (robust) RMS on ``N(0, 1)`` states (the goal of
        Cranmer et al.'s initialisation, see the module docstring).
    generator : torch.Generator, optional
        Source of randomness for ``"lnn"`` (default: torch's global generator).
    """
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    if init == "torch":
        return
    dtype = next(model.parameters()).dtype
    for module in model.modules():
        if isinstance(module, nn.Linear):
            std = 1.0 / math.sqrt(module.in_features)
            module.weight.copy_(torch.randn(module.weight.shape, generator=generator) * std)
            module.bias.zero_()
    states = torch.randn(512, 2 * model.n_dof, generator=generator).to(dtype)
    calibrate_acceleration_scale(model, states)
