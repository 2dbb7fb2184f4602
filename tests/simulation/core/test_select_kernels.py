"""The selection and gather kernels (kernels/select.py) give the numpy expressions' arrays, bit for bit.

References: ``numpy_reference.py`` (the engine's and the features' numpy code as it was). Arrays
are compared byte for byte with their dtype, on random inputs (hypothesis) and on the edges:
nobody, one person, everyone or nobody selected, draws equal to their bound.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.core.kernels.select import (
    below_at,
    below_or_listed,
    between,
    gather,
    gather_columns,
    hazard_inputs,
    mark,
    open_candidates,
    scale_where,
    set_annoyance,
    set_by_slot,
    table_at,
    totals_by_plan,
    warm_up,
    where_table,
)
from simulation.core.personalization.features import (
    PurchaseHistory,
    channel_features,
    channel_records,
    unified_features,
)
from simulation.core.records import BuyerRecords
from simulation.core.targeting import WeekPurchases
from tests.simulation.core.numpy_reference import (
    numpy_below_at,
    numpy_between,
    numpy_channel_features,
    numpy_channel_records,
    numpy_count_many,
    numpy_hazard,
    numpy_offered_bound,
    numpy_open_candidates,
    numpy_set_annoyance,
    numpy_table_at,
    numpy_unified_features,
    numpy_where_table,
)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
INDEX_TYPES = [np.int16, np.int32, np.int64, np.uint8]


def same(a: Any, b: Any) -> None:
    """Equal dtype, shape and bytes."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    assert a.tobytes() == b.tobytes()


def _draws(rng: np.random.Generator, n: int, grid: bool) -> np.ndarray:
    """Float32 uniforms; on a coarse grid when ``grid`` so that draws often equal their bounds."""
    if grid:
        return (rng.integers(0, 8, size=n) / 8).astype(np.float32)
    return rng.random(n, dtype=np.float32)


def test_warm_up_compiles_every_selection_kernel():
    warm_up()


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 300), keys=st.integers(1, 40),
       share=st.sampled_from([0.0, 0.3, 1.0]), dtype=st.sampled_from(INDEX_TYPES))
def test_table_selections_are_numpys_take_then_nonzero(seed: int, n: int, keys: int, share: float,
                                                        dtype: type):
    rng = np.random.default_rng(seed)
    table = rng.random(keys) < share
    index = rng.integers(0, keys, size=n).astype(dtype)
    same(where_table(table, index), numpy_where_table(table, index))
    same(gather(table, index), table.take(index))
    values = rng.normal(size=keys).astype(np.float32)
    same(gather(values, index), values.take(index))
    at = rng.integers(0, max(n, 1), size=rng.integers(0, 50)).astype(np.int64) if n else np.zeros(0, np.int64)
    same(table_at(table, index, at), numpy_table_at(table, index, at))


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 300), n_offers=st.integers(0, 60),
       grid=st.booleans(), scale=st.sampled_from([0.0, 0.1, 0.5, 2.0]))
def test_open_candidates_are_numpys_mask_with_the_offered_bound(seed: int, n: int, n_offers: int,
                                                                grid: bool, scale: float):
    rng = np.random.default_rng(seed)
    u = _draws(rng, n, grid)
    bound = _draws(rng, n, grid) * np.float32(scale)
    # Offered people in several plans (a person may repeat), their bound in float64.
    person = rng.integers(0, n, size=n_offers) if n else np.zeros(0, dtype=np.int64)
    offered_bound = bound.take(person).astype(np.float64) * (1.0 + rng.random())
    hit = u.take(person) < offered_bound
    same(below_or_listed(u, bound, person, hit), numpy_open_candidates(u, bound, person, offered_bound))


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 300), n_offers=st.integers(0, 60),
       grid=st.booleans(), uplift=st.sampled_from([0.0, 0.5, 1.0]), by_person=st.booleans())
def test_open_candidates_are_numpys_with_the_engines_offered_bound(seed: int, n: int, n_offers: int,
                                                                   grid: bool, uplift: float,
                                                                   by_person: bool):
    rng = np.random.default_rng(seed)
    u = _draws(rng, n, grid)
    bound = _draws(rng, n, grid) * np.float32(0.5)
    person = rng.integers(0, n, size=n_offers) if n else np.zeros(0, dtype=np.int64)
    factor = (rng.random(n) * 2).astype(np.float32) if by_person else None
    offer_bound = (1.0 + uplift) * 1.0001
    want = numpy_open_candidates(u, bound, person, numpy_offered_bound(bound, person, offer_bound, factor))
    got = open_candidates(u, bound, person, offer_bound, bound if factor is None else factor,
                          factor is not None)
    same(got, want)


