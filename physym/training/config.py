"""The configuration of a fit: one frozen dataclass, loadable from TOML, validated strictly.

Every field has a default except ``system``; a TOML file sets any subset of the fields as
top-level keys (``model_options`` and ``energy_ic_box`` are inline tables), and keyword
overrides (the CLI's flags) win over the file. Unknown keys and bad values raise
:class:`ConfigError` with a one-line message naming the key.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

__all__ = ["DTYPES", "LOSSES", "SCHEDULES", "ConfigError", "FitConfig"]

LOSSES = ("mse", "normalised", "huber")
SCHEDULES = ("cosine", "plateau", "constant")
DTYPES = ("float32", "float64")
BACKEND_NAMES = ("sparse", "operon", "pysr")
DERIVATIVE_METHODS = ("savgol", "spline")
_DATA_ONLY = ("coordinates", "periodic", "trajectory_column", "derivative_window",
              "derivative_order", "derivative_smoothing", "derivative_trim")


class ConfigError(ValueError):
    """A bad configuration: unknown key, wrong type or out-of-range value (one line)."""


def _spec(kind: type | tuple[type, ...], *, low: float | None = None, choices: tuple = (),
          optional: bool = False, doc: str = "") -> dict[str, Any]:
    return {"kind": kind, "low": low, "choices": choices, "optional": optional, "doc": doc}


@dataclass(frozen=True)
class FitConfig:
    """Everything that determines a fit; two runs with equal configs give equal results.

    Attributes are grouped as: data (``samples``, ``noise``, ``splits``; or measured
    positions: ``data``, ``coordinates``, ``time_column``, ``trajectory_column``,
    ``periodic``, ``derivative*``, see :mod:`physym.data.state_estimate`), model (``model``,
    ``width``, ``depth``, ``activation``, ``dtype``, ``epsilon``, ``model_options``),
    optimisation (``epochs``, ``batch_size``, ``lr``, ``schedule``, ``warmup_epochs``,
    ``min_lr_factor``, ``weight_decay``, ``patience``, ``seed``), guards against the
    near-singular-Hessian pitfall (``loss``, ``huber_delta``, ``clip_norm``,
    ``hessian_penalty``, ``hessian_margin``, ``max_bad_batches``), the optional multi-step
    loss (``multistep_steps``, ``multistep_dt``, ``multistep_weight``) and the evaluation
    (``rollout_*``, ``energy_*``, ``monitor_states``), then distillation and comparison
    (``distill``, ``backend``, ``distill_states``, ``compare_tolerance``). See
    ``physym fit --help`` and the README for each meaning.

    Examples
    --------
    >>> cfg = FitConfig(system="pendulum", epochs=3)
    >>> FitConfig.from_dict(cfg.to_dict()) == cfg
    True
    """

    system: str | None = field(metadata=_spec(
        str, optional=True, doc="built-in name, .toml or .py path (None: 'data' alone)"))
    # data
    samples: int = field(default=20_000, metadata=_spec(int, low=10, doc="states sampled"))
    noise: float = field(default=0.0, metadata=_spec(float, low=0.0,
                                                     doc="relative noise on targets"))
    splits: tuple[float, float, float] = field(default=(0.8, 0.1, 0.1), metadata=_spec(
        tuple, doc="train/val/test fractions"))
    # measured positions over time instead of sampled states (physym.data.state_estimate)
    data: str | None = field(default=None, metadata=_spec(
        str, optional=True, doc="file of measured positions over time (.csv, .npz)"))
    coordinates: tuple[str, ...] | None = field(default=None, metadata=_spec(
        list, optional=True, doc="position columns of 'data' (default: the system's)"))
    time_column: str = field(default="t", metadata=_spec(str, doc="time column of 'data'"))
    trajectory_column: str | None = field(default=None, metadata=_spec(
        str, optional=True, doc="column naming the trajectory of each row of 'data'"))
    periodic: tuple[str, ...] | None = field(default=None, metadata=_spec(
        list, optional=True, doc="angle coordinates of 'data' (default: the system's)"))
    derivative: str = field(default="savgol", metadata=_spec(
        str, choices=DERIVATIVE_METHODS, doc="how q̇, q̈ are estimated from positions"))
    derivative_window: int | None = field(default=None, metadata=_spec(
        int, low=3, optional=True, doc="savgol window in samples (None: from the noise)"))
    derivative_order: int | None = field(default=None, metadata=_spec(
        int, low=1, optional=True, doc="savgol order or spline degree (None: 5)"))
    derivative_smoothing: float | None = field(default=None, metadata=_spec(
        float, low=0.0, optional=True, doc="spline residual budget s (None: T·σ²)"))
    derivative_trim: int | None = field(default=None, metadata=_spec(
        int, low=0, optional=True, doc="samples dropped at each trajectory end "
                                       "(None: half the window)"))
    # model
    model: str = field(default="structured", metadata=_spec(str, doc="network registry name"))
    width: int | None = field(default=None, metadata=_spec(
        int, low=1, optional=True, doc="None: the model's or preset's own (64; seed: 32)"))
    depth: int | None = field(default=None, metadata=_spec(
        int, low=1, optional=True, doc="None: the model's or preset's own (3; seed: 4)"))
    activation: str | None = field(default=None, metadata=_spec(
        str, optional=True, doc="None: the model's or preset's own (softplus)"))
    dtype: str = field(default="float64", metadata=_spec(str, choices=DTYPES))
    epsilon: float = field(default=0.0, metadata=_spec(float, low=0.0,
                                                       doc="ε‖q̇‖² added to L_θ"))
    model_options: Mapping[str, Any] = field(default_factory=dict, metadata=_spec(dict))
    # fallback model (physym.training.fallback): trained too when the first stays inaccurate
    fallback_model: str = field(default="mlp", metadata=_spec(
        str, doc="model also trained when 'model' misses fallback_threshold ('none': never)"))
    fallback_threshold: float = field(default=0.01, metadata=_spec(
        float, low=0.0, doc="best validation rel. error of 'model' that triggers the fallback"))
    # optimisation
    epochs: int = field(default=60, metadata=_spec(int, low=1))
    min_steps: int = field(default=0, metadata=_spec(
        int, low=0, doc="at least this many optimiser steps: epochs (and patience, warm-up) "
                        "are stretched for small datasets"))
    batch_size: int = field(default=128, metadata=_spec(int, low=1))
    lr: float = field(default=1e-2, metadata=_spec(float, low=0.0))
    schedule: str = field(default="cosine", metadata=_spec(str, choices=SCHEDULES))
    warmup_epochs: int = field(default=1, metadata=_spec(int, low=0))
    min_lr_factor: float = field(default=1e-2, metadata=_spec(float, low=0.0))
    weight_decay: float = field(default=0.0, metadata=_spec(float, low=0.0))
    patience: int = field(default=15, metadata=_spec(int, low=0,
                                                    doc="early-stopping epochs (0: off)"))
    seed: int = field(default=0, metadata=_spec(int, low=0))
    # guards
    loss: str = field(default="normalised", metadata=_spec(str, choices=LOSSES))
    huber_delta: float = field(default=1.0, metadata=_spec(float, low=0.0))
    clip_norm: float = field(default=10.0, metadata=_spec(float, low=0.0,
                                                          doc="gradient-norm clip (0: off)"))
    hessian_penalty: float = field(default=0.0, metadata=_spec(float, low=0.0))
    hessian_margin: float = field(default=1e-2, metadata=_spec(float, low=0.0))
    max_bad_batches: int = field(default=10, metadata=_spec(int, low=1))
    # multi-step rollout loss (0 steps: pointwise loss only)
    multistep_steps: int = field(default=0, metadata=_spec(int, low=0))
    multistep_dt: float = field(default=0.01, metadata=_spec(float, low=0.0))
    multistep_weight: float = field(default=1.0, metadata=_spec(float, low=0.0))
    # evaluation
    monitor_states: int = field(default=512, metadata=_spec(int, low=1))
    rollout_states: int = field(default=16, metadata=_spec(int, low=0))
    rollout_t_end: float = field(default=10.0, metadata=_spec(float, low=0.0))
    rollout_dt: float = field(default=0.01, metadata=_spec(float, low=0.0))
    energy_states: int = field(default=32, metadata=_spec(int, low=0))
    energy_t_end: float = field(default=100.0, metadata=_spec(float, low=0.0))
    energy_ic_box: Mapping[str, Any] | None = field(default=None, metadata=_spec(
        dict, optional=True, doc="IC box of the energy metric (default: see rollout)"))

    # distillation and comparison (DESIGN.md §4)
    distill: bool = field(default=True, metadata=_spec(
        bool, doc="distil the trained network to a closed form and compare it"))
    backend: str = field(default="sparse", metadata=_spec(
        str, choices=BACKEND_NAMES, doc="distillation backend"))
    distill_states: int = field(default=800, metadata=_spec(
        int, low=10, doc="coordinates sampled for the distillation targets"))
    compare_tolerance: float = field(default=1e-6, metadata=_spec(
        float, low=0.0, doc="largest recovered accel error that counts as equivalent"))
    distill_slack: float | None = field(default=None, metadata=_spec(
        float, low=0.0, optional=True, doc="worsening of the data fit accepted to drop a "
        "term or rationalise a constant (None: 0.05; 0.5 with measured 'data')"))

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _check(f.name, getattr(self, f.name), f.metadata))
        if abs(sum(self.splits) - 1.0) > 1e-9 or min(self.splits) < 0 or self.splits[0] <= 0:
            raise ConfigError(f"config: 'splits' must be three non-negative fractions summing "
                              f"to 1 with a positive training share, got {list(self.splits)}")
        self._check_measured()

    def _check_measured(self) -> None:
        """The settings of a fit from measured positions (``data``) fit together."""
        if self.data is None:
            if self.system is None:
                raise ConfigError("config: 'system' is needed unless 'data' names a file of "
                                  "measured positions")
            given = [name for name in _DATA_ONLY if getattr(self, name) is not None]
            if given:
                raise ConfigError(f"config: {given[0]!r} applies to measured data only; "
                                  "set 'data' too")
            return
        if self.system is None and self.coordinates is None:
            raise ConfigError("config: 'data' without a system needs 'coordinates' (the "
                              "position columns)")
        if self.noise > 0:
            raise ConfigError("config: 'noise' adds synthetic noise to sampled targets; with "
                              "'data' the measured positions are used as they are")
        if self.derivative_window is not None and self.derivative_window % 2 == 0:
            raise ConfigError(f"config: 'derivative_window' must be odd, got "
                              f"{self.derivative_window}")
        names = self.coordinates or ()
        for name in (*names, *(self.periodic or ())):
            if not name.isidentifier() or name.endswith("_dot"):
                raise ConfigError(f"config: {name!r} is not a valid coordinate name")
        if len(set(names)) != len(names):
            raise ConfigError(f"config: 'coordinates' repeats a name: {list(names)}")
        stray = [q for q in self.periodic or () if names and q not in names]
        if stray:
            raise ConfigError(f"config: periodic coordinate {stray[0]!r} is not one of the "
                              f"coordinates {', '.join(names)}")

    # ------------------------------------------------------------ serialise

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/TOML-ready data (reloads with :meth:`from_dict`)."""
        data = asdict(self)
        data["splits"] = list(self.splits)
        for name in ("coordinates", "periodic"):
            value = getattr(self, name)
            data[name] = None if value is None else list(value)
        data["model_options"] = dict(self.model_options)
        data["energy_ic_box"] = None if self.energy_ic_box is None else {
            k: list(v) for k, v in self.energy_ic_box.items()}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "config") -> FitConfig:
        """Build a config from plain data; unknown keys are an error naming ``where``."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: a config must be a table of keys")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known keys: "
                              f"{', '.join(sorted(known))})")
        if "system" not in data and data.get("data") is None:
            raise ConfigError(f"{where}: missing required key 'system'")
        try:
            return cls(**{"system": None, **dict(data)})
        except ConfigError as exc:
            raise ConfigError(f"{where}: {str(exc).removeprefix('config: ')}") from None

    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> FitConfig:
        """Load a TOML file; ``overrides`` (not ``None``) win over the file's values.

        ``system`` may come from the file or from ``overrides``.
        """
        data = read_toml(path)
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(data, where=str(path))

    def replace(self, **changes: Any) -> FitConfig:
        """A copy with some fields changed (validated)."""
        return replace(self, **changes)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Default value of every field except ``system``."""
        out = {}
        for f in fields(cls):
            if f.default is not MISSING:
                out[f.name] = f.default
            elif f.default_factory is not MISSING:
                out[f.name] = f.default_factory()
        return out


