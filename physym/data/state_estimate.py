"""States and accelerations estimated from measured positions, ready for training.

How noise is handled
--------------------
Positions ``q(t)`` are all that is measured; ``q̇`` and ``q̈`` come from one smoothing fit
per trajectory and coordinate, and the network is trained on the estimated ``q̈`` at the
estimated states ``(q, q̇)``:

* ``"savgol"`` (default): a Savitzky–Golay filter (a polynomial least-squares fit in a
  sliding window, differentiated analytically). Window and order (5, 7 or 9) are chosen
  from the data unless given: the noise level ``σ`` of each coordinate is measured
  (:func:`~physym.data.smoothing_window.noise_level`) and Lepski's rule
  (:func:`~physym.data.smoothing_window.choose_savgol_filter`) goes from the noisiest
  filters (short window, high order) to the smoothest and stops where a smoother one
  starts to disagree with the earlier ones by more than their noise — exact data keep a
  short high-order filter (``q̈`` errors ~1e-9), noisy data get a long one. Needs a
  uniform time step.
* ``"spline"``: a quintic smoothing spline whose residual budget is ``T·σ²`` (``σ``
  measured as above) unless ``smoothing`` is given; any increasing times.

Positions are replaced by the fit's own (smoothed) values, so states, velocities and
accelerations are consistent with each other. Near the ends of a trajectory a fit sees
only one side and is much less accurate, so ``trim`` samples are dropped at both ends of
every trajectory (by default half the window; for the spline, half the window the
savgol rule would pick). Periodic coordinates are unwrapped before the fit (a jump of 2π
is not motion) and wrapped to ``[−π, π)`` in the states afterwards. What remains is
smoothing bias (systematic, grows with the window) and residual noise (random, shrinks
with it); the training loss averages the random part further, the bias is what limits an
exact recovery at high noise (see ``benchmarks/noise_study.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from physym.data.dataset import Dataset, split_indices
from physym.data.derivatives import _UNIFORM_TOLERANCE, smooth_positions
from physym.data.errors import DataError
from physym.data.measured import MeasuredPositions
from physym.data.smoothing_window import ORDERS, choose_savgol_filter, noise_level

__all__ = [
    "DERIVATIVE_METHODS",
    "StateEstimate",
    "check_time_steps",
    "estimate_states",
    "measured_dataset",
    "state_box",
]

DERIVATIVE_METHODS = ("savgol", "spline")
_DEFAULT_ORDER = {"savgol": 5, "spline": 5}
_SPLIT_BLOCKS = 50  # contiguous time blocks the samples are split by (see measured_dataset)


@dataclass(frozen=True, eq=False)
class StateEstimate:
    """Smoothed positions and their derivatives for every measured sample.

    Attributes
    ----------
    coordinates : tuple of str
    periodic : tuple of bool
    t : numpy.ndarray, shape ``(T,)``
    q_measured : numpy.ndarray, shape ``(T, n)``
        As measured (periodic coordinates unwrapped).
    q, q_dot, q_ddot : numpy.ndarray, shape ``(T, n)``
        The smoothing fit and its derivatives.
    trajectory : numpy.ndarray of int, shape ``(T,)``
    kept : numpy.ndarray of bool, shape ``(T,)``
        Samples away from the trajectory ends (the others are trimmed).
    settings : dict
        ``method``, ``order``, ``windows`` (per coordinate, savgol), ``smoothing``,
        ``trim``, ``noise`` (the measured ``σ`` per coordinate).
    """

    coordinates: tuple[str, ...]
    periodic: tuple[bool, ...]
    t: np.ndarray
    q_measured: np.ndarray
    q: np.ndarray
    q_dot: np.ndarray
    q_ddot: np.ndarray
    trajectory: np.ndarray
    kept: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def states(self) -> np.ndarray:
        """Kept ``(q, q̇)`` rows, periodic coordinates wrapped to ``[−π, π)``: ``(M, 2n)``."""
        q = self.q[self.kept].copy()
        wrap = np.asarray(self.periodic, dtype=bool)
        q[:, wrap] = np.remainder(q[:, wrap] + np.pi, 2 * np.pi) - np.pi
        return np.hstack((q, self.q_dot[self.kept]))

    @property
    def accelerations(self) -> np.ndarray:
        """Kept ``q̈`` rows, ``(M, n)``."""
        return self.q_ddot[self.kept]

    def target_noise(self) -> float | None:
        """Relative noise of the ``q̈`` targets expected from the measured position noise,
        ``√Σ_j (σ_j ‖c_j‖)² / rms‖q̈‖`` with ``c_j`` the savgol filter of coordinate ``j``
        (``None`` for the spline). It is what the network's validation error on the
        estimated targets cannot go below."""
        from scipy.signal import savgol_coeffs

        settings = self.settings
        if settings.get("method") != "savgol" or not settings.get("windows"):
            return None
        spreads = [
            sigma * np.linalg.norm(savgol_coeffs(w, p, deriv=2, delta=settings["step"]))
            for sigma, w, p in zip(
                settings["noise"], settings["windows"], settings["orders"], strict=True
            )
        ]
        scale = np.sqrt(np.mean(np.sum(self.accelerations**2, axis=1)))
        return float(np.sqrt(np.sum(np.square(spreads))) / max(scale, 1e-300))

    def segments(self) -> list[np.ndarray]:
        """Indices of the kept samples of each trajectory (non-empty ones)."""
        out = [
            np.flatnonzero(self.kept & (self.trajectory == k))
            for k in range(int(self.trajectory.max()) + 1)
        ]
        return [index for index in out if len(index)]

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Arrays for ``measured.npz`` (:meth:`from_arrays` reads them back)."""
        return {
            "coordinates": np.array(self.coordinates, dtype=np.str_),
            "periodic": np.array(self.periodic, dtype=bool),
            "t": self.t,
            "q_measured": self.q_measured,
            "q": self.q,
            "q_dot": self.q_dot,
            "q_ddot": self.q_ddot,
            "trajectory": self.trajectory,
            "kept": self.kept,
        }

    @classmethod
    def from_arrays(
        cls, arrays: dict[str, np.ndarray], settings: dict[str, Any] | None = None
    ) -> StateEstimate:
        return cls(
            tuple(str(c) for c in np.atleast_1d(arrays["coordinates"])),
            tuple(bool(p) for p in np.atleast_1d(arrays["periodic"])),
            t=arrays["t"],
            q_measured=arrays["q_measured"],
            q=arrays["q"],
            q_dot=arrays["q_dot"],
            q_ddot=arrays["q_ddot"],
            trajectory=arrays["trajectory"],
            kept=arrays["kept"],
            settings=settings or {},
        )


