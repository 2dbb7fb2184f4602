"""The purchase kernels (simulation/core/kernels/purchases.py) write what the numpy passes wrote.

Each case builds the same records and state twice, applies the numpy reference
(``numpy_reference.numpy_purchase_writes``) to one and the kernels, called as the engine calls
them, to the other, and compares every array byte for byte: random buyers (hypothesis), no
buyers, a uint8 counter that must widen to uint16, one person buying in several plans (and
hence several channels) in one week.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from simulation.core.kernels.purchases import counts_overflow, place_kernel, purchase_writes_kernel
from simulation.core.records import RECORDS, BuyerRecords
from tests.simulation.core.kernel_variants import kernel_variant  # noqa: F401  (each test on each variant)
from tests.simulation.core.numpy_reference import numpy_place, numpy_purchase_writes

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STATE = ("customer_since", "purchases", "second_purchase_week", "last_purchase_week", "channels_bought")


@dataclass
class Case:
    """A week's buyers and what they write into (built afresh by :func:`build`)."""

    records: BuyerRecords
    state: dict[str, NDArray[Any]]
    experience: NDArray[np.float32]
    channel_weekly: NDArray[np.float64]


def build(seed: int, n_plans: int, n_channels: int, n_people: int, held: type, full: bool) -> Case:
    """Records and state with some earlier buyers (same seed, same case); ``full``: counters at 255."""
    rng = np.random.default_rng(seed)
    records = BuyerRecords.empty(n_plans, n_channels, n_people)
    earlier = np.flatnonzero(rng.random(n_people) < 0.4)
    for s in range(n_plans):
        slot = records.place(earlier)
        plan = np.full(earlier.size, s)
        channel = rng.integers(0, n_channels, earlier.size)
        records.add("purchases_by_channel", plan, slot, 255 if full else 3, channel)
        for name in ("spend_by_channel", "orders_discounted"):
            records.add(name, plan, slot, rng.random(earlier.size).astype(np.float32) * 50, channel)
        for name in ("revenue_discounted", "remote_revenue_discounted", "network_discounted"):
            records.add(name, plan, slot, rng.random(earlier.size).astype(np.float32) * 90)
    size = n_plans * n_people
    week_of = rng.integers(-1, 20, size).astype(np.int16)
    state = {"customer_since": week_of, "purchases": (week_of >= 0).astype(held) * 2,
             "second_purchase_week": np.full(size, -1, dtype=np.int16),
             "last_purchase_week": np.maximum(week_of, -1),
             "channels_bought": rng.integers(0, 8, size).astype(np.uint8)}
    experience = (rng.normal(size=size) * 3).astype(np.float32)
    channel_weekly = np.zeros((n_plans, 5, 2, n_channels))
    channel_weekly[:, 2] = rng.random((n_plans, 2, n_channels)) * 100
    return Case(records, state, experience, channel_weekly)


def kernels(case: Case, flat: NDArray[np.int64], channel: NDArray[np.int64], net: NDArray[np.float64],
            from_network: NDArray[np.bool_], physical: NDArray[np.bool_], discount: np.float64, week: int,
            gain: Any) -> NDArray[np.bool_]:
    """The kernels as ``Simulation._write_purchases`` calls them."""
    records, state = case.records, case.state
    n_people = records.n_people
    plan, person = flat // n_people, flat % n_people
    slot = records.place(person)
    counts = records.table("purchases_by_channel")
    if counts_overflow(counts, plan, channel, slot):
        counts = records.widen("purchases_by_channel")
    gain = np.result_type(np.float32, gain).type(gain)
    return purchase_writes_kernel(  # type: ignore[no-any-return]
        flat, plan, slot, channel, net, from_network, physical, float(discount), week, gain,
        records.table("revenue_discounted"), records.table("remote_revenue_discounted"), counts,
        records.table("spend_by_channel"), records.table("orders_discounted"),
        records.table("network_discounted"), state["customer_since"], state["purchases"],
        state["second_purchase_week"], state["last_purchase_week"], state["channels_bought"],
        case.experience, case.channel_weekly[:, 2])


