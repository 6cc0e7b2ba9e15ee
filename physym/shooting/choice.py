"""Re-selection of the terms themselves: several candidate closed forms, one chosen by the
measured positions.

Terms chosen on noisy derivatives can be look-alikes: ``a r⁴ + b r³ + c/√r`` imitates
``k r² + l r`` over the range the data cover to within the derivatives' noise, but not to
within the positions' (the phase of a trajectory accumulates the difference). Given the
incumbent closed form and alternatives (other candidates of the search, other models of
its targets, limits of its nonlinear parameters), :func:`choose_closed_form` decides by the
positions:

1. **Screen** every candidate on the same short windows (no growth, no term dropping, few
   iterations): the same window states for all, so the criterion
   ``BIC = χ² + k ln N`` (``k`` fitted constants, ``N`` residuals) compares them fairly.
2. **Full fits** (window growth, dropping of terms) of the incumbent and of the
   best-screened challengers (``finalists``).
3. A challenger replaces the incumbent only if it wins **both** comparisons: on the
   common short windows, and on its own full fit with every fitted number counted
   (``χ² + p ln N``, ``p`` = window states and constants, since the layouts differ). A
   better model grows longer windows (fewer states) at no loss of χ², so both favour it;
   the incumbent keeps its place when the positions cannot tell the two apart.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from physym.data.state_estimate import StateEstimate
from physym.distill.euler_lagrange import TermDynamics
from physym.distill.polish import ScaleFix
from physym.shooting.config import ShootingConfig
from physym.shooting.result import ShootingResult

__all__ = ["Candidate", "Choice", "choose_closed_form", "information"]

#: Levenberg–Marquardt iterations of a screening fit (per window length: there is one).
SCREEN_ITERATIONS = 15
#: CPU seconds after which no further challenger is fitted.
BUDGET = 60.0


@dataclass(frozen=True, eq=False)
class Candidate:
    """One closed form ``L = Σ_k c_k φ_k`` to be fitted to the positions.

    Attributes
    ----------
    label : str
        Where it came from (``"incumbent"``, ``"search candidate 3"``, ``"limit p → 0"``…).
    dynamics : TermDynamics
        Its terms (and the symbols of their nonlinear parameters).
    coefficients : numpy.ndarray
        Starting coefficients.
    params : dict of str to float
        Starting values of the nonlinear parameters.
    scale : ScaleFix, optional
        The condition that fixes the scale of ``L`` (default: the shooting fit's own).
    """

    label: str
    dynamics: TermDynamics
    coefficients: np.ndarray
    params: Mapping[str, float] = field(default_factory=dict)
    scale: ScaleFix | None = None

    @property
    def lagrangian(self) -> str:
        """The starting ``L`` as text."""
        values = {s: self.params[str(s)] for s in self.dynamics.params}
        expr = sp.Add(
            *(
                sp.Float(c, 6) * t
                for c, t in zip(self.coefficients, self.dynamics.terms, strict=True)
            )
        )
        return sp.sstr(expr.xreplace({s: sp.Float(v, 6) for s, v in values.items()}))


@dataclass(frozen=True, eq=False)
class Choice:
    """The chosen candidate, its full shooting fit, and the comparison behind it.

    Attributes
    ----------
    index : int
        Of the chosen candidate in the list given.
    result : ShootingResult
        Its full fit.
    compared : tuple of dict
        One per candidate: ``label``, ``lagrangian`` (start), ``terms``, ``screen``
        (``chi2``, ``reduced_chi2``, ``constants``, ``bic``; or ``error``) and, for the
        finalists, ``full`` (``chi2``, ``reduced_chi2``, ``parameters``, ``bic``,
        ``lagrangian``); ``chosen``.
    rule : str
        The rule, in words.
    cpu_seconds : float
    """

    index: int
    result: ShootingResult
    compared: tuple[dict[str, Any], ...]
    rule: str
    cpu_seconds: float


FitFunction = Callable[..., ShootingResult]


def information(chi2: float, parameters: int, residuals: int) -> float:
    """The Bayesian information criterion ``χ² + p ln N`` (χ² with the noise as weights)."""
    return float(chi2 + parameters * math.log(max(residuals, 2)))


def choose_closed_form(
    candidates: Sequence[Candidate],
    estimate: StateEstimate,
    *,
    config: ShootingConfig | None = None,
    finalists: int = 2,
    budget: float = BUDGET,
    progress: bool = False,
    fit: FitFunction | None = None,
) -> Choice:
    """Choose among ``candidates`` (the first is the incumbent) by the measured positions.

    Parameters
    ----------
    candidates : sequence of Candidate
        The incumbent first; challengers after it.
    estimate : StateEstimate
        The measured positions, their smoothed states and noise.
    config : ShootingConfig, optional
        Of the full fits (the screening uses it without growth and dropping).
    finalists : int
        Challengers fitted in full (the best-screened ones).
    budget : float
        CPU seconds after which no further challenger is fitted (screened or in full);
        the incumbent always is.
    progress : bool
    fit : callable, optional
        The shooting fit (default :func:`physym.shooting.fit_constants`).

    Returns
    -------
    Choice

    Raises
    ------
    Exception
        What the first full fit raised, when none succeeded (a failing candidate is only
        recorded while another can be fitted).
    """
    from physym.shooting.fit import fit_constants

    if not candidates:
        raise ValueError("no candidate closed form to choose from")
    fit = fit or fit_constants
    config = config or ShootingConfig()
    cpu = time.process_time()
    n_dof = len(estimate.coordinates)
    residuals = len(estimate.t) * n_dof
    screen_config = dataclasses.replace(
        config,
        grow=False,
        reselect=False,
        max_iterations=min(config.max_iterations, SCREEN_ITERATIONS),
        uncertainties=False,
    )
    compared: list[dict[str, Any]] = [
        {"label": c.label, "lagrangian": c.lagrangian, "terms": len(c.dynamics.terms)}
        for c in candidates
    ]
    if len(candidates) == 1:
        result = _fit(fit, candidates[0], estimate, config, progress)
        compared[0].update(full=_full_record(result, n_dof, residuals), chosen=True)
        return Choice(0, result, tuple(compared), "a single candidate", _since(cpu))
    spent = 0.0  # CPU seconds spent on challengers
    skipped = f"not fitted: the {budget:g} CPU s budget for challengers was spent"
    for i, (record, candidate) in enumerate(zip(compared, candidates, strict=True)):
        if i and spent > budget:
            record["screen"] = {"error": skipped}
            continue
        began = time.process_time()
        _screen(fit, candidate, estimate, screen_config, residuals, record)
        spent += (time.process_time() - began) if i else 0.0
    ranked = sorted(
        (i for i in range(1, len(candidates)) if "bic" in compared[i].get("screen", {})),
        key=lambda i: compared[i]["screen"]["bic"],
    )
    incumbent_bic = compared[0].get("screen", {}).get("bic", math.inf)
    challengers = [i for i in ranked if compared[i]["screen"]["bic"] < incumbent_bic]
    results: dict[int, ShootingResult] = {}
    failure: Exception | None = None
    for i in [0, *challengers[: max(finalists, 0)]]:
        if i and spent > budget:
            compared[i]["full"] = {"error": skipped}
            continue
        began = time.process_time()
        try:
            results[i] = _fit(fit, candidates[i], estimate, config, progress)
        except Exception as exc:  # recorded; raised below only if no form could be fitted
            compared[i]["full"] = {"error": f"{type(exc).__name__}: {_first_line(exc)}"}
            failure = failure or exc
            continue
        finally:
            spent += (time.process_time() - began) if i else 0.0
        compared[i]["full"] = _full_record(results[i], n_dof, residuals)
    if not results:
        assert failure is not None
        raise failure
    index = min(results, key=lambda i: (compared[i]["full"]["bic"], i))
    for i, record in enumerate(compared):
        record["chosen"] = i == index
    rule = (
        "screened on common short windows by χ² + k ln N (k constants); the incumbent and "
        f"up to {finalists} challengers that beat it there fitted in full and compared by "
        "χ² + p ln N (p: window states and constants)"
    )
    return Choice(index, results[index], tuple(compared), rule, _since(cpu))


def _fit(
    fit: FitFunction,
    candidate: Candidate,
    estimate: StateEstimate,
    config: ShootingConfig,
    progress: bool,
) -> ShootingResult:
    return fit(
        candidate.dynamics,
        np.asarray(candidate.coefficients, dtype=np.float64),
        estimate,
        scale=candidate.scale,
        params=dict(candidate.params),
        config=config,
        progress=progress,
    )


def _screen(
    fit: FitFunction,
    candidate: Candidate,
    estimate: StateEstimate,
    config: ShootingConfig,
    residuals: int,
    record: dict[str, Any],
) -> None:
    """Fit ``candidate`` on the short windows; its ``screen`` entry in ``record``."""
    try:
        screened = _fit(fit, candidate, estimate, config, False)
    except Exception as exc:  # a candidate that cannot be fitted is only recorded
        record["screen"] = {"error": f"{type(exc).__name__}: {_first_line(exc)}"}
        return
    constants = _fitted_constants(screened)
    record["screen"] = {
        "chi2": screened.chi2,
        "reduced_chi2": screened.reduced_chi2,
        "constants": constants,
        "bic": information(screened.chi2, constants, residuals),
    }


def _fitted_constants(result: ShootingResult) -> int:
    """Constants the fit adjusted (free coefficients and fitted parameters)."""
    return sum(1 for c in result.constants if c.role == "free")


def _full_record(result: ShootingResult, n_dof: int, residuals: int) -> dict[str, Any]:
    parameters = residuals - result.dof
    return {
        "chi2": result.chi2,
        "reduced_chi2": result.reduced_chi2,
        "parameters": parameters,
        "windows": result.windows.get("count"),
        "bic": information(result.chi2, parameters, residuals),
        "lagrangian": sp.sstr(result.lagrangian()),
    }


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else ""


def _since(cpu: float) -> float:
    return time.process_time() - cpu