def estimate_states(
    measured: MeasuredPositions,
    *,
    periodic: Sequence[str] = (),
    method: str = "savgol",
    window: int | None = None,
    order: int | None = None,
    smoothing: float | None = None,
    trim: int | None = None,
) -> StateEstimate:
    """Smooth and differentiate every trajectory; mark the trimmed ends.

    Parameters
    ----------
    measured : MeasuredPositions
    periodic : sequence of str
        Coordinates that are angles.
    method : {"savgol", "spline"}
    window : int, optional
        Savgol window (odd, samples); default: chosen per coordinate from the noise
        (:func:`~physym.data.smoothing_window.choose_savgol_filter`).
    order : int, optional
        Savgol polynomial order (default: chosen with the window among 5, 7, 9; 5 with a
        given window) or spline degree (default 5).
    smoothing : float, optional
        Spline residual budget ``s``; default ``T·σ²``.
    trim : int, optional
        Samples dropped at each end of each trajectory; default half the window.

    Returns
    -------
    StateEstimate

    Raises
    ------
    DataError
        Unknown method, a non-uniform step (savgol), too few samples for the window or
        after trimming; the file and trajectory are named.

    Examples
    --------
    >>> t = np.arange(400) * 0.01
    >>> data = MeasuredPositions("sine", ("x",), t, np.sin(t)[:, None], np.zeros(400, int),
    ...                          ("0",), tuple(f"row {i}" for i in range(400)))
    >>> estimate = estimate_states(data)
    >>> bool(np.abs(estimate.q_ddot[estimate.kept, 0] + np.sin(t[estimate.kept])).max()
    ...      < 1e-5)
    True
    """
    if method not in DERIVATIVE_METHODS:
        raise DataError(
            f"unknown derivative method {method!r}; choose "
            f"{' or '.join(repr(m) for m in DERIVATIVE_METHODS)}"
        )
    flags = tuple(q in periodic for q in measured.coordinates)
    segments = measured.segments()
    positions = measured.q.copy()
    for rows in segments:
        for angle in np.flatnonzero(flags):
            positions[rows, angle] = np.unwrap(positions[rows, angle])
    step = _common_step(measured, segments, strict=method == "savgol")
    n = positions.shape[1]
    noise = [_pooled_noise(measured.t, positions[:, j], segments) for j in range(n)]
    columns = [[positions[rows, j] for rows in segments] for j in range(n)]
    kind: Literal["savgol", "spline"] = "savgol" if method == "savgol" else "spline"
    savgol_filters: list[tuple[int, int]] = []
    if kind == "savgol" and window is not None:
        savgol_filters = [(int(window), _DEFAULT_ORDER[kind] if order is None else int(order))] * n
    elif kind == "savgol" or trim is None:  # the spline is trimmed like savgol would be
        orders = ORDERS if order is None or kind != "savgol" else (int(order),)
        savgol_filters = [
            choose_savgol_filter(step, columns[j], orders, noise=noise[j]) for j in range(n)
        ]
    if trim is None:
        trim = max(w for w, _ in savgol_filters) // 2
    filters: list[tuple[int | None, int]] = list(savgol_filters)
    if kind == "spline":
        filters = [(None, _DEFAULT_ORDER[kind] if order is None else int(order))] * n
    fits = [np.empty_like(positions) for _ in range(3)]
    for k, rows in enumerate(segments):
        for j in range(n):
            try:
                parts = smooth_positions(
                    measured.t[rows], positions[rows, j], kind, *filters[j], smoothing
                )
            except DataError as exc:
                raise DataError(f"{measured.path}: {_name(measured, k)}{exc}") from None
            for fit, part in zip(fits, parts, strict=True):
                fit[rows, j] = part
    kept = np.zeros(len(measured.t), dtype=bool)
    for rows in segments:
        kept[rows.start + trim : rows.stop - trim] = True
    _check_enough(measured, kept, trim)
    settings = {
        "method": method,
        "windows": [w for w, _ in filters],
        "orders": [p for _, p in filters],
        "smoothing": smoothing,
        "trim": int(trim),
        "noise": noise,
        "step": step,
    }
    q_fit, q_dot, q_ddot = fits
    return StateEstimate(
        measured.coordinates,
        flags,
        measured.t,
        positions,
        q_fit,
        q_dot,
        q_ddot,
        measured.trajectory,
        kept,
        settings,
    )


