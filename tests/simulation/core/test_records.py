"""Purchase records kept by buyer slot (simulation/core/records.py): same values as dense arrays,
room only for the people who bought, counters that widen instead of wrapping around."""

from __future__ import annotations

import pickle

import numpy as np

from simulation.core.records import CHANNEL_RECORDS, PERSON_RECORDS, BuyerRecords, lazy_zeros


def _records_with_two_buyers() -> BuyerRecords:
    """Two plans, three channels, six people; person 4 buys, then person 1 (in plan 1 only)."""
    records = BuyerRecords.empty(2, 3, 6)
    slot = records.place(np.array([4, 4]))
    records.add("purchases_by_channel", np.array([0, 1]), slot, 1, np.array([2, 0]))
    records.add("spend_by_channel", np.array([0, 1]), slot, np.float32([10.5, 7.25]), np.array([2, 0]))
    records.add("revenue_discounted", np.array([0, 1]), slot, np.float32([10.0, 7.0]))
    slot = records.place(np.array([1]))
    records.add("spend_by_channel", np.array([1]), slot, np.float32([3.0]), 1)
    return records


def test_records_read_as_dense_arrays_would():
    records = _records_with_two_buyers()
    spend = np.zeros((2, 3, 6), dtype=np.float32)
    spend[0, 2, 4], spend[1, 0, 4], spend[1, 1, 1] = 10.5, 7.25, 3.0
    np.testing.assert_array_equal(records.dense("spend_by_channel"), spend)
    for plan in (0, 1):
        one = records[plan]
        np.testing.assert_array_equal(one.dense("spend_by_channel"), spend[plan])
        people = np.array([5, 4, 1, 4])
        np.testing.assert_array_equal(one.take("spend_by_channel", people), spend[plan][:, people])
        np.testing.assert_array_equal(one.take("spend_by_channel", people, 2), spend[plan, 2, people])
    np.testing.assert_array_equal(records[1].dense("revenue_discounted"), [0, 0, 0, 0, 7.0, 0])
    np.testing.assert_array_equal(records[1].channel_total("spend_by_channel"),
                                  spend[1].sum(axis=0, dtype=np.float64))
    assert records.dense("purchases_by_channel").sum() == 2


def test_only_buyers_take_a_slot_in_the_order_they_first_bought():
    records = _records_with_two_buyers()
    np.testing.assert_array_equal(records.slot, [0, 2, 0, 0, 1, 0])
    # a buyer seen again (in any plan) keeps their slot; several new buyers at once get one each
    np.testing.assert_array_equal(records.place(np.array([4, 0, 5, 0])), [1, 3, 4, 3])


def test_a_count_that_would_wrap_around_widens_the_counter_instead():
    records = BuyerRecords.empty(2, 2, 3)
    one_plan = records[1]  # a view taken before the widening sees the widened counts
    slot = records.place(np.array([2]))
    for _ in range(300):
        records.add("purchases_by_channel", np.array([1]), slot, 1, np.array([0]))
    assert records.table("purchases_by_channel").dtype == np.uint16
    np.testing.assert_array_equal(one_plan.dense("purchases_by_channel"), [[0, 0, 300], [0, 0, 0]])
    assert records[0].dense("purchases_by_channel").sum() == 0


def test_a_plans_records_pickle_without_the_room_left_for_everyone():
    n = 20_000
    records = BuyerRecords.empty(3, 4, n)
    buyers = np.arange(0, n, 50)  # 2% of people bought
    slot = records.place(buyers)
    plan = np.full(buyers.size, 1)
    records.add("orders_discounted", plan, slot, np.float32(0.5), buyers % 4)
    records.add("service_contacts_discounted", plan, slot, np.float32(2.0))
    payload = pickle.dumps(records[1], protocol=pickle.HIGHEST_PROTOCOL)
    dense_bytes = 4 * n * (4 * len(CHANNEL_RECORDS) + len(PERSON_RECORDS))
    assert len(payload) < dense_bytes / 5
    back = pickle.loads(payload)
    for name in CHANNEL_RECORDS + PERSON_RECORDS:
        np.testing.assert_array_equal(back.dense(name), records[1].dense(name))


def test_from_dense_gives_back_the_arrays():
    counts = np.array([[3, 0, 1], [0, 2, 0]], dtype=np.uint16)
    spend = np.array([[9.0, 0.0, 1.5], [0.0, 4.0, 0.0]], dtype=np.float32)
    records = BuyerRecords.from_dense(purchases_by_channel=counts, spend_by_channel=spend)
    np.testing.assert_array_equal(records.dense("purchases_by_channel"), counts)
    np.testing.assert_array_equal(records.dense("spend_by_channel"), spend)
    np.testing.assert_array_equal(records.dense("orders_discounted"), np.zeros((2, 3)))
    assert (records.n_channels, records.n_people) == (2, 3)


def test_lazy_zeros_are_writable_zeros():
    a = lazy_zeros((3, 5), np.float32)
    assert a.dtype == np.float32 and a.shape == (3, 5) and not a.any()
    a[1, 2] += 1.5
    assert a.sum() == 1.5
    assert lazy_zeros((0, 4), np.uint8).shape == (0, 4)


def test_a_run_gives_slots_to_exactly_the_people_who_bought(small_results):
    run = small_results.run
    bought = sum(state.purchases_by_channel.sum(axis=0) for state in run.states) > 0
    slot = run.states[0].records.slot
    np.testing.assert_array_equal(slot > 0, bought)
    assert np.array_equal(np.sort(slot[slot > 0]), np.arange(1, bought.sum() + 1))
    assert 0 < bought.mean() < 1
    for state in run.states:  # counts by channel add up to each person's purchases
        made = state.purchases.astype(np.int64) - run.world.people.existing
        np.testing.assert_array_equal(state.purchases_by_channel.sum(axis=0, dtype=np.int64), made)
