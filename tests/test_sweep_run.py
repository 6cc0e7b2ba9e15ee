"""A tiny real sweep (two points in two loky workers), its table and plot, and restarts."""

from __future__ import annotations

import pytest

import physym.sweep.point as point_module
from physym.runs import load_run
from physym.sweep import SweepError, load_sweep, run_sweep
from physym.sweep.table import METRIC_COLUMNS

TINY = {
    "depth": 1,
    "epochs": 2,
    "rollout_states": 2,
    "rollout_t_end": 1.0,
    "energy_states": 0,
    "monitor_states": 16,
}
GRID = {"samples": [64, 128], "width": [8]}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    return run_sweep("harmonic_oscillator", GRID, TINY, out, seeds=1, jobs=2, executor="loky")


def test_sweep_writes_a_run_per_point_the_csv_and_the_plot(sweep):
    assert [row["point"] for row in sweep.rows] == ["n64_w8_s0", "n128_w8_s0"]
    assert all(row["status"] == "done" for row in sweep.rows), sweep.rows
    assert (sweep.path / "sweep.png").stat().st_size > 1000
    table = load_sweep(sweep.path)
    assert table.columns == ("point", "samples", "width", "seed", *METRIC_COLUMNS)
    for row in table.rows:
        assert (sweep.path / row["run_dir"] / "summary.json").is_file()
        assert 0 < row["accel_rel_error"] < 100 and row["wall_s"] > 0
        assert row["valid_time_s"] is not None and row["rollout_horizon_s"] == 1.0
        assert isinstance(row["exact"], bool)  # fit distils and compares by default


def test_n_over_p_uses_the_trained_networks_parameter_count(sweep):
    for row in load_sweep(sweep.path).rows:
        run = load_run(sweep.path / row["run_dir"])
        n_params = sum(p.numel() for p in run.model.parameters())
        assert row["n_params"] == n_params
        assert row["n_train"] == len(run.data.train_index)
        assert row["n_over_p"] == pytest.approx(len(run.data.train_index) / n_params)
        # the count of a freshly built network (pending and failed points) agrees
        assert point_module.parameter_count(run.config, run.system) == n_params


def test_a_restart_reuses_complete_points(sweep, monkeypatch):
    summaries = [sweep.path / row["run_dir"] / "summary.json" for row in sweep.rows]
    before = [path.stat().st_mtime_ns for path in summaries]
    monkeypatch.setattr(point_module, "_run_point", _forbidden)
    again = run_sweep(
        "harmonic_oscillator", GRID, TINY, sweep.path, jobs=2, executor="serial", plot=False
    )
    assert [row["status"] for row in again.rows] == ["reused", "reused"]
    assert [path.stat().st_mtime_ns for path in summaries] == before
    for old, new in zip(sweep.rows, again.rows, strict=True):
        assert new["accel_rel_error"] == old["accel_rel_error"]
        assert new["n_over_p"] == old["n_over_p"]


def test_a_restart_with_other_settings_is_refused(sweep):
    with pytest.raises(SweepError, match="was run with epochs = 2 but the sweep asks 3"):
        run_sweep("harmonic_oscillator", GRID, {**TINY, "epochs": 3}, sweep.path, executor="serial")


def test_half_finished_point_is_resumed_and_failed_point_reported(tmp_path, monkeypatch):
    calls = []
    real = point_module._run_point

    def fake(config, out_dir, resume=False):
        calls.append((out_dir.name, resume))
        if config.data.samples == 128:
            raise RuntimeError("diverged\nsecond line")
        return real(config, out_dir, resume)

    monkeypatch.setattr(point_module, "_run_point", fake)
    kwargs = {
        "grid": GRID,
        "fixed": {**TINY, "epochs": 1},
        "out_dir": tmp_path,
        "executor": "serial",
        "plot": False,
    }
    first = run_sweep("harmonic_oscillator", **kwargs)
    assert [row["status"] for row in first.rows] == ["done", "failed"]
    assert first.rows[1]["error"] == "RuntimeError: diverged"
    assert first.rows[1]["n_params"] == first.rows[0]["n_params"]  # known without a fit
    # interrupt the finished point after training: no summary.json, a checkpoint
    (tmp_path / "points" / "n64_w8_s0" / "summary.json").unlink()
    calls.clear()
    second = run_sweep("harmonic_oscillator", **kwargs)
    assert calls == [("n64_w8_s0", True), ("n128_w8_s0", False)]
    assert second.rows[0]["status"] == "done"
    assert second.rows[0]["accel_rel_error"] == first.rows[0]["accel_rel_error"]
    assert "failed" in load_sweep(tmp_path).to_csv()


def _forbidden(*args, **kwargs):
    raise AssertionError("a complete point was run again")


def test_plot_draws_three_panels_on_given_or_new_axes(sweep):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axes = sweep.plot()
    try:
        assert len(axes) == 3 and axes[0].get_xscale() == "log"
        assert [line.get_label() for line in axes[0].get_lines()][:1] == ["width 8"]
        assert "2 done" in repr(sweep) and "128" in repr(sweep)
    finally:
        plt.close("all")
