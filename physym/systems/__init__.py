"""Systems: Lagrangians in SymPy, their spec files, and the exact Euler–Lagrange truth."""

from physym.systems.dynamics import DegenerateLagrangianError, Dynamics, derive
from physym.systems.expression_parser import SpecError, parse_expression
from physym.systems.spec import builtin_names, builtin_path, load_system, parse_spec
from physym.systems.system import System, velocity_name

__all__ = [
    "DegenerateLagrangianError",
    "Dynamics",
    "SpecError",
    "System",
    "builtin_names",
    "builtin_path",
    "derive",
    "load_system",
    "parse_expression",
    "parse_spec",
    "velocity_name",
]
