"""Each compiled kernel computes what the numpy passes it replaced computed, bit for bit.

The references are the engine's numpy code as it was (``numpy_reference.py``); arrays are
compared byte for byte (float results included), on random inputs (hypothesis) and on the
edges: no people, nobody selected, draws equal to their threshold.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from simulation.core.journey import TOUCHPOINT_DRAWS, JourneyPaths, walk_journeys
from simulation.core.kernels import warm_up
from simulation.core.kernels.common import compared_with_float32, uniform
from simulation.core.kernels.keys import refresh_keys_kernel, set_keys_kernel
from simulation.core.kernels.steps import (
    below,
    churn_kernel,
    churn_pairs_kernel,
    contact_conflicts_kernel,
    drift_kernel,
    open_journeys_kernel,
    settle_satisfaction_kernel,
    unsubscribes_kernel,
)
from simulation.core.kernels.walk import N_TOUCHPOINT_DRAWS
from simulation.core.random_streams import Draw, RandomStreams
from simulation.core.scenario import Capability, CapabilityLevels, Scenario
from simulation.core.world import World, build_world
from tests.simulation.core.kernel_variants import kernel_variant  # noqa: F401  (each test on each variant)
from tests.simulation.core.numpy_reference import (
    numpy_churn,
    numpy_contact_conflicts,
    numpy_open_journeys,
    numpy_refresh_keys,
    numpy_set_keys,
    numpy_settle_satisfaction,
    numpy_unsubscribes,
    numpy_walk_journeys,
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PLANS = {
    "none": CapabilityLevels.uniform(0.0),
    "all": CapabilityLevels.uniform(1.0),
    "some": CapabilityLevels(identity=0.3, context=0.4, consistency=0.7, orchestration=0.0,
                             inventory=0.5, service=0.6),
}


def same(a: Any, b: Any) -> None:
    """Equal dtype, shape and bytes (so -0.0 differs from 0.0 and a float's last bit counts)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    assert a.tobytes() == b.tobytes()


def test_warm_up_compiles_every_kernel():
    warm_up()  # raises if a kernel does not compile on the types the engine passes


def test_the_walk_kernel_reads_the_touchpoint_draws_in_their_order():
    assert len(TOUCHPOINT_DRAWS) == N_TOUCHPOINT_DRAWS
    assert TOUCHPOINT_DRAWS[:2] == (Draw.SWITCH, Draw.NEXT_CHANNEL)
    assert TOUCHPOINT_DRAWS[-1] == Draw.STOCKOUT_LOST


@SETTINGS
@given(kind=st.sampled_from(list(Draw)), week=st.integers(0, 520), step=st.integers(0, 200),
       seed=st.integers(0, 2**32 - 1),
       people=st.lists(st.integers(0, 2**40), min_size=1, max_size=20))
def test_hashed_draw_is_the_streams_draw(kind: Draw, week: int, step: int, seed: int, people: list[int]):
    streams = RandomStreams(seed)
    person = np.array(people, dtype=np.int64)
    expected = streams.uniform(kind, week, step, person).astype(np.float64)
    offset = np.uint64(streams.offsets(((kind, step),), week)[0])
    same(np.array([uniform(offset, p) for p in person]), expected)


@SETTINGS
@given(x=st.floats(0.0, 2.0), u=st.lists(st.integers(0, 2**24 - 1), min_size=1, max_size=50))
def test_thresholds_compare_as_numpy_compares_with_float32_draws(x: float, u: list[int]):
    draws = np.array(u, dtype=np.float32) * np.float32(2.0**-24)
    near = np.nextafter(np.float32(x), np.float32(0.0))  # a draw just below the rounded threshold
    draws = np.append(draws, [np.float32(x), near])
    for value in (x, np.float64(x), np.float32(x)):
        same(draws.astype(np.float64) < compared_with_float32(value), draws < value)
    assert compared_with_float32(np.float64(0.1)) == 0.1
    assert compared_with_float32(0.1) == float(np.float32(0.1))


@SETTINGS
@given(u=st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 0.999]), max_size=30),
       bound=st.sampled_from([0.0, 0.25, 0.5, 1.0]))
def test_below_is_nonzero_of_a_comparison(u: list[float], bound: float):
    draws = np.array(u, dtype=np.float32)
    same(below(draws, bound), (draws < bound).nonzero()[0].astype(np.int64))


# The journey walk ---------------------------------------------------------------------------


