"""The app's runs: split so a slider re-simulates as little as it must.

* Multichannel (all capabilities 0) and omnichannel (all 1) do not depend on the custom plan,
  and with common random numbers a plan's numbers do not depend on which plans run beside it.
  So the standard plans are cached per scenario-without-custom-plan and the custom plan apart;
  moving a capability slider then runs the custom plan alone. When the standard plans must be
  run, the current custom plan runs in the same lockstep run (one run of three plans costs less
  than a run of two and a run of one) and is kept beside them.
* Market size, gross margin and capability costs only value a run (:mod:`simulation.valuation`),
  so runs are cached on the scenario without them and valued at the scenario's prices
  afterwards, without simulating again.

The custom plan's NPV gain, ROI and payback are measured against multichannel when the parts
are joined. ``tests/explorer/test_runs.py`` checks that the joined parts equal one
:func:`simulation.simulate` run exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from simulation import Scenario, Strategy, revalue, simulate_plans
from simulation.metrics import baseline_comparison
from simulation.results import Results
from simulation.scenario import CapabilityLevels
from simulation.valuation import simulated_part, with_prices_of

ProgressCallback = Callable[[float, str], None]

STANDARD = [Strategy.MULTICHANNEL.value, Strategy.OMNICHANNEL.value]
CUSTOM = [Strategy.CUSTOM.value]
_FRAMES = ("weekly", "survival", "funnel", "flows", "losses", "channel_usage", "mechanisms")
_NEUTRAL_PLAN = CapabilityLevels.uniform(0.0)


def _without_custom_plan(scenario: Scenario) -> Scenario:
    return scenario.replace(custom_plan=_NEUTRAL_PLAN)


def standard_key(scenario: Scenario) -> str:
    """Canonical key of everything the standard plans' simulation depends on (the custom plan
    blanked, valuation parameters fixed)."""
    return _without_custom_plan(simulated_part(scenario)).canonical_key()


def custom_key(scenario: Scenario) -> str:
    """Canonical key of everything the custom plan's simulation depends on."""
    return simulated_part(scenario).canonical_key()


def standard_prices_key(scenario: Scenario) -> str:
    """Canonical key of everything the valued standard plans depend on (the custom plan blanked)."""
    return _without_custom_plan(scenario).canonical_key()


@dataclass(frozen=True)
class LockstepRun:
    """The standard plans' run, and the custom plan that ran in lockstep with them."""

    standard: Results
    custom: Results
    custom_key: str
    """:func:`custom_key` of the scenario the custom plan ran in."""


def run_standard(scenario: Scenario, custom_plan: CapabilityLevels,
                 progress: ProgressCallback | None = None) -> LockstepRun:
    """Multichannel, omnichannel and ``custom_plan`` in one lockstep run, split into the standard
    part and the custom part (per-person data kept for pricing; segmentation left to pricing)."""
    with_custom = scenario.replace(custom_plan=custom_plan)
    results = simulate_plans(with_custom, None, progress=progress, segments=False)
    return LockstepRun(standard=_select(results, STANDARD), custom=_select(results, CUSTOM),
                       custom_key=custom_key(with_custom))


def run_custom(scenario: Scenario, progress: ProgressCallback | None = None) -> Results:
    """The custom plan alone (its baseline-relative KPIs are filled in by :func:`join`)."""
    return simulate_plans(scenario, {CUSTOM[0]: scenario.custom_plan}, progress=progress,
                          segments=False)


def value_standard(standard: Results, scenario: Scenario) -> Results:
    """The standard plans' run valued at ``scenario``'s prices, engine arrays dropped and
    per-person table kept (smaller to cache)."""
    return _detached(revalue(standard, with_prices_of(standard.scenario, scenario), segments=True))


def value_custom(custom: Results, scenario: Scenario) -> Results:
    """The custom plan's run valued at ``scenario``'s prices."""
    return revalue(custom, with_prices_of(custom.scenario, scenario), segments=True)


def custom_part(lockstep: LockstepRun, scenario: Scenario) -> Results | None:
    """The custom plan's run from ``lockstep`` if it ran ``scenario``'s custom plan, else None
    (then :func:`run_custom` runs it alone)."""
    return lockstep.custom if lockstep.custom_key == custom_key(scenario) else None


def priced(lockstep: LockstepRun, custom: Results | None, scenario: Scenario) -> Results:
    """The three strategies of ``scenario`` at its prices, uncached: the standard plans from
    ``lockstep``, the custom plan from it too when it ran ``scenario``'s, else ``custom`` (from
    :func:`run_custom`). Engine arrays dropped, per-person table kept."""
    custom = custom_part(lockstep, scenario) or custom
    if custom is None:
        raise ValueError("the custom plan of this scenario has not been run")
    return join(value_standard(lockstep.standard, scenario), value_custom(custom, scenario))


def _select(results: Results, names: list[str]) -> Results:
    """The plans ``names`` of a run, as if they had run alone."""
    assert results.run is not None
    extras = {}
    report = results.extras.get("personalization")
    if report is not None:
        extras["personalization"] = report[report["strategy"].isin(names)].reset_index(drop=True)
    return Results.from_run(results.run.plans(names), extras)


def join(standard: Results, custom: Results) -> Results:
    """One :class:`Results` for the three strategies from the two partial runs."""
    frames = {name: pd.concat([getattr(standard, name), getattr(custom, name)], ignore_index=True)
              for name in _FRAMES}
    kpis = pd.concat([standard.kpis, custom.kpis])
    relative = baseline_comparison(
        frames["weekly"], baseline=Strategy.MULTICHANNEL.value,
        weekly_discount_rate=custom.scenario.weekly_discount_rate,
    )
    kpis.loc[Strategy.CUSTOM.value, relative.columns] = relative.loc[Strategy.CUSTOM.value]
    extras = {
        name: pd.concat([standard.extras[name], frame], ignore_index=True)
        for name, frame in custom.extras.items() if name in standard.extras
    }
    joined = Results(scenario=custom.scenario, kpis=kpis, extras=extras, **frames)
    _prime_customers(joined, pd.concat([standard.customers, custom.customers], ignore_index=True))
    return joined


def _detached(results: Results) -> Results:
    """A copy without the engine's arrays that still has ``customers``."""
    kept = Results(scenario=results.scenario, kpis=results.kpis, extras=dict(results.extras),
                   **{name: getattr(results, name) for name in _FRAMES})
    _prime_customers(kept, results.customers)
    return kept


def _prime_customers(results: Results, customers: pd.DataFrame) -> None:
    # ``Results.customers`` is a cached_property computed from the engine state; storing the
    # table in the instance dict is how a cached_property is pre-filled (frozen only blocks
    # attribute assignment).
    vars(results)["customers"] = customers
