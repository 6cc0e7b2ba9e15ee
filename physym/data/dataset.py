"""Datasets of states and accelerations with noise and train / validation / test splits.

For a system that depends on time or has inputs, each sample also carries its time ``t``
and its input values; a conservative system's datasets are exactly what they always were.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from physym.data._npz import read_npz
from physym.data.errors import DataError
from physym.data.sampling import sample_states, sample_time_and_inputs
from physym.io import save_npz
from physym.systems import System

__all__ = ["Dataset", "make_dataset", "split_indices"]

Split = tuple[np.ndarray, np.ndarray]
"""``(states (m, 2n), accelerations (m, n))``."""


def split_indices(
    n: int, splits: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A seeded random partition of ``range(n)`` into train, validation and test indices.

    Sizes are ``round(f·n)`` for test and validation (validation clipped so the two fit in
    ``n``) and the rest for training. Each index array is sorted.

    Examples
    --------
    >>> [len(i) for i in split_indices(10, (0.8, 0.1, 0.1))]
    [8, 1, 1]
    """
    fractions = tuple(float(f) for f in splits)
    if (
        len(fractions) != 3
        or any(not math.isfinite(f) or f < 0 for f in fractions)
        or abs(sum(fractions) - 1.0) > 1e-9
    ):
        raise ValueError(
            f"splits must be three non-negative fractions summing to 1 "
            f"(train, val, test), got {tuple(splits)}"
        )
    n_test = min(round(fractions[2] * n), n)
    n_val = min(round(fractions[1] * n), n - n_test)  # rounding up twice must not overflow
    order = np.random.default_rng([seed, 2]).permutation(n)
    train = np.sort(order[: n - n_val - n_test])
    val = np.sort(order[n - n_val - n_test : n - n_test])
    test = np.sort(order[n - n_test :])
    return train, val, test


