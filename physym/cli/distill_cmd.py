"""``physym distill DIR [--backend NAME]``: distil, compare and report a finished run again."""

from __future__ import annotations

import argparse


def add_parser(parser: argparse.ArgumentParser) -> None:
    from physym.training.config import BACKEND_NAMES

    parser.add_argument("run_dir", metavar="DIR", help="run directory written by physym fit")
    parser.add_argument("--backend", choices=BACKEND_NAMES, default=None,
                        help="distillation backend (default: the run's own)")


def run(args: argparse.Namespace) -> int:
    from physym.cli.main import CLIError
    from physym.distill import BackendUnavailableError
    from physym.recovery_stages import redistill
    from physym.runs import RunDirError

    try:
        result = redistill(args.run_dir, backend=args.backend)
    except (RunDirError, BackendUnavailableError) as exc:
        raise CLIError(str(exc).splitlines()[0]) from None
    print(result)
    from physym.distill.outcome import outcome_line

    if note := outcome_line(result.summary):
        print(note)
    return 0
