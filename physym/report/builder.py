"""``build_report(run_dir)``: the run's ``report.md``, equations, verdicts, metrics, figures.

Every section is written from what the run holds; a part that is missing (no distillation,
no metrics, a system that cannot be loaded) is said in words, never an exception.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import sympy as sp

from physym.comparison import compare, lagrangian_latex, parse_lagrangian, recovered_system
from physym.io import write_text
from physym.report.figures import (
    LOSS_PNG,
    RECOVERED_ENERGY_PNG,
    RECOVERED_TRAJECTORY_PNG,
    make_missing_figures,
)
from physym.runs import RunData, read_run

__all__ = ["REPORT_NAME", "build_report"]

REPORT_NAME = "report.md"
_VERDICT_KEYS = {
    "system",
    "true_lagrangian",
    "recovered_lagrangian",
    "comparison",
    "equivalent",
    "exact",
    "scale",
    "constants",
}
_FIRST_METRICS = (
    "accel_rel_error",
    "closed_form",
    "rollout",
    "timings",
    "cpu_seconds",
    "backend",
    "versions",
)
_REPORT_STATES = 500


def build_report(run_dir: str | Path, *, replot: bool = False) -> Path:
    """Write ``report.md`` into a run directory (atomically) and return its path.

    Parameters
    ----------
    run_dir : str or Path
        A directory written by ``physym fit`` (it needs ``config.json`` or
        ``summary.json``; everything else is optional).
    replot : bool
        Redraw the figures the report makes even if they exist.

    Returns
    -------
    Path
        ``run_dir / "report.md"``.

    Raises
    ------
    ReportError
        If ``run_dir`` is missing or not a run directory.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> run = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (run / "config.json").write_text(json.dumps({"system": "pendulum"}))
    >>> build_report(run).name
    'report.md'
    """
    run = read_run(run_dir)
    summary = run.summary or {}
    recovered_text = summary.get("recovered_lagrangian")
    recovered = _recovered_expression(run, recovered_text)
    verdicts = _verdicts(run, recovered)
    run.notes.extend(make_missing_figures(run, replot=replot))
    sections = [
        _header(run),
        _warnings_section(summary),
        _lagrangians(run, recovered, verdicts),
        _verdict_section(run, recovered, verdicts),
        _constants_section(run),
        _training_section(run),
        _metrics_section(run),
        _figures_section(run),
        _config_section(run),
    ]
    identifiability = (run.summary or {}).get("identifiability")
    if isinstance(identifiability, dict) and identifiability.get("note"):
        run.notes.append(f"Identifiability: {identifiability['note']}")
    if run.notes:
        sections.append("## Notes\n\n" + "\n".join(f"- {note}" for note in run.notes))
    return write_text(run.path / REPORT_NAME, "\n\n".join(s for s in sections if s) + "\n")


def _recovered_expression(run: RunData, text: Any) -> sp.Expr | None:
    if text is None:
        return None
    if not isinstance(text, str):
        run.notes.append("summary.json: recovered_lagrangian is not a string")
        return None
    try:
        if run.system is not None:
            return recovered_system(run.system, text).lagrangian
        return parse_lagrangian(text, where="recovered_lagrangian")
    except ValueError as exc:
        run.notes.append(f"recovered_lagrangian cannot be read: {str(exc).splitlines()[0]}")
        return None


def _verdicts(run: RunData, recovered: sp.Expr | None) -> dict[str, Any]:
    """The comparison as recorded in the summary, or computed here when it is not."""
    summary = run.summary or {}
    recorded = summary.get("comparison")
    if isinstance(recorded, Mapping):
        return {**recorded, "source": "recorded in summary.json"}
    if "equivalent" in summary:
        keys = ("equivalent", "exact", "scale")
        return {
            **{k: summary.get(k) for k in keys},
            "source": "summary.json (no evidence recorded)",
        }
    if recovered is None or run.system is None:
        return {}
    try:
        found = compare(run.system, recovered, n_states=_REPORT_STATES)
    except Exception as exc:  # the report must come out regardless
        run.notes.append(f"comparison failed: {type(exc).__name__}: {exc}")
        return {}
    return {
        **found.to_dict(),
        "source": f"computed by the report ({_REPORT_STATES} states from the sampling box, seed 0)",
    }


def _header(run: RunData) -> str:
    from physym import __version__

    summary = run.summary or {}
    name = run.system.name if run.system else summary.get("system") or run.path.name
    lines = [f"# physym report: {name}"]
    if run.system is not None and run.system.description:
        lines.append(run.system.description)
    if run.system is not None and run.system.source:
        lines.append(f"Source: {run.system.source}")
    lines.append(f"Run directory `{run.path.name}`; report written by physym {__version__}.")
    if run.summary is None:
        lines.append("**summary.json is missing: the run has not finished (or failed).**")
    return "\n\n".join(lines)


def _display(label: str, expr: sp.Expr) -> str:
    return f"$$\n{label} = {lagrangian_latex(expr)}\n$$"


def _lagrangians(run: RunData, recovered: sp.Expr | None, verdicts: Mapping[str, Any]) -> str:
    parts = ["## Lagrangians"]
    system = run.system
    if system is not None:
        parts.append("True:")
        parts.append(_display(r"L_{\mathrm{true}}", system.lagrangian))
        if system.parameters:
            values = ", ".join(
                f"${sp.latex(sp.Symbol(k))} = {v:g}$" for k, v in system.parameters.items()
            )
            parts.append(f"With {values}:")
            parts.append(_display(r"L_{\mathrm{true}}", system.lagrangian_numeric))
    elif isinstance(truth_text := (run.summary or {}).get("true_lagrangian"), str):
        try:
            truth = parse_lagrangian(truth_text, where="true_lagrangian")
            parts += ["True:", _display(r"L_{\mathrm{true}}", truth)]
        except ValueError as exc:
            run.notes.append(f"true_lagrangian cannot be read: {exc}")
    parts += _friction_and_forces(run.summary or {})
    if recovered is None:
        from physym.distill.outcome import outcome_markdown

        parts.append(
            outcome_markdown(run.summary)
            or "**No recovered Lagrangian**: this run "
            "has no distillation result (the stage was not run, or it failed)."
        )
        return "\n\n".join(parts)
    backend = (run.summary or {}).get("backend")
    parts.append(f"Recovered (backend `{backend}`):" if backend else "Recovered:")
    parts.append(_display(r"L_{\mathrm{rec}}", recovered))
    normalised = verdicts.get("normalised_lagrangian")
    scale = verdicts.get("scale_rational") or verdicts.get("scale")
    if isinstance(normalised, str) and scale not in (None, 1, 1.0, "1"):
        try:
            expr = parse_lagrangian(normalised, where="normalised_lagrangian")
            parts.append(
                f"Recovered divided by the scale α = {_value(scale)}, coefficients rationalised:"
            )
            parts.append(_display(r"L_{\mathrm{rec}} / \alpha", expr))
        except ValueError:
            pass
    return "\n\n".join(parts)


def _warnings_section(summary: Mapping[str, Any]) -> str:
    """What the run found wrong with its own result (``summary["warnings"]``), first."""
    warnings = summary.get("warnings") or []
    if not warnings:
        return ""
    return "## Warnings\n\n" + "\n".join(f"- **{w}**" for w in warnings)


def _friction_and_forces(summary: Mapping[str, Any]) -> list[str]:
    """Rayleigh functions (true and recovered) and the known forces of a forced fit."""
    if "true_dissipation" not in summary and "forces" not in summary:
        return []
    lines = ["Equations of motion: d/dt ∂L/∂q̇ − ∂L/∂q + ∂R/∂q̇ = Q."]
    for label, key in (
        ("True Rayleigh function", "true_dissipation"),
        ("Recovered Rayleigh function", "recovered_dissipation"),
    ):
        value = summary.get(key)
        lines.append(f"{label}: `R = {value}`" if value is not None else f"{label}: none")
    forces = summary.get("forces") or {}
    if forces:
        listed = ", ".join(f"`Q_{q} = {e}`" for q, e in forces.items())
        lines.append(f"Known forces (given, they fix the scale of L and R): {listed}")
    return lines


def _verdict_section(run: RunData, recovered: sp.Expr | None, verdicts: Mapping[str, Any]) -> str:
    summary = run.summary or {}
    if summary.get("measured") and summary.get("true_lagrangian") is None:
        return (
            "## Verdicts\n\nNo verdicts: this run fitted measured positions without a "
            "reference system, so there is no true Lagrangian to compare with "
            "(`true_lagrangian`, `equivalent`, `exact` and `scale` are null). The "
            "recovered Lagrangian is checked against the data instead: "
            "`accel_rel_error.recovered` is its error against the accelerations "
            "estimated from the positions (held-out time blocks), `rollout.recovered` "
            "its rollout against the measured positions."
        )
    if recovered is None and not verdicts:
        return "## Verdicts\n\nNo verdicts: there is no recovered Lagrangian to compare."
    if not verdicts:
        return (
            "## Verdicts\n\nNo verdicts: the comparison needs the true system, which "
            "could not be loaded (see the notes)."
        )
    check = verdicts.get("check")
    error = verdicts.get("accel_rel_error")
    evidence = []
    if check:
        evidence.append(f"{check} check")
    if error is not None:
        evidence.append(
            f"held-out ‖â−a‖/‖a‖ = {_value(error)} on {verdicts.get('n_states')} "
            f"states (tolerance {_value(verdicts.get('tolerance'))})"
        )
    misfit = verdicts.get("scale_residual")
    exact = _value(verdicts.get("exact"))
    if verdicts.get("exact") is False and verdicts.get("exact_decided") is False:
        exact = "undecided"
    rows = [
        ("dynamically equivalent", _value(verdicts.get("equivalent")), "; ".join(evidence)),
        ("exactly recovered (scale + null Lagrangian)", exact, ""),
        (
            "scale α",
            _value(verdicts.get("scale_rational") or verdicts.get("scale")),
            ""
            if misfit is None
            else f"mass-matrix misfit ‖M_rec − α M_true‖/‖M_rec‖ = {_value(misfit)}",
        ),
    ]
    lines = ["## Verdicts", "", "| verdict | value | evidence |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {_cell(c)} |" for a, b, c in rows]
    if verdicts.get("reason"):
        lines += ["", f"Evidence: {verdicts['reason']}"]
    lines += ["", f"Source of the verdicts: {verdicts.get('source')}."]
    return "\n".join(lines)


def _constants_section(run: RunData) -> str:
    """Each constant of the recovered ``L`` with its uncertainty (measured positions)."""
    summary = run.summary or {}
    shooting = summary.get("shooting")
    constants = summary.get("constants")
    if not isinstance(shooting, Mapping):
        return ""
    if shooting.get("status") != "applied" or not isinstance(constants, list):
        why = shooting.get("error") or shooting.get("reason") or "switched off"
        return (
            f"## Constants\n\nThe constants were not refitted to the measured positions "
            f"({shooting.get('status')}: {why}); they are the Euler–Lagrange polish's, "
            "without uncertainties."
        )
    lines = [
        "## Constants",
        "",
        "Refitted to the measured positions by multiple shooting, from the "
        f"Euler–Lagrange polish; χ²/dof = {_value(shooting.get('reduced_chi2'))} "
        f"({shooting.get('dof')} dof; σ from the covariance × χ²/dof). A constant is "
        "rational only where the rational lies in its 95 % interval; once one is, the "
        "others are conditioned on it through the covariance (*in L*).",
        "",
        "| constant | value ± 1σ | 95 % interval | in L | polish | role |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for c in constants:
        if not isinstance(c, Mapping):
            continue
        low, high = (c.get("interval_95") or [None, None])[:2]
        digits = _digits(c.get("value"), c.get("sigma"))
        lines.append(
            f"| `{_cell(str(c.get('name')))}` | {_value(c.get('value'), digits)} ± "
            f"{_value(c.get('sigma'), 2)} | [{_value(low, digits)}, "
            f"{_value(high, digits)}] | "
            f"{_in_lagrangian(c.get('in_lagrangian'), digits)} | "
            f"{_value(c.get('start'))} | {c.get('role')} |"
        )
    if shooting.get("misses_positions"):
        lines += [
            "",
            f"**Warning**: χ²/dof = {_value(shooting.get('reduced_chi2'))} is well "
            "above 1: this closed form does not match the measured positions to their "
            "noise (a term is missing or wrong), whatever the verdict on the "
            "estimated accelerations.",
        ]
    dropped = shooting.get("dropped") or []
    if dropped:
        lines += [
            "",
            "Dropped (interval holds 0, F-test agrees): "
            + ", ".join(f"`{_cell(str(t))}`" for t in dropped)
            + ".",
        ]
    polish = shooting.get("polish_lagrangian")
    if polish:
        lines += ["", f"The polish's Lagrangian, before the refit: `{_cell(str(polish))}`."]
    return "\n".join(lines + _forms_lines(shooting.get("forms")))


def _forms_lines(forms: Any) -> list[str]:
    """The closed forms the positions chose between (``shooting["forms"]``), if several."""
    compared = forms.get("compared") if isinstance(forms, Mapping) else None
    if not isinstance(compared, list) or len(compared) < 2:
        return []
    lines = [
        "",
        f"Closed forms compared by the positions (chosen: {_cell(str(forms.get('chosen')))}; "
        f"{forms.get('rule')}):",
        "",
        "| form | starting L | short windows χ²/dof | BIC | full fit χ²/dof | BIC | chosen |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in compared:
        if not isinstance(r, Mapping):
            continue
        screen, full = r.get("screen") or {}, r.get("full") or {}
        lines.append(
            f"| {_cell(str(r.get('label')))} | `{_cell(str(r.get('lagrangian')))}` | "
            f"{_value(screen.get('reduced_chi2'), 5)} | {_value(screen.get('bic'), 7)} | "
            f"{_value(full.get('reduced_chi2'), 5)} | {_value(full.get('bic'), 7)} | "
            f"{'yes' if r.get('chosen') else ''} |"
        )
    return lines


def _training_section(run: RunData) -> str:
    """How long the network trained and why it stopped; what the evaluation could not do."""
    summary = run.summary or {}
    training = summary.get("training")
    lines = []
    if isinstance(training, Mapping):
        stop = training.get("stop") or {}
        reason = stop.get("reason") or ("patience" if training.get("stopped_early") else "budget")
        why = {
            "budget": "the whole budget ran",
            "patience": "the validation error stopped improving (patience)",
        }.get(reason, reason)
        lines.append(
            f"The {training.get('model', 'network')} network trained "
            f"{training.get('epochs_run')} of {stop.get('budget_epochs', '?')} "
            f"epochs: {why}. Best validation ‖â−a‖/‖a‖ "
            f"{_value(training.get('best_val_rel_error'))} at epoch "
            f"{training.get('best_epoch')}."
        )
        checks = stop.get("checks") or []
        if checks:
            rows = [
                "| epoch | closed form | same as the check before | CPU s |",
                "| --- | --- | --- | --- |",
            ]
            rows += [
                f"| {c.get('epoch')} | {c.get('closed_form')} | "
                f"{_value(c.get('same_as_previous'))} | {_value(c.get('cpu_s'))} |"
                for c in checks
            ]
            lines += ["Distillation checks during training:", "\n".join(rows)]
    failures = []
    rollout = summary.get("rollout")
    if isinstance(rollout, Mapping):
        if rollout.get("failed"):
            failures.append(f"the rollouts failed: {rollout['failed']}")
        failures += [str(f) for f in rollout.get("failures") or []]
    if failures:
        lines.append(
            "Evaluation problems (recorded; the fit went on): " + "; ".join(failures) + "."
        )
    return "## Training\n\n" + "\n\n".join(lines) if lines else ""


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _flatten(value, name + ".")
        else:
            yield name, value


def _in_lagrangian(text: Any, digits: int) -> str:
    """A rational as written, a float to the digits its uncertainty supports."""
    if not isinstance(text, str) or "/" in text or "." not in text:
        return str(text)
    try:
        return _value(float(text), digits)
    except ValueError:
        return text


def _digits(value: Any, sigma: Any) -> int:
    """Significant digits that show a value to a tenth of its standard error."""
    try:
        ratio = abs(float(value)) / float(sigma)
    except (TypeError, ValueError, ZeroDivisionError):
        return 10
    if not math.isfinite(ratio):
        return 10
    return int(min(max(math.ceil(math.log10(ratio)) + 2, 4), 15)) if ratio > 0 else 4


def _value(value: Any, digits: int = 4) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    if isinstance(value, list | tuple):
        return json.dumps(value)[:80]
    return str(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _metrics_section(run: RunData) -> str:
    summary = run.summary
    if not summary:
        return "## Metrics\n\nNo metrics: summary.json is missing."
    keys = [k for k in _FIRST_METRICS if k in summary]
    keys += [k for k in summary if k not in keys and k not in _VERDICT_KEYS]
    rows = [row for k in keys for row in _flatten({k: summary[k]})]
    if not rows:
        return "## Metrics\n\nsummary.json records no metrics."
    lines = ["## Metrics", "", "| metric | value |", "| --- | --- |"]
    lines += [f"| `{name}` | {_cell(_value(value))} |" for name, value in rows]
    return "\n".join(lines)


def _figures_section(run: RunData) -> str:
    pictures = sorted(p.name for p in run.path.glob("*.png"))
    if not pictures:
        return "## Figures\n\nNo figures: the run has no plots and no data to draw them from."
    groups = [
        (
            "Trajectories",
            [RECOVERED_TRAJECTORY_PNG]
            + [p for p in pictures if "traj" in p and p != RECOVERED_TRAJECTORY_PNG],
        ),
        (
            "Energy",
            [RECOVERED_ENERGY_PNG]
            + [p for p in pictures if "energy" in p and p != RECOVERED_ENERGY_PNG],
        ),
        ("Loss", [LOSS_PNG] + [p for p in pictures if "loss" in p and p != LOSS_PNG]),
    ]
    shown: set[str] = set()
    lines = ["## Figures"]
    for title, names in groups:
        present = [n for n in names if n in pictures and n not in shown]
        if present:
            lines += ["", f"### {title}", ""] + [f"![{n}]({n})" for n in present]
            shown.update(present)
    rest = [p for p in pictures if p not in shown]
    if rest:
        lines += ["", "### Other figures", ""] + [f"![{n}]({n})" for n in rest]
    return "\n".join(lines)


def _config_section(run: RunData) -> str:
    if run.config is None:
        return "## Configuration\n\nconfig.json is missing."
    text = json.dumps(run.config, indent=2, sort_keys=True)
    return f"## Configuration\n\n```json\n{text}\n```"