def _name(measured: MeasuredPositions, k: int) -> str:
    return f"trajectory {measured.labels[k]}: " if measured.n_trajectories > 1 else ""


def check_time_steps(measured: MeasuredPositions, method: str) -> float:
    """The time step of the data; for ``"savgol"``, a :class:`DataError` unless uniform."""
    return _common_step(measured, measured.segments(), strict=method == "savgol")


def _common_step(measured: MeasuredPositions, segments: list[slice], strict: bool) -> float:
    """The time step shared by all trajectories (savgol needs one; else their mean)."""
    steps = np.concatenate([np.diff(measured.t[rows]) for rows in segments])
    step = float(np.median(steps))
    if not strict:
        return float(steps.mean())
    for rows in segments:
        deviation = np.abs(np.diff(measured.t[rows]) - step)
        if deviation.max() > _UNIFORM_TOLERANCE * step:
            i = rows.start + int(np.argmax(deviation)) + 1
            raise DataError(
                f"{measured.path}: derivative method 'savgol' needs one uniform "
                f"time step, but the step before {measured.where[i]} is "
                f"{measured.t[i] - measured.t[i - 1]:g} (usual step {step:g}); "
                "use derivative = 'spline' or resample"
            )
    return step


def _pooled_noise(t: np.ndarray, y: np.ndarray, segments: list[slice]) -> float:
    sigmas = np.array([noise_level(t[rows], y[rows]) for rows in segments])
    counts = np.array([rows.stop - rows.start for rows in segments], dtype=np.float64)
    return float(np.sqrt(np.sum(counts * sigmas**2) / counts.sum()))


