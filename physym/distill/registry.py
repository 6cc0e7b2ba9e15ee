"""The registry that names distillation backends.

Built-in backends are listed by module path and loaded on first use, so that naming
them imports nothing optional and no module of :mod:`physym.distill.backends` has to
import this one back (each built-in backend only depends on
:mod:`physym.distill.base`). Third-party backends register their class with
:func:`register_backend`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from physym.distill.base import Backend

__all__ = ["BACKENDS", "get_backend", "register_backend"]


class _BuiltinBackend:
    """Factory of a built-in backend that imports its module only when called."""

    def __init__(self, module: str, class_name: str):
        self.module = module
        self.class_name = class_name

    def load(self) -> type[Backend]:
        cls = getattr(importlib.import_module(self.module), self.class_name)
        if not (isinstance(cls, type) and issubclass(cls, Backend)):  # pragma: no cover
            raise TypeError(f"{self.module}.{self.class_name} is not a Backend")
        return cls

    def __call__(self, **options: Any) -> Backend:
        return self.load()(**options)

    def __repr__(self) -> str:
        return f"<built-in backend {self.module}.{self.class_name}>"


#: Backend factories by name: the built-ins (loaded lazily) and registered classes.
BACKENDS: dict[str, Callable[..., Backend]] = {
    "sparse": _BuiltinBackend("physym.distill.backends.sparse", "SparseBackend"),
    "operon": _BuiltinBackend("physym.distill.backends.operon", "OperonBackend"),
    "pysr": _BuiltinBackend("physym.distill.backends.pysr", "PySRBackend"),
    "forms": _BuiltinBackend("physym.distill.backends.forms", "FormsBackend"),
    "centres": _BuiltinBackend("physym.distill.backends.centres", "CentresBackend"),
}


def register_backend(name: str) -> Callable[[type[Backend]], type[Backend]]:
    """Class decorator adding a backend to :data:`BACKENDS` under ``name``.

    Examples
    --------
    >>> @register_backend("constant")
    ... class Constant(Backend):
    ...     def fit(self, problem, *, seed=0):
    ...         return []
    >>> get_backend("constant").name
    'constant'
    >>> del BACKENDS["constant"]
    """

    def decorate(cls: type[Backend]) -> type[Backend]:
        cls.name = name
        BACKENDS[name] = cls
        return cls

    return decorate


def get_backend(name: str | Backend, **options: Any) -> Backend:
    """The backend registered as ``name``, built with ``options`` (or ``name`` itself).

    Examples
    --------
    >>> get_backend("sparse").name
    'sparse'
    """
    if isinstance(name, Backend):
        return name
    if name not in BACKENDS:
        raise ValueError(f"unknown distillation backend {name!r}; known: {sorted(BACKENDS)}")
    return BACKENDS[name](**options)
