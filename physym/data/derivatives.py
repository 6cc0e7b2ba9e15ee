"""Velocities and accelerations from sampled positions, by smoothing differentiation."""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np

from physym.data.errors import DataError
from physym.data.noise import estimate_noise

__all__ = ["estimate_derivatives", "estimate_noise", "smooth_positions"]

_UNIFORM_TOLERANCE = 1e-6  # relative spread of the time step accepted as uniform


def _check_inputs(t: np.ndarray, q: np.ndarray) -> None:
    if t.ndim != 1 or q.shape[0] != t.shape[0] or q.ndim not in (1, 2):
        raise DataError(
            f"times must be (T,) and positions (T,) or (T, n), got {t.shape} and {q.shape}"
        )
    if not (np.isfinite(t).all() and np.isfinite(q).all()):
        raise DataError("times and positions must be finite (no NaN or inf)")
    steps = np.diff(t)
    if (steps <= 0).any():
        row = int(np.argmax(steps <= 0)) + 1
        raise DataError(
            f"time is not increasing at row {row} (t = {t[row]:g} after {t[row - 1]:g})"
        )


def _savgol(
    t: np.ndarray, q: np.ndarray, window: int | str, order: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from scipy.signal import savgol_filter

    steps = np.diff(t)
    step = float(steps.mean())
    deviation = np.abs(steps - step)
    if deviation.max() > _UNIFORM_TOLERANCE * step:
        row = int(np.argmax(deviation)) + 1
        raise DataError(
            f"method 'savgol' needs a uniform time step, but the step before row "
            f"{row} is {steps[row - 1]:g} (mean {step:g}); use method='spline' "
            "or resample"
        )
    if window == "auto":
        from physym.data.smoothing_window import ORDERS, choose_savgol_filter

        columns = q.reshape(len(t), -1)
        filters = [
            choose_savgol_filter(step, columns[:, j], ORDERS if order is None else (order,))
            for j in range(columns.shape[1])
        ]
        parts = [_savgol(t, columns[:, j], w, p) for j, (w, p) in enumerate(filters)]
        value, rate, curvature = (
            np.stack([p[k] for p in parts], axis=-1).reshape(q.shape) for k in range(3)
        )
        return value, rate, curvature
    order = 5 if order is None else order
    if not isinstance(window, int) or window % 2 == 0 or window <= order:
        raise DataError(f"savgol window must be odd and larger than order {order}, got {window}")
    if len(t) < window:
        raise DataError(f"too few samples for savgol: {len(t)} < window {window}")
    value, rate, curvature = (
        savgol_filter(q, window, order, deriv=k, delta=step, axis=0) for k in range(3)
    )
    return value, rate, curvature


def _spline(
    t: np.ndarray, q: np.ndarray, order: int, smoothing: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from scipy.interpolate import UnivariateSpline

    if not 3 <= order <= 5:
        raise DataError(f"spline order must be 3, 4 or 5, got {order}")
    if len(t) <= order:
        raise DataError(f"too few samples for a degree-{order} spline: {len(t)}")
    columns = q.reshape(len(t), -1)
    smooth, qdot, qddot = (np.empty_like(columns) for _ in range(3))
    for j in range(columns.shape[1]):
        y = columns[:, j]
        if smoothing is None:
            sigma = max(estimate_noise(t, y), 1e-10 * float(np.ptp(y)))
            s = len(t) * sigma**2
        else:
            s = float(smoothing)
        with warnings.catch_warnings():  # FITPACK warns when s is below round-off
            warnings.simplefilter("ignore", UserWarning)
            spline = UnivariateSpline(t, y, k=order, s=s)
        smooth[:, j] = spline(t)
        qdot[:, j] = spline.derivative(1)(t)
        qddot[:, j] = spline.derivative(2)(t)
    return smooth.reshape(q.shape), qdot.reshape(q.shape), qddot.reshape(q.shape)


def estimate_derivatives(
    t: np.ndarray,
    q: np.ndarray,
    method: Literal["savgol", "spline"] = "savgol",
    window: int | Literal["auto"] | None = None,
    order: int | None = None,
    smoothing: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """First and second time derivatives of sampled positions.

    ``"savgol"`` fits a degree-``order`` polynomial in a sliding ``window`` of samples
    (``scipy.signal.savgol_filter`` with ``deriv=1, 2``; needs a uniform time step;
    defaults ``window=9, order=5``; ``window="auto"`` picks window and order per column
    from the data's noise, :func:`physym.data.smoothing_window.choose_savgol_filter`).
    ``"spline"`` fits a
    smoothing spline of degree
    ``order`` (default 5) per coordinate (``scipy.interpolate.UnivariateSpline``; any
    increasing times) with residual budget ``smoothing``, by default ``T·σ²`` where ``σ`` is
    the noise level from :func:`estimate_noise` (floored at ``1e-10`` of the range). For
    noisy data widen the savgol window (e.g. 31–61 samples) or let the spline smooth.
    Edges are less accurate than the middle.

    Parameters
    ----------
    t : array_like, shape ``(T,)``
        Strictly increasing times.
    q : array_like, shape ``(T,)`` or ``(T, n)``
        Positions.
    method : {"savgol", "spline"}
    window : int or "auto", optional
        Savgol window length in samples (odd), or chosen from the data.
    order : int, optional
        Polynomial order (savgol) or spline degree (3–5).
    smoothing : float, optional
        Spline smoothing factor ``s`` (sum of squared residuals allowed).

    Returns
    -------
    q_dot, q_ddot : numpy.ndarray, each the shape of ``q``

    Raises
    ------
    DataError
        Non-increasing or non-finite times, a non-uniform step for savgol, too few samples.

    Examples
    --------
    >>> t = np.linspace(0, 6, 601)
    >>> v, a = estimate_derivatives(t, np.sin(t))
    >>> bool(np.abs(v - np.cos(t)).max() < 1e-8), bool(np.abs(a + np.sin(t)).max() < 1e-6)
    (True, True)
    """
    return smooth_positions(t, q, method, window, order, smoothing)[1:]


def smooth_positions(
    t: np.ndarray,
    q: np.ndarray,
    method: Literal["savgol", "spline"] = "savgol",
    window: int | Literal["auto"] | None = None,
    order: int | None = None,
    smoothing: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Smoothed positions with their first and second derivatives, from one fit.

    Same options as :func:`estimate_derivatives`; the smoothed ``q`` is the fit's value
    (less noisy than the measured one, and consistent with ``q̇`` and ``q̈``).

    Returns
    -------
    q_smooth, q_dot, q_ddot : numpy.ndarray, each the shape of ``q``

    Examples
    --------
    >>> t = np.linspace(0, 6, 601)
    >>> q, v, a = smooth_positions(t, np.sin(t))
    >>> bool(np.abs(q - np.sin(t)).max() < 1e-12)
    True
    """
    times = np.asarray(t, dtype=np.float64)
    positions = np.asarray(q, dtype=np.float64)
    _check_inputs(times, positions)
    if method == "savgol":
        chosen = 9 if window is None else window if window == "auto" else int(window)
        return _savgol(times, positions, chosen, None if order is None else int(order))
    if method == "spline":
        return _spline(times, positions, 5 if order is None else int(order), smoothing)
    raise DataError(f"unknown derivative method {method!r}; choose 'savgol' or 'spline'")
