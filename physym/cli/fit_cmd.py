"""``physym fit REF --out DIR``: train a Lagrangian neural network, evaluate it, distil it to
a closed form, compare that with the true Lagrangian and write ``report.md``.

Settings come from the defaults of :class:`physym.config.RunConfig`, then a TOML file
(``--config``, nested tables or flat short names), then the flags (``--epochs`` …, and
``--set KEY=VALUE`` for any other setting, by short name or dotted path such as
``--set train.stop.when_found=false``); see ``physym fit --help``. ``physym fit [REF]
--data traj.csv --coordinates x,theta`` fits measured positions over time instead of
sampled states (:mod:`physym.run.sources.measured`).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from typing import Any

from physym.cli.main import CLIError

_FLAGS = (  # (flag, config field, type, help)
    ("--samples", "samples", int, "number of sampled states"),
    ("--epochs", "epochs", int, "training epochs"),
    ("--model", "model", str, "network: structured, mlp, or the seed preset"),
    ("--width", "width", int, "hidden units per layer"),
    ("--depth", "depth", int, "hidden layers"),
    ("--dtype", "dtype", str, "training dtype, float32 or float64"),
    ("--seed", "seed", int, "seed of data, weights and batch order"),
    ("--lr", "lr", float, "peak learning rate of Adam"),
    ("--batch-size", "batch_size", int, "mini-batch size"),
    ("--loss", "loss", str, "mse, normalised or huber"),
    ("--clip-norm", "clip_norm", float, "gradient-norm clip, 0 for none"),
    ("--noise", "noise", float, "relative noise on the training targets"),
    ("--patience", "patience", int, "early-stopping patience in epochs, 0 for none"),
    ("--backend", "backend", str, "distillation backend: sparse, operon or pysr"),
    # measured positions over time (README: fit from your own data)
    ("--data", "data", str, "fit measured positions over time from this .csv/.npz file"),
    (
        "--coordinates",
        "coordinates",
        str,
        "comma-separated position columns of --data (default: REF's coordinates)",
    ),
    ("--time-column", "time_column", str, "time column of --data"),
    (
        "--trajectory-column",
        "trajectory_column",
        str,
        "column of --data naming each row's trajectory (several runs in one file)",
    ),
    ("--periodic", "periodic", str, "comma-separated angle coordinates of --data (default: REF's)"),
    (
        "--derivative",
        "derivative",
        str,
        "how velocities and accelerations are estimated from positions: savgol or spline",
    ),
    (
        "--derivative-window",
        "derivative_window",
        int,
        "savgol window in samples, odd (default: chosen from the measured noise)",
    ),
)


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "system",
        metavar="REF",
        nargs="?",
        default=None,
        help="built-in name, .toml spec or .py file (a .py file is Python "
        "code and is run: use only files you trust; prefer .toml); "
        "optional with --data (then --coordinates names the position "
        "columns)",
    )
    parser.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="run directory (must be new or empty, unless --resume)",
    )
    parser.add_argument("--config", metavar="FILE.toml", help="settings file (flags win)")
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in DIR from its last checkpoint"
    )
    from physym.training.config import FitConfig  # light: no torch

    defaults = FitConfig.defaults()
    for flag, dest, kind, help_text in _FLAGS:
        default = "" if defaults[dest] is None else f" (default {defaults[dest]})"
        parser.add_argument(flag, dest=dest, type=kind, default=None, help=f"{help_text}{default}")
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any other setting by short name or dotted path, VALUE in TOML "
        "syntax (repeatable), e.g. --set hessian_penalty=1.0 or --set "
        "train.stop.when_found=false",
    )
    parser.add_argument(
        "--no-distill",
        dest="distill",
        action="store_false",
        default=None,
        help="train and evaluate only: no distillation or comparison",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        metavar="N",
        help="torch and BLAS threads of the fit (default 1: its batches are "
        "small, and more threads cost far more CPU on a shared "
        "machine)",
    )
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="always show the progress bar",
    )
    progress.add_argument(
        "--quiet", dest="progress", action="store_false", help="never show the progress bar"
    )


def _parse_setting(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise CLIError(f"--set expects KEY=VALUE, got {text!r}")
    try:
        return key, tomllib.loads(f"value = {value}")["value"]
    except tomllib.TOMLDecodeError:
        return key, value  # a bare word: a string


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Flags and ``--set`` as settings: short names, or sections for dotted paths."""
    from physym.config import SECTIONS
    from physym.config.flat import set_path

    overrides: dict[str, Any] = {dest: getattr(args, dest) for _, dest, _, _ in _FLAGS}
    overrides["distill"] = args.distill
    for text in args.settings:
        key, value = _parse_setting(text)
        if "." in key:
            if key.split(".")[0] not in SECTIONS:
                raise CLIError(
                    f"--set {key}: {key.split('.')[0]!r} is not a section ({', '.join(SECTIONS)})"
                )
            section = overrides.get(key.split(".")[0])
            table = {key.split(".")[0]: section if isinstance(section, dict) else {}}
            set_path(table, key, value)
            overrides.update(table)
        else:
            overrides[key] = value
    return overrides


def run(args: argparse.Namespace) -> int:
    import warnings

    from physym.run.data_checks import DataWarning
    from physym.run.fit import fit

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)  # printed below, from the summary
            result = fit(
                args.system,
                args.out,
                config=args.config,
                resume=args.resume,
                progress=args.progress,
                threads=args.threads,
                **_overrides(args),
            )
    except KeyboardInterrupt:
        print(
            f"physym: interrupted; the last finished epoch is checkpointed in {args.out}; "
            f"continue with: physym fit {args.system or ''} --out {args.out} --resume",
            file=sys.stderr,
        )
        return 130
    print(result)
    from physym.distill.outcome import run_notes

    for note in run_notes(result.summary):
        print(note)
    for warning in result.summary.get("warnings") or ():
        print(f"physym: warning: {warning}", file=sys.stderr)
    return 0
