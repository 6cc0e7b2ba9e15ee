"""``physym fit`` end to end on a tiny problem: files, summary, refusal, resume, errors."""

from __future__ import annotations

import json

import pytest
import torch

import physym.run.stages.train as train_stage
from physym.cli.main import main
from physym.run.fit import fit
from physym.run.resolve import resolve
from physym.runs import load_run

TINY = [
    "--samples",
    "300",
    "--epochs",
    "3",
    "--width",
    "16",
    "--depth",
    "2",
    "--quiet",
    "--no-distill",
    "--set",
    "rollout_states=2",
    "--set",
    "rollout_t_end=0.5",
    "--set",
    "energy_states=2",
    "--set",
    "energy_t_end=0.5",
]
TINY_KW = {
    "samples": 300,
    "epochs": 3,
    "width": 16,
    "depth": 2,
    "rollout_states": 2,
    "rollout_t_end": 0.5,
    "energy_states": 2,
    "energy_t_end": 0.5,
    "progress": False,
    "distill": False,
}
FILES = {
    "config.json",
    "system.json",
    "data.npz",
    "checkpoint.pt",
    "model.pt",
    "metrics.json",
    "summary.json",
    "rollout.npz",
    "loss.png",
    "trajectories.png",
    "energy.png",
}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "pendulum"
    assert main(["fit", "pendulum", "--out", str(out), *TINY]) == 0
    return out


def test_run_directory_contents(finished_run):
    assert {p.name for p in finished_run.iterdir()} >= FILES
    assert not list(finished_run.glob(".*.tmp"))
    summary = json.loads((finished_run / "summary.json").read_text())
    for key in (
        "system",
        "true_lagrangian",
        "accel_rel_error",
        "rollout",
        "timings",
        "backend",
        "versions",
        "hessian",
        "recovered_lagrangian",
        "equivalent",
    ):
        assert key in summary
    assert summary["system"] == "pendulum" and summary["backend"] is None
    assert 0 < summary["accel_rel_error"]["network"] < 2
    assert {"data", "train", "evaluate", "rollout", "plots", "total"} <= set(summary["timings"])
    assert summary["rollout"]["horizon_s"] == 0.5
    assert summary["rollout"]["energy_metric"]["t_end"] == 0.5
    config = json.loads((finished_run / "config.json").read_text())
    assert config["seed"] == 0 and config["train"]["epochs"] == 3
    assert config["system"] == "pendulum" and config["format"] == "physym-config/2"
    metrics = json.loads((finished_run / "metrics.json").read_text())
    assert len(metrics["epochs"]) == 3 and "hessian" in metrics["epochs"][0]


def test_load_run_gives_model_config_summary(finished_run):
    run = load_run(finished_run)
    assert run.config.epochs == 3 and run.summary["system"] == "pendulum"
    states, targets = run.data.test
    predicted = run.model.accelerations(torch.as_tensor(states), create_graph=False)
    error = float(
        torch.linalg.norm(predicted - torch.as_tensor(targets))
        / torch.linalg.norm(torch.as_tensor(targets))
    )
    assert error == pytest.approx(run.accel_rel_error, rel=1e-9)
    assert "accel rel error" in repr(run)