def test_open_candidates_at_the_edges():
    u = np.array([0.5, 0.25, 0.0], dtype=np.float32)
    everyone = np.arange(3, dtype=np.int64)
    hits, misses = np.ones(3, dtype=bool), np.zeros(3, dtype=bool)
    same(below_or_listed(u, u, everyone[:0], hits[:0]), everyone[:0])  # equal to the bound: not below
    same(below_or_listed(u, u, everyone, hits), everyone)  # all listed with a hit
    same(below_or_listed(u, u, everyone, misses), everyone[:0])  # listed without one
    same(below_or_listed(u, u + np.float32(1), everyone[:0], hits[:0]), everyone)
    same(below_or_listed(u[:0], u[:0], everyone[:0], hits[:0]), everyone[:0])
    same(below_or_listed(u[:1], u[:1], everyone[:1], hits[:1]), everyone[:1])


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 300), grid=st.booleans(),
       low=st.sampled_from([0.0, 0.125, 0.3, 0.5]), high=st.sampled_from([0.0, 0.25, 0.5000001, 1.0]))
def test_between_is_numpys_two_comparisons_in_float64(seed: int, n: int, grid: bool, low: float, high: float):
    u = _draws(np.random.default_rng(seed), n, grid)
    lo, hi = np.float64(low), np.float64(high)
    same(between(u, lo, hi), numpy_between(u, lo, hi))


def test_between_compares_in_float64_not_float32():
    # 0.1 rounds up in float32: float32(0.1) >= 0.1 in float64, not below it.
    u = np.array([np.float32(0.1), np.float32(0.0999999)], dtype=np.float32)
    same(between(u, np.float64(0.0), np.float64(0.1)), numpy_between(u, np.float64(0.0), np.float64(0.1)))
    same(between(u, np.float64(0.0), np.float64(0.1)), np.array([1], dtype=np.int64))


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 200), m=st.integers(0, 200), grid=st.booleans(),
       plans=st.integers(1, 4))
def test_below_at_is_numpys_gathered_comparison(seed: int, n: int, m: int, grid: bool, plans: int):
    rng = np.random.default_rng(seed)
    u = _draws(rng, n, grid)
    shares = np.array([0.0, 1.0, 0.1, 0.375])[:plans] if grid else rng.random(plans)
    person, plan = rng.integers(0, n, size=m), rng.integers(0, plans, size=m)
    same(below_at(u, person, shares, plan), numpy_below_at(u, person, shares, plan))


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 5), slots=st.integers(1, 50),
       m=st.integers(0, 80), dtype=st.sampled_from([np.int16, np.uint8, np.uint16, np.float32]))
def test_gather_columns_is_numpys_take_along_the_last_axis(seed: int, rows: int, slots: int, m: int,
                                                           dtype: type):
    rng = np.random.default_rng(seed)
    table = (rng.normal(size=(rows, slots)) * 100).astype(dtype)
    index = rng.integers(0, slots, size=m).astype(np.int32)
    same(gather_columns(table, index), np.take(table, index, axis=-1))
    same(gather_columns(table[1:], index), np.take(table[1:], index, axis=-1))  # a row view


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 200), keys=st.integers(1, 30),
       share=st.sampled_from([0.0, 0.02, 0.5, 1.0]), dtype=st.sampled_from([np.int16, np.int32]))
def test_set_annoyance_is_numpys_nonzero_then_gathers(seed: int, n: int, keys: int, share: float,
                                                      dtype: type):
    rng = np.random.default_rng(seed)
    annoyed = rng.random(n) < share
    key = rng.integers(0, keys, size=n).astype(dtype)
    annoyance = (rng.random(keys) * 0.3).astype(np.float32)
    experience = rng.normal(size=n).astype(np.float32)
    expected = experience.copy()
    same(set_annoyance(annoyed, key, annoyance, experience),
         numpy_set_annoyance(annoyed, key, annoyance, expected))
    same(experience, expected)


def _records_state(rng: np.random.Generator, n_channels: int, n: int, buyers: float) -> SimpleNamespace:
    """A plan's state whose records hold slots for a share ``buyers`` of the people only."""
    records = BuyerRecords.empty(1, n_channels, n)
    bought = np.flatnonzero(rng.random(n) < buyers)
    plan = np.zeros(bought.size, dtype=np.int64)
    slot = records.place(bought)
    for c in range(n_channels):
        records.add("purchases_by_channel", plan, slot, rng.integers(0, 3, bought.size).astype(np.uint8), c)
        records.add("spend_by_channel", plan, slot, (rng.random(bought.size) * 200).astype(np.float32), c)
    week_bought = np.full(n, -1, dtype=np.int16)
    week_bought[bought] = rng.integers(0, 30, bought.size)
    return SimpleNamespace(
        records=records[0],
        channels_used=rng.integers(0, 2**n_channels, size=n).astype(np.uint8),
        channels_bought=rng.integers(0, 2**n_channels, size=n).astype(np.uint8),
        last_purchase_week=week_bought,
        customer_since=np.where(rng.random(n) < 0.5, rng.integers(0, 30, n), -1).astype(np.int16),
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n_channels=st.integers(1, 5), n=st.integers(1, 120),
       buyers=st.sampled_from([0.0, 0.4, 1.0]), shared=st.booleans(), m=st.integers(0, 120),
       per_usd=st.sampled_from([1.0, 36.5]))
