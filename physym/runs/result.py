"""``FitResult``: a finished (or reloaded) fit, and :func:`load_run` to read one back.

A run directory holds (DESIGN.md §5) ``config.json`` (the resolved
:class:`~physym.config.RunConfig`, nested; older runs wrote it flat), ``system.json`` (the
system itself, so the run reloads without its spec file), ``data.npz``, ``checkpoint.pt``,
``model.pt``, ``metrics.json``, ``summary.json``, ``rollout.npz`` and the PNG figures.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from physym.io import read_json
from physym.runs.files import (
    CONFIG,
    DATA,
    METRICS,
    MODEL,
    ROLLOUT,
    SUMMARY,
    SYSTEM,
    RunDirError,
    read_arrays,
)
from physym.runs.model_file import load_model
from physym.systems import System
from physym.training.config import FitConfig

__all__ = ["FitResult", "load_run"]


@dataclass(frozen=True, eq=False)
class FitResult:
    """A finished (or reloaded) fit: configuration, system, trained model and results.

    Returned by :func:`physym.fit` and :func:`load_run`.

    Attributes
    ----------
    path : Path
        The run directory.
    config : FitConfig
        The settings under their short names (``config.epochs``); ``config.nested`` is the
        nested :class:`~physym.config.RunConfig`.
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
        coordinates = (
            self.system.coordinates if self.system is not None else self.config.coordinates
        )
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
        from physym.figures.run_figures import draw_loss, plot_run

        if ax is not None:
            return draw_loss(self.metrics, ax=ax)
        system = self.system
        rollout = read_arrays(self.path / ROLLOUT) if system is not None else None
        if system is None:
            return plot_run(self.metrics, None, self.config.coordinates or (), (), 1.0)
        from physym.data import energy_scale

        return plot_run(
            self.metrics, rollout, system.coordinates, system.periodic, energy_scale(system)
        )

    def keep_alive(self, resource: Any) -> None:
        """Tie ``resource`` (a temporary run directory) to this result's lifetime."""
        weakref.finalize(self, _release, resource)

    @property
    def _name(self) -> str:
        return (
            self.system.name
            if self.system is not None
            else str(self.summary.get("system") or self.config.data)
        )

    def _repr_latex_(self) -> str:
        from physym.comparison import lagrangian_latex

        true = (
            r"\text{unknown (measured data)}"
            if self.system is None
            else lagrangian_latex(self.system.lagrangian_numeric)
        )
        recovered = self.recovered_lagrangian
        right = r"\text{not distilled}" if recovered is None else lagrangian_latex(recovered)
        verdict = "n/a" if self.exact is None else "exact" if self.exact else "not exact"
        equivalent = (
            "" if self.equivalent is None else "equivalent" if self.equivalent else "not equivalent"
        )
        error = (self.summary.get("accel_rel_error") or {}).get("recovered")
        tail = "" if error is None else rf",\ \|\hat a - a\|/\|a\| = {error:.2g}"
        return (
            r"$\begin{array}{ll}"
            rf"L_{{\mathrm{{true}}}} = {true} \\ "
            rf"L_{{\mathrm{{rec}}}} = {right} \\ "
            rf"\text{{{self._name}: {verdict}, {equivalent}}}{tail}"
            r"\end{array}$"
        )

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
            f"(RMS over {rollout.get('horizon_s', '?')} s)"
            if "position_error_rms" not in rollout
            else f"  rollout error   {_fmt(rollout['position_error_rms'])} "
            f"(positions vs measured, RMS over {_fmt(rollout.get('horizon_s'))} s)",
            f"  energy metric   {_fmt(energy)} at t = "
            f"{_fmt((rollout.get('energy_metric') or {}).get('t_end'))}"
            + _paper(rollout.get("energy_metric") or {}),
            f"  training        {_training(self.summary)}",
            f"  recovered L     {self.summary.get('recovered_lagrangian') or 'n/a'}"
            f" (closed form: {self.summary.get('closed_form') or 'n/a'})",
            f"  verdict         exact={self.exact}, equivalent={self.equivalent}, "
            f"scale={_fmt(self.summary.get('scale'))}, recovered accel error "
            f"{_fmt((self.summary.get('accel_rel_error') or {}).get('recovered'))}",
            "  timings         "
            + ", ".join(f"{k} {v:.1f} s" for k, v in (self.summary.get("timings") or {}).items()),
            "  CPU seconds     "
            + ", ".join(f"{k} {v:.1f}" for k, v in (self.summary.get("cpu_seconds") or {}).items()),
        ]
        return "\n".join(lines)


def _paper(metric: dict[str, Any]) -> str:
    """The LNN paper's figure, only where the run measured what it measured."""
    reference = metric.get("paper_reference")
    if not isinstance(reference, dict) or "lnn" not in reference:
        return ""
    return f" (LNN paper: {reference['lnn']} at t = {_fmt(reference.get('t_end'))})"


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def _training(summary: dict[str, Any]) -> str:
    training = summary.get("training") or {}
    if not training:
        return "n/a"
    stop = training.get("stop") or {}
    why = stop.get("reason") or ("patience" if training.get("stopped_early") else "budget")
    return (
        f"{training.get('epochs_run')} epochs of {stop.get('budget_epochs', '?')}, stopped by {why}"
    )


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
    return FitResult(
        path=path, config=config, system=system, summary=read_json(path / SUMMARY), metrics=metrics
    )


def _release(resource: Any) -> None:
    cleanup = getattr(resource, "cleanup", None)
    if cleanup is not None:
        cleanup()
