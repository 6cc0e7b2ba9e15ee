"""``model.pt``: a trained network's weights and what rebuilds it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from physym.io import save_torch
from physym.runs.files import RunDirError

__all__ = ["MODEL_FORMAT", "load_model", "save_model"]

MODEL_FORMAT = "physym-model/1"


def save_model(path: str | Path, model: Any, name: str, build: dict[str, Any]) -> Path:
    """Atomically save a model's weights with what :func:`load_model` needs to rebuild it.

    Parameters
    ----------
    path : path
    model : LagrangianModel
    name : str
        Registry name given to :func:`physym.network.build_model`.
    build : dict
        Its keyword arguments (``dtype`` as a string).
    """
    return save_torch(
        path,
        {
            "format": MODEL_FORMAT,
            "name": name,
            "n_dof": model.n_dof,
            "build": dict(build),
            "state_dict": model.state_dict(),
        },
    )


def load_model(path: str | Path) -> Any:
    """Rebuild a model saved by :func:`save_model` (a :class:`LagrangianModel`).

    Raises
    ------
    RunDirError
        No model there, or not a physym model file.
    """
    import torch

    from physym.network import build_model
    from physym.training.dtypes import torch_dtype

    path = Path(path)
    if not path.is_file():
        raise RunDirError(f"no model at {path}")
    saved = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(saved, dict) or saved.get("format") != MODEL_FORMAT:
        raise RunDirError(f"{path}: not a physym model file ({MODEL_FORMAT})")
    build = dict(saved["build"])
    build["dtype"] = torch_dtype(build["dtype"])
    model = build_model(saved["name"], saved["n_dof"], **build)
    model.load_state_dict(saved["state_dict"])
    return model.eval()
