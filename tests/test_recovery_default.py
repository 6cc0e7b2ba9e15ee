"""The default ``physym fit`` recovers Lagrangians exactly (full-size runs: ``-m slow``).

``benchmarks/recovery_table.py`` runs every built-in system; these are the cheapest
representatives of its two regimes: a Lagrangian quadratic in ``q̇`` (the structured model
suffices) and one that is not (the fallback to the ``mlp`` model must trigger).
"""

from __future__ import annotations

import pytest

import physym

pytestmark = pytest.mark.slow


def _default_fit(name: str, tmp_path) -> dict:
    return physym.fit(name, tmp_path / name, progress=False).summary


def test_default_fit_recovers_a_quadratic_system_exactly(tmp_path):
    summary = _default_fit("duffing", tmp_path)
    assert summary["exact"] is True and summary["equivalent"] is True
    assert summary["accel_rel_error"]["recovered"] <= 1e-6
    assert summary["training"]["fallback"]["triggered"] is False


def test_default_fit_falls_back_and_recovers_the_relativistic_oscillator(tmp_path):
    summary = _default_fit("relativistic_oscillator", tmp_path)
    fallback = summary["training"]["fallback"]
    assert fallback["triggered"] and fallback["used"]
    assert fallback["first_val_rel_error"] > 0.01  # the structured model's floor: 1.9 %
    assert summary["equivalent"] is True
    assert summary["accel_rel_error"]["recovered"] <= 1e-6
