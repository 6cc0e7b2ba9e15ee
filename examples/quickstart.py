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
# # Quickstart: write a Lagrangian, let a network learn it, read it back
#
# physym closes a loop: a Lagrangian you write in SymPy gives the exact equations of motion;
# a Lagrangian neural network $L_\theta(q, \dot q)$ learns from sampled states and their
# accelerations; symbolic regression distils the network back to a closed form; and the
# closed form is compared with what you wrote.
#
# Here the system is one that is **not** in physym's built-in library: a pendulum whose
# pivot is a cart of mass $M$ sliding on a horizontal rail, tied to a wall by a spring $k$.
#
# Set `PHYSYM_EXAMPLE_SIZE=small` for a run of a few seconds (what CI does); the default
# (full) size trains on 20 000 states and takes a few minutes on two cores.

# %%
import os

import numpy as np
import sympy as sp
from IPython.display import Math, display
from sympy.physics.mechanics import dynamicsymbols

import physym
from physym.comparison import equations_latex, lagrangian_latex, recovered_system

SMALL = os.environ.get("PHYSYM_EXAMPLE_SIZE", "full") == "small"

# %% [markdown]
# ## 1. The system, in SymPy
#
# Coordinates: the cart's position $x$ and the rod's angle $\theta$ from the downward
# vertical. The bob of mass $m$ on a rod of length $l$ sits at
# $(x + l\sin\theta,\ -l\cos\theta)$; kinetic minus potential energy is the Lagrangian.
# `physym.System` accepts `dynamicsymbols` directly and names the velocities
# `x_dot`, `theta_dot`.

# %%
t = sp.Symbol("t")
x, theta = dynamicsymbols("x theta")
M, m, ell, k, g = sp.symbols("M m l k g", positive=True)

bob_x, bob_y = x + ell * sp.sin(theta), -ell * sp.cos(theta)
kinetic = M / 2 * x.diff(t) ** 2 + m / 2 * (bob_x.diff(t) ** 2 + bob_y.diff(t) ** 2)
potential = k / 2 * x**2 + m * g * bob_y

system = physym.System(
    "spring_pivot_pendulum",
    coordinates=[x, theta],
    lagrangian=sp.trigsimp(sp.expand(kinetic - potential)),
    parameters={"M": 2.0, "m": 1.0, "l": 1.0, "k": 10.0, "g": 9.81},
    sampling={"x": (-1, 1), "theta": (-np.pi, np.pi), "x_dot": (-2, 2), "theta_dot": (-3, 3)},
    periodic=["theta"],
    description="A pendulum hanging from a cart on a spring.",
)
display(Math("L = " + lagrangian_latex(system.lagrangian)))

# %% [markdown]
# physym derives the Euler–Lagrange equations $M(q)\,\ddot q = f(q, \dot q)$ once, in
# closed form; they are the ground truth every later number is measured against.


# %%
def show_equations(sys, title):
    """The Euler–Lagrange equations of a System, with q̇ and q̈ written as dots."""
    rows = equations_latex(sys)
    display(
        Math(rf"\text{{{title}:}}\quad \begin{{array}}{{l}}" + r" \\ ".join(rows) + r"\end{array}")
    )


show_equations(system, "true")

# %% [markdown]
# ## 2. Fit: sample, train, distil, compare
#
# `physym.fit` runs the whole loop and writes a run directory (`summary.json`, `report.md`,
# plots, the trained model). Settings are fields of `physym.FitConfig`; the defaults train
# the *structured* network $L_\theta = \tfrac12\dot q^\top M_\theta(q)\dot q +
# A_\theta(q)\cdot\dot q - V_\theta(q)$ in float64 on 20 000 exact samples.

# %%
settings = (
    dict(
        samples=800,
        epochs=20,
        rollout_states=2,
        rollout_t_end=3.0,
        energy_states=0,
        fallback_model="none",
    )  # small: train the structured network only
    if SMALL
    else {}
)
run = physym.fit(system, **settings)
run

# %% [markdown]
# The result renders as the true Lagrangian above the recovered one. A Lagrangian is only
# defined up to a scale $\alpha$ and a total time derivative, so *exact* means
# $L_\mathrm{rec}/\alpha - L_\mathrm{true}$ has vanishing Euler–Lagrange equations, and
# *equivalent* means the recovered accelerations equal the true ones on fresh states.
# Divided by $\alpha$, the recovered Lagrangian gives these equations of motion:

# %%
comparison = run.summary.get("comparison") or {}
if comparison.get("normalised_lagrangian"):
    show_equations(
        recovered_system(system, comparison["normalised_lagrangian"]),
        f"recovered, divided by α = {comparison['scale_rational']}",
    )
elif run.recovered_lagrangian is not None:
    show_equations(recovered_system(system, run.recovered_lagrangian), "recovered")
print(f"scale α = {run.summary['scale']},  exact: {run.exact},  equivalent: {run.equivalent}")
print(
    f"held-out acceleration error: network {run.accel_rel_error:.2e}, "
    f"recovered L {run.summary['accel_rel_error']['recovered']}"
)

# %% [markdown]
# ## 3. Loss and trajectories
#
# Loss curves, then one held-out trajectory integrated three ways: the exact equations,
# the network, and the recovered $L$. The network's trajectory leaves the exact one after
# a while (see `why_trajectories_drift`); an exactly recovered $L$ follows it to the
# integrator's precision.

# %%
figure = run.plot()

# %%
print(run)
