"""Entry point of the ``physym`` command.

Each sub-command lives in its own module under :mod:`physym.cli` and exposes
``add_parser(subparsers)`` and ``run(args) -> int``. Modules are imported only when
their command runs, so ``physym show`` does not pay for importing torch.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from physym.errors import PhysymError

# command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "systems": ("physym.cli.systems_cmd", "list the built-in systems"),
    "show": ("physym.cli.show_cmd", "print a system's Lagrangian and equations of motion"),
    "simulate": ("physym.cli.simulate_cmd", "integrate exact trajectories of a system"),
    "sweep": ("physym.cli.sweep_cmd", "run a grid of fits (samples vs parameters) in parallel"),
    "distill": (
        "physym.cli.distill_cmd",
        "distil an existing run again, optionally with another backend",
    ),
    "report": ("physym.cli.report_cmd", "rebuild a run's report.md from its run directory"),
    "fit": ("physym.cli.fit_cmd", "train an LNN on a system, distil it, compare and report"),
    "bench": ("physym.cli.bench_cmd", "time LNN training steps and inference on this machine"),
}


class CLIError(PhysymError):
    """A user error: printed as one line ``physym: error: ...`` with exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered sub-command."""
    from physym import __version__

    parser = argparse.ArgumentParser(
        prog="physym",
        description="Symbolic ground truth, Lagrangian neural networks and symbolic distillation.",
    )
    parser.add_argument("--version", action="version", version=f"physym {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        module.add_parser(sub)
        sub.set_defaults(_module=module)
    return parser


def _is_user_error(exc: BaseException) -> bool:
    """Errors that describe bad input or a failed run, as opposed to bugs: every
    :class:`~physym.errors.PhysymError`, and files that cannot be opened."""
    return isinstance(
        exc,
        PhysymError
        | FileNotFoundError
        | FileExistsError
        | NotADirectoryError
        | IsADirectoryError
        | PermissionError,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args._module.run(args) or 0)
    except BrokenPipeError:  # `physym show REF | head`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if not _is_user_error(exc):
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"physym: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("physym: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
