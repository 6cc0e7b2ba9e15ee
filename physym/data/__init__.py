"""Data: sampled states, exact trajectories, noise and splits, and a user's own data.

``sample_states`` / ``make_dataset`` draw states from a system's box with exact
accelerations; ``simulate`` integrates exact trajectories (DOP853, tight tolerances) and
reports energy drift; ``integrate`` does the same for any batched acceleration function (a
learned model); ``load_samples`` / ``load_positions`` / ``estimate_derivatives`` read
measured data; ``load_measured_positions`` / ``estimate_states`` turn positions over time
(one or several trajectories) into training data for ``physym fit --data``, and
``simulate_positions`` / ``write_positions_csv`` make such files from a known system.
"""

from physym.data.dataset import Dataset, make_dataset, split_indices
from physym.data.derivatives import estimate_derivatives, estimate_noise, smooth_positions
from physym.data.errors import DataError, IntegrationError
from physym.data.integrate import integrate
from physym.data.measured import MeasuredPositions, load_measured_positions
from physym.data.plotting import plot_trajectory, save_trajectory_plot
from physym.data.rhs import exact_state_accelerations
from physym.data.sampling import sample_states, sample_time_and_inputs
from physym.data.scales import energy_scale, minimum_energy_state, natural_period
from physym.data.signals import InputSignal
from physym.data.simulate import simulate, simulate_many
from physym.data.smoothing_window import choose_savgol_filter
from physym.data.state_estimate import StateEstimate, estimate_states, measured_dataset
from physym.data.synthetic_positions import (
    SimulatedPositions,
    simulate_positions,
    write_positions_csv,
)
from physym.data.tables import Table, read_table
from physym.data.trajectory import Trajectory
from physym.data.user_data import (
    acceleration_names,
    dataset_from_positions,
    load_positions,
    load_samples,
)

__all__ = [
    "DataError",
    "Dataset",
    "InputSignal",
    "IntegrationError",
    "MeasuredPositions",
    "SimulatedPositions",
    "StateEstimate",
    "Table",
    "Trajectory",
    "acceleration_names",
    "choose_savgol_filter",
    "dataset_from_positions",
    "energy_scale",
    "estimate_derivatives",
    "estimate_noise",
    "estimate_states",
    "exact_state_accelerations",
    "integrate",
    "load_measured_positions",
    "load_positions",
    "load_samples",
    "make_dataset",
    "measured_dataset",
    "minimum_energy_state",
    "natural_period",
    "plot_trajectory",
    "read_table",
    "sample_states",
    "sample_time_and_inputs",
    "save_trajectory_plot",
    "simulate",
    "simulate_many",
    "simulate_positions",
    "smooth_positions",
    "split_indices",
    "write_positions_csv",
]
