"""SymPy expressions turned into batched NumPy and Torch functions, entry by entry.

Lambdifying each entry separately keeps Torch gradients and lets a constant entry (a
number) broadcast over the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import sympy as sp

if TYPE_CHECKING:
    import torch

__all__ = ["constants_as_floats", "entrywise", "evaluate_numpy", "evaluate_torch"]


def entrywise(exprs: Sequence[sp.Expr], args: Sequence[sp.Symbol], module: str) -> list[Callable]:
    """One function ``f(*columns)`` per expression, for ``module`` ``"numpy"`` or ``"torch"``."""
    if module == "torch":
        exprs = [constants_as_floats(e) for e in exprs]
    return [sp.lambdify(args, e, modules=module, cse=True) for e in exprs]


def constants_as_floats(expr: sp.Expr) -> sp.Expr:
    """Constant function values (``sqrt(2)``, ``sin(1)``) as Floats: torch's functions take
    tensors only, so ``torch.sqrt(2)`` in a lambdified function would raise."""
    return expr.replace(
        lambda e: isinstance(e, sp.Function | sp.Pow) and not e.free_symbols and e.is_real,
        lambda e: sp.Float(e.evalf(17), 17),
    )


def evaluate_numpy(functions: Sequence[Callable], columns: Sequence[np.ndarray]) -> np.ndarray:
    """Evaluate on ``(batch,)`` columns; returns ``(batch, len(functions))`` float64."""
    batch = columns[0].shape[0]
    out = np.empty((batch, len(functions)), dtype=np.float64)
    for i, fn in enumerate(functions):
        out[:, i] = np.broadcast_to(np.asarray(fn(*columns), dtype=np.float64), (batch,))
    return out


def evaluate_torch(functions: Sequence[Callable], columns: Sequence[torch.Tensor]) -> torch.Tensor:
    """Evaluate on ``(batch,)`` tensors; returns ``(batch, len(functions))``."""
    import torch

    batch = columns[0].shape[0]
    values = []
    for fn in functions:
        value = fn(*columns)
        if not isinstance(value, torch.Tensor):
            value = torch.as_tensor(value, dtype=columns[0].dtype, device=columns[0].device)
        values.append(value.expand(batch) if value.dim() == 0 else value)
    return torch.stack(values, dim=-1)