def _check_enough(measured: MeasuredPositions, kept: np.ndarray, trim: int) -> None:
    if kept.sum() < 10:
        raise DataError(
            f"{measured.path}: only {int(kept.sum())} samples are left after "
            f"trimming {trim} at both ends of each trajectory (the derivative "
            "estimates are poor there); give longer trajectories, a smaller "
            "derivative_window or derivative_trim"
        )


def state_box(states: np.ndarray, periodic: Sequence[bool]) -> tuple[np.ndarray, np.ndarray]:
    """The smallest box holding ``states`` ``(M, 2n)``: ``(low, high)``, each ``(2n,)``.

    A component that does not vary gets a small width; a periodic coordinate that covers
    (almost) a whole turn gets ``[−π, π]``.
    """
    low, high = states.min(axis=0), states.max(axis=0)
    for j in np.flatnonzero(periodic):
        if high[j] - low[j] > 2 * np.pi * 0.95:
            low[j], high[j] = -np.pi, np.pi
    width = np.maximum(1e-6 * np.maximum(np.abs(low), 1.0), high - low)
    centre = 0.5 * (low + high)
    return np.minimum(low, centre - width / 2), np.maximum(high, centre + width / 2)


def measured_dataset(
    estimate: StateEstimate,
    name: str,
    *,
    accelerations_clean: np.ndarray | None = None,
    splits: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    max_samples: int | None = None,
    t: np.ndarray | None = None,
    inputs: np.ndarray | None = None,
    input_names: Sequence[str] = (),
) -> Dataset:
    """The kept samples as a :class:`Dataset`, split by contiguous time blocks.

    Neighbouring samples of a trajectory are nearly the same state, so a random split
    would put copies of the training states into the test set; instead the samples are
    cut into about 50 contiguous blocks (along each trajectory) and whole blocks go to
    train, validation or test. With ``max_samples``, evenly spaced samples are kept.

    Parameters
    ----------
    estimate : StateEstimate
    name : str
        The dataset's system name.
    accelerations_clean : numpy.ndarray, shape ``(M, n)``, optional
        The exact ``q̈`` at the kept states, when a reference system knows it.
    splits : (train, val, test)
    seed : int
    max_samples : int, optional
    t, inputs : numpy.ndarray, optional
        Time ``(M,)`` and input values ``(M, m)`` at the kept states, carried along for a
        system whose forces, friction or Lagrangian need them.
    input_names : sequence of str
    """
    states, targets = estimate.states, estimate.accelerations
    rows = np.arange(len(states))
    if max_samples is not None and len(rows) > max_samples:
        rows = np.unique(np.linspace(0, len(rows) - 1, max_samples).round().astype(int))
    n_blocks = min(_SPLIT_BLOCKS, len(rows))
    blocks = np.minimum((np.arange(len(rows)) * n_blocks) // len(rows), n_blocks - 1)
    parts = split_indices(n_blocks, splits, seed)
    train, val, test = (np.flatnonzero(np.isin(blocks, part)) for part in parts)
    names = (*estimate.coordinates, *(f"{q}_dot" for q in estimate.coordinates))
    clean = None if accelerations_clean is None else accelerations_clean[rows]
    return Dataset(
        states[rows],
        targets[rows],
        clean,
        train,
        val,
        test,
        name,
        names,
        seed,
        t=None if t is None else np.asarray(t, dtype=np.float64)[rows],
        inputs=None if inputs is None else np.asarray(inputs, dtype=np.float64)[rows],
        input_names=tuple(input_names),
    )
