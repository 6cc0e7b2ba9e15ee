"""Each zoo system's Lagrangian derived from its mechanics, independently of its spec text.

Positions of the point masses (and spins of the rigid bodies) are written in the zoo's
coordinates, the kinetic energy is ``½ m |ṙ|²`` of those positions (``ṙ`` by the chain rule,
plus ``∂r/∂t`` in a turning frame), the potential comes from heights, springs and fields.
Validation (``zoo_validate.py``) compares the accelerations of these Lagrangians with the
ones physym derives from the specs: a typo in a spec shows up as a mismatch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import sympy as sp

__all__ = ["DERIVATIONS", "TIME", "derive"]

TIME = sp.Symbol("t", real=True)
Derivation = Callable[[dict[str, sp.Symbol], dict[str, sp.Symbol]], sp.Expr]
DERIVATIONS: dict[str, Derivation] = {}


def derivation(name: str) -> Callable[[Derivation], Derivation]:
    def register(function: Derivation) -> Derivation:
        DERIVATIONS[name] = function
        return function

    return register


def derive(name: str, coordinates: Sequence[str], parameters: Mapping[str, float]) -> sp.Expr:
    """The derived ``L`` of zoo system ``name`` (may depend on :data:`TIME` in form only)."""
    s = {c: sp.Symbol(c, real=True) for c in coordinates}
    s |= {f"{c}_dot": sp.Symbol(f"{c}_dot", real=True) for c in coordinates}
    p = {k: sp.Float(v) for k, v in parameters.items()}
    return DERIVATIONS[name](s, p)


def _velocity(position: Sequence[sp.Expr], s: dict[str, sp.Symbol]) -> list[sp.Expr]:
    coordinates = [k for k in s if not k.endswith("_dot") and f"{k}_dot" in s]
    return [
        sum(sp.diff(x, s[c]) * s[f"{c}_dot"] for c in coordinates) + sp.diff(x, TIME)
        for x in position
    ]


def kinetic(mass: sp.Expr, position: Sequence[sp.Expr], s: dict[str, sp.Symbol]) -> sp.Expr:
    """``½ m |ṙ|²`` of a point mass at ``position`` (3 components or 2)."""
    return mass / 2 * sum(c**2 for c in _velocity(position, s))


def _polar(r: sp.Expr, phi: sp.Expr, z: sp.Expr = sp.S.Zero) -> list[sp.Expr]:
    return [r * sp.cos(phi), r * sp.sin(phi), z]


def _turned(x: sp.Expr, y: sp.Expr, z: sp.Expr, rate: sp.Expr) -> list[sp.Expr]:
    """A point fixed at (x, y, z) in a frame turning about z at ``rate``, seen from rest."""
    c, s_ = sp.cos(rate * TIME), sp.sin(rate * TIME)
    return [x * c - y * s_, x * s_ + y * c, z]


@derivation("heavy_symmetric_top")
def _top(s, p):
    th, ps = s["theta"], s["psi"]
    dth, dph, dps = s["theta_dot"], s["phi_dot"], s["psi_dot"]
    w1 = dph * sp.sin(th) * sp.sin(ps) + dth * sp.cos(ps)  # body-frame angular velocity
    w2 = dph * sp.sin(th) * sp.cos(ps) - dth * sp.sin(ps)
    w3 = dph * sp.cos(th) + dps
    return (p["I1"] * (w1**2 + w2**2) + p["I3"] * w3**2) / 2 - p["M"] * p["g"] * p["l"] * sp.cos(th)


@derivation("physical_pendulum")
def _physical(s, p):
    th = s["theta"]
    centre_height = -p["d"] * sp.cos(th)
    return p["I"] / 2 * s["theta_dot"] ** 2 - p["m"] * p["g"] * centre_height


@derivation("cylinder_rolling_in_cylinder")
def _rolling_in_cylinder(s, p):
    th, reach = s["theta"], p["R"] - p["r"]
    centre = [reach * sp.sin(th), -reach * sp.cos(th), 0]
    spin = -reach * s["theta_dot"] / p["r"]  # no slip at the contact point
    return (
        kinetic(p["m"], centre, s)
        + p["m"] * p["r"] ** 2 / 4 * spin**2
        - p["m"] * p["g"] * centre[1]
    )


@derivation("disc_rolling_on_movable_wedge")
def _disc_on_wedge(s, p):
    x, d, al = s["X"], s["s"], p["alpha"]
    centre = [x + d * sp.cos(al), -d * sp.sin(al), 0]
    radius = sp.Symbol("radius", positive=True)  # cancels: I ω² = (m a²/2) (ṡ/a)²
    spin_energy = p["m"] * radius**2 / 4 * (s["s_dot"] / radius) ** 2
    return (
        kinetic(p["M"], [x, 0, 0], s)
        + kinetic(p["m"], centre, s)
        + spin_energy
        - p["m"] * p["g"] * centre[1]
    )


@derivation("centrifugal_governor")
def _governor(s, p):
    th, a, w = s["theta"], p["a"], p["Omega"]
    balls = [
        _turned(a * sp.sin(th), 0, -a * sp.cos(th), w),
        _turned(-a * sp.sin(th), 0, -a * sp.cos(th), w),
    ]
    sleeve = [0, 0, -2 * a * sp.cos(th)]
    t = sum(kinetic(p["m1"], b, s) for b in balls) + kinetic(p["m2"], sleeve, s)
    return t - p["g"] * (p["m1"] * (balls[0][2] + balls[1][2]) + p["m2"] * sleeve[2])


@derivation("spherical_pendulum")
def _spherical(s, p):
    th, ph, l_ = s["theta"], s["phi"], p["l"]
    bob = [l_ * sp.sin(th) * sp.cos(ph), l_ * sp.sin(th) * sp.sin(ph), -l_ * sp.cos(th)]
    return kinetic(p["m"], bob, s) - p["m"] * p["g"] * bob[2]


@derivation("particle_on_cone")
def _cone(s, p):
    r = s["r"]
    point = _polar(r, s["phi"], r / sp.tan(p["alpha"]))
    return kinetic(p["m"], point, s) - p["m"] * p["g"] * point[2]


@derivation("particle_in_paraboloid")
def _paraboloid(s, p):
    r = s["r"]
    point = _polar(r, s["phi"], p["k"] * r**2)
    return kinetic(p["m"], point, s) - p["m"] * p["g"] * point[2]


@derivation("kepler_cartesian")
def _kepler(s, p):
    x, y = s["x"], s["y"]
    return kinetic(p["m"], [x, y], s) + p["k"] / sp.sqrt(x**2 + y**2)


def _central(s, p, mass: sp.Expr, potential: Callable[[sp.Expr], sp.Expr]) -> sp.Expr:
    return kinetic(mass, _polar(s["r"], s["phi"]), s) - potential(s["r"])


@derivation("power_law_central_force")
def _power(s, p):
    return _central(s, p, p["m"], lambda r: p["k"] * r ** sp.Float(1.5))


@derivation("yukawa_central_force")
def _yukawa(s, p):
    return _central(s, p, p["m"], lambda r: -p["k"] * sp.exp(-r / p["a"]) / r)


@derivation("morse_rotor")
def _morse_rotor(s, p):
    return _central(s, p, p["mu"], lambda r: p["D"] * (1 - sp.exp(-p["a"] * (r - p["r0"]))) ** 2)


@derivation("plummer_sphere_orbit")
def _plummer(s, p):
    return _central(s, p, 1, lambda r: -p["G"] * p["M"] / sp.sqrt(r**2 + p["b"] ** 2))


@derivation("logarithmic_galactic_potential")
def _logarithmic(s, p):
    x, y = s["x"], s["y"]
    return kinetic(1, [x, y], s) - p["v0"] ** 2 / 2 * sp.log(
        p["Rc"] ** 2 + x**2 + y**2 / p["q"] ** 2
    )


@derivation("morse_oscillator")
def _morse(s, p):
    return kinetic(p["m"], [s["x"]], s) - p["D"] * (1 - sp.exp(-p["a"] * s["x"])) ** 2


@derivation("poschl_teller_oscillator")
def _poschl_teller(s, p):
    return kinetic(p["m"], [s["x"]], s) + p["U0"] * sp.sech(p["alpha"] * s["x"]) ** 2


@derivation("lennard_jones_dimer")
def _lennard_jones(s, p):
    ratio = p["sigma"] / s["r"]
    return kinetic(p["mu"], [s["r"]], s) - 4 * p["eps"] * (ratio**12 - ratio**6)


def _toda_ring(s, n: int, a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """Bonds i -> i+1 (mod n) of stretch u store (a/b) exp(-b u) + a u - a/b."""
    x = [s[f"x{i + 1}"] for i in range(n)]
    bonds = [x[(i + 1) % n] - x[i] for i in range(n)]
    return sum(a / b * sp.exp(-b * u) + a * u - a / b for u in bonds)


@derivation("toda_two_particle_ring")
def _toda_two(s, p):
    return sum(kinetic(p["m"], [s[f"x{i}"]], s) for i in (1, 2)) - _toda_ring(s, 2, p["a"], p["b"])


@derivation("toda_three_particle_ring")
def _toda_three(s, p):
    return sum(kinetic(1, [s[f"x{i}"]], s) for i in (1, 2, 3)) - _toda_ring(s, 3, 1, 1)


@derivation("bead_on_spinning_hoop")
def _hoop(s, p):
    th, r = s["theta"], p["R"]
    bead = _turned(r * sp.sin(th), 0, -r * sp.cos(th), p["omega"])
    return kinetic(p["m"], bead, s) - p["m"] * p["g"] * bead[2]


@derivation("restricted_three_body")
def _restricted_three_body(s, p):
    x, y, mu = s["x"], s["y"], p["mu"]
    star = _turned(x, y, 0, 1)  # the synodic frame turns at the primaries' unit rate
    r1 = sp.sqrt((x + mu) ** 2 + y**2)  # primaries at (-mu, 0) and (1 - mu, 0)
    r2 = sp.sqrt((x - (1 - mu)) ** 2 + y**2)
    return kinetic(1, star, s) + (1 - mu) / r1 + mu / r2


@derivation("rotating_saddle_trap")
def _saddle(s, p):
    x, y = s["x"], s["y"]
    ball = _turned(x, y, 0, p["Omega"])
    return kinetic(p["m"], ball, s) - (p["k1"] * x**2 - p["k2"] * y**2) / 2


@derivation("bead_on_rotating_parabola")
def _parabola(s, p):
    x = s["x"]
    bead = _turned(x, 0, p["a"] * x**2, p["Omega"])
    return kinetic(p["m"], bead, s) - p["m"] * p["g"] * bead[2]


@derivation("coupled_pendula_spring")
def _coupled_pendula(s, p):
    t1, t2, l_, d = s["theta1"], s["theta2"], p["l"], p["d"]
    gap = sp.Symbol("gap", positive=True)  # pivot distance = natural length: cancels
    bobs = [[l_ * sp.sin(t1), -l_ * sp.cos(t1)], [gap + l_ * sp.sin(t2), -l_ * sp.cos(t2)]]
    stretch = (gap + d * sp.sin(t2)) - d * sp.sin(t1) - gap  # the spring stays horizontal
    return (
        sum(kinetic(p["m"], b, s) - p["m"] * p["g"] * b[1] for b in bobs) - p["k"] / 2 * stretch**2
    )


@derivation("pendulum_on_free_cart")
def _cart(s, p):
    x, th, l_ = s["x"], s["theta"], p["l"]
    bob = [x + l_ * sp.sin(th), -l_ * sp.cos(th)]
    return kinetic(p["M"], [x, 0], s) + kinetic(p["m"], bob, s) - p["m"] * p["g"] * bob[1]


@derivation("pendulum_on_spring_pivot")
def _spring_pivot(s, p):
    y, th, l_ = s["y"], s["theta"], p["l"]
    bob = [l_ * sp.sin(th), y - l_ * sp.cos(th)]
    return (
        kinetic(p["M"], [0, y], s)
        + kinetic(p["m"], bob, s)
        - p["k"] / 2 * y**2
        - p["g"] * (p["M"] * y + p["m"] * bob[1])
    )


@derivation("wilberforce_pendulum")
def _wilberforce(s, p):
    z, th = s["z"], s["theta"]
    return (
        kinetic(p["m"], [z], s)
        + p["I"] / 2 * s["theta_dot"] ** 2
        - (p["k"] * z**2 + p["delta"] * th**2 + p["eps"] * z * th) / 2
    )


@derivation("linear_triatomic_molecule")
def _triatomic(s, p):
    x1, x2, x3 = s["x1"], s["x2"], s["x3"]
    return (
        kinetic(p["m"], [x1], s)
        + kinetic(p["M"], [x2], s)
        + kinetic(p["m"], [x3], s)
        - p["k"] / 2 * ((x2 - x1) ** 2 + (x3 - x2) ** 2)
    )


def _magnetic(
    position: list[sp.Expr], potential: list[sp.Expr], charge: sp.Expr, s: dict[str, sp.Symbol]
) -> sp.Expr:
    """``q ṙ·A(r)`` with ``A`` evaluated at the particle."""
    return charge * sum(v * a for v, a in zip(_velocity(position, s), potential, strict=True))


@derivation("charge_near_current_wire")
def _wire(s, p):
    position = _polar(s["r"], s["phi"], s["z"])
    x, y = position[0], position[1]
    field = [0, 0, -p["kappa"] * sp.log(sp.sqrt(x**2 + y**2))]  # A_z = -(mu0 I / 2 pi) ln r
    return kinetic(p["m"], position, s) + _magnetic(position, field, p["q"], s)


@derivation("hydrogen_in_magnetic_field")
def _diamagnetic_kepler(s, p):
    x, y = s["x"], s["y"]
    position = [x, y, 0]
    field = [-p["B"] * y / 2, p["B"] * x / 2, 0]
    return (
        kinetic(p["m"], position, s)
        + _magnetic(position, field, p["q"], s)
        + p["k"] / sp.sqrt(x**2 + y**2)
    )


@derivation("relativistic_oscillator_2d")
def _relativistic(s, p):
    speed2 = sum(v**2 for v in _velocity([s["x"], s["y"]], s))
    return (
        -p["m"] * p["c"] ** 2 * sp.sqrt(1 - speed2 / p["c"] ** 2)
        - (p["k1"] * s["x"] ** 2 + p["k2"] * s["y"] ** 2) / 2
    )


@derivation("post_newtonian_oscillator")
def _post_newtonian(s, p):
    v = sp.Symbol("v", real=True)
    free = -p["m"] * p["c"] ** 2 * sp.sqrt(1 - v**2 / p["c"] ** 2)
    expanded = sp.series(free, v, 0, 5).removeO()  # through v^4/c^2
    return expanded.subs(v, s["x_dot"]) - p["k"] / 2 * s["x"] ** 2


@derivation("double_atwood_machine")
def _double_atwood(s, p):
    x, y = s["x"], s["y"]
    l1, l2 = sp.symbols("l1 l2", positive=True)  # string lengths: constants that drop out
    depths = {"m1": x, "m2": (l1 - x) + y, "m3": (l1 - x) + (l2 - y)}
    return sum(kinetic(p[m], [z], s) + p[m] * p["g"] * z for m, z in depths.items())


@derivation("henon_heiles")
def _henon_heiles(s, p):
    x, y = s["x"], s["y"]
    return kinetic(1, [x, y], s) - (x**2 + y**2) / 2 - x**2 * y + y**3 / 3


@derivation("cycloidal_pendulum")
def _cycloid(s, p):
    ph, a = s["phi"], p["a"]
    bead = [a * (ph + sp.sin(ph)), a * (1 - sp.cos(ph))]
    return kinetic(p["m"], bead, s) - p["m"] * p["g"] * bead[1]


@derivation("calogero_pair")
def _calogero(s, p):
    x1, x2 = s["x1"], s["x2"]
    return (
        kinetic(1, [x1], s)
        + kinetic(1, [x2], s)
        - p["omega"] ** 2 / 2 * (x1**2 + x2**2)
        - p["g"] / (x1 - x2) ** 2
    )