def test_features_are_the_gather_per_record_features(seed: int, n_channels: int, n: int,
                                                            buyers: float, shared: bool, m: int,
                                                            per_usd: float):
    rng = np.random.default_rng(seed)
    state = _records_state(rng, n_channels, n, buyers)
    history = PurchaseHistory.empty(n_channels, n, state.records.slot if shared else None)
    buyers_now = np.flatnonzero(state.records.slot) if shared else np.arange(n)
    if buyers_now.size:
        history.record(WeekPurchases(
            person=buyers_now, channel=rng.integers(0, n_channels, buyers_now.size),
            net_value=np.ones(buyers_now.size), order_value=np.ones(buyers_now.size),
            offered=np.zeros(buyers_now.size, dtype=bool)), week=int(rng.integers(0, 30)))
    people = rng.integers(0, n, size=m).astype(np.int64)
    week = 31
    same(unified_features(state, history, people, week, per_usd=per_usd),
         numpy_unified_features(state, history, people, week, per_usd=per_usd))
    new, old = (records(state, history, people, week, per_usd=per_usd)
                for records in (channel_records, numpy_channel_records))
    for name in ("design", "person_pos", "channel"):
        same(getattr(new, name), getattr(old, name))
    for channel in range(n_channels):
        same(channel_features(state, history, channel, people, week, per_usd=per_usd),
             numpy_channel_features(state, history, channel, people, week, per_usd=per_usd))


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 50), rows=st.integers(1, 4), m=st.integers(0, 80),
       week=st.integers(0, 600))
def test_set_by_slot_is_numpys_fancy_assignment(seed: int, n: int, rows: int, m: int, week: int):
    rng = np.random.default_rng(seed)
    slot = rng.permutation(n + 1)[:n].astype(np.int32)
    table = rng.integers(0, 100, size=(rows, n + 1)).astype(np.int16)
    expected = table.copy()
    person, row = rng.integers(0, n, size=m), rng.integers(0, rows, size=m)  # people may repeat
    expected[row, slot.take(person)] = week + 1
    set_by_slot(table, row, person, slot, week + 1)
    same(table, expected)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 100), m=st.integers(0, 150))
def test_mark_is_numpys_fancy_assignment(seed: int, n: int, m: int):
    rng = np.random.default_rng(seed)
    flags = rng.random(n) < 0.3
    expected = flags.copy()
    at = rng.integers(0, n, size=m)  # repeats too
    expected[at] = True
    mark(flags, at)
    same(flags, expected)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 80), m=st.integers(0, 120),
       counts=st.sampled_from([np.uint8, np.uint16]), threshold=st.sampled_from([0, 2, 300]),
       elasticity=st.sampled_from([0.0, 1.7, 3.3]), multiplier=st.sampled_from([0.5, 1.0, 0.7]))
def test_hazard_from_the_gathers_is_numpys(seed: int, n: int, m: int, counts: type, threshold: int,
                                          elasticity: float, multiplier: float):
    rng = np.random.default_rng(seed)
    segment = rng.integers(0, 4, size=n).astype(np.int8)
    segment_hazard = (rng.random(4) * 0.05).astype(np.float32)
    satisfaction = rng.random(2 * n).astype(np.float32)
    purchases = rng.integers(0, 5, size=2 * n).astype(counts)
    flat = rng.integers(0, 2 * n, size=m)
    person = flat % n
    base, gap, loyal = hazard_inputs(flat, person, segment, segment_hazard, satisfaction, np.float32(0.7),
                                     purchases, threshold)
    hazard = base * np.exp(np.float32(-elasticity) * gap)
    scale_where(hazard, loyal, np.float32(multiplier))
    same(hazard, numpy_hazard(flat, person, segment, segment_hazard, satisfaction, 0.7, elasticity,
                              purchases, threshold, multiplier))


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(0, 200), plans=st.integers(1, 4))
def test_totals_by_plan_are_numpys_slice_sums(seed: int, m: int, plans: int):
    rng = np.random.default_rng(seed)
    plan = np.sort(rng.integers(0, plans, size=m))
    count, flag = rng.integers(1, 4, size=m), rng.random(m) < 0.3
    tally, expected = np.zeros((plans, 3)), np.zeros((plans, 3))
    numpy_count_many(expected, [0, 2], plan, np.stack([count, count * flag]), plans)
    tally[:, [0, 2]] += totals_by_plan(plan, count, flag, plans)
    same(tally, expected)
