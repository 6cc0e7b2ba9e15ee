"""Verdicts of physym.compare: true positives, true negatives, exact vs only equivalent."""

from __future__ import annotations

import json
import signal
import threading

import numpy as np
import pytest
import sympy as sp

import physym
from physym.comparison import Comparison, compare
from physym.systems.system import System

THETA, THETA_DOT = sp.symbols("theta theta_dot", real=True)
T1, T2, T1D, T2D = sp.symbols("theta1 theta2 theta1_dot theta2_dot", real=True)
X, Y, XD, YD = sp.symbols("x y x_dot y_dot", real=True)


@pytest.fixture(scope="module")
def pendulum() -> System:
    return physym.load_system("pendulum")


@pytest.fixture(scope="module")
def double_pendulum() -> System:
    return physym.load_system("double_pendulum")


@pytest.fixture(scope="module")
def oscillator() -> System:
    """Unit harmonic oscillator, ẍ = −x."""
    return System("oscillator", ["x"], XD**2 / 2 - X**2 / 2, {}, {"x": (-1, 1), "x_dot": (-1, 1)})


@pytest.fixture(scope="module")
def charged_particle() -> System:
    """A charge in a uniform magnetic field B ẑ (symmetric gauge) and a harmonic trap."""
    m, B, k = sp.symbols("m B k", real=True)
    lagrangian = m / 2 * (XD**2 + YD**2) + B / 2 * (X * YD - Y * XD) - k / 2 * (X**2 + Y**2)
    box = {"x": (-1, 1), "y": (-1, 1), "x_dot": (-1, 1), "y_dot": (-1, 1)}
    return System("charged_particle", ["x", "y"], lagrangian, {"m": 1.0, "B": 2.0, "k": 1.0}, box)


# --------------------------------------------------------------- true positives
def test_float_parameters_are_rationalised_before_they_multiply():
    # m g R = 0.035 · 9.81 · 0.0425 is 0.014592375000000003 in floats: the truth must be
    # built from the parameters as written, or an exact recovery written in other terms
    # (cos 2θ for sin²θ) looks 2e-16 off.
    m, g, radius, w = sp.symbols("m g R w", real=True)
    truth = System(
        "hoop",
        ["theta"],
        m * radius**2 / 2 * (THETA_DOT**2 + w**2 * sp.sin(THETA) ** 2)
        + m * g * radius * sp.cos(THETA),
        {"m": 0.035, "g": 9.81, "R": 0.0425, "w": 3.1},
        {"theta": (-3, 3), "theta_dot": (-2, 2)},
        periodic=["theta"],
    )
    w2, g_over_r = sp.Rational(31, 10) ** 2, sp.Rational(981, 100) / sp.Rational(17, 400)
    recovered = THETA_DOT**2 / 2 + w2 / 4 * (1 - sp.cos(2 * THETA)) + g_over_r * sp.cos(THETA)
    c = compare(truth, recovered)
    assert c.equivalent and c.exact and c.exact_decided


def test_transcendental_coefficients_are_matched_whole():
    # A cone of half-angle α: L = m/2 (ṙ²/sin²α + r²φ̇²) − m g r / tan α. Recovered with
    # float coefficients (sin²α/2, g sinα cosα): exact, the numeric factor sin(61/100)²
    # of the truth's terms being matched as a whole coefficient.
    r, r_dot, phi_dot = sp.symbols("r r_dot phi_dot", real=True)
    m, alpha, g = sp.symbols("m alpha g", real=True)
    truth = System(
        "cone",
        ["r", "phi"],
        m / 2 * (r_dot**2 / sp.sin(alpha) ** 2 + r**2 * phi_dot**2) - m * g * r / sp.tan(alpha),
        {"m": 0.2, "alpha": 0.61, "g": 9.81},
        {"r": (0.2, 1), "phi": (-3, 3), "r_dot": (-1, 1), "phi_dot": (-1, 1)},
        periodic=["phi"],
    )
    s, c = np.sin(0.61), np.cos(0.61)
    recovered = r_dot**2 / 2 + s**2 / 2 * r**2 * phi_dot**2 - 9.81 * s * c * r
    verdict = compare(truth, recovered)
    assert verdict.equivalent and verdict.exact
    # A coefficient 1e-4 off is neither.
    wrong = compare(truth, recovered + 1e-4 * r**2 * phi_dot**2)
    assert not wrong.equivalent and not wrong.exact


