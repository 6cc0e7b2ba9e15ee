"""Lagrangian neural networks: models of ``L_θ(q, q̇)`` and their batched accelerations."""

from physym.network.base import HessianReport, LagrangianModel

__all__ = ["HessianReport", "LagrangianModel"]
