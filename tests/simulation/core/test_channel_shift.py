"""Research online, buy offline: store stock visible online moves purchases, it adds none."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import Capability, CapabilityLevels, Scenario, simulate
from simulation.core.engine import Simulation
from simulation.core.journey import TOUCHPOINT_EVENTS, JourneyPaths, WalkedJourneys, walk_journeys
from simulation.core.metrics import person_migration
from simulation.core.random_streams import RandomStreams
from simulation.core.scenario import ChannelKind
from simulation.core.targeting import RandomTargeting
from simulation.core.world import World, build_world
from tests.simulation.core.reference_model import run_reference

PLANS = {"silos": CapabilityLevels.uniform(0.0),
         "stock shown": CapabilityLevels.uniform(0.0).model_copy(update={"inventory": 1.0}),
         "half": CapabilityLevels.uniform(0.0).model_copy(update={"inventory": 0.5})}
SHARE = 0.3


@pytest.fixture(scope="module")
def world(default_scenario: Scenario) -> World:
    scenario = default_scenario.replace(market__population=20_000,
                                        behaviour__store_shift_share=SHARE)
    return build_world(scenario, RandomStreams(scenario.seed), PLANS)


def _with_share(world: World, share: float) -> World:
    return dataclasses.replace(world, scenario=world.scenario.replace(behaviour__store_shift_share=share))


def _walk(world: World, week: int = 4) -> tuple[WalkedJourneys, np.ndarray]:
    streams = RandomStreams(world.scenario.seed)
    n = world.n_people
    person = np.tile(np.arange(n), len(PLANS))
    plan = np.repeat(np.arange(len(PLANS)), n)
    return walk_journeys(world, JourneyPaths.of(world), streams, week, person, plan, world.levels), plan


def test_online_purchases_move_to_a_store_and_nothing_else_changes(world: World):
    shifted, plan = _walk(world)
    still, _ = _walk(_with_share(world, 0.0))
    # The journey itself is untouched: same ends, starts, losses and purchases.
    for name in ("end", "start", "satisfaction_loss", "segment"):
        np.testing.assert_array_equal(getattr(shifted, name), getattr(still, name), err_msg=name)
    np.testing.assert_array_equal(still.researched, still.final)
    moved = shifted.final != still.final
    np.testing.assert_array_equal(moved, shifted.researched != shifted.final)
    np.testing.assert_array_equal(shifted.researched, still.final)
    physical = world.channels.physical
    mask = int(np.left_shift(1, np.flatnonzero(physical)).sum())
    online_only = still.bought & ((still.channels_used & mask) == 0)
    assert not (moved & ~online_only).any()  # only purchases of journeys that touched no store
    assert physical[shifted.final[moved]].all()  # and they end in a store
    assert not physical[still.final[moved]].any()
    assert not shifted.from_network[moved].any()  # served from the store's shelf
    np.testing.assert_array_equal(shifted.channels_used & ~mask, still.channels_used & ~mask)
    # Only the network fulfilment count changes, by the moved purchases it had served.
    network = TOUCHPOINT_EVENTS.index("network_fulfilled")
    others = [i for i in range(len(TOUCHPOINT_EVENTS)) if i != network]
    np.testing.assert_array_equal(shifted.events[others], still.events[others])
    np.testing.assert_array_equal(still.events[network] - shifted.events[network],
                                  (still.from_network & moved).astype(np.int32))
    # Moves follow the share x the inventory level; none without inventory.
    assert moved[plan == 0].sum() == 0
    for s, level in ((1, 1.0), (2, 0.5)):
        n, k = online_only[plan == s].sum(), moved[plan == s].sum()
        p = SHARE * level
        assert n > 300
        assert abs(k - n * p) < 4 * np.sqrt(n * p * (1 - p)), (s, k, n)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(share=st.floats(0.0, 0.5), level=st.floats(0.0, 1.0), week=st.integers(0, 150))
def test_any_share_and_level_only_move_purchases(world: World, share: float, level: float, week: int):
    """Whatever the share and inventory level: the same journeys end the same way, and a move
    goes from a digital channel to a store."""
    w = _with_share(world, share)
    levels = np.zeros((1, len(Capability)))
    levels[0, list(Capability).index(Capability.INVENTORY)] = level
    streams = RandomStreams(w.scenario.seed)
    person = np.arange(4000)
    plan = np.zeros(person.size, dtype=np.int64)
    paths = JourneyPaths.of(w)
    shifted = walk_journeys(w, paths, streams, week, person, plan, levels)
    still = walk_journeys(_with_share(world, 0.0), paths, streams, week, person, plan, levels)
    np.testing.assert_array_equal(shifted.end, still.end)
    np.testing.assert_array_equal(shifted.researched, still.final)
    moved = shifted.final != still.final
    physical = w.channels.physical
    assert physical[shifted.final[moved]].all() and not physical[still.final[moved]].any()
    if share * level == 0:
        assert not moved.any()


def test_a_business_without_stores_has_nowhere_to_move_to(default_scenario: Scenario):
    digital = [c for c in default_scenario.channels if c.kind is ChannelKind.DIGITAL]
    segments = [s.model_copy(update={"channel_preference": {
        c.name: s.channel_preference.get(c.name, 0.0) + 1e-3 for c in digital}})
        for s in default_scenario.segments]
    scenario = default_scenario.replace(market__population=3000, channels=digital, segments=segments,
                                        behaviour__store_shift_share=0.5)
    w = build_world(scenario, RandomStreams(scenario.seed), PLANS)
    walked, _ = _walk(w)
    np.testing.assert_array_equal(walked.final, walked.researched)


def _run(scenario: Scenario) -> Simulation:
    streams = RandomStreams(scenario.seed)
    return Simulation(build_world(scenario, streams, PLANS), streams, RandomTargeting())


def test_the_engine_moves_sales_to_the_store_without_adding_purchases(small_scenario: Scenario):
    base = small_scenario.replace(behaviour__store_shift_share=0.0)
    shifted_run = _run(base.replace(behaviour__store_shift_share=SHARE)).run()
    still_run = _run(base).run()
    store = int(np.flatnonzero(shifted_run.world.channels.physical)[0])
    # No inventory, no shift: the silo plan is the same bit for bit.
    for name in ("purchases_by_channel", "revenue_discounted", "satisfaction", "lapse_week"):
        np.testing.assert_array_equal(getattr(shifted_run.states[0], name),
                                      getattr(still_run.states[0], name))
    shifted, still = shifted_run.states[1], still_run.states[1]
    by_channel = (shifted.purchases_by_channel.sum(axis=1, dtype=np.int64),
                  still.purchases_by_channel.sum(axis=1, dtype=np.int64))
    share_store = [b[store] / b.sum() for b in by_channel]
    assert share_store[0] > share_store[1] + 0.01  # the store's share of purchases rises
    online = np.ones(by_channel[0].size, dtype=bool)
    online[store] = False
    assert by_channel[0][online].sum() < by_channel[1][online].sum()  # online sales fall
    # Total purchases stay within a few per cent (moves add none; a store sale is returned less
    # often and the store now knows the customer, which feeds back only weakly).
    assert by_channel[0].sum() == pytest.approx(by_channel[1].sum(), rel=0.03)
    # Person by person, far more purchases moved between channels against the silo plan.
    moved = person_migration(shifted.purchases_by_channel, shifted_run.states[0].purchases_by_channel)
    moved_before = person_migration(still.purchases_by_channel, still_run.states[0].purchases_by_channel)
    assert moved > 2 * moved_before


def test_migrated_purchases_rise_at_the_default_preset(small_scenario: Scenario):
    with_shift = simulate(small_scenario).kpis
    without = simulate(small_scenario.replace(behaviour__store_shift_share=0.0)).kpis
    om = "omnichannel"
    assert with_shift.loc[om, "migrated_purchases"] > 2 * without.loc[om, "migrated_purchases"]
    assert with_shift.loc[om, "incremental_purchases"] == pytest.approx(
        without.loc[om, "incremental_purchases"], rel=0.05)


def test_engine_matches_the_reference_loop_with_many_moves(default_scenario: Scenario):
    scenario = default_scenario.replace(
        market__population=400, market__horizon_weeks=40, market__weekly_reach_rate=0.1,
        economics__offers_per_week_share=0.0, behaviour__store_shift_share=0.5,
        custom_plan={"inventory": 1.0, "service": 0.6},
        behaviour__cross_channel_return_share=0.8, behaviour__return_exchange_share=0.9)
    _, reference = run_reference(scenario)
    streams = RandomStreams(scenario.seed)
    run = Simulation(build_world(scenario, streams), streams, RandomTargeting()).run()
    for people, state in zip(reference, run.states, strict=True):
        for name in ("purchases", "channels_used", "channels_bought", "lapse_week"):
            expected = np.array([getattr(p, name) for p in people])
            np.testing.assert_array_equal(getattr(state, name).astype(expected.dtype), expected, err_msg=name)
        np.testing.assert_array_equal(state.purchases_by_channel.T,
                                      np.array([p.purchases_by_channel for p in people]))
        np.testing.assert_allclose(state.revenue_discounted, [p.revenue_discounted for p in people],
                                   rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(state.network_discounted, [p.network_discounted for p in people],
                                   rtol=1e-5, atol=1e-6)
    # The comparison saw moves: the custom plan (full inventory) sells more in the store.
    store = int(np.flatnonzero(run.world.channels.physical)[0])
    plans = list(run.world.plan_names)
    custom = plans.index("custom")
    assert (run.states[custom].purchases_by_channel[store].sum()
            > run.states[0].purchases_by_channel[store].sum())
    assert run.world.levels[custom, list(Capability).index(Capability.INVENTORY)] == 1.0
