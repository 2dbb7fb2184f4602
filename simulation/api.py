"""The public entry point: scenario in, :class:`~simulation.results.Results` out."""

from __future__ import annotations

from collections.abc import Mapping

from simulation.engine import ProgressCallback, Simulation
from simulation.random_streams import RandomStreams
from simulation.results import Results
from simulation.scenario import CapabilityLevels, Scenario
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
    return simulate_plans(scenario, None, progress=progress, targeting=targeting)


def simulate_plans(
    scenario: Scenario,
    plans: Mapping[str, CapabilityLevels] | None,
    *,
    progress: ProgressCallback | None = None,
    targeting: TargetingPolicy | None = None,
) -> Results:
    """Simulate any set of capability plans in lockstep on the same people and draws.

    ``plans`` maps a name to capability levels (``None``: the three standard strategies); the
    first plan is the baseline of ``npv_gain``, ``roi`` and ``payback_week``. A plan's numbers do
    not depend on which other plans run beside it (common random numbers), so e.g. the 64
    capability subsets of a Shapley decomposition can be run as one batch.
    """
    streams = RandomStreams(scenario.seed)
    world = build_world(scenario, streams, plans)
    run = Simulation(world, streams, targeting).run(progress)
    return Results.from_run(run)
