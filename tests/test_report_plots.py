"""Plot helpers of the report: layouts of metrics.json, and Axes in, Axes out."""

from __future__ import annotations

import numpy as np
import pytest

from physym.figures.drawing import (
    loss_curves,
    plot_coordinate_errors,
    plot_energy,
    plot_loss,
    plot_trajectories,
    save_figure,
)


@pytest.mark.parametrize(
    "metrics",
    [
        {"epoch": [1, 2, 3], "train_loss": [3.0, 2.0, 1.0], "val_loss": [3.5, 2.5, 1.5]},
        [
            {"epoch": i, "train_loss": t, "val_loss": v}
            for i, t, v in [(1, 3.0, 3.5), (2, 2.0, 2.5), (3, 1.0, 1.5)]
        ],
        {
            "epochs": [
                {"epoch": 1, "train_loss": 3.0, "val_loss": 3.5},
                {"epoch": 2, "train_loss": 2.0, "val_loss": 2.5},
                {"epoch": 3, "train_loss": 1.0, "val_loss": 1.5},
            ],
            "best_epoch": 3,
        },
    ],
)
def test_loss_curves_read_every_layout(metrics):
    curves = loss_curves(metrics)
    assert sorted(curves) == ["train_loss", "val_loss"]
    np.testing.assert_array_equal(curves["train_loss"], [3.0, 2.0, 1.0])


def test_loss_curves_ignore_what_is_not_a_curve():
    assert loss_curves({"note": "x", "lr": [0.1, 0.2]}) == {}
    assert loss_curves("nonsense") == {}
    curves = loss_curves([{"epoch": 1, "loss": 1.0}, {"epoch": 2, "loss": None}])
    assert np.isnan(curves["loss"][1])


def test_helpers_draw_on_given_axes(tmp_path):
    from matplotlib.figure import Figure

    t = np.linspace(0, 1, 11)
    exact = np.stack([np.cos(t), -np.sin(t)], axis=1)
    ax = Figure().add_subplot()
    assert plot_trajectories(t, exact, ["q"], recovered=exact + 1e-3, ax=ax) is ax
    assert len(ax.lines) == 2
    ax = Figure().add_subplot()
    wrapped = exact.copy()
    wrapped[:, 0] += 2 * np.pi
    plot_coordinate_errors(
        t, exact, {"recovered": wrapped, "network": None}, ["q"], periodic=["q"], ax=ax
    )
    assert ax.lines[0].get_ydata().max() < 1e-12  # 2π apart is the same angle
    ax = Figure().add_subplot()
    plot_energy(t, {"exact": np.full(11, 2.0)}, reference=2.0, ax=ax)
    assert np.all(ax.lines[0].get_ydata() == 0)
    ax = Figure().add_subplot()
    assert plot_loss({"loss": np.array([1.0, 0.1])}, ax=ax).get_yscale() == "log"
    path = save_figure(tmp_path / "f.png", lambda fig: fig.add_subplot().plot([0, 1]))
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_pyplot_is_used_only_without_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = plot_loss({"loss": np.array([1.0, 0.5])})
    assert ax.figure in [plt.figure(n) for n in plt.get_fignums()]
    plt.close("all")
