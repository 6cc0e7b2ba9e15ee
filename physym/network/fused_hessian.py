"""The closed-form MLP input Hessian as one autograd node with a hand-written backward.

Same quantities as :func:`physym.network.input_hessian.mlp_gradient_and_hessian_rows`
(the input gradient and the ``r`` velocity rows of the input Hessian, by forward tangents
and a backward sweep), same algorithm, written for speed, because it is the whole cost of
a training step. On CPU at the sizes that matter (batch 10⁴, width 32) the cost is the
number of passes over ``(B, width)`` arrays, not arithmetic, so:

* the backward (the adjoint of the forward sweep and of the gradient sweep, derived by
  hand and checked against autograd and with ``torch.autograd.gradcheck`` in the tests)
  is about 20 elementwise passes and 4 matrix products per layer, written with
  ``out=``/``addcmul`` into fresh buffers. Autograd through the same formulas records
  ~60 nodes per layer and replays them, with zero-filled slice gradients and
  accumulations of large temporaries;
* ``softplus(β·)`` is run as a ``β = 1`` network with ``β`` folded into the first
  weights, the biases and the output row (exact), so no pass is spent scaling by ``β``,
  and ``σ'' = s − s²`` and ``σ''' = σ'' − 2sσ''`` are one ``addcmul`` each;
* the last hidden layer's value ``σ(a_{D-1})`` is never formed (only its derivatives
  enter the Hessian);
* with several intra-op threads the batch is split into one part per thread, each run
  single-threaded in a worker (:func:`_workers`), and inference runs in chunks that stay
  in cache (:data:`CHUNK`).

Notation (hidden layers ``l = 0 … D-1``, ``r`` velocity directions): ``s_l = σ'(a_l)``,
``c_l = σ''(a_l)``; forward ``ȧ_0 = W_0 e_i``, ``ḣ_l = s_l ȧ_l``,
``a_{l+1} = W_{l+1} h_l + b``, ``ȧ_{l+1} = W_{l+1} ḣ_l``; gradient sweep from
``g_{D-1} = w_out``, ``ġ_{D-1} = 0``: ``p_l = s_l g_l``, ``ṗ_l = c_l g_l ȧ_l + s_l ġ_l``,
``[g_{l-1}; ġ_{l-1}] = [p_l; ṗ_l] W_l``; outputs ``g_{-1} = ∂L/∂x`` and
``ġ_{-1} = ∂²L/∂x_v∂x``.
"""

from __future__ import annotations

import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import torch
from torch.autograd.function import once_differentiable
from torch.nn import functional

from physym.network.activations import ACTIVATIONS

__all__ = ["fused_gradient_and_hessian_rows"]


def _activation(
    name: str, beta: float, a: torch.Tensor, value: bool
) -> tuple[torch.Tensor | None, torch.Tensor, torch.Tensor]:
    """``(σ(a) or None, σ'(a), σ''(a))``; softplus here is the ``β = 1`` one."""
    if name == "softplus":
        s = torch.sigmoid(a)
        return (functional.softplus(a) if value else None), s, torch.addcmul(s, s, s, value=-1.0)
    h, s, c, _ = ACTIVATIONS[name](a, beta, False)
    return h, s, c


def _third(
    name: str, beta: float, a: torch.Tensor, s: torch.Tensor, c: torch.Tensor
) -> torch.Tensor:
    """``σ'''(a)``."""
    if name == "softplus":
        return torch.addcmul(c, s, c, value=-2.0)
    return ACTIVATIONS[name](a, beta, True)[3]


