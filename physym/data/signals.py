"""Input signals ``u(t)`` that drive a trajectory: functions of time, or samples interpolated.

:func:`simulate` accepts, for a system with inputs ``u = (u_1, …, u_m)``:

* an :class:`InputSignal`;
* a function ``u(t) -> (m,)`` (a number when ``m = 1``);
* a mapping ``{name: function of t or number}``;
* an array ``(T, m)`` (or ``(T,)`` when ``m = 1``) of values at the output times,
  interpolated by a cubic spline (smooth, so the integrator keeps its usual steps; for
  linear interpolation or a held value use :meth:`InputSignal.from_samples`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from physym.data.errors import DataError

__all__ = ["InputSignal", "as_input_signal"]

_KINDS = ("linear", "hold", "cubic")


@dataclass(frozen=True, eq=False)
class InputSignal:
    """Values of named inputs as a function of time.

    Attributes
    ----------
    names : tuple of str
        The inputs, in the order of the values.
    function : callable
        ``t -> (m,)`` float64 values.
    span : (float, float) or None
        The times the signal is defined on (samples), or None (a function: all times).
    breaks : tuple of float
        Times where the signal has a kink or a jump (the samples of a linear or held
        signal); trajectories are integrated piece by piece between them.

    Examples
    --------
    >>> push = InputSignal.from_functions(["u"], lambda t: np.sin(t))
    >>> push(0.5).round(6)
    array([0.479426])
    >>> held = InputSignal.from_samples(["u"], [0.0, 1.0, 2.0], [[1.0], [2.0], [4.0]])
    >>> held(1.5)
    array([3.])
    """

    names: tuple[str, ...]
    function: Callable[[float], np.ndarray]
    span: tuple[float, float] | None = None
    breaks: tuple[float, ...] = ()

    def __call__(self, t: float) -> np.ndarray:
        return self.function(float(t))

    def sample(self, times: Any) -> np.ndarray:
        """Values at each of ``times``, shape ``(T, m)``."""
        return np.array(
            [self(t) for t in np.asarray(times, dtype=np.float64).reshape(-1)], dtype=np.float64
        ).reshape(-1, len(self.names))

    def covers(self, start: float, end: float) -> bool:
        """Whether the signal is defined on ``[start, end]``."""
        return self.span is None or (self.span[0] <= start and end <= self.span[1])

    @classmethod
    def from_functions(cls, names: Sequence[str], functions: Any) -> InputSignal:
        """From ``u(t) -> (m,)`` or ``{name: function of t or number}``."""
        names = tuple(names)
        m = len(names)
        if isinstance(functions, Mapping):
            unknown = sorted(set(functions) - set(names))
            missing = [n for n in names if n not in functions]
            if unknown or missing:
                problem = (
                    f"unknown input {unknown[0]!r}"
                    if unknown
                    else f"no signal for input {missing[0]!r}"
                )
                raise DataError(f"input signal: {problem} (inputs: {', '.join(names)})")
            parts = [functions[n] for n in names]

            def joined(t: float) -> np.ndarray:
                return np.array([float(p(t)) if callable(p) else float(p) for p in parts])

            return cls(names, joined)
        if not callable(functions):
            raise DataError(
                "input signal: give a function of t, a mapping name -> function "
                f"or number, or sampled values; got {type(functions).__name__}"
            )

        def reshaped(t: float) -> np.ndarray:
            return np.asarray(functions(t), dtype=np.float64).reshape(m)

        return cls(names, reshaped)

    @classmethod
    def from_samples(
        cls, names: Sequence[str], times: Any, values: Any, kind: str = "linear"
    ) -> InputSignal:
        """Interpolate values ``(T, m)`` sampled at increasing ``times`` ``(T,)``.

        ``kind``: ``"linear"``, ``"hold"`` (each value held until the next sample, as a
        digital controller does) or ``"cubic"`` (a cubic spline).
        """
        names = tuple(names)
        t = np.asarray(times, dtype=np.float64).reshape(-1)
        u = np.asarray(values, dtype=np.float64)
        if u.ndim == 1 and len(names) == 1:
            u = u[:, None]
        if t.size < 2 or not np.all(np.diff(t) > 0):
            raise DataError("input signal: sample times must be at least 2, strictly increasing")
        if u.shape != (t.size, len(names)):
            raise DataError(
                f"input signal: values must have shape ({t.size}, {len(names)}) "
                f"for inputs {', '.join(names)}, got {u.shape}"
            )
        if not np.isfinite(u).all():
            raise DataError("input signal: sampled values must be finite")
        if kind not in _KINDS:
            raise DataError(f"input signal: kind must be one of {', '.join(_KINDS)}, got {kind!r}")
        function = _interpolant(t, u, kind)
        breaks = () if kind == "cubic" else tuple(t.tolist())
        return cls(names, function, (float(t[0]), float(t[-1])), breaks)


def _interpolant(t: np.ndarray, u: np.ndarray, kind: str) -> Callable[[float], np.ndarray]:
    if kind == "cubic":
        from scipy.interpolate import CubicSpline

        spline = CubicSpline(t, u, axis=0)
        return lambda s: np.asarray(spline(s), dtype=np.float64)
    if kind == "hold":
        return lambda s: u[max(int(np.searchsorted(t, s, side="right")) - 1, 0)].copy()
    return lambda s: np.array([np.interp(s, t, column) for column in u.T])


def as_input_signal(
    names: Sequence[str], inputs: Any, times: np.ndarray, system: str
) -> InputSignal | None:
    """What :func:`~physym.data.simulate` accepts for ``inputs``, as an :class:`InputSignal`.

    ``times`` are the output times (sampled arrays are given at them); the signal is
    checked there for shape and finiteness, so a wrong signal fails before integration.
    """
    names = tuple(names)
    if inputs is None:
        if names:
            raise DataError(
                f"{system} has inputs ({', '.join(names)}): pass inputs= a function "
                "of t, a mapping name -> function or number, or values (T, m) at "
                "the output times"
            )
        return None
    if not names:
        raise DataError(f"{system} has no inputs, but inputs were given")
    if isinstance(inputs, InputSignal):
        if inputs.names != names:
            raise DataError(
                f"{system}: the input signal is for {', '.join(inputs.names)}, "
                f"the system's inputs are {', '.join(names)}"
            )
        signal = inputs
    elif callable(inputs) or isinstance(inputs, Mapping):
        signal = InputSignal.from_functions(names, inputs)
    else:
        signal = InputSignal.from_samples(names, times, inputs, kind="cubic")
    if not signal.covers(float(times[0]), float(times[-1])):
        raise DataError(
            f"{system}: the input signal covers t in {signal.span}, not the "
            f"whole [{times[0]:g}, {times[-1]:g}]"
        )
    try:
        values = signal.sample(times)
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"{system}: the input signal cannot be evaluated "
            f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
        ) from None
    if not np.isfinite(values).all():
        raise DataError(f"{system}: the input signal is not finite at every output time")
    return signal
