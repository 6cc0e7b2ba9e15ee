"""States drawn uniformly from the system's box, with exact (or synthetically noisy)
accelerations: the default data of a fit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from physym.config import RunConfig
from physym.run.sources.base import FLOOR_MARGIN, DataSource, SourceData
from physym.runs import DATA
from physym.systems import System

if TYPE_CHECKING:
    from physym.data import Dataset

__all__ = ["SampledStates"]


class SampledStates(DataSource):
    """``config.data.samples`` seeded states from ``system``'s sampling box.

    The noise floor is the synthetic target noise (``config.data.noise``, relative) with
    the acceptance margin: 0 for exact samples, so a closed form is found only when it
    explains held-out accelerations to round-off.
    """

    name = "sampled states"

    def check(self, config: RunConfig, system: System | None) -> None:
        if system is None:
            from physym.config import ConfigError

            raise ConfigError(
                "fit: sampled states need a system (or 'data' with measured positions)"
            )

    def make(self, config: RunConfig, system: System | None, run_dir: Path) -> SourceData:
        from physym.data import make_dataset

        assert system is not None
        data = config.data
        dataset = make_dataset(
            system, data.samples, seed=config.seed, noise=data.noise, splits=data.splits
        )
        dataset.save(run_dir / DATA)
        return self._yield(dataset, config, system)

    def load(self, config: RunConfig, system: System | None, run_dir: Path) -> SourceData | None:
        from physym.data import Dataset

        if system is None or not (run_dir / DATA).is_file():
            return None
        return self._yield(Dataset.load(run_dir / DATA), config, system)

    def _yield(self, dataset: Dataset, config: RunConfig, system: System) -> SourceData:
        from physym.distill import StateSpace

        return SourceData(
            dataset=dataset,
            noise_floor=FLOOR_MARGIN * config.data.noise,
            space=StateSpace.from_system(system),
            system=system,
        )
