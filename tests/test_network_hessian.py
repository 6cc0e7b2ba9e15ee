"""The closed-form MLP input Hessian: fused node vs traced formulas vs autograd."""

from __future__ import annotations

import pytest
import torch

from physym.network import ACTIVATIONS, Activation, build_model
from physym.network.fused_hessian import fused_gradient_and_hessian_rows
from physym.network.input_hessian import mlp_gradient_and_hessian_rows

F64 = torch.float64


def small_mlp(
    activation: str, beta: float, depth: int, d: int = 4, width: int = 5
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    model = build_model(
        "mlp",
        d // 2,
        width=width,
        depth=depth,
        activation=activation,
        beta=beta,
        dtype=F64,
        seed=11,
    )
    return [layer.weight for layer in model.layers], [layer.bias for layer in model.layers[:-1]]


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_traced_formulas_match_autograd_hessian(activation: str) -> None:
    weights, biases = small_mlp(activation, 0.7, depth=3)
    act = Activation(activation, 0.7)
    x = torch.randn(6, 4, dtype=F64, generator=torch.Generator().manual_seed(0))

    def scalar(v: torch.Tensor) -> torch.Tensor:
        h = v
        for w, b in zip(weights[:-1], biases, strict=True):
            h = act(torch.nn.functional.linear(h, w, b))
        return (h @ weights[-1].T).sum()

    gradient, rows = mlp_gradient_and_hessian_rows(x, weights, biases, act, 2)
    for b in range(x.shape[0]):
        hess = torch.autograd.functional.hessian(scalar, x[b])
        grad = torch.autograd.functional.jacobian(scalar, x[b])
        assert torch.allclose(gradient[b], grad, atol=1e-13)
        assert torch.allclose(rows[:, b], hess[2:], atol=1e-12)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("depth", [1, 3])
def test_fused_node_matches_traced_values_and_gradients(activation: str, depth: int) -> None:
    weights, biases = small_mlp(activation, 0.6, depth)
    x = torch.randn(7, 4, dtype=F64, generator=torch.Generator().manual_seed(1))
    fused = fused_gradient_and_hessian_rows(x, weights, biases, activation, 0.6, 2)
    traced = mlp_gradient_and_hessian_rows(x, weights, biases, Activation(activation, 0.6), 2)
    cotangents = [torch.randn_like(t) for t in fused]
    params = weights + biases
    grads = [
        torch.autograd.grad(
            sum((o * c).sum() for o, c in zip(out, cotangents, strict=True)), params
        )
        for out in (fused, traced)
    ]
    for a, b in zip(fused, traced, strict=True):
        assert torch.allclose(a, b, atol=1e-13)
    for a, b in zip(*grads, strict=True):
        assert torch.allclose(a, b, atol=1e-12)


@pytest.mark.parametrize("activation", ["softplus", "tanh"])
def test_fused_node_gradcheck(activation: str) -> None:
    weights, biases = small_mlp(activation, 0.5, depth=2, d=6, width=3)
    x = torch.randn(4, 6, dtype=F64, generator=torch.Generator().manual_seed(2))
    n_w = len(weights)

    def rows(*params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return fused_gradient_and_hessian_rows(
            x, list(params[:n_w]), list(params[n_w:]), activation, 0.5, 3
        )

    params = tuple(p.detach().requires_grad_() for p in weights + biases)
    assert torch.autograd.gradcheck(rows, params)


def test_fused_node_refuses_double_backward() -> None:
    weights, biases = small_mlp("softplus", 1.0, depth=2)
    x = torch.randn(3, 4, dtype=F64)
    gradient, _ = fused_gradient_and_hessian_rows(x, weights, biases, "softplus", 1.0, 2)
    (g,) = torch.autograd.grad(gradient.sum(), weights[0], create_graph=True)
    with pytest.raises(RuntimeError):
        torch.autograd.grad(g.sum(), weights[0])


def test_activation_derivatives_match_autograd() -> None:
    a = torch.linspace(-4, 4, 41, dtype=F64, requires_grad=True)
    for name in ACTIVATIONS:
        act = Activation(name, 0.8)
        h, d1, d2, d3 = ACTIVATIONS[name](a, 0.8, True)
        assert torch.allclose(h, act(a))
        for lower, higher in ((h, d1), (d1, d2), (d2, d3)):
            (auto,) = torch.autograd.grad(lower.sum(), a, create_graph=True)
            assert torch.allclose(auto, higher, atol=1e-12), name


def test_chunked_inference_gives_the_same_accelerations(monkeypatch: pytest.MonkeyPatch) -> None:
    import physym.network.fused_hessian as fused

    x = torch.randn(30, 4, dtype=F64, generator=torch.Generator().manual_seed(3))
    model = build_model(
        "mlp", 2, width=6, depth=3, beta=0.5, periodic=[True, False], dtype=F64, seed=1
    )
    results = []
    for chunk in (7, 1000):
        monkeypatch.setattr(fused, "CHUNK", chunk)
        with torch.no_grad():
            results.append(model.accelerations(x))
    assert torch.allclose(results[0], results[1], rtol=1e-13, atol=0)
    assert torch.allclose(results[0], model.accelerations(x), rtol=1e-13, atol=0)


def test_worker_threads_give_the_same_values_and_gradients(monkeypatch: pytest.MonkeyPatch) -> None:
    import physym.network.fused_hessian as fused

    gen = torch.Generator().manual_seed(5)
    x = torch.rand(2500, 4, dtype=F64, generator=gen) * 2 - 1
    y = torch.randn(2500, 2, dtype=F64, generator=gen)
    results = []
    for workers in (1, 3):
        monkeypatch.setattr(fused, "WORKERS", workers)
        model = build_model("mlp", 2, width=6, depth=3, beta=0.5, dtype=F64, seed=1)
        qdd = model.accelerations(x)
        torch.mean((qdd - y) ** 2).backward()
        with torch.no_grad():
            inferred = model.accelerations(x)
        results.append(
            (
                qdd.detach(),
                inferred,
                torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None]),
            )
        )
    threads = torch.get_num_threads()
    for a, b in zip(*results, strict=True):
        assert torch.allclose(a, b, rtol=1e-12, atol=1e-12 * b.abs().max())
    assert torch.get_num_threads() == threads  # the workers' setting does not leak
