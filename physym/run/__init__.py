"""The fit: typed stages over one run context (DESIGN.md §5).

:func:`fit` resolves the configuration once (:mod:`physym.run.resolve`), takes its samples
from a data source (:mod:`physym.run.sources`) and runs :data:`STAGES` (data → train ⇄
distil → evaluate → rollout → distill → compare → plots) into a run directory
(:mod:`physym.runs`), then writes ``summary.json`` and ``report.md``;
:func:`redistill` runs distill, compare and report again on a finished run.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "STAGES": "physym.run.fit",
    "fit": "physym.run.fit",
    "RunContext": "physym.run.context",
    "Stage": "physym.run.context",
    "redistill": "physym.run.redistill",
    "check_config": "physym.run.resolve",
    "model_build_options": "physym.run.resolve",
    "resolve": "physym.run.resolve",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:  # PEP 562: importing the package stays light
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'physym.run' has no attribute {name!r}")
