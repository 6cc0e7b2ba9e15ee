"""``physym sweep``: flags and sweep files to a grid, and one-line errors for bad input."""

from __future__ import annotations

import contextlib

import pytest

import physym.sweep.point as point_module
from physym.cli import main as cli_main
from physym.io import write_json
from physym.sweep import load_sweep


@pytest.fixture(autouse=True)
def sweep_command(monkeypatch):
    """Register the command (a no-op once ``physym.cli.main`` lists it)."""
    monkeypatch.setitem(cli_main.COMMANDS, "sweep", ("physym.cli.sweep_cmd", "run a grid of fits"))


@pytest.fixture
def fake_fit(monkeypatch):
    """Replace the fit by a stub that writes a summary, recording each config."""
    configs = []

    def fit(config, out_dir, resume=False):
        configs.append(config)
        summary = {
            "accel_rel_error": {"network": 1.0 / config.data.samples, "recovered": None},
            "network": {"parameters": 10 * config.model.width},
            "exact": True,
            "rollout": {"horizon_s": 2.0, "valid_time": {"network_mean": 0.5}},
        }
        write_json(out_dir / "summary.json", summary)
        return summary

    monkeypatch.setattr(point_module, "_run_point", fit)
    return configs


def test_flags_span_the_grid(tmp_path, fake_fit, capsys):
    out = tmp_path / "sweep"
    status = cli_main.main(
        [
            "sweep",
            "pendulum",
            "--out",
            str(out),
            "--samples",
            "100,200",
            "--width",
            "4,8",
            "--epochs",
            "3",
            "--vary",
            "lr=0.01,0.1",
            "--set",
            "depth=1",
            "--seeds",
            "2",
            "--executor",
            "serial",
            "--no-plot",
        ]
    )
    assert status == 0
    assert len(fake_fit) == 2 * 2 * 2 * 2
    assert {c.train.epochs for c in fake_fit} == {3}
    assert {c.model.depth for c in fake_fit} == {1}
    result = load_sweep(out)
    assert result.varied == ("samples", "width", "lr", "seed")
    assert result.rows[0]["point"] == "n100_w4_lr0.01_s0"
    assert result.rows[0]["n_over_p"] == pytest.approx(80 / 40)  # 80 % of 100 samples
    assert result.rows[0]["exact"] is True
    assert "16 done" in capsys.readouterr().out


def test_sweep_file_with_flags_winning(tmp_path, fake_fit):
    config = tmp_path / "sweep.toml"
    config.write_text(
        'system = "pendulum"\nexecutor = "serial"\n'
        "[fit]\nepochs = 2\n[grid]\nsamples = [100, 200]\nwidth = [4]\n"
    )
    out = tmp_path / "sweep"
    assert (
        cli_main.main(
            ["sweep", "--config", str(config), "--out", str(out), "--width", "6", "--no-plot"]
        )
        == 0
    )
    assert [c.model.width for c in fake_fit] == [6, 6]
    assert (out / "points" / "n200_w6_s0" / "summary.json").is_file()


@pytest.mark.parametrize(
    "args, tokens",
    [
        (["nope"], ["unknown system 'nope'"]),
        (["pendulum", "--samples", "64,1.5"], ["'samples'", "integer", "1.5"]),
        (["pendulum", "--samples", "64,x"], ["'samples'", "integer", "'x'"]),
        (["pendulum", "--width", ""], ["--width", "comma-separated"]),
        (["pendulum", "--set", "epoch=3"], ["unknown fit setting 'epoch'"]),
        (["pendulum", "--vary", "depth="], ["--vary depth"]),
        (["pendulum", "--seeds", "two"], ["--seeds"]),
        (["pendulum", "--executor", "ray", "--jobs", "x"], ["--jobs"]),
        ([], ["no system"]),
        (["pendulum", "--config", "missing.toml"], ["missing.toml", "does not exist"]),
    ],
)
def test_bad_input_is_one_line_error(tmp_path, capsys, args, tokens):
    out = tmp_path / "sweep"
    with pytest.raises(SystemExit) if "--jobs" in args else contextlib.nullcontext():
        assert cli_main.main(["sweep", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert any(all(t in line for t in tokens) for line in err), err
    assert not (out / "points").exists()


def test_missing_ray_names_the_extra(tmp_path, monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray":
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    status = cli_main.main(
        [
            "sweep",
            "pendulum",
            "--samples",
            "64",
            "--executor",
            "ray",
            "--out",
            str(tmp_path / "s"),
            "--no-plot",
        ]
    )
    assert status == 2
    err = capsys.readouterr().err.strip()
    assert err == "physym: error: the ray executor needs Ray: pip install physym[ray]"


def test_bad_model_fails_before_any_fit(tmp_path, fake_fit, capsys):
    status = cli_main.main(
        [
            "sweep",
            "pendulum",
            "--samples",
            "100",
            "--model",
            "nope",
            "--out",
            str(tmp_path / "s"),
            "--executor",
            "serial",
        ]
    )
    assert status == 2 and fake_fit == []
    err = capsys.readouterr().err.strip()
    assert err.startswith("physym: error: sweep point n100_s0: model 'nope'"), err
