"""Lagrangian neural networks: models of ``L_θ(q, q̇)`` and their batched accelerations.

>>> import torch
>>> from physym.network import build_model
>>> model = build_model("seed", 2, dtype=torch.float64)
>>> qdd, h_vv = model.accelerations_and_hessian(torch.zeros(8, 4, dtype=torch.float64))
"""

from physym.network.activations import ACTIVATIONS, Activation
from physym.network.base import HessianReport, LagrangianModel
from physym.network.function import FunctionLagrangian, system_lagrangian
from physym.network.init import calibrate_acceleration_scale
from physym.network.mlp import HESSIAN_METHODS, MLPLagrangian
from physym.network.registry import MODELS, PRESETS, build_model
from physym.network.structured import StructuredLagrangian

__all__ = [
    "ACTIVATIONS",
    "HESSIAN_METHODS",
    "MODELS",
    "PRESETS",
    "Activation",
    "FunctionLagrangian",
    "HessianReport",
    "LagrangianModel",
    "MLPLagrangian",
    "StructuredLagrangian",
    "build_model",
    "calibrate_acceleration_scale",
    "system_lagrangian",
]
