"""``physym simulate REF --t-end T --out traj.npz``: integrate an exact trajectory.

The initial state is ``--initial-state`` (comma-separated, in the system's state order) or
a seeded sample from the system's box. Prints a short summary with the energy drift; with
``--plot`` also writes a PNG of the coordinates and the energy error against time.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

from physym.cli.main import CLIError

SOLVERS = ("DOP853", "RK45", "RK23", "Radau", "BDF", "LSODA")


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "system",
        metavar="REF",
        help="built-in name, .toml spec or .py file (a .py file is Python "
        "code and is run: use only files you trust; prefer .toml)",
    )
    parser.add_argument(
        "--t-end",
        type=float,
        required=True,
        metavar="T",
        help="final time (the trajectory starts at t = 0)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="PATH",
        help="where to write the trajectory (.npz)",
    )
    parser.add_argument(
        "--plot",
        type=Path,
        metavar="PNG",
        help="also write a figure of coordinates and energy error vs time",
    )
    parser.add_argument(
        "--initial-state",
        metavar="Q,...,QDOT,...",
        help="comma-separated q then q_dot in the system's state order "
        "(use --initial-state=-1,0 when the first value is negative); "
        "default: a seeded sample from the sampling box",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the sampled initial state (default 0)"
    )
    parser.add_argument(
        "--points",
        type=int,
        default=1000,
        metavar="N",
        help="number of equally spaced output times (default 1000)",
    )
    parser.add_argument("--rtol", type=float, default=1e-12, help="relative tolerance")
    parser.add_argument("--atol", type=float, default=1e-12, help="absolute tolerance")
    parser.add_argument(
        "--method", default="DOP853", choices=SOLVERS, help="solve_ivp method (default DOP853)"
    )


def _parse_state(text: str, names: tuple[str, ...]) -> list[float]:
    fields = [f for f in text.replace(",", " ").split() if f]
    if len(fields) != len(names):
        raise CLIError(
            f"--initial-state needs {len(names)} values ({', '.join(names)}), got {len(fields)}"
        )
    values = []
    for name, field in zip(names, fields, strict=True):
        try:
            value = float(field)
        except ValueError:
            raise CLIError(
                f"--initial-state: cannot read {field!r} as a number for {name}"
            ) from None
        if not math.isfinite(value):
            raise CLIError(f"--initial-state: {name} must be finite, got {field!r}")
        values.append(value)
    return values


def _check_writable(path: Path, option: str) -> None:
    """Fail before integrating if ``path`` cannot be written."""
    if path.is_dir():
        raise CLIError(f"{option} {path} is a directory, expected a file name")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise CLIError(f"{option} {path}: {folder} is not a directory")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CLIError(f"{option} {path}: directory {folder} is not writable")


def _check_numbers(args: argparse.Namespace) -> None:
    if not math.isfinite(args.t_end) or args.t_end <= 0:
        raise CLIError(f"--t-end must be a positive number, got {args.t_end:g}")
    if args.points < 2:
        raise CLIError(f"--points must be at least 2, got {args.points}")
    for option, value in (("--rtol", args.rtol), ("--atol", args.atol)):
        if not math.isfinite(value) or value <= 0:
            raise CLIError(f"{option} must be a positive number, got {value:g}")


def run(args: argparse.Namespace) -> int:
    from physym.data import DataError, IntegrationError, natural_period, sample_states
    from physym.data import simulate as integrate_exact
    from physym.systems import load_system

    _check_numbers(args)
    _check_writable(args.out, "--out")
    if args.plot is not None:
        _check_writable(args.plot, "--plot")
    system = load_system(args.system)
    if args.initial_state is not None:
        state = _parse_state(args.initial_state, system.state_names)
    else:
        state = sample_states(system, 1, seed=args.seed)[0].tolist()

    start = time.perf_counter()
    try:
        trajectory = integrate_exact(
            system,
            state,
            args.t_end,
            n_points=args.points,
            rtol=args.rtol,
            atol=args.atol,
            method=args.method,
        )
    except (IntegrationError, DataError) as exc:
        raise CLIError(str(exc)) from None
    except ValueError as exc:
        raise CLIError(f"cannot integrate {system.name}: {exc}") from None
    seconds = time.perf_counter() - start

    try:
        trajectory.save(args.out)
        if args.plot is not None:
            from physym.data import save_trajectory_plot

            save_trajectory_plot(trajectory, args.plot)
    except OSError as exc:
        raise CLIError(f"cannot write output: {exc.strerror or exc}") from None

    try:
        periods = f" ({args.t_end / natural_period(system):.3g} natural periods)"
    except Exception:  # the summary must not fail on a scale estimate
        periods = ""
    initial = ", ".join(f"{n}={v:.6g}" for n, v in zip(system.state_names, state, strict=True))
    print(
        f"{system.name}: t = 0 → {args.t_end:g}{periods}, {args.points} points, "
        f"{args.method} rtol={args.rtol:g} atol={args.atol:g}, {seconds:.2f} s"
    )
    print(f"initial state: {initial}")
    print(
        f"energy: E0 = {trajectory.energy[0]:.10g}, scale = {trajectory.energy_scale:.4g}; "
        f"drift max|E − E0| / max(|E0|, scale) = {trajectory.energy_drift:.3e}"
    )
    print(f"wrote {args.out}" + (f" and {args.plot}" if args.plot is not None else ""))
    return 0
