"""Integrate any batched acceleration function (a learned model) from a batch of states."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from physym.data.errors import IntegrationError

__all__ = ["BatchAccelerations", "integrate"]

BatchAccelerations = Callable[..., np.ndarray]
"""``accelerations(states (B, 2n)) -> (B, n)``, or ``(states, t (B,), inputs (B, m))``."""


def integrate(
    accelerations: BatchAccelerations,
    x0: Any,
    t_eval: Sequence[float] | np.ndarray,
    rtol: float = 1e-9,
    atol: float = 1e-9,
    method: str = "DOP853",
    *,
    inputs: Callable[[float], Any] | None = None,
    time_dependent: bool = False,
) -> np.ndarray:
    """Integrate ``q̈ = accelerations(q, q̇)`` for any batched acceleration function.

    Meant for learned models: ``accelerations`` maps states ``(B, 2n)`` to ``(B, n)`` and
    is called once per solver stage for the whole batch, so a batch of initial states is
    integrated as one ODE system with shared steps (the step-size control uses the RMS
    error over the batch).

    Parameters
    ----------
    accelerations : callable
        ``(B, 2n) float64 ndarray -> (B, n)`` array-like.
    x0 : array_like, shape ``(2n,)`` or ``(B, 2n)``
        Initial states at ``t_eval[0]``.
    t_eval : array_like, shape ``(T,)``
        Increasing output times; integration runs from ``t_eval[0]`` to ``t_eval[-1]``.
    rtol, atol : float
    method : str
        A ``solve_ivp`` method.
    inputs : callable, optional
        ``t -> (m,)`` input values (e.g. an :class:`~physym.data.InputSignal`), shared by
        the batch.
    time_dependent : bool
        With this or ``inputs``, ``accelerations`` is called as
        ``accelerations(states (B, 2n), t (B,), inputs (B, m) or None)``, the signature of
        :meth:`System.accelerations`.

    Returns
    -------
    numpy.ndarray, shape ``(T, 2n)`` or ``(T, B, 2n)`` (matching ``x0``)

    Raises
    ------
    IntegrationError
        If the solver fails (e.g. the model's accelerations blow up), with the partial
        solution attached.

    Examples
    --------
    >>> spring = lambda x: -4.0 * x[:, :1]          # q̈ = -ω² q, ω = 2
    >>> xs = integrate(spring, [1.0, 0.0], np.linspace(0, np.pi, 3))
    >>> np.round(xs[:, 0], 6) + 0.0
    array([ 1., -1.,  1.])
    """
    start = np.asarray(x0, dtype=np.float64)
    single = start.ndim == 1
    batch = start[None] if single else start
    if batch.ndim != 2 or batch.shape[1] % 2:
        raise ValueError(f"x0 must have shape (2n,) or (B, 2n), got {start.shape}")
    times = np.asarray(t_eval, dtype=np.float64)
    if times.ndim != 1 or times.size < 2 or not np.all(np.diff(times) > 0):
        raise ValueError("t_eval must be a strictly increasing 1-D array of at least 2 times")
    n_batch, width = batch.shape
    n = width // 2

    driven = time_dependent or inputs is not None

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        x = y.reshape(n_batch, width)
        if driven:
            u = None
            if inputs is not None:
                row = np.asarray(inputs(t), dtype=np.float64).reshape(1, -1)
                u = np.broadcast_to(row, (n_batch, row.shape[1]))
            a = np.asarray(accelerations(x, np.full(n_batch, t), u), dtype=np.float64)
        else:
            a = np.asarray(accelerations(x), dtype=np.float64)
        return np.concatenate((x[:, n:], a.reshape(n_batch, n)), axis=1).ravel()

    solution = solve_ivp(
        rhs, (times[0], times[-1]), batch.ravel(), method=method, t_eval=times, rtol=rtol, atol=atol
    )
    states = solution.y.T.reshape(-1, n_batch, width)
    if single:
        states = states[:, 0]
    if solution.status != 0:
        raise IntegrationError(
            f"integration stopped at t = {solution.t[-1]:.6g} of {times[-1]:g} "
            f"({solution.message})",
            solution.t,
            states,
        )
    return states