def same(a: Any, b: Any) -> None:
    """Equal dtype, shape and bytes."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    assert a.tobytes() == b.tobytes()


def check(seed: int, n_plans: int, n_channels: int, n_people: int, flat: NDArray[np.int64],
          held: type = np.uint8, full: bool = False, gain: Any = 0.35, week: int = 3) -> None:
    """Both paths on the same case; every array equal byte for byte."""
    rng = np.random.default_rng(seed + 1)
    channel = rng.integers(0, n_channels, flat.size)
    net = np.where(rng.random(flat.size) < 0.2, 0.0, rng.lognormal(3.0, 1.0, flat.size))
    from_network = rng.random(flat.size) < 0.3
    physical = rng.random(n_channels) < 0.5
    discount = (1.0 / 1.001 ** np.arange(10))[week]
    args = (flat, channel, net, from_network, physical, discount, week, gain)
    ref = build(seed, n_plans, n_channels, n_people, held, full)
    new = build(seed, n_plans, n_channels, n_people, held, full)
    n = n_people
    expected = numpy_purchase_writes(ref.records, flat, flat // n, flat % n, *args[1:4], physical,
                                     discount, week, gain, ref.state, ref.experience,
                                     ref.channel_weekly[:, 2])
    got = kernels(new, *args)
    same(got, expected)
    same(new.records.slot, ref.records.slot)
    assert new.records._store.used == ref.records._store.used
    for name in RECORDS:
        same(new.records.table(name), ref.records.table(name))
    for name in STATE:
        same(new.state[name], ref.state[name])
    same(new.experience, ref.experience)
    same(new.channel_weekly, ref.channel_weekly)


@SETTINGS
@given(seed=st.integers(0, 2**16), n_plans=st.integers(1, 3), n_channels=st.integers(1, 7),
       n_people=st.integers(1, 40), share=st.floats(0.0, 1.0), held=st.sampled_from([np.uint8, np.uint16]),
       full=st.booleans(), gain=st.sampled_from([0.35, np.float32(0.2), np.float64(0.1), 0.0]),
       week=st.integers(0, 9))
def test_the_purchase_kernels_write_what_numpy_wrote(seed: int, n_plans: int, n_channels: int,
                                                     n_people: int, share: float, held: type,
                                                     full: bool, gain: Any, week: int) -> None:
    rng = np.random.default_rng(seed + 2)
    flat = np.flatnonzero(rng.random(n_plans * n_people) < share)
    check(seed, n_plans, n_channels, n_people, flat, held, full, gain, week)


def test_no_buyers_write_nothing() -> None:
    check(5, 3, 4, 10, np.zeros(0, dtype=np.int64))


def test_a_counter_at_255_widens_to_uint16_before_the_purchase() -> None:
    case = build(7, 2, 3, 8, np.uint8, True)
    buyers = np.flatnonzero(case.records.slot)
    assert buyers.size
    check(7, 2, 3, 8, np.concatenate([buyers, buyers + 8]), full=True)
    flat = np.concatenate([buyers, buyers + 8])
    kernels(case, flat, np.zeros(flat.size, dtype=np.int64), np.ones(flat.size), np.zeros(flat.size, bool),
            np.ones(3, bool), np.float64(1.0), 0, 0.35)
    counts = case.records.table("purchases_by_channel")
    assert counts.dtype == np.uint16
    assert counts[0, 0, case.records.slot[buyers]].max() >= 256


def test_a_person_buying_in_every_plan_gets_one_slot_and_every_write() -> None:
    # person b buys in plans 0, 1 and 2 (channels 0, 1, 2), person a < b in plan 2 only;
    # neither bought before.
    case = build(11, 3, 3, 6, np.uint8, False)
    fresh = [p for p in range(6) if case.records.slot[p] == 0]
    assert len(fresh) >= 2
    a, b = sorted(fresh[:2])
    flat = np.array(sorted([b, 6 + b, 12 + a, 12 + b]))
    check(11, 3, 3, 6, flat)
    kernels(case, flat, np.array([0, 1, 0, 2]),
            np.ones(4), np.zeros(4, bool), np.ones(3, bool), np.float64(1.0), 4, 0.35)
    slot = case.records.slot
    assert 0 < slot[a] < slot[b]  # new slots in person order, one each
    counts = case.records.dense("purchases_by_channel")
    assert counts[:, :, b].sum() == 3 and counts[2, :, a].sum() == 1


def test_the_slot_kernel_hands_out_slots_as_numpy_did() -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        slot = np.where(rng.random(30) < 0.3, rng.integers(1, 9, 30), 0).astype(np.int32)
        person = rng.integers(0, 30, rng.integers(0, 40))
        mine, ref = slot.copy(), slot.copy()
        got, used = place_kernel(mine, 9, person)
        want, used_ref = numpy_place(ref, 9, person)
        same(got, want)
        same(mine, ref)
        assert used == used_ref