@dataclass(frozen=True, eq=False)
class Dataset:
    """States with their (possibly noisy) accelerations, split for training.

    Attributes
    ----------
    states : numpy.ndarray, shape ``(N, 2n)``
        Rows ``(q, q_dot)`` in :attr:`state_names` order.
    accelerations : numpy.ndarray, shape ``(N, n)``
        Training targets ``q̈`` (with noise if :attr:`noise` > 0).
    accelerations_clean : numpy.ndarray, shape ``(N, n)``, or None
        Exact targets (``None`` for a user's measured data, where they are unknown).
    train_index, val_index, test_index : numpy.ndarray of int
        A partition of ``range(N)``.
    system : str
        Name of the system.
    state_names : tuple of str
    seed : int
    noise : float
        Relative noise level: ``σ_j = noise · std(clean q̈_j)`` per column.
    t : numpy.ndarray, shape ``(N,)``, or None
        Time of each sample, for a system that depends on time.
    inputs : numpy.ndarray, shape ``(N, m)``, or None
        Input values of each sample, for a system with inputs.
    input_names : tuple of str

    Examples
    --------
    >>> from physym import load_system
    >>> data = make_dataset(load_system("pendulum"), 100, seed=0, noise=0.01)
    >>> states, targets = data.train
    >>> states.shape, targets.shape
    ((80, 2), (80, 1))
    """

    states: np.ndarray
    accelerations: np.ndarray
    accelerations_clean: np.ndarray | None
    train_index: np.ndarray
    val_index: np.ndarray
    test_index: np.ndarray
    system: str
    state_names: tuple[str, ...]
    seed: int = 0
    noise: float = 0.0
    t: np.ndarray | None = None
    inputs: np.ndarray | None = None
    input_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        states = np.asarray(self.states, dtype=np.float64)
        targets = np.asarray(self.accelerations, dtype=np.float64)
        if states.ndim != 2 or states.shape[1] % 2 or states.shape[1] != len(self.state_names):
            raise DataError(
                f"dataset: states must have shape (N, {len(self.state_names)}), got {states.shape}"
            )
        expected = (len(states), states.shape[1] // 2)
        if targets.shape != expected:
            raise DataError(
                f"dataset: accelerations must have shape {expected}, got {targets.shape}"
            )
        clean = self.accelerations_clean
        if clean is not None:
            clean = np.asarray(clean, dtype=np.float64)
            if clean.shape != expected:
                raise DataError(
                    f"dataset: accelerations_clean must have shape {expected}, got {clean.shape}"
                )
        times, inputs = self._conditions_checked(len(states))
        indices = [
            np.asarray(i, dtype=np.int64).reshape(-1)
            for i in (self.train_index, self.val_index, self.test_index)
        ]
        joined = np.concatenate(indices)
        if len(joined) != len(states) or not np.array_equal(
            np.sort(joined), np.arange(len(states))
        ):
            raise DataError("dataset: train/val/test indices must partition range(N)")
        for name, value in (
            ("states", states),
            ("accelerations", targets),
            ("accelerations_clean", clean),
            ("train_index", indices[0]),
            ("val_index", indices[1]),
            ("test_index", indices[2]),
            ("t", times),
            ("inputs", inputs),
        ):
            if value is not None:  # a read-only view: the caller's array stays writable
                value = value.view()
                value.setflags(write=False)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "state_names", tuple(self.state_names))
        object.__setattr__(self, "input_names", tuple(self.input_names))

    def _conditions_checked(self, n: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        times = None if self.t is None else np.asarray(self.t, dtype=np.float64)
        if times is not None and times.shape != (n,):
            raise DataError(f"dataset: t must have shape ({n},), got {times.shape}")
        inputs = None if self.inputs is None else np.asarray(self.inputs, dtype=np.float64)
        expected = (n, len(self.input_names))
        if (inputs is None) != (not self.input_names) or (
            inputs is not None and inputs.shape != expected
        ):
            got = None if inputs is None else inputs.shape
            raise DataError(
                f"dataset: inputs must have shape {expected} for input names "
                f"{list(self.input_names)}, got {got}"
            )
        return times, inputs

    @classmethod
    def from_arrays(
        cls,
        system: System | str,
        states: np.ndarray,
        accelerations: np.ndarray,
        *,
        accelerations_clean: np.ndarray | None = None,
        splits: Sequence[float] = (0.8, 0.1, 0.1),
        seed: int = 0,
        noise: float = 0.0,
        state_names: Sequence[str] | None = None,
        t: np.ndarray | None = None,
        inputs: np.ndarray | None = None,
        input_names: Sequence[str] | None = None,
    ) -> Dataset:
        """A dataset of given arrays with a seeded random split."""
        if isinstance(system, System):
            name, names = system.name, tuple(system.state_names)
            inputs_named = tuple(system.inputs) if inputs is not None else ()
        elif state_names is None:
            raise ValueError("state_names are needed when the system is given by name")
        else:
            name, names = str(system), tuple(state_names)
            inputs_named = tuple(input_names or ())
        train, val, test = split_indices(len(states), splits, seed)
        return cls(
            states,
            accelerations,
            accelerations_clean,
            train,
            val,
            test,
            name,
            names,
            seed,
            float(noise),
            t,
            inputs,
            inputs_named,
        )

    def __len__(self) -> int:
        return len(self.states)

    @property
    def n_dof(self) -> int:
        """Number of degrees of freedom."""
        return self.states.shape[1] // 2

    def subset(self, index: np.ndarray) -> Split:
        """``(states, accelerations)`` at the given rows."""
        return self.states[index], self.accelerations[index]

    def conditions(self, index: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        """``(t, inputs)`` at the given rows (each None where the data have none)."""
        return (
            None if self.t is None else self.t[index],
            None if self.inputs is None else self.inputs[index],
        )

    @property
    def train(self) -> Split:
        """Training ``(states (m, 2n), accelerations (m, n))``."""
        return self.subset(self.train_index)

    @property
    def val(self) -> Split:
        """Validation ``(states, accelerations)``."""
        return self.subset(self.val_index)

    @property
    def test(self) -> Split:
        """Test ``(states, accelerations)``."""
        return self.subset(self.test_index)

    def save(self, path: str | Path) -> Path:
        """Write an ``.npz`` atomically (arrays, system name, seed, noise)."""
        arrays: dict[str, Any] = {
            "states": self.states,
            "accelerations": self.accelerations,
            "train_index": self.train_index,
            "val_index": self.val_index,
            "test_index": self.test_index,
            "system": np.str_(self.system),
            "state_names": np.array(self.state_names, dtype=np.str_),
            "seed": np.int64(self.seed),
            "noise": np.float64(self.noise),
        }
        if self.accelerations_clean is not None:
            arrays["accelerations_clean"] = self.accelerations_clean
        if self.t is not None:
            arrays["t"] = self.t
        if self.inputs is not None:
            arrays |= {
                "inputs": self.inputs,
                "input_names": np.array(self.input_names, dtype=np.str_),
            }
        return save_npz(path, arrays)

    @classmethod
    def load(cls, path: str | Path) -> Dataset:
        """Read a dataset written by :meth:`save`; one-line :class:`DataError` otherwise."""
        keys = (
            "states",
            "accelerations",
            "train_index",
            "val_index",
            "test_index",
            "system",
            "state_names",
            "seed",
            "noise",
        )
        arrays = read_npz(path, keys, "dataset")
        try:
            return cls(
                arrays["states"],
                arrays["accelerations"],
                arrays.get("accelerations_clean"),
                arrays["train_index"],
                arrays["val_index"],
                arrays["test_index"],
                str(arrays["system"]),
                tuple(str(s) for s in np.atleast_1d(arrays["state_names"])),
                int(arrays["seed"]),
                float(arrays["noise"]),
                arrays.get("t"),
                arrays.get("inputs"),
                tuple(str(s) for s in np.atleast_1d(arrays.get("input_names", []))),
            )
        except (DataError, TypeError, ValueError) as exc:
            message = str(exc).removeprefix("dataset: ")
            raise DataError(f"{path}: inconsistent dataset file ({message})") from None

    def __repr__(self) -> str:
        return (
            f"Dataset({self.system!r}, N={len(self)}, train/val/test="
            f"{len(self.train_index)}/{len(self.val_index)}/{len(self.test_index)}, "
            f"noise={self.noise:g}, seed={self.seed})"
        )


def make_dataset(
    system: System,
    n: int,
    seed: int = 0,
    noise: float = 0.0,
    splits: Sequence[float] = (0.8, 0.1, 0.1),
) -> Dataset:
    """Sample ``n`` states uniformly in the box with their exact accelerations.

    A system that depends on time or has inputs also gets ``t`` and input values drawn
    uniformly from its ``[sampling]`` box (:func:`sample_time_and_inputs`); the states
    are the same draw as for any other system.

    Parameters
    ----------
    system : System
    n : int
        Number of samples.
    seed : int
        Seeds the states (:func:`sample_states`), the noise and the split.
    noise : float
        Relative Gaussian noise on the targets: column ``j`` gets
        ``σ_j = noise · std(q̈_j)`` over the samples. The exact targets are kept as
        :attr:`Dataset.accelerations_clean`.
    splits : (train, val, test)
        Fractions summing to one.

    Returns
    -------
    Dataset

    Examples
    --------
    >>> from physym import load_system
    >>> data = make_dataset(load_system("double_pendulum"), 50, seed=3)
    >>> len(data), data.accelerations.shape
    (50, (50, 2))
    """
    if not math.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a non-negative number, got {noise}")
    states = sample_states(system, n, seed=seed)
    times, inputs = None, None
    if system.time_dependent or system.has_inputs:
        times, inputs = sample_time_and_inputs(system, n, seed=seed)
    clean = system.accelerations(states, times, inputs)
    targets = clean
    if noise > 0 and n > 0:
        sigma = noise * clean.std(axis=0)
        targets = clean + np.random.default_rng([seed, 1]).normal(size=clean.shape) * sigma
    return Dataset.from_arrays(
        system,
        states,
        targets,
        accelerations_clean=clean,
        splits=splits,
        seed=seed,
        noise=noise,
        t=times,
        inputs=inputs,
    )
