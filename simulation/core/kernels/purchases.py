"""What a week's purchases write, as compiled loops over the buyers.

The engine's purchase step wrote a dozen records and state arrays, each by its own numpy pass
(gather a slot, build a flat index, check a counter for overflow, scatter-add), and counted
orders by channel with two ``np.bincount``. Here one loop over the buyers (a cohort sorted by
flat index plan x N + person, each (plan, person) at most once) does every write, in the order
the numpy passes did it; see :mod:`simulation.core.kernels` for the rules every kernel keeps.
The order value, its ``exp`` and the returns stay in numpy.
"""

from __future__ import annotations

import itertools
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from simulation.core.kernels import threads
from simulation.core.kernels.common import JIT, PARALLEL_JIT, chunk_bounds, n_chunks


@numba.njit(**JIT)
def place_kernel(slot: NDArray[np.int32], used: int,
                 person: NDArray[np.int64]) -> tuple[NDArray[np.int64], int]:
    """Slots of ``person`` (buyers), handing out new ones to first-time buyers.

    What :meth:`simulation.core.records.BuyerRecords.place` did with numpy: new slots count up
    from ``used`` in the order of the new buyers' person index (``np.unique``), a person who
    buys in several plans gets one slot. Writes ``slot`` (N,) in place.

    Returns
    -------
    tuple
        The buyers' slots (int64) and the slots handed out so far, counting the empty slot 0.
    """
    n = person.size
    fresh = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        p = person[i]
        if slot[p] == 0:
            slot[p] = -1  # marked, so a person met again in another plan is taken once
            fresh[k] = p
            k += 1
    if k:
        fresh = np.sort(fresh[:k])
        for j in range(k):
            slot[fresh[j]] = used + j
        used += k
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        out[i] = slot[person[i]]
    return out, used


@numba.njit(**JIT)
def counts_overflow(counts: NDArray[Any], plan: NDArray[np.int64], channel: NDArray[np.int64],
                    slot: NDArray[np.int64]) -> bool:
    """Whether adding 1 to ``counts[plan, channel, slot]`` would overflow its unsigned type."""
    top = np.iinfo(counts.dtype).max
    over = False
    for i in range(plan.size):
        over |= counts[plan[i], channel[i], slot[i]] >= top
    return over


@numba.njit(**JIT)
def _write_buyers(lo: int, hi: int, inputs: tuple[Any, ...], first: NDArray[np.bool_]) -> None:
    """Every write of buyers ``lo`` to ``hi`` but the channel totals.

    ``inputs``: the kernel's arguments, unpacked once here (not per buyer).
    """
    (flat, plan, slot, channel, net, from_network, physical, discount, week, gain, revenue,
     remote_revenue, counts, spend, orders, network, customer_since, purchases, second_week,
     last_week, channels_bought, experience, _) = inputs
    discount32 = np.float32(discount)
    for i in range(lo, hi):
        f, s, p, c = flat[i], slot[i], plan[i], channel[i]
        v = net[i]
        revenue[p, s] += np.float32(v * discount)
        if not physical[c]:
            remote_revenue[p, s] += np.float32(v * discount)
        experience[f] = experience[f] + gain
        is_first = customer_since[f] < 0
        first[i] = is_first
        if is_first:
            customer_since[f] = week
        count = purchases[f] + 1
        purchases[f] = count
        if count == 2:
            second_week[f] = week
        last_week[f] = week
        counts[p, c, s] += 1
        spend[p, c, s] += np.float32(v)
        orders[p, c, s] += discount32
        if from_network[i]:
            network[p, s] += discount32
        channels_bought[f] |= np.uint8(1 << c)


@numba.njit(**JIT)
def _add_channel_totals(plan: NDArray[np.int64], channel: NDArray[np.int64], net: NDArray[np.float64],
                        channel_weekly: NDArray[np.float64]) -> None:
    """Add the buyers' orders and net revenue to ``channel_weekly`` by plan and channel.

    The revenue sums start from 0.0 and add in buyer order, as ``np.bincount`` adds its weights.
    """
    n_plans, n_channels = channel_weekly.shape[0], channel_weekly.shape[2]
    ordered = np.zeros((n_plans, n_channels), dtype=np.int64)
    value = np.zeros((n_plans, n_channels))
    for i in range(plan.size):
        ordered[plan[i], channel[i]] += 1
        value[plan[i], channel[i]] += net[i]
    for p in range(n_plans):
        for c in range(n_channels):
            channel_weekly[p, 0, c] += ordered[p, c]
            channel_weekly[p, 1, c] += value[p, c]


