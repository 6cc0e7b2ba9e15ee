"""``physym bench``: time a Lagrangian neural network's training step and inference.

Prints the median seconds of one Adam step of the seed architecture on the double
pendulum (exact targets, float32) and the inference throughput; ``--json`` prints them as
one JSON line (see :func:`physym.bench.benchmark`).
"""

from __future__ import annotations

import argparse
import os


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch", type=int, default=16384, help="states per step (16384)")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="intra-op threads (default: as the environment sets them)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--model", default="seed", help="network registry name (seed)")
    parser.add_argument(
        "--hessian-method",
        default="closed_form",
        choices=("closed_form", "closed_form_traced", "func", "autograd"),
        help="how MLP Hessians are computed (closed_form)",
    )
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument(
        "--min-time",
        type=float,
        default=1.0,
        help="time each measurement for at least this many seconds (1)",
    )


def run(args: argparse.Namespace) -> int:
    from physym.cli.main import CLIError

    if args.batch < 1:
        raise CLIError(f"--batch must be positive, got {args.batch}")
    if args.threads is not None and args.threads < 1:
        raise CLIError(f"--threads must be positive, got {args.threads}")
    # libgomp reads these once, when torch loads it, so they are set before the first
    # `import torch` (the CLI imports torch lazily; inside a process that has imported it
    # already they have no effect). PASSIVE: idle OpenMP threads sleep instead of
    # spinning, which on a shared machine keeps a busy neighbour from slowing every
    # parallel region ~100x (the peers benchmark's default too).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if args.threads is not None:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ[var] = str(args.threads)

    import json

    import torch

    from physym.bench import benchmark

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    try:
        result = benchmark(
            args.batch,
            model=args.model,
            hessian_method=args.hessian_method,
            dtype=args.dtype,
            min_time=args.min_time,
        )
    except ValueError as exc:
        raise CLIError(str(exc)) from exc
    data = result.to_dict()
    if args.json:
        print(json.dumps(data))
        return 0
    print(
        f"train_step_s  {result.train_step_s:.4g}  (median of {result.train_steps} Adam "
        f"steps, batch {result.batch}, {result.model}, P = {result.n_params}, "
        f"{result.dtype})"
    )
    print(f"accels_per_s  {result.accels_per_s:.4g}  (inference, torch.no_grad)")
    print(
        f"torch         {result.torch}, {result.threads['torch_num_threads']} threads, "
        f"OMP_WAIT_POLICY={result.threads['OMP_WAIT_POLICY']}"
    )
    return 0
