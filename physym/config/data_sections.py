"""The ``data`` part of a fit's configuration: sampled states, or positions measured over
time (``data.measured``) and how their derivatives are estimated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from physym.config.settings import ConfigError, Section, setting

__all__ = ["DERIVATIVE_METHODS", "DataConfig", "DerivativeConfig", "MeasuredConfig"]

DERIVATIVE_METHODS = ("savgol", "spline")


@dataclass(frozen=True)
class DerivativeConfig(Section):
    """How ``q̇`` and ``q̈`` are estimated from measured positions
    (:mod:`physym.data.state_estimate`)."""

    path: ClassVar[str] = "data.measured.derivative"
    method: str = setting(
        "savgol", str, choices=DERIVATIVE_METHODS, doc="how q̇, q̈ are estimated from positions"
    )
    window: int | None = setting(
        None, int, low=3, optional=True, doc="savgol window in samples (None: from the noise)"
    )
    order: int | None = setting(
        None, int, low=1, optional=True, doc="savgol order or spline degree (None: 5)"
    )
    smoothing: float | None = setting(
        None, float, low=0.0, optional=True, doc="spline residual budget s (None: T·σ²)"
    )
    trim: int | None = setting(
        None,
        int,
        low=0,
        optional=True,
        doc="samples dropped at each trajectory end (None: half the window)",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.window is not None and self.window % 2 == 0:
            raise ConfigError(f"config: 'derivative_window' must be odd, got {self.window}")


@dataclass(frozen=True)
class MeasuredConfig(Section):
    """A file of measured positions over time to learn from instead of sampled states."""

    path: ClassVar[str] = "data.measured"
    file: str = setting(kind=str, doc="file of measured positions over time (.csv, .npz)")
    coordinates: tuple[str, ...] | None = setting(
        None, list, optional=True, doc="position columns (default: the system's)"
    )
    periodic: tuple[str, ...] | None = setting(
        None, list, optional=True, doc="angle coordinates (default: the system's)"
    )
    time_column: str = setting("t", str, doc="time column")
    trajectory_column: str | None = setting(
        None, str, optional=True, doc="column naming the trajectory of each row"
    )
    derivative: DerivativeConfig = setting(kind=DerivativeConfig, factory=DerivativeConfig)

    def __post_init__(self) -> None:
        super().__post_init__()
        names = self.coordinates or ()
        for name in (*names, *(self.periodic or ())):
            if not name.isidentifier() or name.endswith("_dot"):
                raise ConfigError(f"config: {name!r} is not a valid coordinate name")
        if len(set(names)) != len(names):
            raise ConfigError(f"config: 'coordinates' repeats a name: {list(names)}")
        stray = [q for q in self.periodic or () if names and q not in names]
        if stray:
            raise ConfigError(
                f"config: periodic coordinate {stray[0]!r} is not one of the "
                f"coordinates {', '.join(names)}"
            )


@dataclass(frozen=True)
class DataConfig(Section):
    """States sampled from the system's box, or ``measured`` positions over time."""

    path: ClassVar[str] = "data"
    samples: int = setting(
        20_000,
        int,
        low=10,
        doc="states sampled (with 'data': at most this many estimated states used)",
    )
    noise: float = setting(0.0, float, low=0.0, doc="relative noise on sampled targets")
    splits: tuple[float, float, float] = setting(
        (0.8, 0.1, 0.1), tuple, doc="train/val/test fractions"
    )
    measured: MeasuredConfig | None = setting(None, MeasuredConfig, optional=True)

    def __post_init__(self) -> None:
        super().__post_init__()
        if abs(sum(self.splits) - 1.0) > 1e-9 or min(self.splits) < 0 or self.splits[0] <= 0:
            raise ConfigError(
                f"config: 'splits' must be three non-negative fractions summing "
                f"to 1 with a positive training share, got {list(self.splits)}"
            )
        if self.measured is not None and self.noise > 0:
            raise ConfigError(
                "config: 'noise' adds synthetic noise to sampled targets; with "
                "'data' the measured positions are used as they are"
            )
