"""``physym distill DIR`` re-times the stages it reruns, and ``timings.total`` (and
``cpu_seconds.total``) move with them: what the fit spent outside those stages is kept,
nothing goes stale (issue 10, item 7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from physym.cli.main import main

RERUN = ("distill", "refine", "compare", "plots", "report")


def _outside(table: dict[str, float]) -> float:
    """Seconds of the run that no stage accounts for."""
    return table["total"] - sum(v for k, v in table.items() if k != "total")


def test_distill_command_keeps_the_totals_true(tmp_path: Path) -> None:
    out = tmp_path / "run"
    argv = ["fit", "harmonic_oscillator", "--out", str(out), "--samples", "400", "--quiet",
            "--set", "rollout_states=0", "--set", "energy_states=0"]  # fmt: skip
    assert main(argv) == 0
    before = json.loads((out / "summary.json").read_text())
    assert main(["distill", str(out)]) == 0
    after = json.loads((out / "summary.json").read_text())
    for key in ("timings", "cpu_seconds"):
        old, new = before[key], after[key]
        assert list(new)[-1] == "total" and set(new) == set(old)
        assert all(new[k] == old[k] for k in old if k not in (*RERUN, "total"))
        assert _outside(new) == pytest.approx(_outside(old), abs=1e-9)
        assert new["total"] == pytest.approx(
            old["total"] + sum(new[k] - old[k] for k in RERUN), abs=1e-9
        )
    assert after["timings"]["distill"] != before["timings"]["distill"]
