r"""LaTeX of systems and equations: dotted symbols everywhere, escaped names, and every
string renders with matplotlib's mathtext, for every built-in system."""

from __future__ import annotations

import io
import re

import pytest
import sympy as sp

import physym
from physym.cli import main as cli_main
from physym.comparison import recovered_system
from physym.systems import builtin_names
from physym.systems.latex import (
    equations_latex,
    expression_latex,
    lagrangian_latex,
    latex_text,
    symbol_latex,
)

mathtext = pytest.importorskip("matplotlib.mathtext")


def render(latex: str) -> None:
    """Render ``latex`` (math mode, without the dollars) to a PNG with mathtext."""
    mathtext.math_to_image(f"${latex}$", io.BytesIO(), format="png", dpi=50)


def assert_dotted(latex: str) -> None:
    """No velocity or acceleration printed as a subscript ``dot``."""
    undotted = latex.replace(r"\ddot{", "").replace(r"\dot{", "")
    assert "dot" not in undotted, latex


def assert_velocities_dotted(latex: str, system: physym.System) -> None:
    r"""Every velocity of the Lagrangian shows as ``\dot{…}``."""
    for name in system.velocity_names:
        if sp.Symbol(name, real=True) in system.lagrangian.free_symbols:
            assert symbol_latex(name) in latex, (name, latex)


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_system_latex_is_dotted_and_renders(name):
    system = physym.load_system(name)
    shown = system._repr_latex_()
    assert shown.startswith(r"$L_{\mathrm{") and shown.endswith("$")
    assert latex_text(name) in shown
    pieces = [
        shown[1:-1],
        lagrangian_latex(system.lagrangian_numeric),
        expression_latex(system.dynamics.energy_expr),
    ]
    equations = equations_latex(system)
    assert len(equations) == system.n_dof
    for latex in pieces[:2]:
        assert_velocities_dotted(latex, system)
    for latex in pieces + equations:
        assert_dotted(latex)
        render(latex)
    for q in system.coordinates:  # each acceleration appears, dotted twice
        assert symbol_latex(f"{q}_ddot").startswith(r"\ddot{")
        assert symbol_latex(f"{q}_ddot") in "".join(equations), (q, equations)


@pytest.mark.parametrize("name", ["double_pendulum", "spring_pendulum", "fpu_chain"])
def test_show_latex_prints_dotted_symbols_that_render(name, capsys):
    assert cli_main.main(["show", "--latex", name]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("%")]
    system = physym.load_system(name)
    assert len(lines) == 2 + system.n_dof  # L, E, one equation per coordinate
    assert_velocities_dotted(lines[0], system)
    for line in lines:
        assert_dotted(line)
        render(line.removeprefix("L = ").removeprefix("E = "))
    assert any(r"\ddot{" in line for line in lines)


def test_names_with_underscores_are_escaped_in_repr_latex():
    x, v = sp.symbols("x x_dot", real=True)
    system = physym.System(
        "spring_pivot_pendulum", ["x"], v**2 / 2 - x**2 / 2, {}, {"x": (-1, 1), "x_dot": (-1, 1)}
    )
    latex = system._repr_latex_()
    assert r"\mathrm{spring\_pivot\_pendulum}" in latex
    assert "x_{dot}" not in latex and r"\dot{x}" in latex
    render(latex[1:-1])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("theta1_dot", r"\dot{\theta}_{1}"),
        ("theta1_ddot", r"\ddot{\theta}_{1}"),
        ("x_dot", r"\dot{x}"),
        ("q_10_dot", r"\dot{q}_{10}"),
        ("phi", r"\phi"),
        ("r_ddot", r"\ddot{r}"),
    ],
)
def test_symbol_latex(name, expected):
    assert symbol_latex(name) == expected


def test_special_characters_of_a_name_are_escaped():
    assert latex_text("a_b%c{d}$") == r"a\_b\%c\{d\}\$"


def test_recovered_equations_have_no_unit_float_coefficients():
    system = physym.load_system("pendulum")
    # a recovered Lagrangian divided by its scale, as distillation returns it
    recovered = recovered_system(system, "1.0*theta_dot**2/2 + 9.81*cos(theta)")
    (equation,) = equations_latex(recovered)
    assert re.search(r"(?<![0-9.])1\.0\b", equation) is None, equation
    assert equation.startswith(r"\ddot{\theta} = "), equation
    render(equation)
