"""Progress bars, one home for all: training, rollouts, distillation, comparison, shooting.

Bars go to stderr, and by default only where they can be seen: on a terminal, or as
tqdm's notebook widget in a Jupyter kernel that has ipywidgets. ``tqdm.auto`` would pick
the widget in any kernel and, when ipywidgets is not installed, warn
``TqdmWarning: IProgress not found`` on import; here the widget is chosen only where it
can be drawn (``pip install physym[notebook]`` brings ipywidgets), and the text bar
otherwise, without a warning.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Iterator
from typing import Any

__all__ = [
    "in_notebook",
    "progress_bar",
    "show_progress",
    "status_bar",
    "time_bar",
    "visible_by_default",
]


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (notebook, lab, VS Code), not a console."""
    if "ipykernel.zmqshell" not in sys.modules:
        return False
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None  # type: ignore[attr-defined]
    return type(shell).__name__ == "ZMQInteractiveShell"


def _widgets_available() -> bool:
    return importlib.util.find_spec("ipywidgets") is not None


def visible_by_default() -> bool:
    """Show a bar unless told: on a terminal, or as a widget in a notebook that can draw it."""
    return sys.stderr.isatty() or (in_notebook() and _widgets_available())


def progress_bar(**kwargs: Any) -> Any:
    """A ``tqdm`` bar (the notebook widget where it can be drawn); ``kwargs`` go to tqdm.

    Examples
    --------
    >>> with progress_bar(total=3, disable=True) as bar:
    ...     bar.update(3)
    """
    if in_notebook() and _widgets_available():
        from tqdm.notebook import tqdm as notebook_tqdm

        kwargs.pop("file", None)  # the widget draws in the cell, not on a stream
        kwargs.pop("dynamic_ncols", None)
        return notebook_tqdm(**kwargs)
    from tqdm.std import tqdm

    return tqdm(**kwargs)


def show_progress(progress: bool | None) -> bool:
    """``progress``, or (``None``) :func:`visible_by_default`."""
    return visible_by_default() if progress is None else bool(progress)


@contextlib.contextmanager
def status_bar(name: str, show: bool) -> Iterator[Any]:
    """A bar for a step without inner progress: its name while it runs, its time after."""
    bar = progress_bar(
        total=1,
        desc=name,
        disable=not show,
        file=sys.stderr,
        dynamic_ncols=True,
        bar_format="{desc}: {elapsed} {postfix}",
    )
    try:
        yield bar
        bar.update(1)
    finally:
        bar.close()


@contextlib.contextmanager
def time_bar(name: str, horizon: float, show: bool) -> Iterator[Any]:
    """A bar over simulated time ``[0, horizon]`` (call ``.update(dt)``), full on exit."""
    bar = progress_bar(
        total=round(horizon, 6),
        desc=name,
        unit="t",
        disable=not show,
        file=sys.stderr,
        dynamic_ncols=True,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| t = {n:.1f}/{total:.1f} "
        "[{elapsed}<{remaining}]",
    )
    try:
        yield bar
        bar.n = bar.total
        bar.refresh()
    finally:
        bar.close()
