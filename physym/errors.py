"""The base class of every error physym raises on purpose.

Each physym error keeps its own name and its ``ValueError`` / ``RuntimeError`` base, so
``except ValueError`` in a user's script still catches a bad spec, and also derives from
:class:`PhysymError`, so one clause catches them all::

    try:
        physym.fit("my_system.toml", "runs/a")
    except physym.PhysymError as exc:
        print(exc)           # one line that names the problem

This module imports nothing: every other module of physym may use it.
"""

from __future__ import annotations

__all__ = ["PhysymError"]


class PhysymError(Exception):
    """An error physym raises about its input or a run, with a one-line message.

    The command line prints these as ``physym: error: <message>`` (exit status 2); any
    other exception is a bug and keeps its traceback.
    """
