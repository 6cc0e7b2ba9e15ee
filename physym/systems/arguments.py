"""The numeric arguments of the ground truth: states, time and inputs, checked and broadcast.

Every batched function of a system takes ``states`` ``(batch, 2n)``, and where the system
needs them, ``t`` (a number, or one time per state) and ``inputs`` (one row of ``m`` values
for all states, ``(batch, m)``, or a mapping ``{name: value or (batch,) values}``). They are
turned into one column per argument, in the order ``q, q̇, t, u``, for NumPy or for Torch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = ["as_states", "input_columns", "time_column", "torch_input_columns", "torch_time_column"]


def as_states(states: Any, n_dof: int) -> np.ndarray:
    """Validate a batch of states and return it as a float64 ``(batch, 2n)`` array."""
    array = np.asarray(states, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != 2 * n_dof:
        raise ValueError(f"states must have shape (batch, {2 * n_dof}), got {array.shape}")
    return array


def time_column(t: Any, batch: int, system: str) -> np.ndarray:
    """``t`` as a float64 ``(batch,)`` column: a number for every state, or one per state."""
    if t is None:
        raise ValueError(
            f"system {system!r} depends on time: pass t (a number or one time per state)"
        )
    array = np.asarray(t, dtype=np.float64)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim == 0 or array.shape == (1,):
        return np.full(batch, float(array.reshape(())))
    if array.shape != (batch,):
        raise ValueError(f"t must be a number or have shape ({batch},), got {array.shape}")
    return array


def _input_matrix(inputs: Any, batch: int, names: Sequence[str], system: str, as_array: Any) -> Any:
    m = len(names)
    if inputs is None:
        if m:
            raise ValueError(
                f"system {system!r} has inputs ({', '.join(names)}): pass inputs "
                f"of shape (batch, {m}) or a mapping name -> values"
            )
        return None
    if isinstance(inputs, Mapping):
        unknown = sorted(set(inputs) - set(names))
        missing = [n for n in names if n not in inputs]
        if unknown or missing:
            problem = (
                f"unknown input {unknown[0]!r}" if unknown else f"no value for input {missing[0]!r}"
            )
            raise ValueError(f"system {system!r}: {problem} (inputs: {', '.join(names)})")
        return [as_array(inputs[n]) for n in names]
    array = as_array(inputs)
    if m == 0:
        if array.numel() if hasattr(array, "numel") else array.size:
            raise ValueError(
                f"system {system!r} has no inputs, got input values of shape {tuple(array.shape)}"
            )
        return None
    if array.ndim == 0 and m == 1:
        return [array]
    if array.ndim == 1 and array.shape[0] == m:
        return [array[j] for j in range(m)]
    if array.ndim == 1 and m == 1 and array.shape[0] == batch:
        return [array]
    if array.ndim == 2 and array.shape[1] == m and array.shape[0] in (1, batch):
        return [array[:, j] for j in range(m)]
    raise ValueError(
        f"inputs of system {system!r} must have shape ({batch}, {m}) or ({m},), "
        f"got {tuple(array.shape)}"
    )


def input_columns(inputs: Any, batch: int, names: Sequence[str], system: str) -> list[np.ndarray]:
    """``inputs`` as ``m`` float64 ``(batch,)`` columns (empty for a system without inputs)."""
    parts = _input_matrix(inputs, batch, names, system, lambda a: np.asarray(a, dtype=np.float64))
    if parts is None:
        return []
    columns = []
    for name, part in zip(names, parts, strict=True):
        if part.ndim not in (0, 1) or part.size not in (1, batch):
            raise ValueError(
                f"input {name!r} must be a number or have shape ({batch},), got {part.shape}"
            )
        columns.append(np.broadcast_to(part.reshape(-1), (batch,)))
    return columns


def torch_time_column(t: Any, like: torch.Tensor, system: str) -> torch.Tensor:
    """``t`` as a ``(batch,)`` tensor of ``like``'s dtype and device (gradients kept)."""
    import torch

    if t is None:
        raise ValueError(
            f"system {system!r} depends on time: pass t (a number or one time per state)"
        )
    batch = like.shape[0]
    value = torch.as_tensor(t, dtype=like.dtype, device=like.device)
    if value.dim() == 2 and value.shape[1] == 1:
        value = value[:, 0]
    if value.dim() == 0 or tuple(value.shape) == (1,):
        return value.reshape(()).expand(batch)
    if tuple(value.shape) != (batch,):
        raise ValueError(f"t must be a number or have shape ({batch},), got {tuple(value.shape)}")
    return value


def torch_input_columns(
    inputs: Any, like: torch.Tensor, names: Sequence[str], system: str
) -> list[torch.Tensor]:
    """``inputs`` as ``m`` ``(batch,)`` tensors (gradients kept)."""
    import torch

    batch = like.shape[0]
    parts = _input_matrix(
        inputs,
        batch,
        names,
        system,
        lambda a: torch.as_tensor(a, dtype=like.dtype, device=like.device),
    )
    if parts is None:
        return []
    columns = []
    for name, part in zip(names, parts, strict=True):
        if part.dim() not in (0, 1) or part.numel() not in (1, batch):
            raise ValueError(
                f"input {name!r} must be a number or have shape ({batch},), got {tuple(part.shape)}"
            )
        columns.append(part.reshape(-1).expand(batch))
    return columns
