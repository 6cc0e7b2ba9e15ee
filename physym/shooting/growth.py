"""Continuity imposed by joining windows: pairs of neighbouring windows become one where
the data agree (see :mod:`physym.shooting.fit`, step 2)."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import chi2 as chi2_distribution

from physym.shooting.config import ShootingConfig
from physym.shooting.parameters import ShootingError
from physym.shooting.stages import StageFit, StageRunner, f_test

__all__ = ["grow_windows"]

_FEWEST_PAIRS = 0.1  # a growth round must join at least this share of the windows


def grow_windows(
    runner: StageRunner, current: StageFit, stages: list[dict[str, Any]], config: ShootingConfig
) -> StageFit:
    """Join neighbouring windows in pairs where the data agree.

    Each round fits all pairs joined at once; a pair stays joined if its χ² rose by no
    more than the ``growth_quantile`` of ``χ²(2n)·s²`` (``s²`` the reduced χ² before),
    the others are split again (their boundary is never tried again) and the accepted
    layout is refitted. Growth stops when a round joins nothing, or when fewer than a
    tenth of the windows are left to join.
    """
    frozen: set[int] = set()
    step = runner.data.step()
    while config.grow:
        layout = current.problem.layout
        longest = config.max_steps // runner.substeps
        if config.max_window is not None:
            longest = min(longest, int(config.max_window / step + 1e-9))
        labels = layout.pairs(frozenset(frozen), longest)
        if len(layout) - len(np.unique(labels)) < _FEWEST_PAIRS * len(layout):
            break  # (almost) nothing left to join: a round would cost a full refit
        merged, first = layout.grouped(labels)
        par, previous = current.problem.parametrisation, current
        try:
            candidate = runner.run(
                merged, par, current.outcome.initial[first], current.outcome.theta
            )
        except ShootingError:
            break  # a joined window diverges from the start: keep what we have
        group = np.searchsorted(first, np.arange(len(layout)), side="right") - 1
        agree = _agreeing(current, candidate, group, config.growth_quantile)
        joined = agree & (np.bincount(group) > 1)
        for j in np.flatnonzero(~agree):
            frozen.update(int(layout.start[i]) for i in np.flatnonzero(group == j)[1:])
        if not joined.any():
            stages.append(
                {
                    **candidate.record(),
                    "pairs": int(np.sum(np.bincount(group) > 1)),
                    "joined": 0,
                    "accepted": False,
                }
            )
            break
        if not agree.all():
            labels = np.where(agree[group], group, -1 - np.arange(len(layout)))
            partial, starts = layout.grouped(labels)
            own = group[starts]
            initial = np.where(
                agree[own][:, None], candidate.outcome.initial[own], current.outcome.initial[starts]
            )
            candidate = runner.run(partial, par, initial, candidate.outcome.theta)
        statistic, limit = f_test(candidate, previous, config.growth_quantile)
        stages.append(
            {
                **candidate.record(),
                "pairs": int(np.sum(np.bincount(group) > 1)),
                "joined": int(joined.sum()),
                "F": statistic,
                "F_limit": limit,
                "accepted": True,
            }
        )
        current = candidate
    return current


def _agreeing(before: StageFit, after: StageFit, group: np.ndarray, quantile: float) -> np.ndarray:
    """Per joined window: whether its χ² rose by no more than chance allows."""
    old = np.sum(before.outcome.evaluation.residuals**2, axis=1)
    new = np.sum(after.outcome.evaluation.residuals**2, axis=1)
    extra = 2 * before.problem.equations.n_dof * (np.bincount(group) - 1)
    rise = (new - np.bincount(group, weights=old)) / max(before.cost / max(before.dof, 1), 1e-300)
    limit = np.where(extra > 0, chi2_distribution.ppf(quantile, np.maximum(extra, 1)), np.inf)
    return np.isfinite(new) & (rise <= limit)