def test_a_scale_that_is_no_simple_fraction_is_still_exact():
    # L_true = 0.47775 θ̇² + 8.9271 cos θ recovered as θ̇²/2 + 327/35 cos θ, which is
    # L_true/0.9555 exactly: the scale 2000/1911 is not the simplest fraction near 1.0466,
    # but L_rec/α matches L_true coefficient by coefficient.
    truth = System(
        "decimal",
        ["theta"],
        sp.Float("0.47775") * THETA_DOT**2 + sp.Float("8.9271") * sp.cos(THETA),
        {},
        {"theta": (-3, 3), "theta_dot": (-2, 2)},
        periodic=["theta"],
    )
    c = compare(truth, THETA_DOT**2 / 2 + sp.Rational(327, 35) * sp.cos(THETA))
    assert c.equivalent and c.exact and c.exact_decided
    assert c.scale == pytest.approx(2000 / 1911, rel=1e-12)
    # … and a recovered L that is off by a relative 1e-5 in one coefficient is neither.
    off = compare(truth, THETA_DOT**2 / 2 + 9.3429 * sp.cos(THETA))
    assert not off.equivalent and not off.exact


def test_scale_plus_total_derivative_plus_constant_is_exact(pendulum):
    # 3 L + d/dt(sin θ) + 7: d/dt sin θ = cos θ · θ̇.
    recovered = 3 * pendulum.lagrangian_numeric + sp.cos(THETA) * THETA_DOT + 7
    c = compare(pendulum, recovered)
    assert c.equivalent and c.exact
    assert c.check == "symbolic"
    assert c.scale == pytest.approx(3.0, rel=1e-12)
    assert c.scale_rational == "3"
    assert c.accel_rel_error < 1e-12
    assert c.n_states == 2000


def test_double_pendulum_with_messy_gauge_term_is_exact(double_pendulum):
    gauge = T2 * sp.sin(T1) + sp.exp(sp.cos(T2)) * T1
    total_derivative = sp.diff(gauge, T1) * T1D + sp.diff(gauge, T2) * T2D
    recovered = sp.Rational(3, 2) * double_pendulum.lagrangian_numeric + total_derivative - 2
    c = compare(double_pendulum, recovered)
    assert c.equivalent and c.exact and c.check == "symbolic"
    assert c.scale_rational == "3/2"


def test_charged_particle_in_another_gauge_is_exact(charged_particle):
    # Landau gauge A = (0, B x): differs from the symmetric gauge by d/dt(B x y / 2).
    landau = "x_dot**2/2 + y_dot**2/2 + 2*x*y_dot - x**2/2 - y**2/2"
    c = compare(charged_particle, landau)
    assert c.equivalent and c.exact and c.check == "symbolic"
    assert c.scale_rational == "1"


def test_negative_scale_is_exact(charged_particle):
    c = compare(charged_particle, -2 * charged_particle.lagrangian_numeric + X * XD)
    assert c.exact and c.scale_rational == "-2"


def test_float_coefficients_match_rationals(pendulum):
    # The truth has g = 9.81; the recovered L writes 981/100, or floats, or near floats.
    for recovered in (
        THETA_DOT**2 / 2 + sp.Rational(981, 100) * sp.cos(THETA),
        "0.5*theta_dot**2 + 9.81*cos(theta)",
        "0.49999999995*theta_dot**2 + 9.8099999999*cos(theta)",
    ):
        c = compare(pendulum, recovered)
        assert c.equivalent and c.exact, (recovered, c.reason)
    assert c.normalised_lagrangian == THETA_DOT**2 / 2 + sp.Rational(981, 100) * sp.cos(THETA)
    assert "rationalised" in c.reason


def test_parameter_names_in_the_recovered_string_take_the_system_values(pendulum):
    c = compare(pendulum, "m/2*l**2*theta_dot**2 + m*g*l*cos(theta)")
    assert c.exact


def test_identity_needing_simplify_is_exact(pendulum):
    # (sin² + cos² − 1) θ̇² is 0, but neither expand nor expand_trig shows it.
    zero = (sp.sin(THETA) ** 2 + sp.cos(THETA) ** 2 - 1) * THETA_DOT**2
    c = compare(pendulum, pendulum.lagrangian_numeric + zero)
    assert c.exact and c.check == "symbolic"


# ------------------------------------------------------------- true negatives


