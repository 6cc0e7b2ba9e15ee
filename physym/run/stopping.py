"""Train only as long as needed: distil the network while it trains, stop once the closed
form is found.

At scheduled epochs (``1, 2, 3, 4, 5, 6, 8, 10, 12, 15, …``: each the previous times
``train.stop.growth``, at least one more) the network is distilled exactly as the final
distillation would do it (targets from the network, the search, constants polished on
the training data, the acceptance rule on held-out data). Training stops when two
consecutive checks give the same closed form (symbolically equal) and the acceptance rule
calls it ``"found"``; otherwise it runs to its budget. Checks never cost more CPU than the
training itself: a scheduled check is skipped while the checks so far have cost more than
the epochs between them (a check that follows a ``"found"`` one always runs, to confirm
it). The checks are recorded in
``summary["training"]["stop"]`` and, for ``--resume``, in ``checks.json``.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from physym.io import read_json, write_json

if TYPE_CHECKING:
    import sympy as sp

    from physym.distill import Distillation
    from physym.network.base import LagrangianModel

__all__ = ["Check", "ClosedFormStop", "check_epochs", "same_lagrangian"]


@dataclass(frozen=True)
class Check:
    """One distillation of the network during training."""

    epoch: int
    closed_form: str
    lagrangian: str | None
    same_as_previous: bool
    cpu_s: float
    error: str | None = None


def check_epochs(budget: int, growth: float) -> list[int]:
    """The epochs at which the network is distilled, up to ``budget``.

    Examples
    --------
    >>> check_epochs(60, 1.25)
    [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 19, 24, 30, 38, 48, 60]
    """
    epochs, epoch = [], 1
    while epoch <= budget:
        epochs.append(epoch)
        epoch = max(epoch + 1, round(epoch * growth))
    return epochs


def same_lagrangian(a: sp.Expr, b: sp.Expr) -> bool:
    """Whether two closed forms are symbolically equal (exact coefficients)."""
    import sympy as sp

    difference = sp.expand(a - b)
    return difference == 0 or sp.simplify(difference) == 0


class ClosedFormStop:
    """The ``stop_check`` of :func:`physym.training.train` (see the module docstring).

    Parameters
    ----------
    distil : callable
        ``distil(model) -> Distillation`` with the final distillation's settings.
    budget : int
        Epochs of the training budget.
    growth : float
        Ratio between the epochs of consecutive checks.
    log : path, optional
        ``checks.json``: written after every check, read back on resume.
    on_check : callable, optional
        Told each check (a progress bar's status).
    """

    def __init__(
        self,
        distil: Callable[[LagrangianModel], Distillation],
        budget: int,
        growth: float,
        *,
        log: Path | None = None,
        on_check: Callable[[Check], None] | None = None,
    ):
        self.distil = distil
        self.budget = budget
        self.epochs = set(check_epochs(budget, growth))
        self.log = log
        self.on_check = on_check
        self.checks: list[Check] = []
        self.last: tuple[int, Distillation] | None = None
        self._previous: sp.Expr | None = None
        self._started = time.process_time()
        self._restored_cpu = 0.0
        self.skipped: list[int] = []
        if log is not None and log.is_file():
            self._restore(log)

    @property
    def status(self) -> str:
        """The last check in a few words (a progress bar's postfix)."""
        if not self.checks:
            return ""
        last = self.checks[-1]
        return f"{last.closed_form} at epoch {last.epoch}" + (
            " (same)" if last.same_as_previous else ""
        )

    def __call__(self, epoch: int, model: LagrangianModel) -> str | None:
        if epoch not in self.epochs or epoch >= self.budget:
            return None
        if self._too_costly():
            self.skipped.append(epoch)
            return None
        import torch

        begin = time.process_time()
        found, expression, error = "none", None, None
        try:
            distillation = self.distil(copy.deepcopy(model).to(torch.float64).eval())
            found, expression = distillation.closed_form, distillation.lagrangian
            self.last = (epoch, distillation)
        except (ValueError, ArithmeticError, RuntimeError) as exc:
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            self.last = None
        previous = self.checks[-1] if self.checks else None
        same = (
            expression is not None
            and previous is not None
            and previous.closed_form == "found"
            and self._previous is not None
            and same_lagrangian(expression, self._previous)
        )
        check = Check(
            epoch,
            found,
            None if expression is None else str(expression),
            same,
            time.process_time() - begin,
            error,
        )
        self.checks.append(check)
        self._previous = expression
        if self.log is not None:
            write_json(self.log, {"checks": [asdict(c) for c in self.checks]})
        if self.on_check is not None:
            self.on_check(check)
        if found == "found" and same and previous is not None:
            return (
                f"closed form found at two consecutive checks (epochs {previous.epoch} and {epoch})"
            )
        return None

    def _too_costly(self) -> bool:
        """Whether the checks so far cost more CPU than the training between them."""
        if not self.checks or self.checks[-1].closed_form == "found":
            return False
        checks = sum(c.cpu_s for c in self.checks) - self._restored_cpu
        training = time.process_time() - self._started - checks
        return checks > training

    def reusable(self, best_epoch: int) -> Distillation | None:
        """The last check's distillation if it was made from the weights training kept and
        found the closed form (a check searches only the cheap levels: otherwise the final
        distillation searches them all)."""
        if (
            self.last is not None
            and self.last[0] == best_epoch
            and self.last[1].closed_form == "found"
        ):
            return self.last[1]
        return None

    def record(self) -> dict[str, Any]:
        """``summary["training"]["stop"]``'s checks."""
        return {
            "checks": [asdict(c) for c in self.checks],
            "check_cpu_s": sum(c.cpu_s for c in self.checks),
            "skipped_epochs": list(self.skipped),
        }

    def _restore(self, log: Path) -> None:
        from physym.comparison import parse_lagrangian

        try:
            saved = read_json(log).get("checks", [])
            self.checks = [Check(**c) for c in saved]
        except (OSError, ValueError, TypeError):
            self.checks = []
        self._restored_cpu = sum(c.cpu_s for c in self.checks)  # spent by an earlier process
        last = self.checks[-1] if self.checks else None
        if last is not None and last.lagrangian is not None:
            try:
                self._previous = parse_lagrangian(last.lagrangian)
            except ValueError:
                self._previous = None
