"""Sampled datasets: the box, splits, noise level, save / load."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import physym
from physym.data import DataError, Dataset, make_dataset, sample_states, split_indices


@pytest.fixture(scope="module")
def pendulum() -> physym.System:
    return physym.load_system("pendulum")


def test_states_are_uniform_in_the_box_and_prefix_stable(pendulum: physym.System) -> None:
    states = sample_states(pendulum, 4000, seed=7)
    low, high = pendulum.box
    assert states.shape == (4000, 2) and states.dtype == np.float64
    assert (states >= low).all() and (states <= high).all()
    assert (np.abs(states.mean(axis=0) - (low + high) / 2) < 0.02 * (high - low)).all()
    np.testing.assert_array_equal(sample_states(pendulum, 10, seed=7), states[:10])
    assert not np.array_equal(sample_states(pendulum, 10, seed=8), states[:10])


def test_targets_are_the_exact_accelerations(pendulum: physym.System) -> None:
    data = make_dataset(pendulum, 50, seed=1)
    theta = data.states[:, 0]
    g, length = pendulum.parameters["g"], pendulum.parameters["l"]
    np.testing.assert_allclose(
        data.accelerations[:, 0], -g / length * np.sin(theta), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_array_equal(data.accelerations, data.accelerations_clean)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 300), val=st.floats(0, 0.5), seed=st.integers(0, 2**31))
def test_splits_are_disjoint_and_cover(n: int, val: float, seed: int) -> None:
    parts = split_indices(n, (1 - 2 * val, val, val), seed=seed)
    joined = np.concatenate(parts)
    np.testing.assert_array_equal(np.sort(joined), np.arange(n))
    assert sum(len(p) for p in parts) == n
    assert len(parts[2]) == round(val * n)
    assert abs(len(parts[1]) - val * n) <= 1


def test_dataset_split_views(pendulum: physym.System) -> None:
    data = make_dataset(pendulum, 200, seed=3, splits=(0.7, 0.2, 0.1))
    sizes = [len(data.train[0]), len(data.val[0]), len(data.test[0])]
    assert sizes == [140, 40, 20]
    states, targets = data.val
    np.testing.assert_array_equal(states, data.states[data.val_index])
    np.testing.assert_array_equal(targets, data.accelerations[data.val_index])
    with pytest.raises(ValueError):
        data.states[0, 0] = 1.0  # frozen: arrays are read-only
    with pytest.raises(ValueError, match="summing to 1"):
        make_dataset(pendulum, 10, splits=(0.5, 0.1, 0.1))


def test_noise_has_the_requested_relative_size() -> None:
    system = physym.load_system("double_pendulum")
    data = make_dataset(system, 20000, seed=5, noise=0.05)
    clean = data.accelerations_clean
    relative = (data.accelerations - clean).std(axis=0) / clean.std(axis=0)
    np.testing.assert_allclose(relative, 0.05, rtol=0.03)
    residual = (data.accelerations - clean).mean(axis=0) / clean.std(axis=0)
    assert np.abs(residual).max() < 0.002  # zero-mean
    np.testing.assert_array_equal(clean, system.accelerations(data.states))


def test_save_load_round_trip(tmp_path, pendulum: physym.System) -> None:
    data = make_dataset(pendulum, 30, seed=9, noise=0.1)
    loaded = Dataset.load(data.save(tmp_path / "data.npz"))
    for field in (
        "states",
        "accelerations",
        "accelerations_clean",
        "train_index",
        "val_index",
        "test_index",
    ):
        np.testing.assert_array_equal(getattr(loaded, field), getattr(data, field))
    assert (loaded.system, loaded.seed, loaded.noise) == ("pendulum", 9, 0.1)
    assert loaded.state_names == ("theta", "theta_dot")


def test_load_errors_are_one_line(tmp_path, pendulum: physym.System) -> None:
    (tmp_path / "junk.npz").write_bytes(b"\x00garbage")
    np.savez(tmp_path / "partial.npz", states=np.zeros((3, 2)))
    good = make_dataset(pendulum, 10).save(tmp_path / "good.npz")
    arrays = dict(np.load(good))
    arrays["train_index"] = arrays["train_index"][:-1]
    np.savez(tmp_path / "inconsistent.npz", **arrays)
    cases = {
        "missing.npz": "no such dataset file",
        "junk.npz": "corrupt",
        "partial.npz": "missing array.*'accelerations'",
        "inconsistent.npz": "partition",
    }
    for name, message in cases.items():
        with pytest.raises(DataError, match=message) as info:
            Dataset.load(tmp_path / name)
        assert "\n" not in str(info.value) and name in str(info.value)
