"""Atomic writers of physym.io."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from physym.io import save_npz, write_text


def test_save_npz_round_trips_every_named_array(tmp_path: Path) -> None:
    arrays = {"x": np.arange(3.0), "names": np.array(["a", "b"], dtype=np.str_)}
    path = save_npz(tmp_path / "a.npz", arrays)
    with np.load(path) as loaded:
        assert sorted(loaded.files) == ["names", "x"]
        np.testing.assert_array_equal(loaded["x"], arrays["x"])
        np.testing.assert_array_equal(loaded["names"], arrays["names"])


def test_save_npz_refuses_a_name_numpy_would_take_as_its_flag(tmp_path: Path) -> None:
    # np.savez_compressed reads an array named "allow_pickle" as its keyword and drops it.
    with pytest.raises(ValueError, match="allow_pickle"):
        save_npz(tmp_path / "b.npz", {"x": np.ones(2), "allow_pickle": np.zeros(2)})
    assert not list(tmp_path.iterdir())


def test_write_text_writes_utf8(tmp_path: Path) -> None:
    path = write_text(tmp_path / "t.txt", "E = ½ m q̇²\n")
    assert path.read_bytes() == "E = ½ m q̇²\n".encode()