def _world(default_scenario: Scenario, **changes: Any) -> World:
    settings_ = {"market__population": 600, "behaviour__touchpoints_per_journey": 5,
                 "behaviour__conflict_rate": 0.3} | changes
    scenario = default_scenario.replace(
        segments=[s.model_copy(update={"switch_probability": 0.6}) for s in default_scenario.segments],
        channels=[c.model_copy(update={"stock_availability": 0.7}) for c in default_scenario.channels],
        **settings_)
    return build_world(scenario, RandomStreams(scenario.seed), PLANS)


@pytest.fixture(scope="module")
def worlds(default_scenario: Scenario) -> dict[str, World]:
    return {
        "default": _world(default_scenario),
        "breadth": _world(default_scenario, behaviour__channel_breadth_mean=0.5),
        "one touchpoint": _world(default_scenario, behaviour__touchpoints_per_journey=1),
        "no uplift": _world(default_scenario, behaviour__returns_policy_uplift=0.0,
                            behaviour__stockout_lost_share=1.0, behaviour__lost_context_abandon_share=0.0),
    }


def _same_walk(world: World, week: int, person: NDArray[np.int64], plan: NDArray[np.int64],
               recognised: NDArray[np.bool_] | None, repeat: int) -> None:
    streams = RandomStreams(world.scenario.seed)
    paths = JourneyPaths.of(world)
    walked = walk_journeys(world, paths, streams, week, person, plan, world.levels, recognised, repeat)
    expected = numpy_walk_journeys(world, paths, streams, week, person, plan, world.levels, recognised,
                                   repeat)
    for field in dataclasses.fields(walked):
        same(getattr(walked, field.name), getattr(expected, field.name))


@pytest.mark.parametrize("name", ["default", "breadth", "one touchpoint", "no uplift"])
def test_walk_kernel_is_the_numpy_walk(worlds: dict[str, World], name: str):
    world = worlds[name]
    n = world.n_people
    person = np.tile(np.arange(n), len(PLANS))
    plan = np.repeat(np.arange(len(PLANS)), n)
    recognised = RandomStreams(1).uniform(Draw.MODEL, 0, 0, person) < 0.6
    for week, repeat in ((0, 0), (9, 2)):
        _same_walk(world, week, person, plan, recognised, repeat)
        _same_walk(world, week, person, plan, None, repeat)


def test_walk_kernel_with_no_journeys(worlds: dict[str, World]):
    empty = np.zeros(0, dtype=np.int64)
    _same_walk(worlds["default"], 3, empty, empty, np.zeros(0, dtype=bool), 0)


@SETTINGS
@given(week=st.integers(0, 155), repeat=st.integers(0, 3),
       levels=st.lists(st.floats(0.0, 1.0), min_size=len(Capability), max_size=len(Capability)),
       data=st.data())
def test_walk_kernel_on_random_levels_and_people(default_scenario: Scenario, week: int, repeat: int,
                                                 levels: list[float], data: st.DataObject):
    world = _WORLDS.setdefault("w", _world(default_scenario))
    world = dataclasses.replace(world, levels=np.array([levels]))
    person = np.array(sorted(data.draw(st.sets(st.integers(0, world.n_people - 1), max_size=200))),
                      dtype=np.int64)
    plan = np.zeros(person.size, dtype=np.int64)
    recognised = np.array(data.draw(st.lists(st.booleans(), min_size=person.size, max_size=person.size)),
                          dtype=bool)
    _same_walk(world, week, person, plan, recognised, repeat)


_WORLDS: dict[str, World] = {}


# Contact keys ---------------------------------------------------------------------------------


def _books(rng: np.random.Generator, n_plans: int, n_people: int, n_keys: int) -> tuple[Any, ...]:
    """Random key books: keys (int16), counts, annoyed flags, costs, satisfaction."""
    key_flat = rng.integers(0, n_keys, n_plans * n_people).astype(np.int16)
    per_key = np.bincount(key_flat, minlength=n_keys).astype(np.int64)
    return (key_flat, per_key, rng.random(n_plans * n_people) < 0.3, rng.random(n_keys) < 0.3,
            (rng.random(n_plans * n_people) * 5).astype(np.float32), rng.random(n_keys) * 3,
            (rng.random(n_keys) < 0.5).astype(np.float64), rng.random(n_plans * n_people).astype(np.float32),
            n_people, n_plans)


