"""FitConfig: defaults, round trips, TOML loading and one-line errors."""

from __future__ import annotations

import pytest

from physym.training import ConfigError, FitConfig


def test_round_trip_and_defaults():
    config = FitConfig(
        system="pendulum",
        epochs=3,
        model_options={"beta": 2.0},
        energy_ic_box={"theta": [0.0, 1.0]},
    )
    again = FitConfig.from_dict(config.to_dict())
    assert again == config
    assert FitConfig.defaults()["model"] == "structured"
    assert config.replace(seed=4).seed == 4


def test_toml_file_and_overrides(tmp_path):
    path = tmp_path / "fit.toml"
    path.write_text(
        'system = "pendulum"\nepochs = 7\nlr = 1e-3\nsplits = [0.6, 0.2, 0.2]\n'
        "model_options = { beta = 0.5 }\n"
    )
    config = FitConfig.from_toml(path, epochs=9, seed=None)
    assert (config.epochs, config.lr, config.splits) == (9, 1e-3, (0.6, 0.2, 0.2))
    assert config.model_options == {"beta": 0.5}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('system = "p"\nepoch = 3\n', "unknown key 'epoch'"),
        ('system = "p"\nepochs = "3"\n', "'epochs' must be an integer"),
        ('system = "p"\nlr = -1.0\n', "'lr' must be >= 0"),
        ('system = "p"\ndtype = "float16"\n', "'dtype' must be one of float32, float64"),
        ('system = "p"\nsplits = [0.5, 0.1, 0.1]\n', "'splits'"),
        ('system = "p"\nepochs = \n', "not valid TOML"),
        ("epochs = 3\n", "missing required key 'system'"),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path, content, message):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(ConfigError) as info:
        FitConfig.from_toml(path)
    text = str(info.value)
    assert message in text and "\n" not in text and str(path) in text


def test_missing_file():
    with pytest.raises(ConfigError, match="does not exist"):
        FitConfig.from_toml("/nonexistent/fit.toml")


def test_ints_accepted_for_floats_but_not_bools():
    assert FitConfig(system="p", lr=1).lr == 1.0
    with pytest.raises(ConfigError, match="'epochs' must be an integer"):
        FitConfig(system="p", epochs=True)
