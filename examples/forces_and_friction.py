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
# # Forces and friction: learn $L$ and $R$ of a pushed, damped oscillator
#
# A conservative Lagrangian cannot make a system lose energy or follow a push. physym
# fits the full equations of motion
#
# $$\frac{d}{dt}\frac{\partial L}{\partial \dot q} - \frac{\partial L}{\partial q}
#   + \frac{\partial R}{\partial \dot q} = Q,$$
#
# with a **Rayleigh dissipation function** $R(q, \dot q) = \tfrac12 \dot q^\top D(q)\,\dot q$
# (friction $-\partial R/\partial \dot q$) learned beside $L$, and **known generalised
# forces** $Q(q, \dot q, t, u)$ — here a control input $u$ — entering exactly. Known
# forces also fix the scale of $L$: without them $L$ and $R$ are only defined up to a
# common factor.
#
# The system is a Duffing oscillator (a spring that stiffens, $V = \tfrac12 k x^2 +
# \tfrac14 b x^4$) with viscous friction $c$, pushed by a force $u$.
#
# Set `PHYSYM_EXAMPLE_SIZE=small` for a run of seconds (what CI does); the default size
# fits the default 20 000 states.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp
from IPython.display import Math, display

import physym
from physym.comparison import lagrangian_latex
from physym.data import simulate

SMALL = os.environ.get("PHYSYM_EXAMPLE_SIZE", "full") == "small"

# %% [markdown]
# ## 1. A damped, forced spec
#
# `dissipation=` is $R$, `forces=` maps a coordinate to its known force, `inputs=` names
# the control signals; `sampling` gives the input a range, like a coordinate, so every
# training state comes with a value of $u$.

# %%
system = physym.System(
    "pushed_duffing",
    coordinates=["x"],
    lagrangian="m*x_dot**2/2 - k*x**2/2 - b*x**4/4",
    parameters={"m": 0.5, "k": 2.0, "b": 1.0, "c": 0.3},
    sampling={"x": (-1.5, 1.5), "x_dot": (-2, 2), "u": (-1, 1)},
    dissipation="c*x_dot**2/2",
    forces={"x": "u"},
    inputs=["u"],
    description="A stiffening spring with viscous friction, pushed by a force u.",
)
display(Math("L = " + lagrangian_latex(system.lagrangian_numeric)))
display(
    Math(
        "R = "
        + sp.latex(system.dissipation_numeric)
        + r",\qquad Q_x = "
        + sp.latex(system.forces["x"])
    )
)

# %% [markdown]
# ## 2. The default fit
#
# `physym.fit` sees the friction and the force in the spec: its network is
# $L_\theta = \tfrac12\dot q^\top M_\theta(q)\dot q - V_\theta(q)$ beside
# $R_\theta = \tfrac12 \dot q^\top C_\theta C_\theta^\top \dot q$ ($D \succeq 0$ by
# construction), trained on states, inputs and the exact accelerations they give; then
# $M$, $V$ and $D$ are distilled and their constants fitted together through the full
# equations with the known force.

# %%
settings = dict(samples=2000, fallback_model="none") if SMALL else {}
run = physym.fit(system, **settings)
print(run)

# %% [markdown]
# ## 3. The recovered $L$ and $R$

# %%
x, x_dot = sp.symbols("x x_dot", real=True)
recovered_l = sp.sympify(run.summary["recovered_lagrangian"], locals={"x": x, "x_dot": x_dot})
text_r = run.summary["recovered_dissipation"]
recovered_r = None if text_r is None else sp.sympify(text_r, locals={"x": x, "x_dot": x_dot})
display(Math(r"L_\mathrm{rec} = " + lagrangian_latex(recovered_l)))
display(Math(r"R_\mathrm{rec} = " + ("0" if recovered_r is None else sp.latex(recovered_r))))
print(f"exact: {run.exact}   equivalent: {run.equivalent}   scale: {run.summary['scale']}")

# %% [markdown]
# ## 4. Accelerations against the truth
#
# The recovered $L$ and $R$ make a `System` of their own, with the *true* known force.
# On fresh states and inputs its accelerations are compared with the exact ones of the
# spec, and with the network's error on held-out states.

# %%
recovered = physym.System(
    "pushed_duffing_recovered",
    ["x"],
    recovered_l,
    {},
    system.sampling,
    dissipation=recovered_r,
    forces={"x": "u"},
    inputs=["u"],
)
rng = np.random.default_rng(1)
states = np.column_stack([rng.uniform(-1.5, 1.5, 500), rng.uniform(-2, 2, 500)])
pushes = rng.uniform(-1, 1, (500, 1))
true_a = system.accelerations(states, inputs=pushes)
recovered_a = recovered.accelerations(states, inputs=pushes)
error = np.linalg.norm(recovered_a - true_a) / np.linalg.norm(true_a)
print(f"recovered L, R: ‖â − a‖/‖a‖ = {error:.2e} on 500 fresh states and pushes")
print(f"network (held-out): {run.accel_rel_error:.2e}")

# %% [markdown]
# ## 5. A picture: a push, then the friction takes over
#
# The oscillator starts at rest, is pushed by $u(t) = \sin 1.5 t$ for 6 s, then let go.
# The recovered equations follow the exact ones; the energy rises while it is pushed and
# decays afterwards, which no conservative $L$ could do.


# %%
def push(t):
    return [np.sin(1.5 * t) if t < 6.0 else 0.0]


exact = simulate(system, [0.0, 0.0], 20.0, 801, inputs=push)
mine = simulate(recovered, [0.0, 0.0], 20.0, 801, inputs=push)
fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
top.plot(exact.t, exact.states[:, 0], label="exact", lw=2)
top.plot(mine.t, mine.states[:, 0], "--", label="recovered L, R")
top.axvspan(0, 6, color="0.9", label="pushed")
top.set_ylabel("x")
top.legend(loc="upper right")
bottom.plot(exact.t, system.energy(exact.states), label="energy (exact L)")
bottom.set_xlabel("t")
bottom.set_ylabel("E")
bottom.legend(loc="upper right")
fig.tight_layout()
print(
    f"largest |x_rec − x_exact| over 20 s: "
    f"{np.max(np.abs(mine.states[:, 0] - exact.states[:, 0])):.1e}"
)

# %% [markdown]
# ## 6. What a conservative fit says about damped data
#
# Fitted to damped *measurements* with a conservative spec, physym does not come back
# with a silently undamped answer: `summary["warnings"]` (also printed by `physym fit` and
# listed in `report.md`) says "the data are not explained by a conservative L (residual
# …); add dissipation or forces" when the residual of the closed form is well above the
# data's noise floor or the energy of the recovered $L$ drifts along the measured
# trajectories (see `physym/run/honesty.py`).
