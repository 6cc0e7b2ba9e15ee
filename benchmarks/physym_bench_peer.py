"""physym as a peer of the LNN training-speed benchmark (one JSON line, the peers' schema).

Same problem, weights, data, optimiser and timing loop as the peers' ``torch_func.py``
(their ``common.py`` is imported from the peers folder), with physym's seed-preset model
and its default closed-form Hessian. Run it alone from the peers folder, or with the rest::

    cd /work/shared/bench/peers
    EXTRA_PEERS=/work/main/benchmarks/physym_bench_peer.py \\
        PYTHON=/work/main/.venv/bin/python ./run_all.sh > /tmp/results.jsonl

The peers folder is found as ``$PHYSYM_PEERS_DIR``, else the working directory (where
``run_all.sh`` runs its scripts), else ``/work/shared/bench/peers``.
"""

import os
import sys
import time


def _peers_dir() -> str:
    for candidate in (os.environ.get("PHYSYM_PEERS_DIR"), os.getcwd(), "/work/shared/bench/peers"):
        if candidate and os.path.isfile(os.path.join(candidate, "common.py")):
            return candidate
    raise SystemExit("physym_bench_peer: set PHYSYM_PEERS_DIR to the peers folder")


sys.path.insert(0, _peers_dir())
import common  # noqa: E402

common.setup_threads(common.threads_from_argv())  # must precede `import torch`

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from physym_peer import load_weights  # noqa: E402


def main() -> None:
    parser = common.base_parser(
        __doc__.splitlines()[0],
        batches=[256, 4096, 16384],
        infer_batches=[16384],
        steps=7,
        warmup=2,
        min_time=1.0,
    )
    parser.add_argument(
        "--hessian-method",
        default="closed_form",
        choices=("closed_form", "closed_form_traced", "func", "autograd"),
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    dt = {"float32": torch.float32, "float64": torch.float64}[args.dtype]
    wall0 = time.perf_counter()

    weights = common.init_weights(args.weight_seed)
    x_all, y_all = common.make_dataset(max(args.batches + args.infer_batches), args.data_seed)

    def fresh_model() -> torch.nn.Module:
        return load_weights(weights, args.dtype, hessian_method=args.hessian_method)

    train = []
    for bs in args.batches:
        model = fresh_model()  # fresh weights + optimiser per batch size
        opt = torch.optim.Adam(
            model.parameters(), lr=common.ADAM_LR, betas=common.ADAM_BETAS, eps=common.ADAM_EPS
        )
        xb = torch.from_numpy(x_all[:bs]).to(dt)
        yb = torch.from_numpy(y_all[:bs]).to(dt)
        losses = []

        def step(model=model, opt=opt, xb=xb, yb=yb, losses=losses) -> None:
            opt.zero_grad(set_to_none=True)
            loss = torch.mean((model.accelerations(xb) - yb) ** 2)
            loss.backward()
            opt.step()
            losses.append(loss.item())

        stats, _ = common.time_repeated(
            step, args.warmup, args.steps, args.min_time, args.max_steps
        )
        stats = common.round_stats(stats)
        stats.update(
            batch=bs,
            samples_per_s=common.sig(bs / stats["median_s"]),
            loss_at_init=common.sig(losses[0], 7),
            loss_last=common.sig(losses[-1], 7),
        )
        train.append(stats)

    infer = []
    model = fresh_model()
    for bs in args.infer_batches:
        xb = torch.from_numpy(x_all[:bs]).to(dt)

        def call(xb=xb) -> torch.Tensor:
            with torch.no_grad():
                return model.accelerations(xb)

        stats, out = common.time_repeated(
            call, args.warmup, args.steps, args.min_time, args.max_steps
        )
        assert out.shape == (bs, common.N_DOF) and out.dtype == dt
        stats = common.round_stats(stats)
        stats.update(batch=bs, accels_per_s=common.sig(bs / stats["median_s"]))
        infer.append(stats)

    import physym

    common.emit(
        {
            "peer": "physym",
            "variant": args.hessian_method,
            "method": "physym MLPLagrangian (seed preset): closed-form input Hessian by forward "
            "tangents + gradient sweep, hand-written backward, torch.linalg.solve",
            "framework": f"physym {physym.__version__}, torch {torch.__version__}",
            "dtype": args.dtype,
            "n_params": sum(p.numel() for p in fresh_model().parameters()),
            "threads": dict(
                common.thread_report(args.threads),
                torch_num_threads=torch.get_num_threads(),
                torch_interop_threads=torch.get_num_interop_threads(),
            ),
            "train": train,
            "infer": infer,
            "total_wall_s": common.sig(time.perf_counter() - wall0),
            "env": common.env_report(),
        }
    )


if __name__ == "__main__":
    main()
