"""Uniform, seeded samples of states from a system's sampling box."""

from __future__ import annotations

import numpy as np

from physym.systems import System

__all__ = ["sample_states"]


def sample_states(system: System, n: int, seed: int = 0) -> np.ndarray:
    """Draw ``n`` states uniformly from ``system.box``.

    The whole batch is drawn as one ``(n, 2n_dof)`` array from
    ``numpy.random.default_rng(seed)``, so the first ``m`` rows of a larger draw equal a
    draw of ``m`` rows with the same seed.

    Parameters
    ----------
    system : System
    n : int
        Number of states (``n >= 0``).
    seed : int
        Seed of the random generator.

    Returns
    -------
    numpy.ndarray, shape ``(n, 2n_dof)``, float64
        Rows ``(q, q_dot)`` in ``system.state_names`` order.

    Examples
    --------
    >>> from physym import load_system
    >>> states = sample_states(load_system("pendulum"), 4, seed=1)
    >>> states.shape
    (4, 2)
    >>> bool((sample_states(load_system("pendulum"), 2, seed=1) == states[:2]).all())
    True
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"number of states must be a non-negative integer, got {n!r}")
    low, high = system.box
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=(int(n), len(low)))
