"""Columns of numbers from a CSV or NPZ file, with one-line errors that name the place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from physym.data._npz import read_npz
from physym.data.errors import DataError

__all__ = ["Table", "read_table"]


@dataclass(frozen=True, eq=False)
class Table:
    """Named numeric columns read from ``path``.

    Attributes
    ----------
    path : Path
    columns : dict of str to numpy.ndarray, each shape ``(N,)``
    lines : numpy.ndarray of int, shape ``(N,)``, or None
        For a CSV, the file line of each row (for messages).
    """

    path: Path
    columns: dict[str, np.ndarray]
    lines: np.ndarray | None = None

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def where(self, row: int) -> str:
        """``"line L"`` (CSV) or ``"row i"`` (NPZ, 0-based) of data row ``row``."""
        return f"line {int(self.lines[row])}" if self.lines is not None else f"row {row}"

    def numeric(self, names: Sequence[str], *, what: str = "data") -> np.ndarray:
        """The named columns as a finite float64 ``(N, len(names))`` array.

        Raises
        ------
        DataError
            Naming every missing column, or the first NaN / inf by column and row.
        """
        missing = [name for name in names if name not in self.columns]
        if missing:
            found = ", ".join(self.columns) or "none"
            raise DataError(
                f"{self.path}: missing {what} column(s) "
                f"{', '.join(repr(m) for m in missing)} (found: {found})"
            )
        if len(self) == 0:
            raise DataError(f"{self.path}: no data rows")
        array = np.column_stack([self.columns[name] for name in names])
        bad = ~np.isfinite(array)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            kind = "NaN or a missing value" if np.isnan(array[row, col]) else "an infinite value"
            raise DataError(
                f"{self.path}: column {names[col]!r} has {kind} at {self.where(int(row))}"
            )
        return array


def read_table(path: str | Path, delimiter: str | None = None) -> Table:
    """Read named columns from a ``.csv`` (header line) or ``.npz`` (one 1-D array each).

    CSV: blank lines and lines starting with ``#`` are skipped, the first other line is the
    header; the delimiter is ``,`` unless the header has none, then tab, ``;`` or
    whitespace. Empty cells and ``nan`` read as NaN (reported by :meth:`Table.numeric`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
    >>> _ = path.write_text("t,x\\n0,1\\n0.5,2\\n")
    >>> read_table(path).columns["x"]
    array([1., 2.])
    """
    path = Path(path)
    if path.suffix.lower() == ".npz":
        arrays = read_npz(path, (), "data")
        columns = {}
        for key, value in arrays.items():
            if value.ndim != 1 or not np.issubdtype(value.dtype, np.number):
                continue
            columns[key] = value.astype(np.float64)
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise DataError(f"{path}: arrays have different lengths {sorted(lengths)}")
        return Table(path, columns)
    return _read_csv(path, delimiter)


def _read_csv(path: Path, delimiter: str | None) -> Table:
    if not path.exists():
        raise DataError(f"{path}: no such data file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: unreadable data file ({reason})") from None
    numbered = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        raise DataError(f"{path}: empty file, expected a header line of column names")
    header_line, header = numbered[0]
    if delimiter is None:
        delimiter = next((d for d in (",", "\t", ";") if d in header), None)
    names = [name.strip().strip('"').strip("'") for name in header.split(delimiter)]
    if len(set(names)) != len(names) or not all(names):
        raise DataError(
            f"{path}: line {header_line}: header needs distinct, non-empty column names"
        )
    rows, lines = [], []
    for number, line in numbered[1:]:
        fields = [field.strip() for field in line.split(delimiter)]
        if len(fields) != len(names):
            raise DataError(
                f"{path}: line {number}: expected {len(names)} values, got {len(fields)}"
            )
        rows.append(fields)
        lines.append(number)
    cells = np.array(rows, dtype=str).reshape(len(rows), len(names))
    try:
        values = np.where(cells == "", "nan", cells).astype(np.float64)
    except ValueError:
        values = _locate_bad_cell(path, cells, names, lines)
    columns = {name: values[:, j] for j, name in enumerate(names)}
    return Table(path, columns, np.array(lines, dtype=np.int64))


def _locate_bad_cell(
    path: Path, cells: np.ndarray, names: list[str], lines: list[int]
) -> np.ndarray:
    for i, row in enumerate(cells):
        for j, cell in enumerate(row):
            try:
                float(cell or "nan")
            except ValueError:
                raise DataError(
                    f"{path}: column {names[j]!r} at line {lines[i]}: cannot read "
                    f"{str(cell)!r} as a number"
                ) from None
    raise DataError(f"{path}: unreadable numbers")  # pragma: no cover - float() disagrees
