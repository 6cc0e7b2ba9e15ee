"""The one home of physym's figures: drawing primitives and the figures of a run.

Every ``plot_*`` / ``draw_*`` function draws on a given Axes (pyplot is imported only to
create one); ``save_*`` draws on a bare Agg figure and writes the PNG atomically. Figures
of a run are drawn from the arrays the run saved (:mod:`physym.figures.run_figures`).
"""

from physym.figures.drawing import (
    learning_curves,
    loss_curves,
    plot_acceleration_scatter,
    plot_coordinate_errors,
    plot_energy,
    plot_loss,
    plot_trajectories,
    save_figure,
)

__all__ = [
    "learning_curves",
    "loss_curves",
    "plot_acceleration_scatter",
    "plot_coordinate_errors",
    "plot_energy",
    "plot_loss",
    "plot_trajectories",
    "save_figure",
]
