"""Progress bars of the stages that take seconds: training, rollouts, distillation and
comparison. They go to stderr, and only when it is a terminal unless asked otherwise."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["show_progress", "status_bar", "time_bar"]


def show_progress(progress: bool | None) -> bool:
    """``progress``, or (``None``) whether stderr is a terminal."""
    return sys.stderr.isatty() if progress is None else bool(progress)


@contextlib.contextmanager
def status_bar(name: str, show: bool) -> Iterator[Any]:
    """A bar for a step without inner progress: its name while it runs, its time after."""
    from tqdm.auto import tqdm

    bar = tqdm(
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
    from tqdm.auto import tqdm

    bar = tqdm(
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
