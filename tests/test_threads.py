"""Thread settings in one place: ``import physym`` and :func:`physym.fit`'s limit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

from physym.threads import limited_threads

ROOT = Path(__file__).resolve().parents[1]


def test_importing_physym_sets_a_passive_wait_policy_before_torch_loads():
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    env["PYTHONPATH"] = str(ROOT)
    code = (
        "import os, sys, physym; loaded = 'torch' in sys.modules; import torch; "
        "print(os.environ['OMP_WAIT_POLICY'], loaded)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["PASSIVE", "False"]  # set by physym, before torch was loaded


def test_limited_threads_restores_the_previous_setting():
    before = torch.get_num_threads()
    with limited_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with limited_threads(None):
        assert torch.get_num_threads() == before
