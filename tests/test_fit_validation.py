"""Everything that can be judged before training is judged before training, in one line
(issue 10, item 3), and data that cannot identify L say so (item 4)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import assert_one_line_message

from physym.cli.main import main
from physym.config import ConfigError
from physym.data import DataError
from physym.run.fit import fit

# the quickest fit that still runs every stage it is asked to
TINY = [
    "--samples", "200", "--epochs", "1", "--quiet", "--no-distill",
    "--set", "fallback_model=none", "--set", "rollout_states=0", "--set", "energy_states=0",
]  # fmt: skip


def _cli_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run the command line; it must fail with exit status 2 and one error line."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("physym: error: "), err
    return err


@pytest.mark.parametrize(
    ("setting", "tokens"),
    [
        ("rollout_t_end=1e308", ["rollout_t_end", "RK4 steps"]),
        ("energy_t_end=1e308", ["energy_t_end", "RK4 steps"]),
        ("rollout_dt=1e-300", ["rollout_dt", "RK4 steps"]),
        ("rollout_dt=0", ["rollout_dt", "> 0"]),
        ("rollout_t_end=nan", ["rollout_t_end", "finite"]),
        ("rollout_t_end=-1.0", ["rollout_t_end", ">= 0"]),
        ("lr=inf", ["lr", "finite"]),
        ("width=1000000", ["GiB", "width"]),
        ("samples=1000000000000", ["GiB", "samples"]),
        ("distill_states=100000000000", ["GiB", "distill_states"]),
        ("energy_ic_box={x=[0.0,inf]}", ["energy_ic_box", "[0.0, inf]"]),
    ],
)
def test_absurd_settings_fail_before_any_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setting: str, tokens: list[str]
) -> None:
    out = tmp_path / "run"
    err = _cli_error(capsys, ["fit", "harmonic_oscillator", "--out", str(out), "--set", setting])
    for token in tokens:
        assert token in err, err
    assert not out.exists()


def test_multistep_needs_a_positive_step(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        fit("harmonic_oscillator", tmp_path / "run", multistep_steps=3, multistep_dt=0.0)
    assert_one_line_message(info.value, "multistep_dt", "> 0")
    assert not (tmp_path / "run").exists()


def test_unavailable_pysr_fails_before_training_without_importing_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from physym.distill.backends.pysr import pysr_unavailable_reason

    if pysr_unavailable_reason() is None:
        pytest.skip("PySR and Julia are available here")
    out = tmp_path / "run"
    err = _cli_error(capsys, ["fit", "pendulum", "--out", str(out), "--backend", "pysr"])
    assert "pysr" in err and "PYTHON_JULIACALL_EXE" in err
    assert not out.exists()
    assert "pysr" not in sys.modules  # importing PySR would start (or download) Julia


def test_no_distillation_needs_no_backend(tmp_path: Path) -> None:
    """``--no-distill`` never runs the backend: an unavailable one is no error then."""
    from physym.distill.backends.pysr import pysr_unavailable_reason

    if pysr_unavailable_reason() is None:
        pytest.skip("PySR and Julia are available here")
    assert main(["fit", "harmonic_oscillator", "--out", str(tmp_path / "r"), *TINY,
                 "--backend", "pysr"]) == 0  # fmt: skip


@pytest.mark.parametrize(
    ("name", "text"),
    [("config.json", "{bad"), ("config.json", ""), ("system.json", "\udcff")],
)
def test_resume_with_a_broken_run_file_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str
) -> None:
    out = tmp_path / "run"
    out.mkdir()
    config = {"format": "physym-config/2", "system": "pendulum"}
    (out / "config.json").write_text(json.dumps(config), encoding="utf-8")
    (out / name).write_bytes(text.encode("utf-8", "surrogateescape"))
    err = _cli_error(capsys, ["fit", "pendulum", "--out", str(out), "--resume"])
    assert str(out / name) in err and "not valid JSON" in err, err


SPEC = """\
name = "steep_well"
coordinates = ["x"]
lagrangian = "x_dot**2/2 - exp(k*x**2)"
[parameters]
k = {k}
[sampling]
x = [-1.0, 1.0]
x_dot = [-1.0, 1.0]
"""


@pytest.mark.parametrize(("k", "why"), [(800.0, "non-finite"), (345.0, "overflow float64")])
def test_targets_the_data_cannot_train_on_blame_the_data(
    tmp_path: Path, k: float, why: str
) -> None:
    """``exp(800 x²)`` overflows at |x| > 0.94 and ``exp(345 x²)`` nearly: the error says
    the data are at fault (not 'lower lr') and a plain rerun of a fixed spec then runs in
    the same directory."""
    spec, out = tmp_path / "steep.toml", tmp_path / "run"
    spec.write_text(SPEC.format(k=k), encoding="utf-8")
    with pytest.raises(DataError) as info:
        fit(spec, out, samples=2000, epochs=1)
    message = assert_one_line_message(info.value, "the data are at fault", "x_ddot", why)
    assert "lr" not in message
    assert json.loads((out / "failed.json").read_text())["stage"] == "data"
    spec.write_text(SPEC.format(k=1.0), encoding="utf-8")
    argv = ["fit", str(spec), "--out", str(out), *TINY]
    assert main(argv) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert not (out / "failed.json").exists() and summary["system"] == "steep_well"


def test_positions_that_never_move_are_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """x oscillates (x = x0 cos t, exact), theta is held at 0.3: L cannot be identified in
    theta, and the fit says so on the command line and in summary.json."""
    t = np.linspace(0.0, 8.0, 401)
    rows = [(run, ti, x0 * math.cos(ti), 0.3) for run, x0 in enumerate((1.0, -0.6))
            for ti in t]  # fmt: skip
    data = tmp_path / "held.csv"
    np.savetxt(data, np.array(rows), delimiter=",", header="run,t,x,theta", comments="")
    out = tmp_path / "run"
    argv = ["fit", "--data", str(data), "--coordinates", "x,theta", "--trajectory-column",
            "run", "--out", str(out), *TINY]  # fmt: skip
    assert main(argv) == 0
    err = capsys.readouterr().err
    warnings = json.loads((out / "summary.json").read_text())["warnings"]
    assert len(warnings) == 1 and "'theta'" in warnings[0] and "0.3" in warnings[0]
    assert f"physym: warning: {warnings[0]}" in err
    assert "'x'" not in err


def test_moving_data_raise_no_warning(tmp_path: Path) -> None:
    run = fit("harmonic_oscillator", tmp_path / "run", samples=200, epochs=1, distill=False,
              fallback_model="none", rollout_states=0, energy_states=0)  # fmt: skip
    assert not run.summary.get("warnings")


def test_resume_checks_a_hand_edited_horizon(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from physym import load_system
    from physym.config import RunConfig

    out = tmp_path / "run"
    out.mkdir()
    config = RunConfig.from_dict({"system": "pendulum", "rollout_t_end": 1e308}).to_dict()
    (out / "config.json").write_text(json.dumps(config), encoding="utf-8")
    (out / "system.json").write_text(json.dumps(load_system("pendulum").to_dict()))
    err = _cli_error(capsys, ["fit", "pendulum", "--out", str(out), "--resume"])
    assert "rollout_t_end" in err and "RK4 steps" in err
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "system.json"]
