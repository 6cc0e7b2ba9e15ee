"""Sampled states of a system with friction, known forces, inputs or time.

Each sample carries its time and input values (drawn from ``[sampling]``, like states);
the known forces ``Q`` are evaluated exactly from the spec at each sample and enter the
training equations as they are (:mod:`physym.training.conditions`). What the fit cannot
do yet with such a system is refused before any work, in one line
(:func:`check_forced_fit`).
"""

from __future__ import annotations

from typing import Any

from physym.config import ConfigError, RunConfig
from physym.run.sources.sampled import SampledStates
from physym.systems import System

__all__ = ["ForcedSamples", "check_forced_fit", "forced_model_options"]


class ForcedSamples(SampledStates):
    """:class:`SampledStates` of a non-conservative system, with ``t`` and inputs."""

    name = "sampled states with friction, forces or time"

    def check(self, config: RunConfig, system: System | None) -> None:
        super().check(config, system)
        check_forced_fit(config, system)


def check_forced_fit(config: RunConfig, system: System | None) -> None:
    """Refuse, in one line, the combinations of a non-conservative system the fit lacks."""
    if system is None or (system.is_conservative and not system.has_inputs):
        return
    if config.train.multistep.steps:
        raise ConfigError(
            f"fit: the multi-step loss needs a conservative system (system {system.name!r} "
            "has friction, forces or time); set multistep_steps=0"
        )


def forced_model_options(system: System | None, name: str) -> dict[str, Any]:
    """Model options a non-conservative system needs: ``t`` as an input when time matters
    (it appears in ``L``, ``R`` or a force), a learned ``R_θ`` when the spec has friction
    (``D_θ(q)`` for the structured model, ``D_θ(q, q̇)`` for the MLP) and the known-force
    columns when it has forces."""
    if system is None or (system.is_conservative and not system.has_inputs):
        return {}
    options: dict[str, Any] = {}
    if system.time_dependent:
        options |= {
            "time_dependent": True,
            "time_column": True,
            "time_range": list(system.time_range or (-1.0, 1.0)),
        }
    if system.has_dissipation:
        options["dissipation"] = "q" if name == "structured" else "state"
    if system.has_forces:
        options["known_forces"] = True
    return options
