"""Systems: Lagrangians in SymPy, their spec files, and the exact Euler–Lagrange truth."""

from physym.systems.conservative import (
    UnsupportedSystemError,
    non_conservative_parts,
    require_conservative,
)
from physym.systems.dynamics import DegenerateLagrangianError, Dynamics, derive
from physym.systems.expression_parser import SpecError, parse_expression
from physym.systems.loading import (
    builtin_names,
    builtin_path,
    load_system,
    parse_spec,
    system_from_mapping,
)
from physym.systems.names import time_symbol, velocity_name
from physym.systems.system import System
from physym.systems.truth_strings import truth_strings

__all__ = [
    "DegenerateLagrangianError",
    "Dynamics",
    "SpecError",
    "System",
    "UnsupportedSystemError",
    "builtin_names",
    "builtin_path",
    "derive",
    "load_system",
    "non_conservative_parts",
    "parse_expression",
    "parse_spec",
    "require_conservative",
    "system_from_mapping",
    "time_symbol",
    "truth_strings",
    "velocity_name",
]
