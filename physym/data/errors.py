"""Errors raised by :mod:`physym.data`: one line that says what is wrong and where."""

from __future__ import annotations

import numpy as np

from physym.errors import PhysymError

__all__ = ["DataError", "IntegrationError"]


class DataError(PhysymError, ValueError):
    """A data file or array is missing, unreadable or malformed.

    The message is one line naming the file, the column and the row where possible, e.g.
    ``data.csv: column 'x' has NaN at row 7 (line 8)``.
    """


class IntegrationError(PhysymError, RuntimeError):
    """The ODE solver stopped before the end of the requested time span.

    Attributes
    ----------
    t : numpy.ndarray, shape ``(T,)``
        Output times reached before the failure.
    states : numpy.ndarray, shape ``(T, 2n)`` or ``(T, B, 2n)``
        States at those times (the partial solution).
    """

    def __init__(
        self, message: str, t: np.ndarray | None = None, states: np.ndarray | None = None
    ) -> None:
        super().__init__(message)
        self.t = np.empty(0) if t is None else t
        self.states = np.empty((0, 0)) if states is None else states
