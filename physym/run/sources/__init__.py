"""Data sources of a fit, one strategy each: :class:`SampledStates` (the default) and
:class:`MeasuredPositions` (``data.measured``). :func:`source_for` picks one from the
configuration."""

from __future__ import annotations

from physym.config import RunConfig
from physym.run.sources.base import FLOOR_MARGIN, DataSource, SourceData
from physym.run.sources.forced import ForcedSamples
from physym.run.sources.measured import MeasuredPositions
from physym.run.sources.sampled import SampledStates
from physym.systems import System

__all__ = [
    "FLOOR_MARGIN",
    "DataSource",
    "ForcedSamples",
    "MeasuredPositions",
    "SampledStates",
    "SourceData",
    "source_for",
]


def source_for(config: RunConfig, system: System | None = None) -> DataSource:
    """The data source a configuration (and system) asks for (a fresh object: sources
    hold state): measured positions, sampled states, or sampled states with time, inputs
    and known forces for a non-conservative system."""
    if config.data.measured is not None:
        return MeasuredPositions()
    if system is not None and not (system.is_conservative and not system.has_inputs):
        return ForcedSamples()
    return SampledStates()
