"""The nested configuration: sections, short names, TOML, errors and the flat view."""

from __future__ import annotations

import json

import pytest

from physym.config import ConfigError, RunConfig, TrainConfig
from physym.training import FitConfig


def test_nested_and_short_names_build_the_same_config():
    nested = RunConfig.from_dict(
        {
            "system": "pendulum",
            "train": {"epochs": 7, "lr": 1e-3},
            "evaluate": {"energy": {"t_end": 100.0}},
        }
    )
    flat = RunConfig.from_dict(
        {"system": "pendulum", "epochs": 7, "lr": 1e-3, "energy_t_end": 100.0}
    )
    assert nested == flat
    assert nested.train.epochs == 7 and nested.evaluate.energy.t_end == 100.0
    assert nested.model.name == "structured" and nested.train.stop.when_found


def test_round_trips_nested_and_flat():
    config = RunConfig.from_dict(
        {
            "system": "pendulum",
            "model_options": {"beta": 2.0},
            "energy_ic_box": {"theta": [0.0, 1.0]},
            "seed": 3,
        }
    )
    data = json.loads(json.dumps(config.to_dict()))  # what config.json holds
    assert data["format"] == "physym-config/2" and data["model"]["options"] == {"beta": 2.0}
    assert RunConfig.from_dict(data) == config
    assert RunConfig.from_dict(config.flat()) == config  # an old flat config.json


def test_measured_short_names_nest_under_data_measured():
    config = RunConfig.from_dict(
        {
            "data": "traj.csv",
            "coordinates": "x, theta",
            "periodic": ["theta"],
            "derivative_window": 11,
        }
    )
    measured = config.data.measured
    assert measured is not None and config.measured
    assert measured.file == "traj.csv" and measured.coordinates == ("x", "theta")
    assert measured.derivative.window == 11 and measured.derivative.method == "savgol"
    # an old flat config lists every key, defaults of the measured ones included
    assert (
        RunConfig.from_dict({**RunConfig(system="p").flat(), "system": "p"}).data.measured is None
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"system": "p", "epoch": 3}, "unknown key 'epoch'"),
        ({"system": "p", "train": {"epoch": 3}}, "unknown key 'train.epoch'"),
        ({"system": "p", "lr": -1.0}, "'lr' must be >= 0"),
        ({"system": "p", "train": {"lr": -1.0}}, "'train.lr' must be >= 0"),
        ({"system": "p", "epochs": 3, "train": {"epochs": 4}}, "'epochs' is set twice"),
        ({"system": "p", "coordinates": ["x"]}, "'coordinates' applies to measured data only"),
        ({"system": "p", "derivative_window": 10, "data": "f.csv"}, "must be odd"),
        ({"data": "f.csv"}, "needs 'coordinates'"),
        ({"epochs": 3}, "missing required key 'system'"),
        ({"system": "p", "format": "physym-config/9"}, "unknown config format"),
    ],
)
def test_errors_are_one_line_and_name_the_key(data, message):
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict(data, where="fit.toml")
    text = str(info.value)
    assert message in text and text.startswith("fit.toml: ") and "\n" not in text


def test_nested_toml_file_with_short_names_beside(tmp_path):
    path = tmp_path / "fit.toml"
    path.write_text(
        'system = "pendulum"\nsamples = 500\n[train]\nepochs = 4\n'
        '[train.stop]\nwhen_found = false\n[distill]\nbackend = "operon"\n'
    )
    config = RunConfig.from_toml(path, lr=0.5)
    assert (config.data.samples, config.train.epochs, config.train.lr) == (500, 4, 0.5)
    assert not config.train.stop.when_found and config.distill.backend == "operon"


def test_with_settings_changes_only_what_is_given():
    base = RunConfig.from_dict({"system": "pendulum", "epochs": 9})
    changed = base.with_settings({"lr": 0.1, "model": {"width": 8}, "seed": None})
    assert (changed.train.epochs, changed.train.lr, changed.model.width) == (9, 0.1, 8)
    assert changed.seed == base.seed


def test_min_steps_raises_the_budget():
    budget = TrainConfig(epochs=10, patience=3, warmup_epochs=1, min_steps=95)
    stretched = budget.with_min_steps(7)
    assert stretched.epochs == 14 and stretched.epochs * 7 >= 95
    assert (stretched.patience, stretched.warmup_epochs) == (5, 2)
    assert budget.with_min_steps(20) is budget


def test_fit_config_is_the_flat_view():
    config = FitConfig(system="pendulum", epochs=3, rollout_states=2)
    assert (config.epochs, config.rollout_states, config.model) == (3, 2, "structured")
    assert config.nested.evaluate.rollout.states == 2
    assert config.replace(train={"lr": 0.5}).lr == 0.5
    assert FitConfig.of(config.nested) == config
    with pytest.raises(AttributeError):
        config.epochs = 4  # type: ignore[misc]
    with pytest.raises(AttributeError, match="no setting"):
        _ = config.nope