def _matmul(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``(..., B, m) @ (m, p) -> (..., B, p)`` as one 2-D product."""
    return (x.reshape(-1, x.shape[-1]) @ weight).view(*x.shape[:-1], weight.shape[1])


def _flat(x: torch.Tensor) -> torch.Tensor:
    return x.reshape(-1, x.shape[-1])


def _dot_directions(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``Σ_i x_i ⊙ y_i`` over the leading axis (``y`` may broadcast in the batch)."""
    total = x[0] * y[0]
    for k in range(1, x.shape[0]):
        total.addcmul_(x[k], y[k])
    return total


#: States per chunk in inference. The sweeps touch ~14 arrays of ``(B, width)`` per layer;
#: for a batch of 16384 that is ~100 MB, beyond the caches, and every pass waits on memory.
#: Chunks of 2048 keep a chunk's working set in cache: inference at batch 16384 ran ~1.5-2x
#: faster. In a training step the saved intermediates must outlive the forward pass
#: anyway; chunking it (storing per chunk, or recomputing each chunk's sweeps before its
#: adjoint) was not faster with 2 threads, so training runs on the whole batch.
CHUNK = 2048


def _sweeps(
    x: torch.Tensor,
    weights: list[torch.Tensor],
    weights_t: list[torch.Tensor],
    biases: list[torch.Tensor],
    name: str,
    beta: float,
    r: int,
) -> tuple[torch.Tensor, torch.Tensor, list[list]]:
    """Forward tangent sweep and gradient sweep for one chunk; returns the intermediates."""
    depth = len(biases)
    a = torch.addmm(biases[0], x, weights_t[0])
    a_dot = weights_t[0][x.shape[1] - r :].unsqueeze(1)  # (r, 1, width): ȧ_0 = W_0 e_i
    layers: list[list] = []
    for layer in range(depth):
        last = layer + 1 == depth
        h, s, c = _activation(name, beta, a, value=not last)
        h_dot = None if last else s * a_dot
        layers.append([a, s, c, a_dot, h, h_dot])
        if h is not None and h_dot is not None:  # not the last layer
            a = torch.addmm(biases[layer + 1], h, weights_t[layer + 1])
            a_dot = _matmul(h_dot, weights_t[layer + 1])

    g, g_dot = weights[-1], None  # (1, width): broadcast over the batch
    for layer in reversed(range(depth)):
        _, s, c, a_dot, _, _ = layers[layer]
        pre = x.new_empty((1 + r, *s.shape))
        torch.mul(s, g, out=pre[0])
        c_g = c * g
        torch.mul(c_g, a_dot, out=pre[1:])
        if g_dot is not None:
            pre[1:].addcmul_(s, g_dot)
        layers[layer] += [g, g_dot, c_g, pre]
        out = _matmul(pre, weights[layer])
        g, g_dot = out[0], out[1:]
    assert g_dot is not None  # depth ≥ 1: the last layer's tangents
    return g, g_dot, layers


def _adjoint(
    x: torch.Tensor,
    weights: list[torch.Tensor],
    weights_t: list[torch.Tensor],
    layers: list[list],
    grad_g: torch.Tensor | None,
    grad_rows: torch.Tensor | None,
    name: str,
    beta: float,
    w_grads: list[torch.Tensor],
    b_grads: list[torch.Tensor],
) -> None:
    """Accumulate the parameter gradients of one chunk into ``w_grads`` and ``b_grads``."""
    depth = len(layers)
    r = layers[0][3].shape[0]
    g_bar = x.new_zeros((1 + r, *x.shape))  # adjoint of the outputs [g_{-1}; ġ_{-1}]
    if grad_g is not None:
        g_bar[0] = grad_g
    if grad_rows is not None:
        g_bar[1:] = grad_rows

    # ---- adjoint of the gradient sweep, l = 0 … D-1 ----
    partial = []
    for layer in range(depth):
        _, s, c, a_dot, _, _, g, g_dot, c_g, pre = layers[layer]
        w_grads[layer].addmm_(_flat(pre).T, _flat(g_bar))
        pre_bar = _matmul(g_bar, weights_t[layer])  # [p̄; ṗ̄]
        p_bar, p_dot_bar = pre_bar[0], pre_bar[1:]
        weighted = _dot_directions(p_dot_bar, a_dot)  # Σ ṗ̄_i ȧ_i
        s_bar = p_bar * g
        if g_dot is not None:
            for k in range(r):
                s_bar.addcmul_(p_dot_bar[k], g_dot[k])
        c_bar = weighted * g
        a_dot_bar = p_dot_bar * c_g
        if layer + 1 == depth:  # g_{D-1} = w_out
            g0_bar = p_bar * s
            g0_bar.addcmul_(weighted, c)
            w_grads[-1] += g0_bar.sum(0, keepdim=True)
        else:
            g_bar = x.new_empty((1 + r, *s.shape))
            torch.mul(p_bar, s, out=g_bar[0])
            g_bar[0].addcmul_(weighted, c)
            torch.mul(p_dot_bar, s, out=g_bar[1:])
        partial.append((s_bar, c_bar, a_dot_bar))

    # ---- adjoint of the forward sweep, l = D-1 … 0 ----
    a_bar_next = a_dot_bar_next = None
    for layer in reversed(range(depth)):
        a, s, c, a_dot, h, h_dot = layers[layer][:6]
        s_bar, c_bar, a_dot_bar = partial[layer]
        a_bar = c_bar * _third(name, beta, a, s, c)
        if a_bar_next is not None and a_dot_bar_next is not None and h_dot is not None:
            weight = weights[layer + 1]
            w_grads[layer + 1].addmm_(a_bar_next.T, h)
            w_grads[layer + 1].addmm_(_flat(a_dot_bar_next).T, _flat(h_dot))
            b_grads[layer + 1] += a_bar_next.sum(0)
            h_bar = a_bar_next @ weight
            h_dot_bar = _matmul(a_dot_bar_next, weight)
            a_bar.addcmul_(h_bar, s)
            for k in range(r):
                s_bar.addcmul_(h_dot_bar[k], a_dot[k])
                a_dot_bar[k].addcmul_(h_dot_bar[k], s)
        a_bar.addcmul_(s_bar, c)
        a_bar_next, a_dot_bar_next = a_bar, a_dot_bar
    # first layer: a_0 = x W_0ᵀ + b_0 and ȧ_0 = W_0 e_i
    assert a_bar_next is not None and a_dot_bar_next is not None
    w_grads[0].addmm_(a_bar_next.T, x)
    w_grads[0][:, x.shape[1] - r :] += a_dot_bar_next.sum(1).T
    b_grads[0] += a_bar_next.sum(0)


#: Split a batch over this many worker threads (each with one intra-op thread); ``None``
#: means ``torch.get_num_threads()``. See :func:`_workers`.
WORKERS: int | None = None
_MIN_PART = 1024
_POOL: tuple[int, int, ThreadPoolExecutor] | None = None  # (workers, pid, pool)


def _workers(batch: int) -> tuple[ThreadPoolExecutor | None, int]:
    """A pool of single-threaded workers, one per intra-op thread, and their number.

    With 2+ threads, splitting the batch into one part per thread and running each part
    single-threaded in its own worker beat letting every pass fork and join an OpenMP
    team (seed net, batch 16384, 2 cores: 0.093 s vs 0.117 s a training step; one thread
    alone took 0.105 s): the passes are short and memory-bound. Each worker sets its own
    thread count to 1 (thread-local in ATen's OpenMP and MKL settings); the process-wide
    default that ``torch.set_num_threads`` also records is put back right after. A pool
    inherited through ``fork`` has no threads and is replaced.
    """
    global _POOL
    n = WORKERS if WORKERS is not None else torch.get_num_threads()
    if n < 2 or batch < 2 * _MIN_PART:
        return None, 1
    if _POOL is None or _POOL[:2] != (n, os.getpid()):
        if _POOL is not None and _POOL[1] == os.getpid():
            _POOL[2].shutdown(wait=False)
        ready = threading.Barrier(n + 1)
        threads_before = torch.get_num_threads()

        def single_threaded() -> None:
            torch.set_num_threads(1)
            ready.wait()

        pool = ThreadPoolExecutor(
            n, thread_name_prefix="physym-hessian", initializer=single_threaded
        )
        for _ in range(n):
            pool.submit(int)
        ready.wait()
        torch.set_num_threads(threads_before)
        _POOL = (n, os.getpid(), pool)
    return _POOL[2], n


def _parts(batch: int, n: int) -> list[tuple[int, int]]:
    bounds = [round(k * batch / n) for k in range(n + 1)]
    return list(itertools.pairwise(bounds))


class _FusedHessianRows(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any,
        x: torch.Tensor,
        n_rows: int,
        name: str,
        beta: float,  # type: ignore[override]
        keep: bool,
        *params: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        weights, biases = list(params[0:-1:2]), list(params[1::2])
        weights.append(params[-1])
        fold = beta if name == "softplus" else 1.0
        if fold != 1.0:  # softplus_β(W x + b) = softplus(βW x + βb)/β; 1/β goes to w_out
            weights[0], weights[-1] = weights[0] * fold, weights[-1] / fold
            biases = [b * fold for b in biases]
        weights_t = [w.T.contiguous() for w in weights]  # row-major operands: faster GEMMs
        g = x.new_empty(x.shape)
        g_dot = x.new_empty((n_rows, *x.shape))

        @torch.no_grad()  # grad mode is per thread: off in forward(), on in a fresh worker
        def run(start: int, stop: int) -> list | None:
            if keep:  # whole part at once: the intermediates are kept for backward
                part = _sweeps(x[start:stop], weights, weights_t, biases, name, beta, n_rows)
                g[start:stop], g_dot[:, start:stop] = part[0], part[1]
                return part[2]
            for lo in range(start, stop, CHUNK):
                hi = min(lo + CHUNK, stop)
                g[lo:hi], g_dot[:, lo:hi], _ = _sweeps(
                    x[lo:hi], weights, weights_t, biases, name, beta, n_rows
                )
            return None

        pool, n_parts = _workers(x.shape[0])
        parts = _parts(x.shape[0], n_parts)
        if pool is None:
            layers = [run(*parts[0])]
        else:
            layers = list(pool.map(lambda part: run(*part), parts))
        if keep:
            ctx.meta = (name, beta, fold, parts)
            ctx.layers = layers  # plain intermediates: no graph, never modified in place
            ctx.save_for_backward(x, *weights, *weights_t, *biases)
        return g, g_dot

    @staticmethod
    @once_differentiable
    def backward(
        ctx: Any, grad_g: torch.Tensor | None, grad_rows: torch.Tensor | None
    ) -> tuple[torch.Tensor | None, ...]:
        name, beta, fold, parts = ctx.meta
        x, *rest = ctx.saved_tensors
        depth = (len(rest) - 2) // 3
        weights, weights_t, biases = (
            rest[: depth + 1],
            rest[depth + 1 : 2 * depth + 2],
            rest[2 * depth + 2 :],
        )

        @torch.no_grad()
        def run(index: int) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
            start, stop = parts[index]
            w_part = [torch.zeros_like(w) for w in weights]
            b_part = [torch.zeros_like(b) for b in biases]
            _adjoint(
                x[start:stop],
                weights,
                weights_t,
                ctx.layers[index],
                None if grad_g is None else grad_g[start:stop],
                None if grad_rows is None else grad_rows[:, start:stop],
                name,
                beta,
                w_part,
                b_part,
            )
            return w_part, b_part

        pool = _workers(x.shape[0])[0] if len(parts) > 1 else None
        indices = range(len(parts))
        results = list(pool.map(run, indices)) if pool else [run(k) for k in indices]
        w_grads, b_grads = results[0]
        for w_part, b_part in results[1:]:
            for total, part in zip(w_grads + b_grads, w_part + b_part, strict=True):
                total += part
        if fold != 1.0:  # back to the caller's parameters (see forward)
            w_grads[0] *= fold
            w_grads[-1] /= fold
            b_grads = [b * fold for b in b_grads]
        grads: list[torch.Tensor | None] = [None, None, None, None, None]
        for k in range(depth):
            grads += [w_grads[k], b_grads[k]]
        grads.append(w_grads[-1])
        return tuple(grads)


def fused_gradient_and_hessian_rows(
    inputs: torch.Tensor,
    weights: list[torch.Tensor],
    biases: list[torch.Tensor],
    activation_name: str,
    beta: float,
    n_rows: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Input gradient ``(B, d)`` and velocity Hessian rows ``(r, B, d)`` of a scalar MLP.

    Parameters
    ----------
    inputs : torch.Tensor, ``(B, d)``
        Network inputs (not differentiated: use the traced version for input gradients).
    weights : list of tensors
        ``W_0 (width, d), W_1 … W_{D-1} (width, width), W_out (1, width)``.
    biases : list of tensors
        ``b_0 … b_{D-1}`` (the output bias does not matter).
    activation_name : str
        A key of :data:`physym.network.activations.ACTIVATIONS`.
    beta : float
        Softplus sharpness.
    n_rows : int
        The last ``n_rows`` inputs are the velocities.

    Returns
    -------
    gradient : ``(B, d)``
    hessian_rows : ``(n_rows, B, d)``
    """
    params: list[torch.Tensor] = []
    for weight, bias in zip(weights[:-1], biases, strict=True):
        params += [weight, bias]
    params.append(weights[-1])
    # `keep` (save intermediates for a backward) is decided here: inside forward() grad
    # mode is always off, and needs_input_grad is set even under torch.no_grad()
    keep = torch.is_grad_enabled() and any(p.requires_grad for p in params)
    return _FusedHessianRows.apply(inputs.detach(), n_rows, activation_name, beta, keep, *params)
