"""The sweep's grid: expansion, stable point names, TOML files and one-line errors."""

from __future__ import annotations

import pytest
from helpers import assert_one_line_message

from physym.sweep import SweepError, SweepSpec, point_name
from physym.sweep.table import read_csv, write_csv


def test_grid_expands_with_seeds_innermost_and_stable_names():
    spec = SweepSpec(
        "pendulum", {"width": [16, 32], "samples": [1024, 4096]}, {"epochs": 5}, seeds=2
    )
    names = [p.name for p in spec.points()]
    assert names[:3] == ["n1024_w16_s0", "n1024_w16_s1", "n1024_w32_s0"]
    assert len(names) == 8 and len(set(names)) == 8
    point = spec.points()[-1]
    assert point.values == {"samples": 4096, "width": 32, "seed": 1}
    assert point.config["epochs"] == 5 and point.config["seed"] == 1
    assert point.config["system"] == "pendulum"


def test_point_names_of_other_settings_are_file_safe():
    assert point_name({"lr": 0.001, "model": "mlp", "seed": 3}) == "lr0.001_modelmlp_s3"
    assert point_name({"splits": [0.5, 0.25, 0.25], "seed": 0}) == "splits0.5-0.25-0.25_s0"
    assert "/" not in point_name({"activation": "a/b", "seed": 0})


def test_seeds_as_a_list():
    spec = SweepSpec("pendulum", {"samples": [64]}, {}, seeds=[3, 7])
    assert [p.name for p in spec.points()] == ["n64_s3", "n64_s7"]


def test_toml_file_and_overrides(tmp_path):
    path = tmp_path / "sweep.toml"
    path.write_text(
        'system = "pendulum"\nseeds = 2\njobs = 3\n'
        "[fit]\nepochs = 4\nwidth = 8\n[grid]\nsamples = [64, 128]\n"
    )
    spec, options = SweepSpec.from_toml(path)
    assert options == {"jobs": 3}
    assert spec.grid == {"samples": [64, 128]} and spec.fixed == {"epochs": 4, "width": 8}
    assert spec.seeds == (0, 1)
    # a flag that varies a fixed setting moves it to the grid (and the reverse)
    spec, _ = SweepSpec.from_toml(path, grid={"width": [8, 16]}, fixed={"samples": 256}, seeds=1)
    assert spec.grid == {"width": [8, 16]} and spec.fixed == {"epochs": 4, "samples": 256}


@pytest.mark.parametrize(
    "text, tokens",
    [
        ('system = "pendulum"\nfoo = 1\n', ["unknown key 'foo'", "[fit]"]),
        ('system = "pendulum"\n[fit]\nepoch = 3\n', ["unknown fit setting 'epoch'"]),
        ('system = "pendulum"\n[grid]\nwidth = [3, 4]\ndepth = []\n', ["'depth'", "empty list"]),
        ('system = "pendulum"\n[grid]\nsamples = [64, 100.5]\n', ["'samples'", "integer"]),
        ('system = "pendulum"\n[grid]\nsamples = 64\n', ["'samples'", "list"]),
        ('system = "pendulum"\n[grid]\nseed = [1, 2]\n', ["'seed'", "seeds"]),
        ('system = "pendulum"\n[fit]\nwidth = 8\n[grid]\nwidth = [8]\n', ["both fixed and varied"]),
        ('system = "pendulum"\nseeds = 0\n', ["seeds"]),
        ('system = "pendulum"\n[grid\n', ["not valid TOML"]),
        ("[fit]\nepochs = 3\n", ["no system"]),
    ],
)
def test_bad_sweep_files_give_one_line_errors(tmp_path, text, tokens):
    path = tmp_path / "sweep.toml"
    path.write_text(text)
    with pytest.raises(SweepError) as info:
        SweepSpec.from_toml(path)
    assert_one_line_message(info.value, str(path), *tokens)


def test_csv_round_trip(tmp_path):
    rows = [
        {
            "point": "n64_s0",
            "samples": 64,
            "status": "done",
            "exact": True,
            "accel_rel_error": 0.25,
            "error": None,
        }
    ]
    columns = ["point", "samples", "status", "exact", "accel_rel_error", "error"]
    write_csv(tmp_path / "t.csv", rows, columns)
    assert read_csv(tmp_path / "t.csv") == (columns, rows)
