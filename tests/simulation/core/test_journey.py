"""The vectorized journey walk agrees journey by journey with the per-person reference walk."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simulation.core.journey import TOUCHPOINT_EVENTS, JourneyPaths, walk_journeys
from simulation.core.random_streams import RandomStreams
from simulation.core.scenario import Capability, CapabilityLevels, Scenario
from simulation.core.tallies import JourneyEnd
from simulation.core.world import World, build_world
from tests.simulation.core.reference_model import Person, _journey, recognised

PLANS = {
    "none": CapabilityLevels.uniform(0.0),
    "all": CapabilityLevels.uniform(1.0),
    "some": CapabilityLevels(identity=0.0, context=0.4, consistency=0.7, orchestration=0.0,
                             inventory=0.5, service=0.0),
}


@pytest.fixture(scope="module")
def world(default_scenario: Scenario) -> World:
    # Frequent switches and conflicts, long journeys and scarce stock, so every branch is walked.
    scenario = default_scenario.replace(
        market__population=800, behaviour__touchpoints_per_journey=5,
        behaviour__conflict_rate=0.3, segments=[
            s.model_copy(update={"switch_probability": 0.6}) for s in default_scenario.segments],
        channels=[c.model_copy(update={"stock_availability": 0.7}) for c in default_scenario.channels])
    return build_world(scenario, RandomStreams(scenario.seed), PLANS)


def _reference(world: World, streams: RandomStreams, week: int, person: int, level: np.ndarray
               ) -> tuple[int, float, bool, int, int]:
    """Bought channel (-1 if none), satisfaction lost, served from the network, channels used,
    channel the purchase was chosen in."""
    pref_cdf = np.cumsum(world.segments.channel_preference, axis=1)
    p = Person()
    outcome, experience, _, from_network, researched = _journey(
        world, streams, week, person, p, level, pref_cdf, np.float32(0.0), False)
    return outcome, -float(experience), bool(from_network), p.channels_used, researched


@pytest.mark.parametrize("week", [0, 7])
def test_walk_matches_the_reference_walk_journey_by_journey(world: World, week: int):
    streams = RandomStreams(world.scenario.seed)
    levels = world.levels
    n = world.n_people
    person = np.tile(np.arange(n), len(PLANS))
    plan = np.repeat(np.arange(len(PLANS)), n)
    gate = np.array([recognised(world, streams, int(i), levels[s])
                     for s, i in zip(plan, person, strict=True)])
    walk = walk_journeys(world, JourneyPaths.of(world), streams, week, person, plan, levels, gate)

    expected = [_reference(world, streams, week, int(i), levels[s])
                for s, i in zip(plan, person, strict=True)]
    outcome = np.array([e[0] for e in expected])
    np.testing.assert_array_equal(walk.bought, outcome >= 0)
    np.testing.assert_array_equal(walk.final[walk.bought], outcome[outcome >= 0])
    np.testing.assert_array_equal(walk.from_network[walk.bought], [e[2] for e in expected if e[0] >= 0])
    np.testing.assert_array_equal(walk.channels_used, [e[3] for e in expected])
    np.testing.assert_array_equal(walk.researched[walk.bought], [e[4] for e in expected if e[0] >= 0])
    # Purchases researched online moved to a store with visible stock, in plans with inventory.
    moved = walk.bought & (walk.researched != walk.final)
    assert moved[plan == 0].sum() == 0
    assert moved[plan == 1].sum() > 10
    np.testing.assert_allclose(walk.satisfaction_loss, [e[1] for e in expected], rtol=1e-6, atol=1e-7)

    # The comparison covers every way a journey goes, in every plan.
    for code in JourneyEnd:
        if code is not JourneyEnd.OPEN:
            assert np.count_nonzero(walk.end == code) > 10, code.name
    assert not (walk.end == JourneyEnd.OPEN).any()
    events = dict(zip(TOUCHPOINT_EVENTS, walk.events, strict=True))
    assert events["network_fulfilled"][plan == 0].sum() == 0  # no shared stock without inventory
    assert events["network_fulfilled"][plan == 1].sum() > 10
    assert events["context_lost"][plan == 1].sum() == 0  # full context is never lost
    assert events["context_lost"][plan == 0].sum() > 10


def test_a_journey_does_not_depend_on_who_else_walks(world: World):
    """Hashed draws per (person, week, touchpoint): a subset walked alone goes the same way."""
    streams = RandomStreams(world.scenario.seed)
    paths = JourneyPaths.of(world)
    person = np.arange(world.n_people)
    plan = np.full(person.size, list(PLANS).index("some"))
    everyone = walk_journeys(world, paths, streams, 3, person, plan, world.levels)
    some = np.arange(5, world.n_people, 7)
    alone = walk_journeys(world, paths, streams, 3, person[some], plan[some], world.levels)
    for name in ("end", "final", "start", "channels_used", "from_network", "satisfaction_loss"):
        np.testing.assert_array_equal(getattr(alone, name), getattr(everyone, name)[some], err_msg=name)
    np.testing.assert_array_equal(alone.events, everyone.events[:, some])


def test_capabilities_move_only_their_own_touchpoint_events(world: World):
    """``context`` changes context losses, ``inventory`` network fulfilment and stock-outs,
    ``consistency`` conflicts, ``service`` purchase decisions (a returns-anywhere policy);
    with none of them the walk is the multichannel walk."""
    streams = RandomStreams(world.scenario.seed)
    paths = JourneyPaths.of(world)
    person = np.arange(world.n_people)
    zero = np.zeros(person.size, dtype=np.int64)
    base = np.zeros((1, len(Capability)))
    walked = walk_journeys(world, paths, streams, 2, person, zero, base)
    events = dict(zip(TOUCHPOINT_EVENTS, walked.events.sum(axis=1), strict=True))
    own = ((Capability.CONTEXT, "context_lost"), (Capability.INVENTORY, "network_fulfilled"),
           (Capability.CONSISTENCY, "conflict"), (Capability.SERVICE, "buy_attempt"))
    for capability, moved in own:
        levels = base.copy()
        levels[0, list(Capability).index(capability)] = 1.0
        other = walk_journeys(world, paths, streams, 2, person, zero, levels)
        after = dict(zip(TOUCHPOINT_EVENTS, other.events.sum(axis=1), strict=True))
        assert after[moved] != events[moved], capability
    assert after["buy_attempt"] > events["buy_attempt"]  # service: more decide to buy, never fewer
    for capability in (Capability.IDENTITY, Capability.ORCHESTRATION):
        levels = base.copy()
        levels[0, list(Capability).index(capability)] = 1.0
        other = walk_journeys(world, paths, streams, 2, person, zero, levels)
        np.testing.assert_array_equal(other.events, walked.events, err_msg=capability)
        np.testing.assert_array_equal(other.end, walked.end, err_msg=capability)


def test_service_without_a_returns_policy_effect_leaves_the_walk_alone(world: World):
    """At ``returns_policy_uplift`` = 0 returns made anywhere change nothing in the journey."""
    flat = dataclasses.replace(world, scenario=world.scenario.replace(behaviour__returns_policy_uplift=0.0))
    streams = RandomStreams(world.scenario.seed)
    paths = JourneyPaths.of(flat)
    person = np.arange(world.n_people)
    zero = np.zeros(person.size, dtype=np.int64)
    base = np.zeros((1, len(Capability)))
    served = base.copy()
    served[0, list(Capability).index(Capability.SERVICE)] = 1.0
    walked = walk_journeys(flat, paths, streams, 2, person, zero, base)
    other = walk_journeys(flat, paths, streams, 2, person, zero, served)
    np.testing.assert_array_equal(other.events, walked.events)
    np.testing.assert_array_equal(other.end, walked.end)
