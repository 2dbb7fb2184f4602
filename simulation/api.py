"""The public entry point: scenario in, :class:`~simulation.results.Results` out."""

from __future__ import annotations

from collections.abc import Mapping

from simulation.engine import ProgressCallback, Simulation
from simulation.personalization import PersonalizedTargeting, price_report
from simulation.random_streams import RandomStreams
from simulation.results import Results
from simulation.scenario import CapabilityLevels, Scenario
from simulation.segmentation import SEGMENT_FRAMES, segment_frames
from simulation.targeting import TargetingPolicy
from simulation.valuation import revalue_run
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
        Who receives targeted offers; defaults to a fresh
        :class:`~simulation.personalization.PersonalizedTargeting` (models trained on the data
        each plan's ``identity`` level allows). Pass
        ``PersonalizedTargeting(mode=TargetingMode.RANDOM)`` for random offers with the same
        report, or :class:`~simulation.targeting.RandomTargeting` for random offers alone.
    """
    return simulate_plans(scenario, None, progress=progress, targeting=targeting)


def simulate_plans(
    scenario: Scenario,
    plans: Mapping[str, CapabilityLevels] | None,
    *,
    progress: ProgressCallback | None = None,
    targeting: TargetingPolicy | None = None,
    segments: bool = True,
) -> Results:
    """Simulate any set of capability plans in lockstep on the same people and draws.

    ``plans`` maps a name to capability levels (``None``: the three standard strategies); the
    first plan is the baseline of ``npv_gain``, ``roi`` and ``payback_week``. A plan's numbers do
    not depend on which other plans run beside it (common random numbers), so e.g. the 64
    capability subsets of a Shapley decomposition can be run as one batch. ``segments=False``
    skips the customer segmentation (``extras["segments"]``), which analyses that only read
    KPIs do not need.
    """
    streams = RandomStreams(scenario.seed)
    world = build_world(scenario, streams, plans)
    policy = targeting if targeting is not None else PersonalizedTargeting()
    run = Simulation(world, streams, policy).run(progress)
    extras = {}
    report = getattr(policy, "report", None)
    if callable(report):
        extras["personalization"] = report()
    if segments:
        extras.update(segment_frames(run))
    return Results.from_run(run, extras)


def revalue(results: Results, scenario: Scenario, *, segments: bool | None = None) -> Results:
    """``results`` at the prices of ``scenario``, without simulating again.

    ``scenario`` may differ from ``results.scenario`` only in valuation parameters (market size,
    gross margin, the capabilities' one-off and running costs; :mod:`simulation.valuation`); the
    outcome equals a fresh :func:`simulate_plans` of ``scenario`` with the same plans (to float
    rounding where the market size changes). Needs the per-person data of the run
    (``results.run``); raises ``ValueError`` otherwise or for any other difference.
    ``segments``: recompute the customer segmentation if ``results`` has one (``None``), always
    (``True``) or never (``False``).
    """
    if results.run is None:
        raise ValueError("these results kept no per-person data to value again")
    run = revalue_run(results.run, scenario)
    extras = {name: frame for name, frame in results.extras.items()
              if name not in SEGMENT_FRAMES}
    if "personalization" in extras:
        extras["personalization"] = price_report(extras["personalization"], scenario,
                                                 scale_from=results.scenario.scale)
    if segments or (segments is None and SEGMENT_FRAMES[0] in results.extras):
        extras.update(segment_frames(run))
    return Results.from_run(run, extras)
