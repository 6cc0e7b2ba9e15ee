"""Progress bars: tqdm's notebook widget in Jupyter when ipywidgets is there, else text.

``tqdm.auto`` picks the widget in any Jupyter kernel and, when ipywidgets is not installed,
warns ``TqdmWarning: IProgress not found`` on import. Here the widget is chosen only where
it can be drawn (``pip install physym[notebook]`` brings ipywidgets), and the text bar
otherwise, without a warning.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

__all__ = ["in_notebook", "progress_bar", "visible_by_default"]


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
