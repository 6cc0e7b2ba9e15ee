# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Do you need more samples than parameters?
#
# The forum question: a Lagrangian network with $P \approx 3400$ parameters, trained on
# a few thousand double-pendulum states; *does it need at least as many samples $N$ as
# parameters $P$?* Classical curve fitting says yes. But every sample here carries
# $n = 2$ acceleration components, the Euler–Lagrange structure ties them together, and
# overparameterised networks are known to generalise past $N = P$.
#
# This notebook runs a grid of fits, training samples $N$ × network width (which sets
# $P$) × seeds, and plots three things against $N/P$:
#
# * the held-out acceleration error $\|\hat a - a\| / \|a\|$,
# * the valid-prediction time of rollouts (relative state error below 0.1),
# * the rate of *exact* recovery of the Lagrangian by distillation.
#
# The network is the forum's family: an MLP $L_\theta(q, \dot q)$, 4 hidden softplus
# layers, every fit given the same number of Adam steps so that only the data change
# along $N$. The full grid is `examples/samples_vs_parameters.toml` (18 fits, about an
# hour on two cores; finished points are reused when the notebook runs again, and a run
# with `physym sweep --config examples/samples_vs_parameters.toml --out runs/sweep_full`
# fills the same directory). `PHYSYM_EXAMPLE_SIZE=small` runs a toy grid of four fits
# without distillation.

# %%
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from physym.sweep import SweepSpec, run_sweep

SMALL = os.environ.get("PHYSYM_EXAMPLE_SIZE", "full") == "small"

if SMALL:
    spec = SweepSpec(
        "double_pendulum",
        grid={"samples": [64, 256], "width": [8, 16]},
        fixed={
            "model": "mlp",
            "depth": 2,
            "epochs": 2,
            "rollout_states": 2,
            "rollout_t_end": 1.0,
            "energy_states": 0,
            "distill": False,
        },
        seeds=1,
    )
    out, executor = Path(tempfile.mkdtemp()) / "sweep", "serial"
else:
    here = Path.cwd()
    root = next(
        p
        for p in (here, *here.parents)
        if (p / "examples" / "samples_vs_parameters.toml").is_file()
    )
    spec, _ = SweepSpec.from_toml(root / "examples" / "samples_vs_parameters.toml")
    out, executor = root / "runs" / "sweep_full", "loky"

print("grid:  ", spec.grid)
print("fixed: ", spec.fixed)
print("seeds: ", spec.seed_values)

# %% [markdown]
# ## Run the grid
#
# `run_sweep` fits each point into `out/points/<name>/` (a normal run directory, see
# `physym.load_run`) in parallel worker processes, and keeps `out/sweep.csv` up to date.

# %%
result = run_sweep(
    spec.system, spec.grid, spec.fixed, out, seeds=spec.seed_values, executor=executor, log=print
)
result

# %% [markdown]
# ## Error, horizon and recovery against N/P
#
# One line per width (mean over seeds, band: min to max). The dashed line is $N = P$:
# to its left the network has more parameters than training samples.

# %%
axes = result.plot()
plt.show()

# %% [markdown]
# ## The same numbers, by width
#
# Means over seeds: the points of each width, in order of $N$.

# %%
finished = [row for row in result.rows if row["status"] in ("done", "reused")]
print(
    f"{'width':>5s} {'P':>6s} {'N':>6s} {'N/P':>6s} {'accel error':>11s} "
    f"{'valid t [s]':>11s} {'exact rate':>10s}"
)
for width in spec.grid["width"]:
    for samples in spec.grid["samples"]:
        rows = [r for r in finished if r["width"] == width and r["samples"] == samples]
        if not rows:
            continue

        def mean(key, rows=rows):
            values = [float(r[key]) for r in rows if r[key] is not None]
            return sum(values) / len(values) if values else float("nan")

        print(
            f"{width:5d} {rows[0]['n_params']:6d} {rows[0]['n_train']:6d} "
            f"{rows[0]['n_over_p']:6.2f} {mean('accel_rel_error'):11.2e} "
            f"{mean('valid_time_s'):11.2f} {mean('exact'):10.2f}"
        )

# %% [markdown]
# ## What the full grid measured
#
# The full grid (widths 16, 32, 64: $P$ = 945, 3 425, 12 993; $N$ = 820, 3 276,
# 13 108 training states; 2 seeds; at least 6 000 Adam steps each), as committed in
# `benchmarks/results/samples_vs_parameters/`:
#
# * **$N/P$ does not predict the error.** Width 16 stays at 23 % held-out error whether
#   $N/P$ is 3.5 or 14: it lacks capacity, not data. Widths 32 and 64 reach 2.4–3.7 %
#   with seed 1 at every $N$, including $N/P = 0.06$ (820 states for 12 993 weights), and
#   13–20 % with seed 0 except width 32 at the largest $N$ (4.3 %). The seed changes
#   the error by up to a factor 6.6 at a fixed point; sixteen times more data moved the
#   median over all fits from 14 % to 9 %.
# * **The valid-prediction time follows the acceleration error**, 0.3–1.0 s of the 10 s
#   horizon: 0.66–0.98 s for the 2–4 % networks, 0.32–0.54 s for the 9–24 % ones.
# * **Exact recovery in 17 of 18 fits**, from $N/P = 0.06$ to 14. Distillation lets the
#   network choose the terms and fits their coefficients on the data through the
#   Euler–Lagrange equations, so even a network 20 % off gives back the exact
#   Lagrangian. The one miss was width 16 at $N/P = 3.5$.
# * Nothing happens at $N = P$. Below it the network still generalises, and the physics
#   is still recovered. Two seeds per point are few; the seed-to-seed spread is the
#   band in the figure.
