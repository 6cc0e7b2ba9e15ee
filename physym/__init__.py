"""physym: close the loop between symbolic and neural physics.

SymPy Lagrangians give the exact Euler–Lagrange truth, a Lagrangian neural network learns
``L(q, q̇)`` from samples, and symbolic regression distils it back to a closed form that is
compared with the truth.
"""

from importlib.metadata import PackageNotFoundError, version

from physym.threads import configure_threads

configure_threads()  # before anything imports torch: see physym.threads

from physym.comparison import Comparison, compare, rollout_compare  # noqa: E402
from physym.errors import PhysymError  # noqa: E402
from physym.systems import (  # noqa: E402
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
    "fit": "physym.run.fit",
    "load_run": "physym.runs",
    "FitResult": "physym.runs",
    "FitConfig": "physym.training.config",
    "RunConfig": "physym.config",
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
    "PhysymError",
    "RunConfig",
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
