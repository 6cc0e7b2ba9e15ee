"""Reading ``.npz`` files with one-line :class:`DataError` messages."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from physym.data.errors import DataError


def read_npz(path: str | Path, required: Iterable[str], what: str) -> dict[str, np.ndarray]:
    """All arrays of an ``.npz`` file; a :class:`DataError` if it is missing or corrupt.

    ``what`` names the expected content in messages (``"trajectory"``, ``"dataset"``).
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such {what} file")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a {what} .npz file")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except AttributeError:  # np.load returned a plain array: a .npy file
        raise DataError(f"{path}: not a .npz archive (a single .npy array?)") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: unreadable or corrupt {what} file ({reason})") from None
    missing = [key for key in required if key not in arrays]
    if missing:
        raise DataError(
            f"{path}: not a physym {what} file, missing array(s) "
            f"{', '.join(repr(k) for k in missing)}"
        )
    return arrays
