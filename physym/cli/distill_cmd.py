"""``physym distill DIR [--backend NAME]``: distil, compare and report a finished run again."""

from __future__ import annotations

import argparse


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="DIR", help="run directory written by physym fit")
    parser.add_argument(
        "--backend",
        default=None,
        help="distillation backend: sparse, operon or pysr (default: the run's own)",
    )
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="always show progress",
    )
    progress.add_argument(
        "--quiet", dest="progress", action="store_false", help="never show progress"
    )


def run(args: argparse.Namespace) -> int:
    from physym.distill.outcome import run_notes
    from physym.run.redistill import redistill

    result = redistill(args.run_dir, backend=args.backend, progress=args.progress)
    print(result)
    for note in run_notes(result.summary):
        print(note)
    return 0