def _copy(books: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(b.copy() if isinstance(b, np.ndarray) else b for b in books)


def _same_books(a: tuple[Any, ...], b: tuple[Any, ...]) -> None:
    for x, y in zip(a, b, strict=True):
        same(x, y)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n_plans=st.integers(1, 3), n_people=st.integers(1, 60),
       share=st.floats(0.0, 1.0))
def test_set_keys_kernel_is_the_numpy_assignment(seed: int, n_plans: int, n_people: int, share: float):
    rng = np.random.default_rng(seed)
    n_keys = 40
    books = _books(rng, n_plans, n_people, n_keys)
    flat = np.flatnonzero(rng.random(n_plans * n_people) < share).astype(np.int64)
    new = rng.integers(0, n_keys, flat.size).astype(np.int16)
    old = books[0].take(flat)
    mine, theirs = _copy(books), _copy(books)
    change, changed = set_keys_kernel(flat, new, old, *mine)
    expected, expected_changed = numpy_set_keys(flat, new, old, *theirs)
    _same_books(mine, theirs)
    assert changed == expected_changed
    if changed:  # the engine adds the change only then, as before
        same(change, expected)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n_plans=st.integers(1, 3), n_people=st.integers(1, 60),
       share=st.floats(0.0, 1.0), check_aware=st.booleans(), week=st.integers(0, 20))
def test_refresh_keys_kernel_is_the_numpy_refresh(seed: int, n_plans: int, n_people: int, share: float,
                                                  check_aware: bool, week: int):
    rng = np.random.default_rng(seed)
    n_masks, n_segments = 8, 3
    steps = np.array([n_segments * 16 * n_masks, 16 * n_masks, 8 * n_masks, 4 * n_masks, 2 * n_masks])
    sentinel = int(n_plans * steps[0])
    books = _books(rng, n_plans, n_people, sentinel + 1)
    flat = np.flatnonzero(rng.random(n_plans * n_people) < share).astype(np.int64)
    plan, person = np.divmod(flat, n_people)
    pairs = n_plans * n_people
    state = (check_aware, week,
             np.where(rng.random(pairs) < 0.2, 3, -1).astype(np.int16),
             rng.integers(0, 25, n_people).astype(np.int16),
             rng.integers(0, n_segments, n_people).astype(np.int8),
             np.where(rng.random(pairs) < 0.4, 2, -1).astype(np.int16),
             rng.integers(0, 7, pairs).astype(np.uint16), 4,
             rng.random(n_people).astype(np.float32), rng.random(n_plans),
             rng.integers(0, n_masks, pairs).astype(np.uint8), rng.random(pairs) < 0.8, steps, sentinel)
    mine, theirs = _copy(books), _copy(books)
    change, changed = refresh_keys_kernel(flat, plan, person, *state, *mine)
    expected, expected_changed = numpy_refresh_keys(flat, plan, person, *state, *theirs)
    _same_books(mine, theirs)
    assert changed == expected_changed
    if changed:
        same(change, expected)


# Weekly steps -------------------------------------------------------------------------------


def _pairs(rng: np.random.Generator, n_plans: int, n_people: int, n_keys: int
           ) -> tuple[NDArray[np.float32], NDArray[np.int16], NDArray[np.bool_]]:
    """Draws on a coarse grid (so some equal their threshold), keys and offer flags."""
    u = (rng.integers(0, 16, n_people) / 16).astype(np.float32)
    keys = rng.integers(0, n_keys, n_plans * n_people).astype(np.int16)
    return u, keys, rng.random(n_plans * n_people) < 0.2


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n_plans=st.integers(1, 3), n_people=st.integers(0, 80),
       chances=st.lists(st.sampled_from([0.0, 0.125, 0.5, 1.0]), min_size=3, max_size=3))
def test_contact_conflicts_kernel_is_the_numpy_selection(seed: int, n_plans: int, n_people: int,
                                                         chances: list[float]):
    rng = np.random.default_rng(seed)
    n_keys, step = 32, 8
    u, keys, offered = _pairs(rng, n_plans, n_people, n_keys - step)
    multi = rng.random(n_keys) < 0.5
    chance = np.array(chances[:n_plans])
    same(contact_conflicts_kernel(u, chance, keys, offered, step, multi),
         numpy_contact_conflicts(u, chance, keys, offered, step, multi).astype(np.int64))
    none = np.zeros(n_keys, dtype=bool)  # nobody has several channels: nobody is selected
    assert contact_conflicts_kernel(u, chance, keys, offered, step, none).size == 0


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n_plans=st.integers(1, 3), n_people=st.integers(0, 80),
       per_contact=st.sampled_from([0.0, 0.0625, 0.1, 0.3]))
