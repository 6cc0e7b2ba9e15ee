"""``physym sweep REF --out DIR``: a grid of fits, samples versus parameters.

The grid comes from a TOML file (``--config``: ``[fit]`` fixed settings, ``[grid]`` lists;
see :mod:`physym.sweep.spec`) and from the flags, which win: ``--samples`` and ``--width``
take comma-separated lists and always span the grid; ``--epochs``, ``--depth``, ``--lr``
… vary when given several values and are fixed with one; ``--set KEY=VALUE`` fixes and
``--vary KEY=V1,V2`` varies any other setting. Running the same command again continues
an interrupted sweep.
"""

from __future__ import annotations

import argparse
import functools
import sys
import tomllib
from pathlib import Path
from typing import Any

from physym.cli.main import CLIError

_GRID_FLAGS = (  # (flag, config field, help): always varied
    ("--samples", "samples", "sampled states per fit, e.g. 1024,4096,16384"),
    ("--width", "width", "hidden units per layer, e.g. 16,32,64"),
)
_FLAGS = (  # (flag, config field, help): varied when given several values
    ("--epochs", "epochs", "training epochs"),
    ("--depth", "depth", "hidden layers"),
    ("--model", "model", "network: structured, mlp or seed"),
    ("--lr", "lr", "peak learning rate of Adam"),
    ("--batch-size", "batch_size", "mini-batch size"),
    ("--dtype", "dtype", "float32 or float64"),
)


def add_parser(parser: argparse.ArgumentParser) -> None:
    from physym.sweep import EXECUTORS

    parser.add_argument(
        "system",
        metavar="REF",
        nargs="?",
        help="built-in name, .toml spec or .py file (or system = … in "
        "--config); a .py file is Python code and is run: use only "
        "files you trust; prefer .toml",
    )
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR",
        help="sweep directory: points/<name>/, sweep.csv, sweep.png "
        "(an existing sweep there is continued)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="SWEEP.toml",
        help="sweep file with [fit] and [grid] tables (flags win)",
    )
    for flag, dest, help_text in _GRID_FLAGS + _FLAGS:
        parser.add_argument(flag, dest=dest, metavar="V[,V...]", help=help_text)
    parser.add_argument(
        "--seeds",
        metavar="N|S,S...",
        help="number of seeds per point (0 … N−1) or a list (default 1)",
    )
    parser.add_argument(
        "--set",
        dest="fixed",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="fix any fit setting, VALUE in TOML syntax (repeatable)",
    )
    parser.add_argument(
        "--vary",
        dest="varied",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="vary any fit setting (repeatable)",
    )
    parser.add_argument(
        "--jobs",
        type=_positive_int,
        metavar="N",
        help="points run at once (default: all cores; with ray: as many as the cluster schedules)",
    )
    parser.add_argument(
        "--executor",
        choices=tuple(EXECUTORS),
        help="loky (default: worker processes here) or ray (a Ray cluster "
        "at $RAY_ADDRESS, e.g. ray://head:10001, else a local one; "
        "needs pip install physym[ray])",
    )
    parser.add_argument(
        "--no-plot", dest="plot", action="store_false", help="do not write sweep.png"
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _value(text: str) -> Any:
    """A TOML literal (number, boolean, quoted string…) or else the bare word itself."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text.strip()


def _values(option: str, text: str) -> list[Any]:
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise CLIError(f"{option} expects comma-separated values, got {text!r}")
    return [_value(item) for item in items]


def _key_value(option: str, text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise CLIError(f"{option} expects KEY=VALUE, got {text!r}")
    return key.strip(), value


def _seeds(text: str | None) -> int | list[int] | None:
    if text is None:
        return None
    values = _values("--seeds", text)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise CLIError(f"--seeds expects a count or comma-separated integers, got {text!r}")
    return values if "," in text else values[0]


def _overrides(args: argparse.Namespace) -> tuple[dict[str, list[Any]], dict[str, Any]]:
    """The grid and the fixed settings the flags give."""
    grid: dict[str, list[Any]] = {}
    fixed: dict[str, Any] = {}
    for flag, dest, _ in _GRID_FLAGS:
        if getattr(args, dest) is not None:
            grid[dest] = _values(flag, getattr(args, dest))
    for flag, dest, _ in _FLAGS:
        if getattr(args, dest) is not None:
            values = _values(flag, getattr(args, dest))
            if len(values) > 1:
                grid[dest] = values
            else:
                fixed[dest] = values[0]
    for text in args.fixed:
        key, value = _key_value("--set", text)
        fixed[key] = _value(value)
    for text in args.varied:
        key, value = _key_value("--vary", text)
        grid[key] = _values(f"--vary {key}", value)
    return grid, fixed


def run(args: argparse.Namespace) -> int:
    from physym.sweep import SweepError, SweepSpec, run_sweep

    grid, fixed = _overrides(args)
    overrides = {"system": args.system, "seeds": _seeds(args.seeds), "grid": grid, "fixed": fixed}
    try:
        if args.config is not None:
            spec, options = SweepSpec.from_toml(args.config, **overrides)
        else:
            spec, options = SweepSpec.from_dict({}, where="sweep", **overrides)
        jobs = args.jobs if args.jobs is not None else options.get("jobs")
        executor = args.executor or options.get("executor", "loky")
        result = run_sweep(
            spec.system,
            spec.grid,
            spec.fixed,
            args.out,
            spec.seeds,
            jobs=jobs,
            executor=executor,
            plot=args.plot,
            log=functools.partial(print, flush=True),
        )
    except SweepError as exc:
        raise CLIError(str(exc)) from None
    except KeyboardInterrupt:
        print(
            f"physym: interrupted; finished points are kept in {args.out}; run the same "
            "command again to continue",
            file=sys.stderr,
        )
        return 130
    print(result)
    failed = result.count("failed")
    if failed:
        print(
            f"physym: {failed} point(s) failed; see the error column of {args.out / 'sweep.csv'}",
            file=sys.stderr,
        )
    return 1 if failed else 0
