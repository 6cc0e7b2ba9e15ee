"""The zoo's table: Markdown and JSON from the per-system rows.

The headline counts exact and equivalent recoveries as the independent checker decides
them, physym's own counts, and physym's verdicts the checker contradicts (in either
direction; the target is none). Then one row per system, the misses grouped by family, and
each miss with its reason.
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["summarise", "write_tables"]

_L_WIDTH = 70
_SOURCE_WIDTH = 38


def _yes(value: Any) -> str:
    return "?" if value is None else "yes" if value else "no"


def _num(value: Any, spec: str = ".1e") -> str:
    return "" if value is None else format(value, spec)


def _cell(text: str | None, width: int) -> str:
    if not text:
        return ""
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Counts: exact / equivalent (checker and physym), closed_form, physym's wrong
    verdicts by kind, failures, distillation seconds."""

    def count(test: Any) -> int:
        return sum(1 for r in rows if test(r))

    wrong: dict[str, int] = {}
    for r in rows:
        for d in r.get("disagreements", []):
            wrong[d] = wrong.get(d, 0) + 1
    seconds = [r["distill_s"] for r in rows if r.get("distill_s") is not None]
    closed: dict[str, int] = {}
    for r in rows:
        key = str(r.get("closed_form"))
        closed[key] = closed.get(key, 0) + 1
    return {
        "systems": len(rows),
        "exact_checker": count(lambda r: r["checker"].get("exact")),
        "equivalent_checker": count(lambda r: r["checker"].get("equivalent")),
        "exact_physym": count(lambda r: r["physym"].get("exact")),
        "equivalent_physym": count(lambda r: r["physym"].get("equivalent")),
        "wrong_verdicts": sum(wrong.values()),
        "wrong_verdicts_by_kind": wrong,
        "failed_or_timed_out": count(lambda r: r["status"] != "done"),
        "found_not_exact": [
            r["system"]
            for r in rows
            if r.get("closed_form") == "found" and not r["checker"].get("exact")
        ],
        "closed_form": closed,
        "distill_s_median": statistics.median(seconds) if seconds else None,
        "distill_s_max": max(seconds) if seconds else None,
    }


def _markdown(
    rows: Sequence[dict[str, Any]], totals: dict[str, Any], title: str, command: str
) -> str:
    n = totals["systems"]
    lines = [
        f"# {title}",
        "",
        f"`{command}`",
        "",
        f"- **exact (independent checker): {totals['exact_checker']} / {n}**; "
        f"equivalent: {totals['equivalent_checker']} / {n}",
        f"- physym says exact: {totals['exact_physym']} / {n}; equivalent: "
        f"{totals['equivalent_physym']} / {n}",
        f"- physym verdicts the checker contradicts: **{totals['wrong_verdicts']}**"
        + "".join(f"; {k}: {v}" for k, v in sorted(totals["wrong_verdicts_by_kind"].items())),
        "- `closed_form`: "
        + ", ".join(f"{k} {v}" for k, v in sorted(totals["closed_form"].items())),
        "- `closed_form: found` yet not exact (checker): "
        + (", ".join(totals["found_not_exact"]) or "none"),
        f"- runs failed or timed out: {totals['failed_or_timed_out']}",
        f"- distillation seconds: median {_num(totals['distill_s_median'], '.1f')}, "
        f"max {_num(totals['distill_s_max'], '.1f')}",
        "",
        "| system | DOF | form | source | closed form | physym exact / equiv | "
        "checker exact / equiv | recovered err | network err | distill s | wall s | "
        "recovered L |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        errors = r.get("accel_rel_error") or {}
        flag = " ⚠" if r.get("disagreements") else ""
        lines.append(
            f"| {r['system']} | {r['dof'] or ''} | {r['form']} | "
            f"{_cell(r['source'], _SOURCE_WIDTH)} | {r.get('closed_form') or ''} | "
            f"{_yes(r['physym'].get('exact'))} / {_yes(r['physym'].get('equivalent'))}{flag} | "
            f"{_yes(r['checker'].get('exact'))} / {_yes(r['checker'].get('equivalent'))} | "
            f"{_num(errors.get('recovered'))} | {_num(errors.get('network'))} | "
            f"{_num(r.get('distill_s'), '.1f')} | {_num(r.get('wall_s'), '.0f')} | "
            f"`{_cell(r.get('recovered_lagrangian'), _L_WIDTH)}` |"
        )
    families: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        families.setdefault(r["family"], []).append(r)
    lines += ["", "## By family", "", "| family | systems | exact | misses |", "|---|---|---|---|"]
    for family, members in sorted(families.items()):
        misses = [r["system"] for r in members if not r["checker"].get("exact")]
        lines.append(
            f"| {family} | {len(members)} | {len(members) - len(misses)} | {', '.join(misses)} |"
        )
    lines += ["", "## Misses and their reasons", ""]
    lines += [f"- **{r['system']}** ({r['form']}): {r['miss']}" for r in rows if r.get("miss")]
    wrong = [r for r in rows if r.get("disagreements")]
    if wrong:
        lines += ["", "## physym verdicts the checker contradicts", ""]
        lines += [
            f"- **{r['system']}**: {'; '.join(r['disagreements'])} "
            f"(checker: {r['checker'].get('reason')})"
            for r in wrong
        ]
    return "\n".join(lines) + "\n"


def _compact(rows: Sequence[dict[str, Any]], totals: dict[str, Any], command: str) -> str:
    """The headline and one short row per system, for a README."""
    n = totals["systems"]
    wrong = totals["wrong_verdicts_by_kind"]
    lines = [
        f"`{command}`: **{totals['exact_checker']} / {n} exact**, "
        f"{totals['equivalent_checker']} / {n} equivalent (independent checker); "
        f"physym's verdicts contradicted: {totals['wrong_verdicts']}"
        + (f" ({'; '.join(f'{k}: {v}' for k, v in sorted(wrong.items()))})" if wrong else "")
        + f"; distillation median {_num(totals['distill_s_median'], '.1f')} s, max "
        f"{_num(totals['distill_s_max'], '.0f')} s.",
        "",
        "| system | form | exact / equiv (checker) | physym | closed form | "
        "recovered err | distill s | wall s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        c, p = r["checker"], r["physym"]
        flag = " ⚠" if r.get("disagreements") else ""
        lines.append(
            f"| {r['system']} | {r['form']} | {_yes(c.get('exact'))} / "
            f"{_yes(c.get('equivalent'))} | {_yes(p.get('exact'))} / "
            f"{_yes(p.get('equivalent'))}{flag} | {r.get('closed_form') or r['status']}"
            f" | {_num((r.get('accel_rel_error') or {}).get('recovered'), '.0e')} | "
            f"{_num(r.get('distill_s'), '.1f')} | {_num(r.get('wall_s'), '.0f')} |"
        )
    return "\n".join(lines) + "\n"


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_tables(
    rows: Sequence[dict[str, Any]], out_dir: Path, stem: str, title: str, command: str
) -> dict[str, Any]:
    """Write ``out_dir/stem.md``, ``stem.json`` and ``stem_readme.md`` (the short table);
    returns the totals."""
    rows = sorted(rows, key=lambda r: r["system"])
    totals = summarise(rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    _atomic_write(out_dir / f"{stem}.md", _markdown(rows, totals, title, command))
    _atomic_write(out_dir / f"{stem}_readme.md", _compact(rows, totals, command))
    _atomic_write(
        out_dir / f"{stem}.json",
        json.dumps({"command": command, "totals": totals, "rows": rows}, indent=1) + "\n",
    )
    return totals