def test_unsubscribes_kernel_is_the_numpy_selection(seed: int, n_plans: int, n_people: int,
                                                    per_contact: float):
    rng = np.random.default_rng(seed)
    n_keys, step = 32, 8
    u, keys, offered = _pairs(rng, n_plans, n_people, n_keys - step)
    excess = rng.integers(0, 4, n_keys).astype(np.float64)
    largest = per_contact * float(excess.max())
    same(unsubscribes_kernel(u, largest, per_contact, excess, keys, offered, step, n_plans),
         numpy_unsubscribes(u, largest, per_contact, excess, keys, offered, step, n_plans).astype(np.int64))


def test_a_draw_equal_to_the_threshold_rounded_down_to_float32_is_examined():
    """The candidates' bound is compared exactly: a float32 draw just below the float64 threshold counts."""
    per_contact, excess = 0.01, np.array([3.0, 0.0])  # the default chance per excess contact
    threshold = per_contact * 3.0
    rounded = np.float32(threshold)
    assert float(rounded) < threshold  # float32 rounds 0.03 down
    u = np.array([rounded, 0.9], dtype=np.float32)  # person 0's draw: the rounded threshold
    keys, offered = np.zeros(2, dtype=np.int16), np.zeros(2, dtype=bool)
    same(unsubscribes_kernel(u, threshold, per_contact, excess, keys, offered, 1, 1), np.array([0]))
    same(below(u, threshold), np.array([0]))


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n_plans=st.integers(1, 3), n_people=st.integers(0, 80),
       cap=st.sampled_from([1, 2, 7]), repeat=st.booleans(), factor=st.booleans(), boost=st.booleans())
def test_open_journeys_kernel_is_the_numpy_opening(seed: int, n_plans: int, n_people: int, cap: int,
                                                   repeat: bool, factor: bool, boost: bool):
    rng = np.random.default_rng(seed)
    n_keys, step = 33, 8
    sentinel = n_keys - 1
    u, keys, offered = _pairs(rng, n_plans, n_people, n_keys - step)
    keys[rng.random(keys.size) < 0.2] = sentinel
    offered &= keys != sentinel
    # Intents on a coarse grid, some above 1 (several journeys), some equal to a draw.
    intent_table = (rng.integers(0, 40, n_keys) / 16).astype(np.float32)
    propensity = (rng.integers(1, 8, n_people) / 4).astype(np.float32)
    repeat_propensity = (rng.integers(1, 8, n_people) / 4).astype(np.float32) if repeat else None
    offer_factor = (rng.integers(2, 6, n_people) / 4).astype(np.float32) if factor else None
    is_customer = (rng.random(n_keys) < 0.5).astype(np.float64)
    people = np.flatnonzero(rng.random(n_people) < 0.7).astype(np.int64)
    # New customers: a first-purchase week up to this week (-1: a prospect), some from before the start.
    week, strength = int(rng.integers(0, 60)), float(rng.uniform(0.1, 3.0))
    half_life = float(rng.uniform(1, 20))
    customer_since = rng.integers(-1, week + 1, keys.size).astype(np.int16)
    existing = rng.random(n_people) < 0.3
    table = (1.0 + strength * np.exp2(-(week - np.arange(week + 1, dtype=np.float32)) / half_life)
             ).astype(np.float32)  # the engine's table (Simulation._new_customer_boost)
    got = open_journeys_kernel(
        u, people, n_plans, keys, offered, step, sentinel, intent_table, propensity,
        propensity if repeat_propensity is None else repeat_propensity, repeat_propensity is not None,
        is_customer, propensity if offer_factor is None else offer_factor, offer_factor is not None,
        customer_since, existing, table, boost, cap)
    expected = numpy_open_journeys(u, people, n_plans, keys, offered, step, sentinel, intent_table,
                                   propensity, repeat_propensity, is_customer, offer_factor, cap,
                                   (customer_since, existing, strength, half_life, week) if boost else None)
    for a, b in zip(got, expected, strict=True):
        same(a, b)


@SETTINGS
@given(values=st.lists(st.floats(0.0, 1.0, width=32), max_size=50), base=st.floats(0.0, 1.0, width=32),
       half_life=st.floats(0.5, 50.0))