def test_gravity_off_by_one_percent_is_not_equivalent(pendulum):
    recovered = THETA_DOT**2 / 2 + 9.81 * 1.01 * sp.cos(THETA)
    c = compare(pendulum, recovered)
    assert not c.equivalent and not c.exact
    assert c.check == "numeric"
    assert c.accel_rel_error == pytest.approx(0.01, rel=1e-6)
    assert "exceeds the tolerance" in c.reason


def test_similar_looking_double_pendulum_is_not_equivalent(double_pendulum):
    # cos(θ1 + θ2) in place of cos(θ1 − θ2): same terms, same constants.
    recovered = double_pendulum.lagrangian_numeric.subs(sp.cos(T1 - T2), sp.cos(T1 + T2))
    c = compare(double_pendulum, recovered)
    assert not c.equivalent and not c.exact
    assert c.accel_rel_error > 0.1


def test_wrong_field_sign_is_not_equivalent(charged_particle):
    c = compare(charged_particle, "x_dot**2/2 + y_dot**2/2 - 2*x*y_dot - x**2/2 - y**2/2")
    assert not c.equivalent


def test_not_quite_a_total_derivative_is_not_equivalent(double_pendulum):
    # sin θ1 θ̇2 alone is not d/dt of anything (d/dt(θ2 sin θ1) also has θ2 cos θ1 θ̇1).
    c = compare(double_pendulum, double_pendulum.lagrangian_numeric + sp.sin(T1) * T2D)
    assert not c.equivalent


# ------------------------------------------------- equivalent but not exact


def test_alternative_lagrangian_of_the_oscillator_is_equivalent_not_exact(oscillator):
    """ẍ = −x also follows from L' = ẋ⁴ + 6x²ẋ² − 3x⁴.

    In 1D, for ẍ = F(x) the Helmholtz condition only asks ∂²L/∂ẋ² to be a constant of the
    motion; taking 24·E with E = (ẋ² + x²)/2 gives ∂²L'/∂ẋ² = 12(ẋ² + x²), and the force
    term then fixes the potential part −3x⁴. Its Euler–Lagrange equation is
    12(ẋ² + x²)(ẍ + x) = 0, so the motion is the same, but M' is not a constant multiple
    of M = 1: L' is not a scale plus a null Lagrangian.
    """
    c = compare(oscillator, XD**4 + 6 * X**2 * XD**2 - 3 * X**4)
    assert c.equivalent and not c.exact and c.exact_decided
    assert "equivalent (symbolic check), not exact" in str(c)
    assert c.check == "symbolic"
    assert not c.constant_scale and c.scale_rational is None
    assert c.normalised_lagrangian is None
    assert "not proportional" in c.reason


def test_free_particle_with_quartic_lagrangian_is_equivalent_not_exact():
    """For free motion any convex f(ẋ) gives ẍ = 0: L = ẋ⁴ is equivalent to ẋ²/2."""
    free = System("free", ["x"], XD**2 / 2, {}, {"x": (-1, 1), "x_dot": (0.1, 2)})
    c = compare(free, XD**4)
    assert c.equivalent and not c.exact and c.check == "symbolic"
    assert c.accel_rel_error == 0.0


# ------------------------------------------------------------- degenerate


@pytest.mark.parametrize("recovered", ["theta*theta_dot + cos(theta)", "0", "theta_dot"])
def test_degenerate_recovered_lagrangian_is_a_verdict_not_a_crash(pendulum, recovered):
    c = compare(pendulum, recovered)
    assert not c.equivalent and not c.exact
    assert "degenerate" in c.reason
    assert c.accel_rel_error is None
    json.dumps(c.to_dict())


def test_unknown_symbol_is_an_error(pendulum):
    with pytest.raises(ValueError, match="'k'"):
        compare(pendulum, "theta_dot**2 + k*cos(theta)")


# ------------------------------------------------------ symbolic time limits


def test_numeric_fallback_when_the_symbolic_check_times_out(double_pendulum):
    c = compare(double_pendulum, 2 * double_pendulum.lagrangian_numeric, symbolic_timeout=1e-6)
    assert c.equivalent and c.check == "numeric"
    assert not c.exact and not c.exact_decided
    assert "timed out" in c.reason and "exactness undecided" in str(c)
    skipped = compare(double_pendulum, 2 * double_pendulum.lagrangian_numeric, symbolic_timeout=0)
    assert skipped.check == "numeric" and "skipped" in skipped.reason


