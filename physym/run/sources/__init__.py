"""Data sources of a fit, one strategy each: :class:`SampledStates` (the default) and
:class:`MeasuredPositions` (``data.measured``). :func:`source_for` picks one from the
configuration."""

from __future__ import annotations

from physym.config import RunConfig
from physym.run.sources.base import FLOOR_MARGIN, DataSource, SourceData
from physym.run.sources.measured import MeasuredPositions
from physym.run.sources.sampled import SampledStates

__all__ = [
    "FLOOR_MARGIN",
    "DataSource",
    "MeasuredPositions",
    "SampledStates",
    "SourceData",
    "source_for",
]


def source_for(config: RunConfig) -> DataSource:
    """The data source a configuration asks for (a fresh object: sources hold state)."""
    if config.data.measured is not None:
        return MeasuredPositions()
    return SampledStates()