def test_drift_kernel_is_the_three_numpy_steps(values: list[float], base: float, half_life: float):
    satisfaction = np.array(values, dtype=np.float32)
    b, keep = np.float32(base), np.float32(0.5 ** (1.0 / half_life))
    expected = satisfaction.copy()
    expected -= b
    expected *= keep
    expected += b
    drift_kernel(satisfaction, b, keep)
    same(satisfaction, expected)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n_plans=st.integers(1, 3), n_people=st.integers(1, 60),
       n_parts=st.integers(0, 4), baseline=st.floats(0.0, 1.0), smoothing=st.floats(0.0, 1.0))
def test_settle_satisfaction_kernel_is_the_numpy_move(seed: int, n_plans: int, n_people: int, n_parts: int,
                                                      baseline: float, smoothing: float):
    rng = np.random.default_rng(seed)
    pairs = n_plans * n_people
    # Parts as the week makes them: each distinct, the same pair possibly in several parts.
    parts = [np.flatnonzero(rng.random(pairs) < 0.3).astype(np.int64) for _ in range(n_parts)]
    touched = np.zeros(pairs, dtype=bool)
    for part in parts:
        touched[part] = True
    touched[rng.random(pairs) < 0.1] = False  # some marks already cleared
    # Experience on a grid, so some targets land exactly on the clip limits.
    experience = (rng.integers(-8, 8, pairs) / 4).astype(np.float32)
    satisfaction = rng.random(pairs).astype(np.float32)
    keys = rng.integers(0, 10, pairs).astype(np.int16)
    is_customer = (rng.random(10) < 0.5).astype(np.float64)
    mine = (touched.copy(), experience.copy(), satisfaction.copy())
    theirs = (touched.copy(), experience.copy(), satisfaction.copy())
    flat = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    ends = np.cumsum([p.size for p in parts], dtype=np.int64)
    change, moved, lowest = settle_satisfaction_kernel(
        flat, ends, *mine, keys, is_customer, np.float32(baseline), np.float32(smoothing), n_people, n_plans)
    expected, expected_moved, expected_lowest = numpy_settle_satisfaction(
        parts, *theirs, keys, is_customer, baseline, smoothing, n_people, n_plans)
    for a, b in zip(mine, theirs, strict=True):
        same(a, b)
    # (np.bincount of no pairs gives integer zeros; added to the float64 sum they are 0.0.)
    same(change, expected.astype(np.float64))
    assert moved == expected_moved
    if moved:
        same(np.float32(lowest), expected_lowest)  # a float32 value, returned as a Python float


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n_plans=st.integers(1, 3), n_people=st.integers(0, 80),
       bound=st.sampled_from([0.0, 0.25, 0.5, 1.0]), per_excess=st.sampled_from([0.0, 0.0625, 0.2]),
       dropout=st.sampled_from([0.0, 0.125, 0.3]))
def test_churn_kernels_are_the_numpy_churn(seed: int, n_plans: int, n_people: int, bound: float,
                                           per_excess: float, dropout: float):
    rng = np.random.default_rng(seed)
    n_keys, step = 33, 8
    sentinel = n_keys - 1
    u, keys, offered = _pairs(rng, n_plans, n_people, n_keys - step)
    keys[rng.random(keys.size) < 0.2] = sentinel
    offered &= keys != sentinel
    pairs = n_plans * n_people
    customer_since = np.where(rng.random(pairs) < 0.5, 1, -1).astype(np.int16)
    hazard_of = (rng.integers(0, 8, pairs) / 16).astype(np.float32)  # some equal to a draw
    excess = rng.integers(0, 3, n_keys).astype(np.float64)
    mine = (np.full(pairs, -1, dtype=np.int16), np.zeros(pairs, dtype=bool))
    theirs = (np.full(pairs, -1, dtype=np.int16), np.zeros(pairs, dtype=bool))
    flat, plan, person, key, live = churn_pairs_kernel(
        (u < bound).nonzero()[0], n_plans, n_people, keys, offered, step, sentinel, customer_since)
    got = churn_kernel(u, flat, plan, person, key, live, hazard_of.take(flat[live]), per_excess, excess,
                       compared_with_float32(dropout), sentinel, 7, *mine, n_plans)
    expected = numpy_churn(u, bound, n_plans, keys, offered, step, sentinel, customer_since, hazard_of,
                           per_excess, excess, dropout, 7, *theirs)
    for a, b in zip((*got, *mine), (*expected, *theirs), strict=True):
        same(a, np.asarray(b).astype(np.asarray(a).dtype) if np.asarray(b).size == 0 else b)
