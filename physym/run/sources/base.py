"""Where a fit's samples come from: one strategy object per kind of data.

A :class:`DataSource` turns the configuration (and the reference system, if any) into
:class:`SourceData`: states and accelerations split for training, the noise floor the
distillation's acceptance rule allows for, and the box the data cover (where the
distillation samples and the evaluation starts its rollouts). Sources differ in what
else they evaluate and compare: :meth:`DataSource.evaluate` and :meth:`DataSource.compare`
run after the generic stages. A new kind of data (forced systems with inputs) is a new
subclass, registered in :mod:`physym.run.sources`.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from physym.config import RunConfig
from physym.systems import System

if TYPE_CHECKING:
    from physym.data import Dataset
    from physym.distill import Distillation, StateSpace
    from physym.network.base import LagrangianModel

__all__ = ["FLOOR_MARGIN", "DataSource", "SourceData", "StageView"]

#: Margin of the acceptance threshold over the data's expected relative noise.
FLOOR_MARGIN = 1.5


@dataclass(frozen=True, eq=False)
class SourceData:
    """What a data source yields.

    Attributes
    ----------
    dataset : Dataset
        States ``(N, 2n)`` and accelerations ``(N, n)``, split (``accelerations_clean``:
        the truth where known).
    noise_floor : float
        Relative acceleration error the data's own noise puts on any model, margin
        included: 0 for exact samples. The distillation accepts a closed form within it.
    space : StateSpace
        Coordinates, periodic flags and the box the data cover.
    system : System or None
        The reference system, boxed to the data (``None`` without one).
    t : numpy.ndarray or None
        Time of each sample, for data measured over time.
    inputs : numpy.ndarray or None
        External inputs at each sample ``(N, m)``, for forced data.
    info : dict
        Entries for ``summary.json`` (e.g. ``"measured"``).
    """

    dataset: Dataset
    noise_floor: float
    space: StateSpace
    system: System | None
    t: np.ndarray | None = None
    inputs: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)


class StageView(Protocol):
    """What a source's :meth:`~DataSource.evaluate` and :meth:`~DataSource.compare` read
    and write of the run (a :class:`~physym.run.context.RunContext` is one)."""

    config: RunConfig
    system: System | None
    run_dir: Path
    data: SourceData | None
    model: LagrangianModel | None
    distillation: Distillation | None
    summary: dict[str, Any]
    progress: bool

    @property
    def dataset(self) -> Dataset: ...

    @property
    def name(self) -> str: ...


class DataSource(abc.ABC):
    """A kind of training data (see the module docstring)."""

    #: How the summary and the report call this kind of data.
    name: str = ""
    #: The slack of the distillation's pruning and rationalisation with these data.
    slack: float = 0.05

    def check(self, config: RunConfig, system: System | None) -> None:  # noqa: B027
        """Settings only the data can judge: an error before the run directory exists."""

    @abc.abstractmethod
    def make(self, config: RunConfig, system: System | None, run_dir: Path) -> SourceData:
        """Produce the samples and save them in ``run_dir`` (``data.npz`` and the like)."""

    @abc.abstractmethod
    def load(self, config: RunConfig, system: System | None, run_dir: Path) -> SourceData | None:
        """The samples a run saved (``None`` if they are not there: make them again)."""

    def refine(self, ctx: StageView) -> None:  # noqa: B027
        """Refinement of the distilled ``L`` these data allow (default: none)."""

    def check_refinement(
        self, data: SourceData
    ) -> Callable[[Distillation, LagrangianModel], Distillation] | None:
        """What the training checks add to each distillation (default: nothing)."""
        return None

    def evaluate(self, ctx: StageView) -> None:  # noqa: B027
        """Evaluation these data add to the generic rollouts (default: none)."""

    def compare(self, ctx: StageView) -> None:  # noqa: B027
        """Comparison of the recovered ``L`` these data add (default: none)."""
