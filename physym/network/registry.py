"""Learned Lagrangians chosen by name, so the CLI and config files can name them.

>>> model = build_model("seed", 2)              # the seed net 4-32-32-32-32-1, P = 3361
>>> sum(p.numel() for p in model.parameters())
3361
>>> model = build_model("structured", 2, width=32, depth=2, periodic=[True, True])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from physym.network.base import LagrangianModel
from physym.network.init import initialise
from physym.network.mlp import MLPLagrangian
from physym.network.structured import StructuredLagrangian

__all__ = ["MODELS", "PRESETS", "build_model"]

#: model name -> class
MODELS: dict[str, type[LagrangianModel]] = {
    "mlp": MLPLagrangian,
    "structured": StructuredLagrangian,
}

#: preset name -> (model name, keyword arguments)
PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    # The forum post's network: Linear(2n,32) -> 4x Softplus(beta=0.5) ... -> Linear(32,1).
    "seed": ("mlp", {"width": 32, "depth": 4, "activation": "softplus", "beta": 0.5}),
}


def build_model(
    name: str,
    n_dof: int,
    *,
    width: int | None = None,
    depth: int | None = None,
    activation: str | None = None,
    periodic: Sequence[bool] | None = None,
    dtype: torch.dtype = torch.float32,
    preset: str | None = None,
    init: str = "torch",
    seed: int | None = None,
    **options: Any,
) -> LagrangianModel:
    """Build a learned Lagrangian by name.

    Parameters
    ----------
    name : str
        A model of :data:`MODELS` (``"mlp"``, ``"structured"``) or a preset of
        :data:`PRESETS` (``"seed"``).
    n_dof : int
        Degrees of freedom ``n`` (states are ``(B, 2n)``).
    width, depth, activation : optional
        Hidden units per layer, number of hidden layers, activation name; ``None`` keeps
        the preset's or the model's default (64, 3, ``"softplus"``).
    periodic : sequence of bool, optional
        Coordinates fed as ``(sin q, cos q)``.
    dtype : torch.dtype
        ``torch.float32`` or ``torch.float64``.
    preset : str, optional
        Start from a preset's settings (``build_model("mlp", 2, preset="seed")``).
    init : {"torch", "lnn"}
        Weight initialisation (:func:`physym.network.init.initialise`).
    seed : int, optional
        Seed of the initial weights (default: torch's global generator).
    **options
        Passed to the model class: ``beta``, ``epsilon`` and ``hessian_method`` for
        ``mlp``; ``beta`` and ``mass_epsilon`` for ``structured``; ``time_dependent``
        for both (``L_θ(q, q̇, t)``). Beyond conservative systems: ``dissipation``
        (``"q"`` for ``R_θ = ½ q̇ᵀ D_θ(q) q̇``, ``"state"`` for ``D_θ(q, q̇)``, ``None``:
        no friction), ``known_forces`` (states end with the known forces ``Q``) and
        ``time_column`` (states carry ``t``); any of them wraps the model in a
        :class:`~physym.network.forced.ForcedLagrangian`.

    Returns
    -------
    LagrangianModel
    """
    settings: dict[str, Any] = {}
    if name in PRESETS:
        if preset is not None:
            raise ValueError(f"{name!r} is a preset already; do not pass preset={preset!r}")
        preset = name
    if preset is not None:
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; known: {sorted(PRESETS)}")
        base, preset_settings = PRESETS[preset]
        if name in PRESETS:
            name = base
        elif name != base:
            raise ValueError(f"preset {preset!r} is a {base!r} model, not {name!r}")
        settings.update(preset_settings)
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; known: {sorted(MODELS) + sorted(PRESETS)}")
    given = {"width": width, "depth": depth, "activation": activation, "periodic": periodic}
    settings.update({k: v for k, v in given.items() if v is not None})
    forced: dict[str, Any] = {
        key: options.pop(key)
        for key in ("dissipation", "known_forces", "time_column")
        if key in options
    }
    settings.update(options)
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
    generator = None
    if seed is not None:
        generator = torch.Generator().manual_seed(int(seed))
    with _Seeded(seed):
        model = MODELS[name](n_dof, **settings)
    model = model.to(dtype)
    initialise(model, init, generator)
    if any(forced.values()):
        return _forced(model, forced, settings, seed).to(dtype)
    return model


def _forced(
    model: LagrangianModel, forced: dict[str, Any], settings: dict[str, Any], seed: int | None
) -> LagrangianModel:
    """``model`` wrapped with a learned ``R_θ`` and the known-force columns."""
    from physym.network.dissipation import RayleighDissipation
    from physym.network.forced import ForcedLagrangian

    time_column = bool(forced.get("time_column")) or model.time_dependent
    dissipation = None
    if forced.get("dissipation"):
        shared = {
            k: settings[k]
            for k in ("width", "depth", "activation", "beta", "periodic")
            if k in settings
        }
        with _Seeded(None if seed is None else seed + 1):
            dissipation = RayleighDissipation(
                model.n_dof, inputs=str(forced["dissipation"]), time_dependent=time_column, **shared
            )
    return ForcedLagrangian(
        model, dissipation, time_column=time_column, known_forces=bool(forced.get("known_forces"))
    )


class _Seeded:
    """Seed torch's global generator for ``nn.Linear``'s init, then restore its state."""

    def __init__(self, seed: int | None):
        self.seed = seed
        self.state: torch.Tensor | None = None

    def __enter__(self) -> None:
        if self.seed is not None:
            self.state = torch.get_rng_state()
            torch.manual_seed(int(self.seed))

    def __exit__(self, *exc: object) -> None:
        if self.state is not None:
            torch.set_rng_state(self.state)