@numba.njit(**JIT)
def _purchase_writes(inputs: tuple[Any, ...]) -> NDArray[np.bool_]:
    """:func:`purchase_writes_kernel` of the arguments ``inputs``, serially."""
    first = np.empty(inputs[0].size, dtype=np.bool_)
    _write_buyers(0, inputs[0].size, inputs, first)
    _add_channel_totals(inputs[1], inputs[3], inputs[4], inputs[-1])
    return first


@numba.njit(**PARALLEL_JIT)
def _purchase_writes_par(chunk: int, inputs: tuple[Any, ...]) -> NDArray[np.bool_]:
    """:func:`purchase_writes_kernel` with the buyers' writes on every thread.

    Each buyer writes only its own (plan, person) entries and record cells (each pair buys at
    most once a week); the channel totals, float sums, are then added serially in buyer order.
    """
    n = inputs[0].size
    first = np.empty(n, dtype=np.bool_)
    for c in numba.prange(n_chunks(n, chunk)):
        lo, hi = chunk_bounds(c, chunk, n)
        _write_buyers(lo, hi, inputs, first)
    _add_channel_totals(inputs[1], inputs[3], inputs[4], inputs[-1])
    return first


def purchase_writes_kernel(flat: NDArray[np.int64], *args: Any) -> NDArray[np.bool_]:
    """Write this week's purchases into the buyer records, the state and the channel totals.

    Parameters
    ----------
    flat, plan, slot, channel:
        Each buyer's flat index (plan x N + person), plan, record slot and channel bought in.
    net:
        Each order's net value (0 if returned; simulated currency).
    from_network, physical:
        Which orders are served from another location's stock; which channels are physical.
    discount, week:
        This week's discount factor (float64) and index.
    gain:
        The satisfaction gain of a purchase, of the type numpy adds it to a float32 array in.
    revenue, remote_revenue, network:
        (P, S) records, discounted to week 0: net revenue, net revenue of remote channels,
        orders served from the network.
    counts, spend, orders:
        (P, C, S) records: purchases (unsigned, checked by :func:`counts_overflow`), net spend,
        discounted orders.
    customer_since, purchases, second_week, last_week, channels_bought, experience:
        (P x N,) state by flat index (weeks, count, bit mask by channel, satisfaction points).
    channel_weekly:
        (P, 2, C) this week's orders and net revenue by plan and channel (float64).

    Returns
    -------
    NDArray[np.bool_]
        Which buyers made their first purchase (before this week they were no customer).
    """
    if threads.parallel(flat.size):
        return _purchase_writes_par(threads.CHUNK, (flat, *args))  # type: ignore[no-any-return]
    return _purchase_writes((flat, *args))  # type: ignore[no-any-return]


def warm_up() -> None:
    """Compile (or load) the kernels on tiny inputs, for uint8 and uint16 counts."""
    slot = np.zeros(2, dtype=np.int32)
    one = np.zeros(1, dtype=np.int64)
    placed, _ = place_kernel(slot, 1, one)
    f32 = np.zeros((1, 2), dtype=np.float32)
    # One plan's week of (P, W, 2, C) channel totals is contiguous, several plans' is not.
    weeks = (np.zeros((1, 2, 1)), np.zeros((2, 2, 2, 1))[:, 0])
    for dtype, held, week in itertools.product((np.uint8, np.uint16), (np.uint8, np.uint16), weeks):
        counts = np.zeros((1, 1, 2), dtype=dtype)
        counts_overflow(counts, one, one, placed)
        purchase_writes_kernel(
            one, one, placed, one, np.zeros(1), np.zeros(1, dtype=np.bool_),
            np.zeros(1, dtype=np.bool_), 1.0, 0, np.float32(0.1), f32, f32.copy(), counts,
            np.zeros((1, 1, 2), dtype=np.float32), np.zeros((1, 1, 2), dtype=np.float32),
            f32.copy(), np.full(2, -1, dtype=np.int16), np.zeros(2, dtype=held),
            np.full(2, -1, dtype=np.int16), np.full(2, -1, dtype=np.int16),
            np.zeros(2, dtype=np.uint8), np.zeros(2, dtype=np.float32), week)


__all__ = ["counts_overflow", "place_kernel", "purchase_writes_kernel", "warm_up"]
