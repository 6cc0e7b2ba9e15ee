"""Stages of a fit on their own: the data source, and an evaluation that fails is recorded
while the fit goes on."""

from __future__ import annotations

import torch

from physym import load_system
from physym.config import RunConfig
from physym.network import build_model
from physym.run.context import RunContext
from physym.run.sources import MeasuredPositions, SampledStates, source_for
from physym.run.stages.data import data_stage
from physym.run.stages.evaluate import rollout_stage

PENDULUM = load_system("pendulum")


def _context(tmp_path, **settings):
    config = RunConfig.from_dict(
        {
            "system": "pendulum",
            "samples": 200,
            "rollout_states": 2,
            "rollout_t_end": 0.2,
            "energy_states": 2,
            "energy_t_end": 0.2,
            **settings,
        }
    )
    return RunContext(config=config, system=PENDULUM, run_dir=tmp_path, source=source_for(config))


def test_the_data_source_is_chosen_by_the_config_and_sets_the_noise_floor(tmp_path):
    ctx = _context(tmp_path, noise=0.02)
    assert isinstance(ctx.source, SampledStates)
    data_stage(ctx)
    assert ctx.data is not None and len(ctx.dataset) == 200
    assert ctx.data.noise_floor == 1.5 * 0.02  # the synthetic level, with the margin
    assert (tmp_path / "data.npz").is_file()
    measured = RunConfig.from_dict({"data": "x.csv", "coordinates": ["x"]})
    assert isinstance(source_for(measured), MeasuredPositions)


def test_an_evaluation_that_raises_is_recorded_and_the_fit_goes_on(tmp_path):
    ctx = _context(tmp_path)
    data_stage(ctx)
    # a network of the wrong size for this system: every call of it raises
    ctx.model = build_model("structured", 2, width=4, depth=1, dtype=torch.float64)
    rollout_stage(ctx)  # no exception
    failed = ctx.summary["rollout"]["failed"]
    assert failed.split(":")[0].endswith("Error") and "\n" not in failed


def test_rollouts_of_a_working_network_fill_the_summary_and_the_arrays(tmp_path):
    ctx = _context(tmp_path)
    data_stage(ctx)
    ctx.model = build_model(
        "structured", 1, width=4, depth=1, dtype=torch.float64, periodic=[True], seed=0
    )
    rollout_stage(ctx)
    rollout = ctx.summary["rollout"]
    assert rollout["n_initial_states"] == 2 and rollout["horizon_s"] == 0.2
    assert rollout["energy_metric"]["n_states"] == 2
    assert rollout["energy_metric"]["ic_box"]["theta_dot"] == list(PENDULUM.sampling["theta_dot"])
    assert ctx.rollout is not None and ctx.rollout["predicted"].shape == (21, 2, 2)
