"""The white-noise level of a smooth signal sampled over time (any spacing)."""

from __future__ import annotations

import numpy as np

__all__ = ["estimate_noise"]


def estimate_noise(t: np.ndarray, y: np.ndarray, width: int = 13, degree: int = 5) -> float:
    """Robust estimate of white noise ``σ`` on a smooth signal ``y(t)`` ``(T,)``.

    A degree-``degree`` polynomial is fitted by least squares in each window of ``width``
    samples (any time spacing); the residual at the window's centre, divided by its
    standard deviation per unit noise, is ``σ``-distributed for white noise while the
    smooth signal leaves almost nothing. The median absolute deviation of these residuals
    (at most 2000 windows) gives ``σ``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = np.linspace(0, 10, 2000)
    >>> round(estimate_noise(t, np.sin(t) + 0.01 * rng.normal(size=2000)), 3)
    0.01
    """
    times = np.asarray(t, dtype=np.float64)
    values = np.asarray(y, dtype=np.float64)
    if len(values) < width:
        return 0.0
    starts = np.unique(
        np.linspace(0, len(values) - width, min(2000, len(values) - width + 1)).astype(int)
    )
    window = starts[:, None] + np.arange(width)
    centre = width // 2
    tw, yw = times[window], values[window]
    x = (tw - tw[:, centre : centre + 1]) / (tw[:, -1:] - tw[:, :1])
    weights = np.linalg.pinv(x[..., None] ** np.arange(degree + 1))[:, 0, :]  # fit at x = 0
    residual = yw[:, centre] - np.einsum("wk,wk->w", weights, yw)
    spread = np.sqrt(1 - 2 * weights[:, centre] + np.einsum("wk,wk->w", weights, weights))
    return float(np.median(np.abs(residual / spread)) / 0.6745)
