"""Run directories: what ``physym fit`` writes, and :func:`load_run` to read it back.

A run directory holds (DESIGN.md §5) ``config.json`` (the fully resolved
:class:`~physym.training.FitConfig`), ``system.json`` (the system itself, so the run
reloads without its original spec file), ``data.npz``, ``checkpoint.pt`` (the last
finished epoch, for ``--resume``), ``model.pt``, ``metrics.json``, ``summary.json``,
``rollout.npz`` and the PNG plots. Every file is written atomically.
"""

from __future__ import annotations

import math
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from physym.io import read_json, save_torch
from physym.systems import System
from physym.training.config import FitConfig

__all__ = [
    "FitResult",
    "RunDirError",
    "json_safe",
    "load_model",
    "load_run",
    "prepare_run_dir",
    "save_model",
    "versions",
]

CONFIG, SYSTEM, DATA, CHECKPOINT = "config.json", "system.json", "data.npz", "checkpoint.pt"
MODEL, METRICS, SUMMARY, ROLLOUT = "model.pt", "metrics.json", "summary.json", "rollout.npz"
MODEL_FORMAT = "physym-model/1"


class RunDirError(ValueError):
    """A run directory cannot be used as asked (one line)."""


def prepare_run_dir(path: str | Path, resume: bool) -> Path:
    """Check and create a run directory.

    A new run needs ``path`` to be missing or empty; ``resume`` needs a run there.

    Raises
    ------
    RunDirError
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise RunDirError(f"{path} exists and is not a directory")
    if resume:
        if not (path / CONFIG).is_file():
            raise RunDirError(f"nothing to resume in {path}: no {CONFIG} (start a new run "
                              "without --resume)")
        return path
    if path.is_dir() and any(path.iterdir()):
        raise RunDirError(f"{path} exists and is not empty; choose a new --out directory or "
                          "pass --resume to continue the run in it")
    path.mkdir(parents=True, exist_ok=True)
    return path


def json_safe(value: Any) -> Any:
    """``value`` with NumPy scalars made plain and non-finite floats made ``None``.

    JSON has no ``NaN`` or ``Infinity``; a diverged number is written as ``null``.
    """
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def versions() -> dict[str, str]:
    """Versions of Python and of the packages a run depends on."""
    out = {"python": platform.python_version()}
    for package in ("physym", "torch", "numpy", "scipy", "sympy"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:  # pragma: no cover - bare checkout
            out[package] = "unknown"
    return out


def save_model(path: str | Path, model: Any, name: str, build: dict[str, Any]) -> Path:
    """Atomically save a model's weights with what :func:`load_model` needs to rebuild it.

    Parameters
    ----------
    path : path
    model : LagrangianModel
    name : str
        Registry name given to :func:`physym.network.build_model`.
    build : dict
        Its keyword arguments (``dtype`` as a string).
    """
    return save_torch(path, {"format": MODEL_FORMAT, "name": name, "n_dof": model.n_dof,
                             "build": dict(build), "state_dict": model.state_dict()})


def load_model(path: str | Path) -> Any:
    """Rebuild a model saved by :func:`save_model` (a :class:`LagrangianModel`)."""
    import torch

    from physym.network import build_model

    path = Path(path)
    if not path.is_file():
        raise RunDirError(f"no model at {path}")
    saved = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(saved, dict) or saved.get("format") != MODEL_FORMAT:
        raise RunDirError(f"{path}: not a physym model file ({MODEL_FORMAT})")
    build = dict(saved["build"])
    build["dtype"] = getattr(torch, build["dtype"])
    model = build_model(saved["name"], saved["n_dof"], **build)
    model.load_state_dict(saved["state_dict"])
    return model.eval()


@dataclass(frozen=True, eq=False)
class FitResult:
    """A finished (or reloaded) fit: configuration, system, trained model and results.

    Returned by :func:`physym.fit` and :func:`load_run`.

    Attributes
    ----------
    path : Path
        The run directory.
    config : FitConfig
    system : System or None
        ``None`` for a fit of measured positions without a reference system.
    summary : dict
        The content of ``summary.json``.
    metrics : dict
        The content of ``metrics.json`` (``metrics["epochs"]``: one record per epoch).
    """

    path: Path
    config: FitConfig
    system: System | None
    summary: dict[str, Any]
    metrics: dict[str, Any]

    @cached_property
    def model(self) -> Any:
        """The trained network (a :class:`~physym.network.LagrangianModel`)."""
        return load_model(self.path / MODEL)

    @property
    def accel_rel_error(self) -> float | None:
        """``‖â − a‖ / ‖a‖`` of the network on the held-out test states."""
        return self.summary.get("accel_rel_error", {}).get("network")

    @cached_property
    def data(self) -> Any:
        """The samples used (:class:`physym.data.Dataset`)."""
        from physym.data import Dataset

        return Dataset.load(self.path / DATA)

    @property
    def recovered_lagrangian(self) -> Any:
        """The distilled Lagrangian as a SymPy expression (``None`` if not distilled)."""
        from physym.comparison import parse_lagrangian

        text = self.summary.get("recovered_lagrangian")
        if not text:
            return None
        coordinates = self.system.coordinates if self.system is not None else \
            self.config.coordinates
        names = [*coordinates, *(f"{q}_dot" for q in coordinates)]
        return parse_lagrangian(text, names, where=str(self.path / SUMMARY))

    @property
    def exact(self) -> bool | None:
        """Whether the recovered ``L`` equals ``α L_true`` up to a total derivative."""
        return self.summary.get("exact")

    @property
    def equivalent(self) -> bool | None:
        """Whether the recovered ``L`` has the true accelerations on fresh states."""
        return self.summary.get("equivalent")

    def plot(self, ax: Any = None) -> Any:
        """Loss curves, and with rollouts the first trajectory (true, network, recovered
        ``L``) and its energy.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Draw only the loss curves there (the former behaviour).

        Returns
        -------
        matplotlib Figure, or the Axes when ``ax`` was given
        """
        from physym.plots import plot_history, plot_run

        if ax is not None:
            return plot_history(self.metrics.get("epochs", []), ax=ax)
        return plot_run(self.path, self.metrics.get("epochs", []), self.system)

    @property
    def _name(self) -> str:
        return self.system.name if self.system is not None else \
            str(self.summary.get("system") or self.config.data)

    def _repr_latex_(self) -> str:
        from physym.comparison import lagrangian_latex

        true = r"\text{unknown (measured data)}" if self.system is None else \
            lagrangian_latex(self.system.lagrangian_numeric)
        recovered = self.recovered_lagrangian
        right = r"\text{not distilled}" if recovered is None else lagrangian_latex(recovered)
        verdict = {True: "exact", False: "not exact"}.get(self.exact, "n/a")
        equivalent = {True: "equivalent", False: "not equivalent"}.get(self.equivalent, "")
        error = (self.summary.get("accel_rel_error") or {}).get("recovered")
        tail = "" if error is None else rf",\ \|\hat a - a\|/\|a\| = {error:.2g}"
        return (r"$\begin{array}{ll}"
                rf"L_{{\mathrm{{true}}}} = {true} \\ "
                rf"L_{{\mathrm{{rec}}}} = {right} \\ "
                rf"\text{{{self._name}: {verdict}, {equivalent}}}{tail}"
                r"\end{array}$")

    def __repr__(self) -> str:
        rollout = self.summary.get("rollout") or {}
        energy = (rollout.get("energy_metric") or {}).get("value")
        model = (self.summary.get("training") or {}).get("model") or self.config.model
        lines = [
            f"FitResult({self._name!r}, path={str(self.path)!r})",
            f"  model           {model} {self.config.width}x{self.config.depth} "
            f"{self.config.dtype}",
            f"  accel rel error {_fmt(self.accel_rel_error)} (held-out test states)",
            f"  rollout error   {_fmt(rollout.get('state_error_rms'))} "
            f"(RMS over {rollout.get('horizon_s', '?')} s)" if "position_error_rms" not in
            rollout else f"  rollout error   {_fmt(rollout['position_error_rms'])} "
            f"(positions vs measured, RMS over {_fmt(rollout.get('horizon_s'))} s)",
            f"  energy metric   {_fmt(energy)} (LNN paper: 0.0043)",
            f"  recovered L     {self.summary.get('recovered_lagrangian') or 'n/a'}",
            f"  verdict         exact={self.exact}, equivalent={self.equivalent}, "
            f"scale={_fmt(self.summary.get('scale'))}, recovered accel error "
            f"{_fmt((self.summary.get('accel_rel_error') or {}).get('recovered'))}",
            "  timings         " + ", ".join(
                f"{k} {v:.1f} s" for k, v in (self.summary.get("timings") or {}).items()),
        ]
        return "\n".join(lines)


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def load_run(path: str | Path) -> FitResult:
    """Read a run directory written by ``physym fit`` / :func:`physym.fit`.

    Parameters
    ----------
    path : path
        The run directory.

    Returns
    -------
    FitResult
        ``.model`` (loaded on first access), ``.config``, ``.summary``, ``.metrics``,
        ``.system`` and ``.data``.

    Raises
    ------
    RunDirError
        If the directory holds no finished run.
    """
    path = Path(path)
    for name in (CONFIG, SUMMARY):
        if not (path / name).is_file():
            raise RunDirError(f"{path} holds no finished run: {name} is missing")
    config = FitConfig.from_dict(read_json(path / CONFIG), where=str(path / CONFIG))
    if config.system is None:  # measured positions without a reference system
        system = None
    elif (path / SYSTEM).is_file():
        system = System.from_dict(read_json(path / SYSTEM), where=str(path / SYSTEM))
    else:
        raise RunDirError(f"{path} holds no finished run: {SYSTEM} is missing")
    metrics = read_json(path / METRICS) if (path / METRICS).is_file() else {}
    return FitResult(path=path, config=config, system=system,
                     summary=read_json(path / SUMMARY), metrics=metrics)
