"""Constants from measured positions by multiple shooting, with uncertainties.

Once the terms ``φ_k`` of ``L = Σ_k c_k φ_k`` are chosen, :func:`fit_constants` fits their
coefficients (and the terms' nonlinear parameters) to the measured positions themselves:
each trajectory is cut into windows whose initial states are free, the constants are
shared, the equations of motion are integrated (RK4 with exact sensitivities) and the
positions are matched in weighted least squares. The Gauss–Newton covariance gives each
constant a standard error and intervals; :func:`rationalise` turns a constant into a
simple rational only where one lies inside its interval.
"""

from physym.shooting.config import ShootingConfig
from physym.shooting.fit import default_scale, fit_constants
from physym.shooting.parameters import ShootingError
from physym.shooting.rational import rational_within, rationalise
from physym.shooting.result import FittedConstant, ShootingResult

__all__ = [
    "FittedConstant",
    "ShootingConfig",
    "ShootingError",
    "ShootingResult",
    "default_scale",
    "fit_constants",
    "rational_within",
    "rationalise",
]
