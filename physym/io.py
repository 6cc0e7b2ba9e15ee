"""Atomic file writes: a temp file in the same folder, then ``os.replace``.

An interrupted run therefore never leaves a half-written file that looks complete.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
from numpy.typing import ArrayLike

_UMASK = os.umask(0)
os.umask(_UMASK)

__all__ = ["atomic_write", "read_json", "save_npz", "save_torch", "write_json", "write_text"]


def atomic_write(path: str | Path, writer: Callable[[IO[bytes]], None]) -> Path:
    """Call ``writer(file)`` on a temporary file next to ``path`` and rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
        with os.fdopen(fd, "wb") as handle:
            writer(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Atomically write UTF-8 text."""
    data = text.encode("utf-8")

    def write(handle: IO[bytes]) -> None:
        handle.write(data)

    return atomic_write(path, write)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_json(path: str | Path, data: Any) -> Path:
    """Atomically write ``data`` as indented JSON (NumPy scalars and arrays allowed)."""
    return write_text(path, json.dumps(data, indent=2, default=_json_default) + "\n")


def read_json(path: str | Path) -> Any:
    """Read a JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def save_npz(path: str | Path, arrays: Mapping[str, ArrayLike]) -> Path:
    """Atomically save arrays to a compressed ``.npz``."""
    if "allow_pickle" in arrays:  # np.savez_compressed would take it as its flag, not save it
        raise ValueError("cannot save an array named 'allow_pickle' to .npz")
    # Sound after the check above: no name can reach savez_compressed's own keyword.
    named = cast(Mapping[str, Any], arrays)

    def write(handle: IO[bytes]) -> None:
        np.savez_compressed(handle, **named)

    return atomic_write(path, write)


def save_torch(path: str | Path, obj: Any) -> Path:
    """Atomically ``torch.save`` an object."""
    import torch

    return atomic_write(path, lambda f: torch.save(obj, f))
