"""physym: close the loop between symbolic and neural physics.

SymPy Lagrangians give the exact Euler–Lagrange truth, a Lagrangian neural network learns
``L(q, q̇)`` from samples, and symbolic regression distils it back to a closed form that is
compared with the truth.
"""

from importlib.metadata import PackageNotFoundError, version

from physym.comparison import Comparison, compare, rollout_compare
from physym.systems import (
    DegenerateLagrangianError,
    Dynamics,
    SpecError,
    System,
    builtin_names,
    derive,
    load_system,
)

# Imported on first use: they pull in torch, which ``import physym`` must not pay for.
_LAZY = {
    "fit": "physym.pipeline",
    "load_run": "physym.runs",
    "FitResult": "physym.runs",
    "FitConfig": "physym.training.config",
}


def __getattr__(name: str) -> object:  # PEP 562: lazy module attributes
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'physym' has no attribute {name!r}")


try:
    __version__ = version("physym")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0.0.0"

__all__ = [
    "Comparison",
    "DegenerateLagrangianError",
    "Dynamics",
    "FitConfig",
    "FitResult",
    "SpecError",
    "System",
    "__version__",
    "builtin_names",
    "compare",
    "derive",
    "fit",
    "load_run",
    "load_system",
    "rollout_compare",
]
