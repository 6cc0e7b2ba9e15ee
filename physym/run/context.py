"""What the stages of a fit share: one typed :class:`RunContext`, and the :class:`Stage`.

A stage is a name and a function of the context; it reads what earlier stages left there
and adds its own results, and its entries of ``ctx.summary`` become ``summary.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from physym.config import RunConfig
from physym.io import write_json
from physym.runs import CONFIG
from physym.systems import System

if TYPE_CHECKING:
    from physym.data import Dataset
    from physym.distill import Distillation
    from physym.network.base import LagrangianModel
    from physym.rollout.evaluation import RolloutPlan
    from physym.run.sources.base import DataSource, SourceData
    from physym.run.stopping import ClosedFormStop
    from physym.training import TrainResult

__all__ = ["RunContext", "Stage", "StageFunction"]


@dataclass
class RunContext:
    """Inputs, intermediate results and the summary being built by a fit's stages.

    Attributes
    ----------
    config : RunConfig
        The resolved settings (what ``config.json`` records).
    system : System or None
        The reference system (its box replaced by the data's for measured positions);
        ``None`` for measured positions alone.
    run_dir : Path
    source : DataSource
        Where the samples come from (sampled states, measured positions…).
    resume, progress : bool
    data : SourceData or None
        What the source produced (set by the data stage).
    model, train_result, model_name
        The trained network, its training record and registry name.
    stopper : ClosedFormStop or None
        The distillation checks of the training that produced ``model``.
    distillation : Distillation or None
    plan : RolloutPlan or None
        Initial states and horizons of the rollouts.
    rollout : dict of arrays or None
        What ``rollout.npz`` holds.
    summary : dict
        Entries of ``summary.json`` so far.
    timings, cpu_seconds : dict
        Wall and CPU seconds per stage.
    stage : str
        The stage running now (named when a fit fails).
    """

    config: RunConfig
    system: System | None
    run_dir: Path
    source: DataSource
    resume: bool = False
    progress: bool = False
    data: SourceData | None = None
    model: LagrangianModel | None = None
    train_result: TrainResult | None = None
    model_name: str | None = None
    stopper: ClosedFormStop | None = None
    distillation: Distillation | None = None
    plan: RolloutPlan | None = None
    rollout: dict[str, Any] | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    stage: str = ""

    @property
    def dataset(self) -> Dataset:
        """The samples (after the data stage)."""
        if self.data is None:
            raise RuntimeError("the data stage has not run")
        return self.data.dataset

    @property
    def name(self) -> str:
        """The name the run goes by: the system's, or the data file's."""
        if self.system is not None:
            return self.system.name
        measured = self.config.data.measured
        return Path(measured.file).name if measured is not None else "run"

    def set_config(self, config: RunConfig) -> None:
        """Replace the settings (e.g. a training budget the data size decides) and
        record them in ``config.json``: it always says what ran."""
        if config != self.config:
            self.config = config
            write_json(self.run_dir / CONFIG, config.to_dict())


StageFunction = Callable[[RunContext], None]


@dataclass(frozen=True)
class Stage:
    """A named step of :func:`physym.fit`: ``run(ctx)`` reads and extends the context."""

    name: str
    run: StageFunction
