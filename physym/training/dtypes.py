"""The training dtypes by name: the one place a dtype string becomes a ``torch.dtype``."""

from __future__ import annotations

import torch

from physym.config.settings import ConfigError

__all__ = ["DTYPES", "torch_dtype"]

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def torch_dtype(name: str) -> torch.dtype:
    """``"float32"`` or ``"float64"`` as a ``torch.dtype``.

    Examples
    --------
    >>> torch_dtype("float64")
    torch.float64
    """
    try:
        return DTYPES[name]
    except KeyError:
        raise ConfigError(f"unknown dtype {name!r}; known: {', '.join(DTYPES)}") from None