def test_outer_alarm_survives_the_time_limit(pendulum):
    fired = []

    def handler(*_):
        fired.append(True)

    old = signal.signal(signal.SIGALRM, handler)
    old_timer = signal.setitimer(signal.ITIMER_REAL, 50.0)
    try:
        compare(pendulum, 2 * pendulum.lagrangian_numeric, n_states=20)
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < remaining <= 50.0
        assert signal.getsignal(signal.SIGALRM) is handler
    finally:
        signal.setitimer(signal.ITIMER_REAL, *old_timer)
        signal.signal(signal.SIGALRM, old)
    assert not fired


def test_works_outside_the_main_thread(pendulum):
    results = []
    worker = threading.Thread(
        target=lambda: results.append(
            compare(
                pendulum, 2 * pendulum.lagrangian_numeric + sp.sin(THETA) * THETA_DOT, n_states=50
            )
        )
    )
    worker.start()
    worker.join(60)
    assert results and results[0].exact and results[0].check == "symbolic"


# ------------------------------------------------------------ the result


def test_result_serialises_prints_renders_and_plots(pendulum):
    c = compare(pendulum, 2 * pendulum.lagrangian_numeric, states=pendulum.box[0][None] + 0.5)
    assert c.n_states == 1
    data = json.loads(json.dumps(c.to_dict()))
    again = Comparison.from_dict(data)
    assert again == c and again.true_accelerations is None
    text = str(c)
    assert "equivalent (symbolic check), exact" in text and "scale α      = 2" in text
    latex = c._repr_latex_()
    assert latex.startswith("$$") and r"\dot{\theta}" in latex
    assert r"L_{\mathrm{true}}" in latex and r"L_{\mathrm{rec}}" in latex

    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    assert c.plot(ax=ax) is ax
    assert len(ax.collections) == 1
    with pytest.raises(ValueError, match="no accelerations"):
        again.plot(ax=ax)


def test_held_out_states_are_reproducible(pendulum):
    a = compare(pendulum, "theta_dot**2/2 + 9.9*cos(theta)", n_states=100, seed=3)
    b = compare(pendulum, "theta_dot**2/2 + 9.9*cos(theta)", n_states=100, seed=3)
    assert a.accel_rel_error == b.accel_rel_error
    assert np.array_equal(a.recovered_accelerations, b.recovered_accelerations)


def test_ugly_constants_are_matched_term_by_term():
    # m = 1.2345678: the simplest fraction within 1e-6 (100/81) is not the truth's value;
    # exactness must still hold for a recovered L that is right to 1e-10.
    m = sp.Symbol("m", real=True)
    system = System(
        "ugly",
        ["x"],
        m * XD**2 / 2 - m * X**4 / 4,
        {"m": 1.2345678},
        {"x": (-1, 1), "x_dot": (-1, 1)},
    )
    c = compare(system, 2 * (0.61728390000001 * XD**2 - 0.30864194999999 * X**4))
    assert c.equivalent and c.exact and c.scale_rational == "2"


def test_summary_keys(pendulum):
    c = compare(pendulum, "1.5*theta_dot**2 + 29.43*cos(theta)", n_states=100)
    summary = json.loads(json.dumps(c.to_summary(network_error=0.02)))
    assert {
        "recovered_lagrangian",
        "equivalent",
        "exact",
        "scale",
        "accel_rel_error",
        "comparison",
    } <= set(summary)
    assert summary["scale"] == 3.0 and summary["exact"] is True
    assert summary["accel_rel_error"] == {"network": 0.02, "recovered": c.accel_rel_error}
    assert sp.sympify(summary["recovered_lagrangian"]).free_symbols  # sympify parses it


def test_non_finite_recovered_accelerations_are_a_verdict(pendulum):
    # sqrt(θ) is undefined for θ < 0: half the held-out states give nan.
    c = compare(pendulum, "theta_dot**2/2 + 9.81*cos(theta) + sqrt(theta)*theta_dot**2")
    assert not c.equivalent
    assert "not defined" in c.reason and "theta=-" in c.reason


def test_tiny_spurious_term_is_equivalent_but_not_exact(double_pendulum):
    c = compare(double_pendulum, double_pendulum.lagrangian_numeric + 1e-9 * T1**2, n_states=300)
    assert c.equivalent and not c.exact and c.exact_decided and c.check == "numeric"
    assert "not a null Lagrangian" in c.reason and "less than the tolerance" in c.reason