def test_refuses_a_non_empty_directory(finished_run, capsys):
    before = {p.name: p.stat().st_mtime_ns for p in finished_run.iterdir()}
    assert main(["fit", "pendulum", "--out", str(finished_run), *TINY]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("physym: error:") and "not empty" in err and "\n" not in err
    assert before == {p.name: p.stat().st_mtime_ns for p in finished_run.iterdir()}


def test_resume_rejects_changed_settings_and_missing_runs(finished_run, tmp_path, capsys):
    assert main(["fit", "pendulum", "--out", str(finished_run), "--resume", "--epochs", "5"]) == 2
    assert "epochs = 3 there, 5 asked" in capsys.readouterr().err
    assert main(["fit", "pendulum", "--out", str(tmp_path / "none"), "--resume"]) == 2
    assert "nothing to resume" in capsys.readouterr().err


def test_bad_settings_are_one_line_errors(tmp_path, capsys):
    config = tmp_path / "fit.toml"
    config.write_text("epochz = 3\n")
    assert main(["fit", "pendulum", "--out", str(tmp_path / "a"), "--config", str(config)]) == 2
    assert "unknown key 'epochz'" in capsys.readouterr().err
    assert main(["fit", "pendulum", "--out", str(tmp_path / "b"), "--set", "lr=-1"]) == 2
    assert "'lr' must be >= 0" in capsys.readouterr().err
    assert main(["fit", "pendulum", "--out", str(tmp_path / "c"), "--dtype", "half"]) == 2
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


DIVERGING = ["--lr", "1e8", "--dtype", "float32", "--clip-norm", "0", "--set", "warmup_epochs=0"]


def test_divergence_is_reported_and_a_plain_rerun_starts_afresh(tmp_path, capsys):
    out = tmp_path / "nan"
    code = main(["fit", "pendulum", "--out", str(out), *TINY, *DIVERGING])
    assert code == 2
    err = capsys.readouterr().err
    assert "diverged" in err and "checkpoint" in err
    assert (out / "checkpoint.pt").is_file() and not (out / "summary.json").exists()
    failed = json.loads((out / "failed.json").read_text())
    assert failed["stage"] == "train" and failed["error"] == "TrainingDivergedError"
    assert main(["fit", "pendulum", "--out", str(out), *TINY]) == 0  # no --resume needed
    assert (out / "summary.json").is_file() and not (out / "failed.json").exists()


def test_fit_without_a_directory_leaves_nothing_behind(tmp_path, monkeypatch):
    import gc
    import tempfile

    from physym.training import TrainingDivergedError

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where fit's scratch goes
    run = fit("pendulum", None, **TINY_KW)
    path = run.path
    assert path.parent == tmp_path and (path / "summary.json").is_file()
    assert run.accel_rel_error is not None and run.model is not None
    del run
    gc.collect()
    assert not path.exists()
    with pytest.raises(TrainingDivergedError):
        fit(
            "pendulum",
            None,
            **{**TINY_KW, "lr": 1e8, "dtype": "float32", "clip_norm": 0.0, "warmup_epochs": 0},
        )
    assert list(tmp_path.iterdir()) == []


def test_config_json_records_the_budget_that_ran(tmp_path):
    # 240 training states in batches of 128: 2 steps an epoch; 30 steps need 15 epochs
    run = fit("pendulum", tmp_path / "run", **{**TINY_KW, "min_steps": 30, "patience": 0})
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["train"]["epochs"] == 15 and config["train"]["min_steps"] == 30
    assert run.config.epochs == 15 and run.summary["training"]["epochs_run"] == 15
    assert load_run(tmp_path / "run").config.epochs == 15


def test_dotted_settings_and_short_names_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        main(
            [
                "fit",
                "pendulum",
                "--out",
                str(out),
                *TINY,
                "--set",
                "train.stop.growth=2.0",
                "--set",
                "evaluate.rollout.dt=0.02",
            ]
        )
        == 0
    )
    config = json.loads((out / "config.json").read_text())
    assert config["train"]["stop"]["growth"] == 2.0
    assert config["evaluate"]["rollout"]["dt"] == 0.02 and config["train"]["epochs"] == 3
    summary = json.loads((out / "summary.json").read_text())
    assert "dt = 0.02" in summary["rollout"]["integrator"]
    assert set(summary["cpu_seconds"]) >= {"data", "train", "rollout", "total"}
    assert summary["training"]["stop"]["reason"] == "budget"  # nothing distilled, no checks
    capsys.readouterr()
    assert (
        main(
            [
                "fit",
                "pendulum",
                "--out",
                str(tmp_path / "b"),
                *TINY,
                "--set",
                "evaluate.energy.states=3",
            ]
        )
        == 2
    )  # TINY sets energy_states too
    assert "'energy_states' is set twice" in capsys.readouterr().err


def test_interrupted_fit_resumes_to_the_same_result(tmp_path, monkeypatch):
    reference = fit("pendulum", tmp_path / "ref", **TINY_KW)
    write_json = train_stage.write_json

    def interrupt_after_two_epochs(path, data):
        write_json(path, data)
        if path.name == "metrics.json" and len(data["epochs"]) == 2:
            raise KeyboardInterrupt

    out = tmp_path / "run"
    monkeypatch.setattr(train_stage, "write_json", interrupt_after_two_epochs)
    with pytest.raises(KeyboardInterrupt):
        fit("pendulum", out, **TINY_KW)
    monkeypatch.setattr(train_stage, "write_json", write_json)
    assert not (out / "summary.json").exists()
    resumed = fit("pendulum", out, resume=True, progress=False)
    assert (
        resumed.metrics["epochs"][2]["val_rel_error"]
        == reference.metrics["epochs"][2]["val_rel_error"]
    )
    assert resumed.accel_rel_error == reference.accel_rel_error
    assert (
        resumed.summary["rollout"]["state_error_rms"]
        == reference.summary["rollout"]["state_error_rms"]
    )


def test_public_api_and_resolved_network_settings(tmp_path):
    import physym

    assert physym.fit is fit and physym.load_run is load_run
    config, _ = resolve("double_pendulum", tmp_path, None, False, {"model": "seed"})
    model = config.model
    assert (model.width, model.depth, model.activation) == (32, 4, "softplus")
    config, _ = resolve("pendulum", tmp_path, None, False, {"width": 8})
    assert (config.model.name, config.model.width, config.model.depth) == ("structured", 8, 3)
