"""Built-in distillation backends, named in :data:`physym.distill.BACKENDS`.

``sparse`` (default, offline), ``operon`` (genetic programming through pyoperon, the
``physym[operon]`` extra) and ``pysr`` (PySR, the ``physym[pysr]`` extra, needs Julia).
The optional packages are imported only when a backend runs.
"""

from physym.distill.backends.forms import FormsBackend
from physym.distill.backends.operon import OperonBackend
from physym.distill.backends.pysr import PySRBackend
from physym.distill.backends.sparse import SparseBackend

__all__ = ["FormsBackend", "OperonBackend", "PySRBackend", "SparseBackend"]
