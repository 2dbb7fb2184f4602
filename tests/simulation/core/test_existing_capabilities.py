"""Integration already in place: plans start from it, ramp from it and pay only for what they add."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation import Capability, CapabilityLevels, Scenario, simulate_plans
from simulation.analysis.investment import one_off_budget
from simulation.core.random_streams import RandomStreams
from simulation.core.tallies import Tally
from simulation.core.valuation import integration_cost_schedule
from simulation.core.world import World, build_world

IN_PLACE = CapabilityLevels(identity=0.6, context=0.4, consistency=0.0, orchestration=1.0,
                            inventory=0.3, service=0.5)
IN_PLACE_ARRAY = np.array([IN_PLACE.of(c) for c in Capability])


@pytest.fixture(scope="module")
def tiny(default_scenario: Scenario) -> Scenario:
    return default_scenario.replace(market__population=3000, market__horizon_weeks=60)


def _world(scenario: Scenario, plans: dict[str, CapabilityLevels]) -> World:
    return build_world(scenario, RandomStreams(scenario.seed), plans)


def test_plans_ramp_from_what_is_in_place(tiny: Scenario):
    world = _world(tiny.replace(existing_capabilities=IN_PLACE),
                   {"keep": IN_PLACE, "all": CapabilityLevels.uniform(1.0)})
    assert np.allclose(world.effective_levels(0), IN_PLACE_ARRAY)  # week 0: what is there
    for week in (5, 30, 59):
        assert np.allclose(world.effective_levels(week)[0], IN_PLACE_ARRAY)  # kept: no ramp
    assert np.allclose(world.effective_levels(10_000)[1], 1.0)
    midway = world.effective_levels(int(world.ramp_weeks.max() // 2))[1]
    assert np.all(midway >= IN_PLACE_ARRAY - 1e-12) and np.all(midway <= 1.0)


def test_one_off_costs_only_for_what_a_plan_adds(tiny: Scenario):
    scenario = tiny.replace(existing_capabilities=IN_PLACE)
    prices = {c: scenario.capability_costs.of(c) for c in Capability}
    plans = {"keep": IN_PLACE, "all": CapabilityLevels.uniform(1.0),
             "silos": CapabilityLevels.uniform(0.0)}
    weeks = scenario.market.horizon_weeks
    no_orders = np.zeros((len(plans), weeks, len(Tally)))  # per-order and per-profile parts: 0
    cost = integration_cost_schedule(_world(scenario, plans), no_orders).sum(axis=1)
    stores = scenario.business.stores
    fixed_running = {c: prices[c].running_cost_weekly + prices[c].running_per_store_weekly * stores
                     for c in Capability}
    running_kept = sum(fixed_running[c] * IN_PLACE.of(c) for c in Capability)
    added = sum((prices[c].one_off_cost + prices[c].one_off_per_store * stores) * (1 - IN_PLACE.of(c))
                for c in Capability)
    running_all = sum(fixed_running.values())
    assert cost[0] == pytest.approx(running_kept * weeks)  # keeping: running costs only
    assert cost[1] == pytest.approx(added + running_all * weeks)
    assert cost[2] == 0.0  # back to silos: nothing to build or run
    assert one_off_budget(scenario, CapabilityLevels.uniform(1.0)) == pytest.approx(added)
    assert one_off_budget(scenario, IN_PLACE) == 0.0


def test_a_plan_in_place_behaves_as_if_built_before_week_0(tiny: Scenario):
    """Keeping what is in place behaves exactly like the same levels with no ramp-up."""
    kept = simulate_plans(tiny.replace(existing_capabilities=IN_PLACE), {"current": IN_PLACE})
    no_ramp = tiny.replace(**{f"capability_costs__{c.value}__ramp_weeks": 0 for c in Capability})
    instant = simulate_plans(no_ramp, {"current": IN_PLACE})
    behaviour = ["journeys", "purchases", "net_revenue", "lapses", "contacts", "stockouts",
                 "context_losses", "active_customers", "mean_satisfaction"]
    pd.testing.assert_frame_equal(kept.weekly[behaviour], instant.weekly[behaviour])
    assert kept.kpis.loc["current", "integration_cost"] < instant.kpis.loc["current", "integration_cost"]
