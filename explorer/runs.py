"""Splitting a scenario's run so moving the custom plan re-simulates only the custom plan.

Multichannel (all capabilities 0) and omnichannel (all 1) do not depend on the custom plan, and
with common random numbers a plan's numbers do not depend on which plans run beside it. So the
two standard plans are run (and cached) once per scenario-without-custom-plan, the custom plan
on its own, and the results are joined; the custom plan's NPV gain, ROI and payback are then
measured against multichannel. ``tests/explorer/test_runs.py`` checks the join equals one
:func:`simulation.simulate` run exactly.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from simulation import Scenario, Strategy, simulate_plans
from simulation.metrics import baseline_comparison
from simulation.results import Results
from simulation.scenario import CapabilityLevels

ProgressCallback = Callable[[float, str], None]

STANDARD = (Strategy.MULTICHANNEL, Strategy.OMNICHANNEL)
_FRAMES = ("weekly", "survival", "funnel", "flows", "losses", "channel_usage", "mechanisms")
_NEUTRAL_PLAN = CapabilityLevels.uniform(0.0)


def standard_key(scenario: Scenario) -> str:
    """Canonical key of everything the standard plans depend on (the custom plan blanked)."""
    return scenario.replace(custom_plan=_NEUTRAL_PLAN).canonical_key()


def run_standard(scenario: Scenario, progress: ProgressCallback | None = None) -> Results:
    """Multichannel and omnichannel in lockstep, per-person table kept, engine state dropped."""
    plans = {s.value: scenario.plan(s) for s in STANDARD}
    return _detached(simulate_plans(scenario, plans, progress=progress))


def run_custom(scenario: Scenario, progress: ProgressCallback | None = None) -> Results:
    """The custom plan alone (its baseline-relative KPIs are filled in by :func:`join`)."""
    plans = {Strategy.CUSTOM.value: scenario.custom_plan}
    return _detached(simulate_plans(scenario, plans, progress=progress))


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
    """A copy without the engine's arrays (smaller to cache) that still has ``customers``."""
    customers = results.customers
    kept = Results(
        scenario=results.scenario, kpis=results.kpis, extras=dict(results.extras),
        **{name: getattr(results, name) for name in _FRAMES},
    )
    _prime_customers(kept, customers)
    return kept


def _prime_customers(results: Results, customers: pd.DataFrame) -> None:
    # ``Results.customers`` is a cached_property computed from the engine state; storing the
    # table in the instance dict is how a cached_property is pre-filled (frozen only blocks
    # attribute assignment).
    vars(results)["customers"] = customers
