"""The app's runs: split so a slider re-simulates as little as it must.

* Multichannel (all capabilities 0) and omnichannel (all 1) do not depend on the custom plan,
  and with common random numbers a plan's numbers do not depend on which plans run beside it.
  So the two standard plans are run (and cached) once per scenario-without-custom-plan and the
  custom plan on its own; the custom plan's NPV gain, ROI and payback are then measured against
  multichannel.
* Gross margin and capability costs only value a run (:mod:`simulation.valuation`), so runs are
  cached on the scenario without them, and :func:`priced` values the two runs at the
  scenario's prices without simulating again.

``tests/explorer/test_runs.py`` checks that the priced, joined runs equal one
:func:`simulation.simulate` run exactly.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from simulation import Scenario, Strategy, revalue, simulate_plans
from simulation.metrics import baseline_comparison
from simulation.results import Results
from simulation.scenario import CapabilityLevels
from simulation.valuation import simulated_part

ProgressCallback = Callable[[float, str], None]

STANDARD = (Strategy.MULTICHANNEL, Strategy.OMNICHANNEL)
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


def run_standard(scenario: Scenario, progress: ProgressCallback | None = None) -> Results:
    """Multichannel and omnichannel in lockstep, with the per-person data kept for pricing."""
    plans = {s.value: scenario.plan(s) for s in STANDARD}
    return simulate_plans(scenario, plans, progress=progress)


def run_custom(scenario: Scenario, progress: ProgressCallback | None = None) -> Results:
    """The custom plan alone (its baseline-relative KPIs are filled in by :func:`priced`)."""
    plans = {Strategy.CUSTOM.value: scenario.custom_plan}
    return simulate_plans(scenario, plans, progress=progress)


def standard_prices_key(scenario: Scenario) -> str:
    """Canonical key of everything the valued standard plans depend on (the custom plan blanked)."""
    return _without_custom_plan(scenario).canonical_key()


def value_standard(standard: Results, scenario: Scenario) -> Results:
    """The standard plans' run (from :func:`run_standard`) valued at ``scenario``'s prices,
    engine arrays dropped and per-person table kept (smaller to cache)."""
    return _detached(revalue(standard, _without_custom_plan(scenario)))


def value_custom(custom: Results, scenario: Scenario) -> Results:
    """The custom plan's run (from :func:`run_custom`) valued at ``scenario``'s prices."""
    return revalue(custom, scenario)


def priced(standard: Results, custom: Results, scenario: Scenario) -> Results:
    """The three strategies of ``scenario`` from its two runs (made by :func:`run_standard` and
    :func:`run_custom` on the scenarios of :func:`standard_key` and :func:`custom_key`), valued
    at ``scenario``'s prices; engine arrays dropped, per-person table kept."""
    return join(value_standard(standard, scenario), value_custom(custom, scenario))


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
