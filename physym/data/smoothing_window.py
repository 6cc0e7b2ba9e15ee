"""The Savitzky–Golay filter for noisy positions, chosen from the data (Lepski's rule).

A wider window (or a lower polynomial order) averages more noise out of ``q̈`` but bends
the fit away from the signal. For white noise of level ``σ`` the noise left in a filter's
estimate of ``q̈`` is known exactly, ``s = σ ‖c‖`` with ``c`` the filter's second-derivative
coefficients, while the bias is not. Lepski's rule needs only the first: the candidate
filters (orders 5, 7, 9 over a geometric grid of windows) are ordered by decreasing noise
``s`` and accepted one after another while each agrees with every earlier one within
``κ·s_earlier`` (RMS); the last accepted balances bias against noise *per sample*. On
exact data the noise is at round-off and the rule keeps a short high-order filter (``q̈``
errors ~1e-9 for a pendulum sampled at 50 Hz, where a fixed order-5 window gives 1e-5);
with 0.1–1 % position noise it lands within 1.5× of the best window in hindsight on
simulated pendulum, oscillator and spring-pendulum data.

Per sample is not what a fit needs, though: the network's training and the distillation's
least squares average the noise of thousands of samples away, but not the bias, which
then shows as wrong constants and spurious terms (pendulum, 0.1 % noise: the balanced
window 77 recovers ``g`` 1.3 % off with a spurious ``θ̇² cos θ``, window 41 gets it to
2.5e-4 with the right terms). So the window is *undersmoothed*, as for plug-in
estimates in semiparametric regression: scaled by ``undersmoothing`` (½: the bias, ∝
``w⁶`` for order 5, drops ~60×, the noise per sample grows ~6×).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from physym.data.noise import estimate_noise

__all__ = ["MIN_WINDOW", "ORDERS", "choose_savgol_filter", "noise_level"]

MIN_WINDOW = 7
"""Narrowest window the rule tries (samples)."""
ORDERS = (5, 7, 9)
"""Polynomial orders the rule tries (higher orders are ill-conditioned in float64)."""
_GROWTH = 1.12  # geometric window grid: few, well-separated comparisons
# scipy's savgol_coeffs solves an unscaled Vandermonde system: above these windows its
# order-7 and order-9 coefficients lose more than 1e-10 (relative) to round-off
_LONGEST_WELL_CONDITIONED = {6: 31, 7: 31, 8: 21, 9: 21}
_KAPPA = 1.5  # RMS tolerance in units of the earlier filter's noise


def noise_level(t: np.ndarray, y: np.ndarray) -> float:
    """White-noise level ``σ`` of a smooth signal: the smaller of two local-polynomial
    estimates (degrees 5 and 9), so that exact data are not mistaken for noisy ones."""
    return min(estimate_noise(t, y, 13, 5), estimate_noise(t, y, 21, 9))


def _candidates(orders: Sequence[int], longest: int, step: float) -> list[tuple[int, int, float]]:
    """``(window, order, ‖c‖)`` for every candidate, noisiest first."""
    from scipy.signal import savgol_coeffs

    found: dict[tuple[int, int], float] = {}
    for order in orders:
        w = float(max(MIN_WINDOW, (order + 1) | 1))
        cap = (
            longest
            if order <= 5
            else min(longest, _LONGEST_WELL_CONDITIONED.get(order, 2 * order + 1))
        )
        while (window := round(w) | 1) <= max(cap, MIN_WINDOW, (order + 1) | 1):
            if (window, order) not in found:
                coefficients = savgol_coeffs(window, order, deriv=2, delta=step)
                found[window, order] = float(np.linalg.norm(coefficients))
            w *= _GROWTH
    return sorted(((w, p, g) for (w, p), g in found.items()), key=lambda c: (-c[2], c[0]))


def choose_savgol_filter(
    step: float,
    series: np.ndarray | Sequence[np.ndarray],
    orders: Sequence[int] = ORDERS,
    noise: float | None = None,
    undersmoothing: float = 0.5,
) -> tuple[int, int]:
    """Savitzky–Golay ``(window, order)`` for the second derivative of noisy series.

    Parameters
    ----------
    step : float
        The uniform time step.
    series : array ``(T,)`` or sequence of arrays
        One coordinate of one or several trajectories sampled at ``step``; the rule pools
        them (one filter for all).
    orders : sequence of int
        Polynomial orders to try.
    noise : float, optional
        Noise level ``σ``; default: :func:`noise_level`, pooled over the series.
    undersmoothing : float
        Factor on the window Lepski's rule balances (module docstring); 1 keeps it.

    Returns
    -------
    window, order : int
        The window is odd and at most half the shortest series (at least
        :data:`MIN_WINDOW`).

    Examples
    --------
    >>> t = np.arange(2001) * 0.01
    >>> rng = np.random.default_rng(0)
    >>> clean = choose_savgol_filter(0.01, np.sin(t))
    >>> noisy = choose_savgol_filter(0.01, np.sin(t) + 1e-3 * rng.normal(size=t.size))
    >>> clean[0] < 15 < noisy[0]
    True
    """
    from scipy.signal import savgol_filter

    pieces = (
        [np.asarray(series, dtype=np.float64)]
        if np.ndim(series[0]) == 0
        else [np.asarray(s, dtype=np.float64) for s in series]
    )
    if noise is None:
        sigmas = [noise_level(np.arange(len(y)) * step, y) for y in pieces]
        weights = np.array([len(y) for y in pieces], dtype=np.float64)
        noise = float(np.sqrt(np.sum(weights * np.square(sigmas)) / weights.sum()))
    candidates = _candidates(orders, min(len(y) for y in pieces) // 2, step)
    accepted: list[tuple[list[np.ndarray], float, int]] = []
    window, order = candidates[0][:2]
    for candidate, degree, gain in candidates:
        estimates = [savgol_filter(y, candidate, degree, deriv=2, delta=step) for y in pieces]
        if any(
            _disagree(estimates, earlier, spread, max(width, candidate) // 2)
            for earlier, spread, width in accepted
        ):
            break
        accepted.append((estimates, noise * gain, candidate))
        window, order = candidate, degree
    shortest = max(MIN_WINDOW, (order + 1) | 1)
    return max(shortest, round(window * undersmoothing) | 1), order


def _disagree(
    estimates: list[np.ndarray], earlier: list[np.ndarray], spread: float, half: int
) -> bool:
    """Whether a smoother estimate differs from an earlier one by more than ``κ`` times the
    earlier one's noise (RMS over the interior samples)."""
    gaps = np.concatenate(
        [(a - b)[half : len(a) - half] for a, b in zip(estimates, earlier, strict=True)]
    )
    return bool(gaps.size) and float(np.sqrt(np.mean(gaps**2))) > _KAPPA * spread
