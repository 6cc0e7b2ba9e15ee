"""``physym show REF | head -1``: a reader that leaves early is no error (no traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_reader_leaving_early_is_not_an_error() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "physym", "show", "triple_pendulum", "--latex"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, bufsize=0
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.read(40)
        process.stdout.close()  # the reader leaves, as `head -c 40` would
        err = process.stderr.read().decode()
        status = process.wait(timeout=120)
    assert first.startswith(b"% triple_pendulum")
    assert status == 0 and "Traceback" not in err, err
