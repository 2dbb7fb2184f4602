"""The public entry point: scenario in, :class:`~simulation.core.results.Results` out."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from simulation.core.engine import POPULATION_DRAWS, Simulation
from simulation.core.personalization import PersonalizedTargeting, price_report
from simulation.core.plan_threads import plan_groups, run_groups
from simulation.core.random_streams import RandomStreams, SharedPopulationDraws
from simulation.core.results import Results
from simulation.core.scenario import CapabilityLevels, Scenario
from simulation.core.segmentation import SEGMENT_FRAMES, segment_frames
from simulation.core.state import ProgressCallback, RunOutput
from simulation.core.targeting import TargetingPolicy
from simulation.core.valuation import revalue_run
from simulation.core.world import World, build_world


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
        :class:`~simulation.core.personalization.PersonalizedTargeting` (models trained on the data
        each plan's ``identity`` level allows). Pass
        ``PersonalizedTargeting(mode=TargetingMode.RANDOM)`` for random offers with the same
        report, or :class:`~simulation.core.targeting.RandomTargeting` for random offers alone.
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

    ``plans`` maps a name to capability levels (``None``: the three standard plans); the
    first plan is the baseline of ``npv_gain``, ``roi`` and ``payback_week``. A plan's numbers do
    not depend on which other plans run beside it (common random numbers), so e.g. the 64
    capability subsets of a Shapley decomposition can be run as one batch. ``segments=False``
    skips the customer segmentation (``extras["segments"]``), which analyses that only read
    KPIs do not need.
    """
    part = run_plans(scenario, plans, progress=progress, targeting=targeting)
    return valued(part, scenario, segments=segments)


@dataclass(frozen=True)
class UnvaluedRun:
    """A finished run and the policy's report, before any result frame is computed.

    What :func:`valued` turns into :class:`Results` at any prices; apps that value one run at
    several prices, or split it by plan (:meth:`plans`), keep this instead of ``Results``.
    """

    run: RunOutput
    extras: dict[str, pd.DataFrame] = field(default_factory=dict)
    """The targeting policy's report (``"personalization"``), if it gives one."""

    def plans(self, names: list[str]) -> UnvaluedRun:
        """The plans ``names`` only, as if they had run alone."""
        extras = dict(self.extras)
        report = extras.get("personalization")
        if report is not None:
            extras["personalization"] = report[report["strategy"].isin(names)].reset_index(drop=True)
        return UnvaluedRun(run=self.run.plans(names), extras=extras)

    def joined(self, other: UnvaluedRun) -> UnvaluedRun:
        """The plans of this run then ``other``'s (same scenario), as if they had run together."""
        extras = dict(self.extras)
        for name, frame in other.extras.items():
            extras[name] = (pd.concat([extras[name], frame], ignore_index=True)
                            if name in extras else frame)
        return UnvaluedRun(run=self.run.joined(other.run), extras=extras)


def run_plans(
    scenario: Scenario,
    plans: Mapping[str, CapabilityLevels] | None,
    *,
    progress: ProgressCallback | None = None,
    targeting: TargetingPolicy | None = None,
) -> UnvaluedRun:
    """The simulation of :func:`simulate_plans` alone: the run and the policy's report.

    With more than one thread (:func:`~simulation.core.kernels.threads.set_threads`, the CLI's
    ``--threads``, ``OMNICHANNEL_THREADS``) and the default targeting, a large run's plans are
    split over threads (:mod:`simulation.core.plan_threads`): the same numbers, sooner.
    """
    streams = RandomStreams(scenario.seed)
    world = build_world(scenario, streams, plans)
    groups = plan_groups(len(world.plan_names), world.n_people) if targeting is None else []
    if len(groups) > 1:
        # The groups' whole-population draws are taken once, by one thread, for all of them.
        shared = SharedPopulationDraws(RandomStreams(scenario.seed), POPULATION_DRAWS, world.n_people,
                                       scenario.market.horizon_weeks, readers=len(groups))
        try:
            parts = [UnvaluedRun(run=run, extras=extras)  # type: ignore[arg-type]
                     for run, extras in run_groups(world, groups, functools.partial(_run_group, shared),
                                                   progress)]
        finally:
            shared.close()
        joined = parts[0]
        for part in parts[1:]:
            joined = joined.joined(part)
        return joined
    policy = targeting if targeting is not None else PersonalizedTargeting()
    run = Simulation(world, streams, policy).run(progress)
    report = getattr(policy, "report", None)
    return UnvaluedRun(run=run, extras={"personalization": report()} if callable(report) else {})


def _run_group(shared: SharedPopulationDraws, group: int, world: World,
               progress: ProgressCallback) -> tuple[RunOutput, dict[str, object]]:
    """Group ``group``'s run with the default targeting, reading the whole-population draws from ``shared``.

    Its other draws are hashed from the seed (:meth:`RandomStreams.uniform`), so every draw is
    the same as in one run.
    """
    policy = PersonalizedTargeting()
    reader = shared.reader(group)
    try:
        run = Simulation(world, RandomStreams(world.scenario.seed), policy, shared_draws=reader).run(progress)
    finally:
        reader.close()  # also if the run failed before reading: the other groups must not wait for it
    return run, {"personalization": policy.report()}


def valued(part: UnvaluedRun, scenario: Scenario, *, segments: bool = True) -> Results:
    """The result frames of ``part`` at the prices of ``scenario``.

    ``scenario`` may differ from the run's only in valuation parameters (see :func:`revalue`);
    the customer segmentation is included if ``segments``.
    """
    run = revalue_run(part.run, scenario)
    extras = dict(part.extras)
    if "personalization" in extras:
        extras["personalization"] = price_report(extras["personalization"], scenario,
                                                 scale_from=part.run.world.scenario.scale)
    if segments:
        extras.update(segment_frames(run))
    return Results.from_run(run, extras)


def revalue(results: Results, scenario: Scenario, *, segments: bool | None = None) -> Results:
    """``results`` at the prices of ``scenario``, without simulating again.

    ``scenario`` may differ from ``results.scenario`` only in valuation parameters (market size,
    gross margin, the capabilities' one-off and running costs; :mod:`simulation.core.valuation`); the
    outcome equals a fresh :func:`simulate_plans` of ``scenario`` with the same plans (to float
    rounding where the market size changes). Needs the per-person data of the run
    (``results.run``); raises ``ValueError`` otherwise or for any other difference.
    ``segments``: recompute the customer segmentation if ``results`` has one (``None``), always
    (``True``) or never (``False``).
    """
    if results.run is None:
        raise ValueError("these results kept no per-person data to value again")
    extras = {name: frame for name, frame in results.extras.items()
              if name not in SEGMENT_FRAMES}
    if segments is None:
        segments = SEGMENT_FRAMES[0] in results.extras
    return valued(UnvaluedRun(run=results.run, extras=extras), scenario, segments=segments)
