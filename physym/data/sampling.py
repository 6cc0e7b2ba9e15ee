"""Uniform, seeded samples of states (and of time and inputs) from a system's sampling box.

States are drawn exactly as they always were, so seeded draws of every system reproduce;
time and inputs, where a system has them, come from a separate generator.
"""

from __future__ import annotations

import numpy as np

from physym.systems import System

__all__ = ["sample_states", "sample_time_and_inputs"]


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


def sample_time_and_inputs(
    system: System, n: int, seed: int = 0
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Draw ``n`` times and input values uniformly from the system's ``[sampling]`` box.

    They come from ``numpy.random.default_rng([seed, 3])``, independent of the states of
    :func:`sample_states` with the same seed (which stay the same for every system).

    Parameters
    ----------
    system : System
    n : int
        Number of draws (``n >= 0``).
    seed : int

    Returns
    -------
    t : numpy.ndarray ``(n,)`` or None
        Times in ``system.time_range`` (None for a system that does not depend on time).
    inputs : numpy.ndarray ``(n, m)`` or None
        Input values in ``system.input_box`` (None for a system without inputs).

    Examples
    --------
    >>> from physym import load_system
    >>> t, u = sample_time_and_inputs(load_system("cart_pole"), 3, seed=1)
    >>> t is None, u.shape
    (True, (3, 1))
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"number of samples must be a non-negative integer, got {n!r}")
    rng = np.random.default_rng([seed, 3])
    t = None
    if system.time_dependent and system.time_range is not None:
        t = rng.uniform(*system.time_range, size=int(n))
    inputs = None
    if system.has_inputs:
        low, high = system.input_box
        inputs = rng.uniform(low, high, size=(int(n), len(low)))
    return t, inputs
