"""``physym bench``, physym.bench and the peer-benchmark adapter."""

from __future__ import annotations

import importlib.util
import json
import math
import types

import numpy as np
import pytest
import torch
from helpers import REPO_ROOT

from physym.cli.main import main


def load_peer_adapter() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        "physym_peer", REPO_ROOT / "benchmarks" / "physym_peer.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def peer_weights(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """As the peers' common.init_weights: nn.Linear's law, drawn in numpy, W is [out, in]."""
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in zip((4, 32, 32, 32, 32), (32, 32, 32, 32, 1), strict=True):
        bound = 1.0 / math.sqrt(fan_in)
        layers.append(
            (rng.uniform(-bound, bound, (fan_out, fan_in)), rng.uniform(-bound, bound, (fan_out,)))
        )
    return layers


def seed_peer_accelerations(weights: list, states: np.ndarray) -> np.ndarray:
    """The seed peer's formula: per-state autograd.functional.hessian of an nn.Sequential."""
    layers = []
    for i, (w, b) in enumerate(weights):
        linear = torch.nn.Linear(w.shape[1], w.shape[0]).double()
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w))
            linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        if i < len(weights) - 1:
            layers.append(torch.nn.Softplus(beta=0.5))
    net = torch.nn.Sequential(*layers)
    out = []
    for x in torch.from_numpy(states):
        hess = torch.autograd.functional.hessian(lambda s: net(s)[0], x)
        grad = torch.autograd.functional.jacobian(lambda s: net(s)[0], x)
        out.append(torch.linalg.solve(hess[2:, 2:], grad[:2] - hess[2:, :2] @ x[2:]))
    return torch.stack(out).numpy()


def test_peer_adapter_agrees_with_the_seed_formula() -> None:
    adapter = load_peer_adapter()
    weights = peer_weights()
    rng = np.random.default_rng(1)
    states = rng.uniform(-1, 1, (16, 4)) * np.array([np.pi, np.pi, 2.0, 2.0])
    qdd = adapter.accelerations(weights, states, "float64")
    assert qdd.dtype == np.float64 and qdd.shape == (16, 2)
    assert np.max(np.abs(qdd - seed_peer_accelerations(weights, states))) < 1e-10
    assert adapter.accelerations(weights, states, "float32").dtype == np.float32
    loss, grads = adapter.loss_and_grads(weights, states, np.zeros((16, 2)), "float64")
    assert math.isclose(loss, float(np.mean(qdd**2)), rel_tol=1e-12)
    assert [g[0].shape for g in grads] == [w.shape for w, _ in weights]
    assert not grads[-1][1].any()  # the output bias only shifts L


def test_bench_command_prints_one_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--batch", "32", "--json", "--min-time", "0"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert data["batch"] == 32 and data["n_params"] == 3361 and data["torch"]
    assert data["threads"]["OMP_WAIT_POLICY"]
    assert data["train_step_s"] > 0 and data["accels_per_s"] > 0
    assert math.isfinite(data["loss_at_init"]) and data["train_steps"] >= 1


def test_bench_command_rejects_bad_batch(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--batch", "0"]) == 2
    assert "--batch" in capsys.readouterr().err
