"""docs/spec_format.md tells the truth: its spec loads and is the built-in double pendulum,
its forced snippet completes into a system with those equations of motion, and every key
its table names is one the parser knows."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import physym
from physym.systems.spec import _KNOWN_KEYS

DOC = Path(__file__).resolve().parents[1] / "docs" / "spec_format.md"


def _toml_blocks() -> list[str]:
    return re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_conservative_example_is_the_builtin_double_pendulum(tmp_path: Path) -> None:
    spec = tmp_path / "dp.toml"
    spec.write_text(_toml_blocks()[0], encoding="utf-8")
    mine, builtin = physym.load_system(spec), physym.load_system("double_pendulum")
    states = np.random.default_rng(0).uniform(-2, 2, size=(50, 4))
    np.testing.assert_allclose(mine.accelerations(states), builtin.accelerations(states),
                               rtol=1e-12, atol=1e-12)  # fmt: skip


def test_the_forced_snippet_gives_the_stated_equation(tmp_path: Path) -> None:
    """m ẍ = −k x − b ẋ + u + F0 cos(w t), from the doc's dissipation, forces and inputs."""
    top, rest = _toml_blocks()[1].split("[forces]")  # dissipation, inputs | forces, sampling
    forces = rest.split("[sampling]")[0]
    spec = tmp_path / "forced.toml"
    spec.write_text(
        'name = "forced"\ncoordinates = ["x"]\nlagrangian = "m*x_dot**2/2 - k*x**2/2"\n'
        f"{top}[forces]{forces}"
        "[parameters]\nm = 2.0\nk = 3.0\nb = 0.5\nF0 = 1.5\nw = 0.7\n"
        "[sampling]\nx = [-1.0, 1.0]\nx_dot = [-1.0, 1.0]\nt = [0.0, 10.0]\nu = [-5.0, 5.0]\n",
        encoding="utf-8",
    )
    system = physym.load_system(spec)
    rng = np.random.default_rng(1)
    states, t, u = rng.uniform(-1, 1, (20, 2)), rng.uniform(0, 10, 20), rng.uniform(-5, 5, (20, 1))
    x, v = states.T
    expected = (-3.0 * x - 0.5 * v + u[:, 0] + 1.5 * np.cos(0.7 * t)) / 2.0
    np.testing.assert_allclose(system.accelerations(states, t=t, inputs=u)[:, 0], expected,
                               rtol=1e-12, atol=1e-12)  # fmt: skip


@pytest.mark.parametrize("key", sorted(_KNOWN_KEYS))
def test_every_spec_key_is_documented(key: str) -> None:
    assert f"`{key}`" in DOC.read_text(encoding="utf-8")
