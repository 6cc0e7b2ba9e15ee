"""Input features of the coordinates: ``q`` as is, or ``(sin q, cos q)`` for angles.

An angle ``θ`` and ``θ + 2π`` are the same configuration; feeding ``(sin θ, cos θ)`` to
the network makes the learned Lagrangian periodic by construction. The embedding acts on
the coordinates only, never on the velocities, so the velocity rows of the Hessian need
nothing but its first derivative (the chain rule through a first layer).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["CoordinateEmbedding", "TimeFeature"]


class CoordinateEmbedding:
    """Features of ``q``: plain coordinates first, then ``sin`` and ``cos`` of the periodic ones.

    Parameters
    ----------
    n_dof : int
        Number of coordinates ``n``.
    periodic : sequence of bool, optional
        ``periodic[j]`` embeds coordinate ``j`` as ``(sin q_j, cos q_j)``. Default: none.

    Examples
    --------
    >>> emb = CoordinateEmbedding(2, periodic=[True, False])
    >>> emb.n_features
    3
    >>> emb.features(torch.tensor([[0.0, 5.0]])).tolist()
    [[5.0, 0.0, 1.0]]
    """

    def __init__(self, n_dof: int, periodic: Sequence[bool] | None = None):
        self.n_dof = int(n_dof)
        flags = [False] * self.n_dof if periodic is None else [bool(p) for p in periodic]
        if len(flags) != self.n_dof:
            raise ValueError(f"periodic has {len(flags)} entries for {self.n_dof} coordinates")
        self.periodic = tuple(flags)
        self.plain_index = [j for j, p in enumerate(flags) if not p]
        self.angle_index = [j for j, p in enumerate(flags) if p]
        n_plain, n_angle = len(self.plain_index), len(self.angle_index)
        self.n_features = n_plain + 2 * n_angle
        # column of the feature of each coordinate (sin column for angles)
        self._column = {j: c for c, j in enumerate(self.plain_index)}
        self._column.update({j: n_plain + c for c, j in enumerate(self.angle_index)})
        self._n_plain, self._n_angle = n_plain, n_angle

    def features(self, q: torch.Tensor) -> torch.Tensor:
        """``(..., n) -> (..., n_features)``."""
        if not self.angle_index:
            return q
        angles = q[..., self.angle_index]
        parts = [torch.sin(angles), torch.cos(angles)]
        if self.plain_index:
            parts.insert(0, q[..., self.plain_index])
        return torch.cat(parts, dim=-1)

    def linear_tangents(self, q: torch.Tensor, weight: torch.Tensor) -> list[torch.Tensor]:
        """``∂(W e(q))/∂q_j`` for each coordinate ``j``.

        Parameters
        ----------
        q : torch.Tensor, ``(B, n)``
        weight : torch.Tensor, ``(width, n_features)``
            The columns of a first linear layer that act on these features.

        Returns
        -------
        list of ``n`` tensors, each ``(width,)`` (a constant, for plain coordinates) or
        ``(B, width)`` (angles: ``W_sin cos q_j − W_cos sin q_j``).
        """
        tangents = []
        for j in range(self.n_dof):
            col = self._column[j]
            if not self.periodic[j]:
                tangents.append(weight[:, col])
                continue
            qj = q[:, j : j + 1]
            w_sin, w_cos = weight[:, col], weight[:, col + self._n_angle]
            tangents.append(torch.cos(qj) * w_sin - torch.sin(qj) * w_cos)
        return tangents

    def pullback(self, q: torch.Tensor, feature_grad: torch.Tensor) -> torch.Tensor:
        """Chain rule through the embedding: ``∂f/∂e (..., B, n_features) -> ∂f/∂q (..., B, n)``.

        Parameters
        ----------
        q : torch.Tensor, ``(B, n)``
        feature_grad : torch.Tensor, ``(..., B, n_features)``
        """
        if not self.angle_index:
            return feature_grad
        columns = []
        for j in range(self.n_dof):
            col = self._column[j]
            if not self.periodic[j]:
                columns.append(feature_grad[..., col])
                continue
            qj = q[:, j]
            g_sin, g_cos = feature_grad[..., col], feature_grad[..., col + self._n_angle]
            columns.append(g_sin * torch.cos(qj) - g_cos * torch.sin(qj))
        return torch.stack(columns, dim=-1)


class TimeFeature:
    """``t`` as a network input: mapped onto ``[−1, 1]`` over the sampled range ``[t0, t1]``
    (as is without a range), so that a drive over the whole range is a feature of unit
    size whatever the units of time.

    Examples
    --------
    >>> TimeFeature((0.0, 4.0))(torch.tensor([[0.0], [4.0]])).tolist()
    [[-1.0], [1.0]]
    """

    def __init__(self, time_range: Sequence[float] | None = None):
        t0, t1 = (float(v) for v in time_range) if time_range is not None else (-1.0, 1.0)
        if not t1 > t0:
            raise ValueError(f"time_range must be increasing, got {time_range}")
        self.time_range = None if time_range is None else (t0, t1)
        self.centre, self.half_width = (t0 + t1) / 2, (t1 - t0) / 2

    def __call__(self, t: torch.Tensor) -> torch.Tensor:
        return (t - self.centre) / self.half_width
