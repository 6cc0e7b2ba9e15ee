"""Settings of a shooting fit (all have defaults that need no tuning per system)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from physym.shooting.parameters import ShootingError

__all__ = ["ShootingConfig"]


@dataclass(frozen=True)
class ShootingConfig:
    """How the constants are fitted to the measured positions.

    Attributes
    ----------
    window : float, optional
        Length (in the data's time unit) of the first windows; default twice the data's
        shortest time scale ``min_j rms(q̇_j)/rms(q̈_j)``, at least ``min_samples``.
    min_samples : int
        Fewest samples in a window.
    grow : bool
        Join neighbouring windows in pairs (doubling their length) where the data agree:
        a joined window's χ² may rise by the ``growth_quantile`` of ``χ²(2n)`` at most;
        up to ``max_steps``/``max_window``.
    max_window : float, optional
        Longest window (time); default no limit beyond ``max_steps``.
    max_steps : int
        Longest window in RK4 steps (samples × substeps): bounds the cost of a rollout.
    substeps : int, optional
        RK4 steps per sample interval; default the fewest of 1, 2, 4, 8, 16 whose
        integration error (step doubling) is below a tenth of the noise before a fit
        and, after it, moves no constant by more than a tenth of its standard error.
    fit_params : bool
        Fit the terms' nonlinear parameters too (else hold them at their given values).
    rescale : bool
        Multiply the Gauss–Newton covariance by the reduced χ².
    reselect : bool
        Drop terms whose interval contains 0 when an F-test at ``drop_quantile`` allows.
    growth_quantile : float
        Quantile of ``χ²(2n)`` (per joined pair of windows) the χ² rise is compared with.
    drop_quantile : float
        Quantile of ``F(1, dof)`` the χ² rise of dropping a term is compared with.
    max_iterations : int
        Levenberg–Marquardt iterations per window length.
    tolerance : float
        Converged when a Gauss–Newton step is shorter than this many standard errors.
    noise : tuple of float, optional
        ``σ`` per coordinate; default the estimate's own measurement of the noise.
    uncertainties : bool
        Raise when the data do not determine a constant (its covariance is singular);
        without, such a fit still gives its χ² (standard errors NaN): for screening.
    """

    window: float | None = None
    min_samples: int = 10
    grow: bool = True
    max_window: float | None = None
    max_steps: int = 512
    substeps: int | None = None
    fit_params: bool = True
    rescale: bool = True
    reselect: bool = True
    growth_quantile: float = 0.999
    drop_quantile: float = 0.95
    max_iterations: int = 50
    tolerance: float = 1e-3
    noise: tuple[float, ...] | None = None
    uncertainties: bool = True

    def __post_init__(self) -> None:
        for name in ("window", "max_window"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ShootingError(f"shooting {name} must be a positive time, got {value!r}")
        for name in ("min_samples", "max_steps", "max_iterations"):
            if int(getattr(self, name)) < 1:
                raise ShootingError(
                    f"shooting {name} must be at least 1, got {getattr(self, name)!r}"
                )
        if self.substeps is not None and not 1 <= int(self.substeps) <= 1024:
            raise ShootingError(f"shooting substeps must be 1 to 1024, got {self.substeps!r}")
        for name in ("growth_quantile", "drop_quantile"):
            if not 0 < getattr(self, name) < 1:
                raise ShootingError(
                    f"shooting {name} must lie in (0, 1), got {getattr(self, name)!r}"
                )
        if not self.tolerance > 0:
            raise ShootingError(f"shooting tolerance must be positive, got {self.tolerance!r}")