def read_toml(path: str | Path) -> dict[str, Any]:
    """The raw table of a TOML config file (:class:`ConfigError` if missing or invalid)."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a directory") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def _check(name: str, value: Any, meta: Mapping[str, Any]) -> Any:
    """Validate and normalise one field (ints for floats are accepted, not the reverse)."""
    kind, low, choices = meta["kind"], meta["low"], meta["choices"]
    if value is None and meta["optional"]:
        return None
    bad = f"config: {name!r} "
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(bad + f"must be a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ConfigError(bad + f"must be finite, got {value!r}")
    elif kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(bad + f"must be an integer, got {value!r}")
    elif kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(bad + f"must be true or false, got {value!r}")
    elif kind is str:
        if not isinstance(value, str) or not value:
            raise ConfigError(bad + f"must be a non-empty string, got {value!r}")
    elif kind is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(bad + f"must be a table, got {value!r}")
        value = dict(value)
    elif kind is list:
        if isinstance(value, str):  # "x, theta" from a flag
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple) or not value or not all(
                isinstance(v, str) and v for v in value):
            raise ConfigError(bad + f"must be a list of names, got {value!r}")
        value = tuple(value)
    elif kind is tuple:
        if isinstance(value, str) or not isinstance(value, list | tuple) or len(value) != 3 \
                or not all(isinstance(v, int | float) and not isinstance(v, bool)
                           for v in value):
            raise ConfigError(bad + f"must be three numbers, got {value!r}")
        value = tuple(float(v) for v in value)
    if low is not None and value < low:
        raise ConfigError(bad + f"must be >= {low:g}, got {value!r}")
    if choices and value not in choices:
        raise ConfigError(bad + f"must be one of {', '.join(choices)}; got {value!r}")
    return value
