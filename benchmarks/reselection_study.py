"""Re-selection by the positions on the look-alikes the noise study once recovered.

The noise study (``benchmarks/noise_study.py``) recovered, on main before the re-selection
of issue 12 (item 3), look-alike closed forms in five runs: the spring's potential written
as ``r⁴, r³, 1/√r`` (three runs), ``θ̇₂² cos(p θ₁θ₂)`` for ``θ̇₂²`` and ``1/√(θ₁² + c)`` for
``cos θ₁`` (double pendulum). Later code recovers the true terms on the same data, so the
cases no longer arise end to end; this study rebuilds each run's data exactly (the same
``simulate_positions`` call and seed), takes that run's polished look-alike ``L`` as the
distillation's closed form, and lets the refine stage's comparison
(:func:`physym.run.sources.shooting_refit.compare_forms`) choose.

The alternatives it may choose from are those the refine stage builds from a
distillation: the limits of the form's own nonlinear parameters, lower polynomials, and
the models on the potential's Pareto front. Those fronts were not stored by the old
runs. The spring pendulum's cases get none: the rule that replaces a coordinate's look-
alike part (``r⁴, r³, 1/√r``) by a polynomial of lower degree is their only alternative,
as is the limit of its parameter for the double pendulum's seed 2. The double pendulum's
seed 3 gets a potential front with two simpler models beside the look-alike (chosen), as
the search's fronts hold them: one with the terms of the true potential (constants 2 %
off) and one wrong (``θ₁²`` for ``cos θ₁``).

Reported: the recovered-L acceleration error against the truth on the noise study's fresh
states, before (the stored run's) and after, and the forms compared with their χ²/dof on
the common short windows and in full. Run::

    nice -n 10 python benchmarks/reselection_study.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import sympy as sp

sys.path.insert(0, str(Path(__file__).parent))

from noise_study import DATA, acceleration_error
from shooting_study import estimate_simulated

SPRING_FRONT: tuple[str, ...] = ()
DOUBLE_FRONT = ("-9.6*cos(theta1) - 4.8*cos(theta2)", "-1.2*theta1**2 - 4.8*cos(theta2)")
#: (system, noise, seed, the stored run's polished L, its accel error, potential front)
CASES = [
    (
        "spring_pendulum",
        0.001,
        2,
        "0.218382501696389*r**4 - 2.44785755547725*r**3 + 0.496573294193105*r**2*theta_dot**2"
        " + 9.75368982306991*r*cos(theta) + r_dot**2/2 - 13.3704374557536/sqrt(r)",
        0.007231984492062034,
        SPRING_FRONT,
    ),
    (
        "spring_pendulum",
        0.001,
        3,
        "0.211971601038918*r**4 - 2.43700650533717*r**3 + 0.504664130011358*r**2*theta_dot**2"
        " + 9.91436143232808*r*cos(theta) + r_dot**2/2 - 12.8197713587788/sqrt(r)",
        0.013159836567811814,
        SPRING_FRONT,
    ),
    (
        "spring_pendulum",
        0.01,
        2,
        "-1.81255944501607*r**3 + 0.448347818892295*r**2*theta_dot**2 + 8.73499967457334*r*"
        "cos(theta) + r_dot**2/2 - 12.63579884199/sqrt(r)",
        0.04001608749839027,
        SPRING_FRONT,
    ),
    (
        "double_pendulum",
        0.01,
        2,
        "theta1_dot**2/2 + 0.467220110897231*theta1_dot*theta2_dot*cos(theta1 - theta2) + "
        "0.2105571456302*theta2_dot**2*cos(0.150262656825074*theta1*theta2) + "
        "9.69112336530876*cos(theta1) + 4.14678117489873*cos(theta2)",
        0.00024408052481488012,
        (),
    ),
    (
        "double_pendulum",
        0.01,
        3,
        "theta1_dot**2/2 + 0.347885399330014*theta1_dot*theta2_dot*cos(theta1 - theta2) + "
        "0.118474397096798*theta2_dot**2 + 2.54898532099741*cos(theta2) + "
        "153.059975172387/sqrt(theta1**2 + 6.32592877712344)",
        0.020303305287687593,
        DOUBLE_FRONT,
    ),
]


def lookalike_distillation(system, text: str, front: tuple[str, ...]):
    """A distillation whose closed form is ``text`` (numbers inside terms become fitted
    parameters) and whose potential front holds ``front`` beside the look-alike."""
    from physym.distill import Distillation
    from physym.systems.expression_parser import parse_expression
    from physym.systems.names import coordinate_symbol, velocity_symbol

    coordinates = tuple(system.coordinates)
    velocities = [str(velocity_symbol(q)) for q in coordinates]
    symbols = {n: coordinate_symbol(n) for n in (*coordinates, *velocities)}
    expr = parse_expression(text, symbols, where="look-alike")
    coefficients, params = {}, {}
    for part in sp.Add.make_args(expr):
        coefficient, term = part.as_coeff_Mul()
        inner = {}
        for number in term.atoms(sp.Float):
            name = f"p_{len(params)}"
            params[name] = sp.sstr(number)
            inner[number] = sp.Symbol(name, real=True)
        coefficients[sp.sstr(term.xreplace(inner))] = sp.sstr(coefficient)
    moving = {symbols[v] for v in velocities}
    potential = -sp.Add(*(p for p in sp.Add.make_args(expr) if not p.free_symbols & moving))
    pareto = [
        {"target": "V", "complexity": 10 + k, "error": 2e-3, "expression": model}
        for k, model in enumerate(reversed(front))
    ]
    if front:
        pareto.append(
            {"target": "V", "complexity": 40, "error": 1e-3, "expression": sp.sstr(potential)}
        )
        pareto[-1]["chosen"] = True
    return Distillation(
        lagrangian=expr,
        coordinates=coordinates,
        backend="sparse",
        targets="M,A,V",
        scale={"term": f"{velocities[0]}**2"},
        pareto=pareto,
        coefficients_before_polish={},
        coefficients_after_polish={},
        coefficients=coefficients,
        quadratic_check={},
        curl_check={},
        polish={"params": params},
    )


def main() -> None:
    import physym
    from physym.data.synthetic_positions import simulate_positions
    from physym.run.sources.measured import _box, _within_box
    from physym.run.sources.shooting_refit import compare_forms

    rows = [
        "| system | noise | seed | accel error before | after | forms compared (χ²/dof short "
        "windows → full) | chosen | CPU s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, level, seed, text, before, front in CASES:
        system = physym.load_system(name)
        data = simulate_positions(system, noise=level, seed=seed, **DATA)
        estimate = estimate_simulated(name, system, data)
        cpu = time.process_time()
        result, record = compare_forms(lookalike_distillation(system, text, front), estimate, None)
        cpu = time.process_time() - cpu
        covered = _within_box(system, *_box(estimate))  # the noise study's fresh states
        after = acceleration_error(covered, sp.sstr(result.lagrangian()))
        forms = "; ".join(
            f"{c['label']}: {_chi2(c.get('screen'))} → {_chi2(c.get('full'))}"
            for c in record["compared"]
        )
        rows.append(
            f"| {name} | {100 * level:g} % | {seed} | {before:.2g} | {after:.2g} | {forms} | "
            f"{record['chosen']} | {cpu:.0f} |"
        )
        print(rows[-1], flush=True)
    print("\n".join(rows))


def _chi2(fit: dict | None) -> str:
    if not fit:
        return "—"
    if "error" in fit:
        return "failed"
    return f"{fit['reduced_chi2']:.4f}"


if __name__ == "__main__":
    main()
