"""physym: close the loop between symbolic and neural physics.

SymPy Lagrangians give the exact Euler–Lagrange truth, a Lagrangian neural network learns
``L(q, q̇)`` from samples, and symbolic regression distils it back to a closed form that is
compared with the truth.
"""

from importlib.metadata import PackageNotFoundError, version

from physym.systems import (
    DegenerateLagrangianError,
    Dynamics,
    SpecError,
    System,
    builtin_names,
    derive,
    load_system,
)

from physym.comparison import Comparison, compare, rollout_compare

try:
    __version__ = version("physym")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0.0.0"

__all__ = [
    "Comparison",
    "compare",
    "rollout_compare",
    "DegenerateLagrangianError",
    "Dynamics",
    "SpecError",
    "System",
    "__version__",
    "builtin_names",
    "derive",
    "load_system",
]
