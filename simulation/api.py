"""The public entry point: scenario in, :class:`~simulation.results.Results` out."""

from __future__ import annotations

from simulation.engine import ProgressCallback, Simulation
from simulation.random_streams import RandomStreams
from simulation.results import Results
from simulation.scenario import Scenario
from simulation.targeting import TargetingPolicy
from simulation.world import build_world


def simulate(
    scenario: Scenario,
    *,
    progress: ProgressCallback | None = None,
    targeting: TargetingPolicy | None = None,
) -> Results:
    """Simulate multichannel, omnichannel and the custom plan in lockstep.

    Parameters
    ----------
    scenario:
        Every parameter, including ``seed``; the same scenario gives the same numbers.
    progress:
        Optional ``callback(fraction_done, message)`` called about 50 times per run.
    targeting:
        Who receives targeted offers; defaults to random targeting.
    """
    streams = RandomStreams(scenario.seed)
    world = build_world(scenario, streams)
    run = Simulation(world, streams, targeting).run(progress)
    return Results.from_run(run)
