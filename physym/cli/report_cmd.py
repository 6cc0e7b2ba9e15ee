"""``physym report DIR``: rebuild a run's ``report.md`` from what the run directory holds."""

from __future__ import annotations

import argparse


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="DIR", help="run directory written by physym fit")
    parser.add_argument(
        "--replot",
        action="store_true",
        help="redraw the figures the report makes even if they exist",
    )


def run(args: argparse.Namespace) -> int:
    from physym.cli.main import CLIError
    from physym.report import ReportError, build_report

    try:
        path = build_report(args.run_dir, replot=args.replot)
    except ReportError as exc:
        raise CLIError(str(exc)) from None
    print(path)
    return 0
