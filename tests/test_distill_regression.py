"""Sparse regression, the Pareto front and its selection rule, rationalisation."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from physym import load_system
from physym.distill import Candidate, SelectionRule, StateSpace, complexity, pareto_front
from physym.distill.backends import SparseBackend
from physym.distill.base import Problem
from physym.distill.rationalise import rational_candidates, rationalise_greedy
from physym.distill.stlsq import SubsetLeastSquares, independent_columns

x = sp.Symbol("x", real=True)


def test_front_keeps_only_models_better_than_all_simpler_ones():
    cands = [
        Candidate(sp.S(0), 1.0, 1, "t"),
        Candidate(x, 0.5, 3, "t"),
        Candidate(x**2, 0.7, 5, "t"),
        Candidate(x + x**3, 1e-9, 9, "t"),
    ]
    front = pareto_front(cands)
    assert [c.complexity for c in front] == [1, 3, 9]


def test_selection_prefers_the_simplest_model_within_tolerance():
    front = pareto_front(
        [
            Candidate(sp.S(0), 1.0, 1, "t"),
            Candidate(x, 1.2e-3, 3, "t"),
            Candidate(x + x**5, 1.0e-3, 9, "t"),
        ]
    )
    assert SelectionRule(ratio=1.5).choose(front).expr == x
    assert SelectionRule(ratio=1.1).choose(front).expr == x + x**5
    # the network's own noise level relaxes the rule
    assert SelectionRule(ratio=1.1, noise=2e-3).choose(front).expr == x


def test_round_off_errors_count_as_equal():
    front = pareto_front([Candidate(x, 3e-13, 3, "t"), Candidate(x + x**3, 1e-15, 8, "t")])
    assert SelectionRule().choose(front).expr == x


def test_complexity_counts_tree_nodes():
    assert complexity(x) == 1
    assert complexity(2 * x**2) == 5
    assert complexity(sp.cos(x - 1)) > complexity(sp.cos(x))


def test_subset_least_squares_matches_numpy():
    rng = np.random.default_rng(0)
    design = rng.normal(size=(200, 6))
    target = rng.normal(size=200)
    fit = SubsetLeastSquares(design, target)
    for support in ([0], [1, 4], [0, 2, 3, 5]):
        coef, rms = fit.solve(support)
        direct = np.linalg.lstsq(design[:, support], target, rcond=None)[0]
        np.testing.assert_allclose(coef[support], direct, atol=1e-12)
        residual = design[:, support] @ direct - target
        assert rms == pytest.approx(np.sqrt(np.mean(residual**2)), rel=1e-10)


def test_paths_find_the_sparse_support():
    rng = np.random.default_rng(1)
    design = rng.normal(size=(300, 12))
    target = 3 * design[:, 2] - 0.5 * design[:, 7]
    fit = SubsetLeastSquares(design, target)
    assert frozenset({2, 7}) in fit.stlsq_path(np.logspace(-6, 0, 13))
    assert frozenset({2, 7}) in fit.backward_path()
    assert frozenset({2, 7}) in fit.small_supports()


def test_beam_path_finds_a_support_greedy_forward_selection_misses():
    # Two particles in a trap with a 1/(x1 - x2)^2 repulsion: on these short ranges x1*x2,
    # x2^4 and cos(x2) look alike, and the greedy step starts from the wrong column.
    rng = np.random.default_rng(0)
    x1, x2 = rng.uniform(0.4, 1.6, 400), rng.uniform(-1.6, -0.4, 400)
    columns = [np.ones(400), x1, x2, x1**2, x2**2, x1 * x2, x2**4, x1**4]
    columns += [np.cos(x1), np.cos(x2), np.sin(x2), 1 / (x1 - x2) ** 2, x1**2 * x2]
    target = 0.6 * x1**2 + 0.6 * x2**2 + 0.1 * x1 * x2 + 0.35 / (x1 - x2) ** 2
    design = np.column_stack(columns)
    fit = SubsetLeastSquares(design / np.sqrt(np.mean(design**2, axis=0)), target)
    true = frozenset({3, 4, 5, 11})
    assert true not in fit.forward_path()
    assert true in fit.beam_path()
    assert fit.solve(true)[1] < 1e-12


def test_dependent_columns_keep_the_earlier_one():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(2, 100))
    design = np.column_stack([a, b, -2 * a, a + b, np.zeros(100)])
    assert independent_columns(design) == [0, 1]


def test_sparse_backend_finds_a_potential_through_correlated_columns():
    system = load_system("kepler_polar")
    space = StateSpace.from_system(system)
    r = space.q_symbols[0]
    q = space.sample_q(300, np.random.default_rng(3))
    target = 2.5 - 1.5 / q[:, 0]
    problem = Problem("V", space.q_symbols, q, target, float(np.std(target)), "q", space)
    front = pareto_front(SparseBackend().fit(problem))
    chosen = SelectionRule().choose(front)
    assert (
        sp.simplify(chosen.expr - (2.5 - 1.5 / r)).equals(0)
        or abs(float((chosen.expr - (2.5 - 1.5 / r)).subs(r, 1.1))) < 1e-10
    )
    # Exact data: the error is round-off (about 1e-15 here; its last digits depend on the
    # BLAS summation order, so the claim checked is "round-off", not a digit count).
    assert chosen.error < 1e-9


def test_subset_fit_errors_reach_round_off_on_exact_data():
    # The residual outside the columns' span is formed as a vector, not as ‖y‖² − ‖Qᵀy‖²,
    # whose cancellation would leave about √ε ≈ 1e-8 of a large target as a fake error.
    # (The cancellation's sign and size vary with the data: several draws are tried.)
    for seed in range(10):
        rng = np.random.default_rng(seed)
        design = rng.normal(size=(400, 5)) + 50.0
        target = 1e3 + design @ np.array([0.0, 2.0, 0.0, -1.0, 0.5])
        fit = SubsetLeastSquares(np.column_stack([np.ones(400), design]), target)
        rms = fit.solve([0, 2, 4, 5])[1]
        assert rms <= 1e-9 * np.sqrt(np.mean(target**2)), seed


def test_rational_candidates_are_significant_only():
    assert rational_candidates(9.81000000000003) == [sp.Rational(981, 100)]
    assert rational_candidates(0.49999999997) == [sp.Rational(1, 2)]
    assert rational_candidates(9.81031234) == []
    assert rational_candidates(np.pi) == []
    assert rational_candidates(1e-17, zero=True)[0] == 0


@settings(max_examples=40, deadline=None)
@given(st.integers(-500, 500), st.integers(1, 60), st.floats(-1e-12, 1e-12))
def test_simple_fractions_are_recovered_from_round_off(p, q, noise):
    value = p / q * (1 + noise)
    assert sp.Rational(p, q) in rational_candidates(value)


def test_greedy_rationalisation_keeps_a_rational_only_if_the_fit_holds():
    def error_for(truth):
        def error(fixed):
            values = np.array(truth)
            for k, v in fixed.items():
                values[k] = float(v)
            return float(np.abs(values - truth).max()) + 1e-3  # a noise floor of 1e-3

        return error

    values = {0: 9.81000000001, 1: 0.5000000001}
    fixed = rationalise_greedy(values, error_for([9.81, 0.5]), 1e-3)
    assert fixed == {0: sp.Rational(981, 100), 1: sp.Rational(1, 2)}
    # far from any simple fraction: that value stays a float
    values = {0: 9.81031234, 1: 0.5}
    assert rationalise_greedy(values, error_for([9.81031234, 0.5]), 1e-3) == {1: sp.Rational(1, 2)}
    # a rational that would worsen the fit is refused
    assert rationalise_greedy({0: 0.5000000001}, lambda f: 1.0 if f else 1e-3, 1e-3) == {}
