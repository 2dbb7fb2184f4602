"""Weekly steps over people as compiled loops: rare events found from the shared draws.

Each kernel scans a whole-population uniform draw for the people whose draw is below a bound,
then examines them in every plan (plan by plan, people in order: the order of the engine's
cohorts, sorted by flat index plan x N + person), reading each pair's contact key (with this
week's offer) where the numpy steps built cohorts, gathered keys and compressed several times.
See :mod:`simulation.core.kernels` for the rules every kernel keeps.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from simulation.core.kernels import threads
from simulation.core.kernels.common import (
    JIT,
    PARALLEL_JIT,
    chunk_bounds,
    chunk_offsets,
    gather_chunks,
    n_chunks,
)


@numba.njit(**JIT)
def below(u: NDArray[np.float32], bound: float) -> NDArray[np.int64]:
    """``(u < bound).nonzero()[0]``, ``bound`` as compared with a float32 draw.

    One branch-free pass (every position is written, the count advances on a hit: the hits are
    too frequent for a branch to be predicted) into room for every position, of which only the
    hits' pages are touched; the hits are then copied out. A count first would read the draw
    twice, and the draw was just written by another thread, so it is not in this core's cache.
    """
    out = np.empty(u.size + 1, dtype=np.int64)
    n = 0
    for p in range(u.size):
        out[n] = p
        n += u[p] < bound
    return out[:n].copy()


@numba.njit(**PARALLEL_JIT)
def _below_par(chunk: int, u: NDArray[np.float32], bound: float) -> NDArray[np.int64]:
    """:func:`below` on every thread, in chunks of ``chunk`` people: count, then write at offsets.

    Each chunk reads a view of its draws, indexed from 0: an index numba cannot prove
    non-negative (``range(lo, hi)``) is checked for wrap-around at every read, which stops the
    loop's vectorization (4x slower).
    """
    count = n_chunks(u.size, chunk)
    hits = np.empty(count, dtype=np.int64)
    for c in numba.prange(count):
        lo, hi = chunk_bounds(c, chunk, u.size)
        draws = u[lo:hi]
        k = 0
        for t in range(draws.size):
            k += draws[t] < bound
        hits[c] = k
    offsets = chunk_offsets(hits)
    out = np.empty(offsets[-1], dtype=np.int64)
    for c in numba.prange(count):
        lo, hi = chunk_bounds(c, chunk, u.size)
        draws = u[lo:hi]
        mine = out[offsets[c]:offsets[c + 1]]
        n = 0
        for t in range(draws.size):
            if n == mine.size:  # the chunk's hits are written: the next slot is the next chunk's
                break
            mine[n] = lo + t
            n += draws[t] < bound
    return out


@numba.njit(**JIT)
def _plan_chunk(q: int, per_plan: int, chunk: int, m: int) -> tuple[int, int, int]:
    """Plan, first and end candidate of chunk ``q`` of (plan, candidate) pairs, ``per_plan`` a plan."""
    s = q // per_plan
    lo, hi = chunk_bounds(q - s * per_plan, chunk, m)
    return s, lo, hi


@numba.njit(**JIT)
def _contact_conflicts(u: NDArray[np.float32], chance: NDArray[np.float64],
                             key_flat: NDArray[Any], offered: NDArray[np.bool_], offered_step: int,
                             multi: NDArray[np.bool_]) -> NDArray[np.int64]:
    """:func:`contact_conflicts_kernel`, serially."""
    n_people = u.size
    top = 0.0
    for s in range(chance.size):
        top = max(top, chance[s])
    people = below(u, top)
    out = np.empty(people.size * chance.size + 1, dtype=np.int64)
    n = 0
    for s in range(chance.size):
        b = chance[s]
        if not b > 0:
            continue
        for p in people:
            f = s * n_people + p
            out[n] = f
            n += (u[p] < b) & multi[np.int64(key_flat[f]) + offered_step * np.int64(offered[f])]
    return out[:n]


@numba.njit(**PARALLEL_JIT)
def _contact_conflicts_par(chunk: int, u: NDArray[np.float32], chance: NDArray[np.float64],
                           key_flat: NDArray[Any], offered: NDArray[np.bool_], offered_step: int,
                           multi: NDArray[np.bool_]) -> NDArray[np.int64]:
    """:func:`contact_conflicts_kernel` on every thread, in chunks of ``chunk`` candidates a plan.

    Each chunk counts its hits, then writes them at its offset (the serial order).
    """
    n_people = u.size
    top = 0.0
    for s in range(chance.size):
        top = max(top, chance[s])
    people = _below_par(chunk, u, top)
    m = people.size
    per_plan = n_chunks(m, chunk)
    count = chance.size * per_plan
    hits = np.zeros(count, dtype=np.int64)
    for q in numba.prange(count):
        s, lo, hi = _plan_chunk(q, per_plan, chunk, m)
        b = chance[s]
        if b > 0:
            k = 0
            for p in people[lo:hi]:
                f = s * n_people + p
                k += (u[p] < b) & multi[np.int64(key_flat[f]) + offered_step * np.int64(offered[f])]
            hits[q] = k
    offsets = chunk_offsets(hits)
    out = np.empty(offsets[-1], dtype=np.int64)
    for q in numba.prange(count):
        s, lo, hi = _plan_chunk(q, per_plan, chunk, m)
        b = chance[s]
        n, end = offsets[q], offsets[q + 1]
        for i in range(lo, hi):
            if n == end:
                break
            p = people[i]
            f = s * n_people + p
            out[n] = f
            n += (u[p] < b) & multi[np.int64(key_flat[f]) + offered_step * np.int64(offered[f])]
    return out


@numba.njit(**JIT)
def _unsubscribes(u: NDArray[np.float32], largest: float, per_contact: float,
                        excess: NDArray[np.float64], key_flat: NDArray[Any],
                        offered: NDArray[np.bool_], offered_step: int, n_plans: int,
                        ) -> NDArray[np.int64]:
    """:func:`unsubscribes_kernel`, serially."""
    n_people = u.size
    people = below(u, largest)
    out = np.empty(people.size * n_plans + 1, dtype=np.int64)
    n = 0
    for s in range(n_plans):
        for p in people:
            f = s * n_people + p
            out[n] = f
            n += u[p] < per_contact * excess[np.int64(key_flat[f]) + offered_step * np.int64(offered[f])]
    return out[:n]


@numba.njit(**PARALLEL_JIT)
def _unsubscribes_par(chunk: int, u: NDArray[np.float32], largest: float, per_contact: float,
                      excess: NDArray[np.float64], key_flat: NDArray[Any], offered: NDArray[np.bool_],
                      offered_step: int, n_plans: int) -> NDArray[np.int64]:
    """:func:`unsubscribes_kernel` on every thread, in chunks of ``chunk`` candidates a plan.

    Each chunk counts its hits, then writes them at its offset (the serial order).
    """
    n_people = u.size
    people = _below_par(chunk, u, largest)
    m = people.size
    per_plan = n_chunks(m, chunk)
    count = n_plans * per_plan
    hits = np.empty(count, dtype=np.int64)
    for q in numba.prange(count):
        s, lo, hi = _plan_chunk(q, per_plan, chunk, m)
        k = 0
        for p in people[lo:hi]:
            f = s * n_people + p
            k += u[p] < per_contact * excess[np.int64(key_flat[f]) + offered_step * np.int64(offered[f])]
        hits[q] = k
    offsets = chunk_offsets(hits)
    out = np.empty(offsets[-1], dtype=np.int64)
    for q in numba.prange(count):
        s, lo, hi = _plan_chunk(q, per_plan, chunk, m)
        n, end = offsets[q], offsets[q + 1]
        for i in range(lo, hi):
            if n == end:
                break
            p = people[i]
            f = s * n_people + p
            out[n] = f
            n += u[p] < per_contact * excess[np.int64(key_flat[f]) + offered_step * np.int64(offered[f])]
    return out


@numba.njit(**JIT)
def _open_journeys(u: NDArray[np.float32], people: NDArray[np.int64], n_plans: int,
                         key_flat: NDArray[Any], offered: NDArray[np.bool_], offered_step: int,
                         sentinel: int, intent_table: NDArray[np.float32],
                         propensity: NDArray[np.float32], repeat_propensity: NDArray[np.float32],
                         has_repeat: bool, is_customer: NDArray[np.float64],
                         offer_factor: NDArray[np.float32], has_offer_factor: bool,
                         customer_since: NDArray[np.int16], existing: NDArray[np.bool_],
                         boost_by_since: NDArray[np.float32], has_boost: bool, cap: int,
                         ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64],
                                    NDArray[np.int64], NDArray[np.bool_]]:
    """:func:`open_journeys_kernel`, serially."""
    outputs = _pair_rows(people.size * n_plans + 1)
    n = 0
    for s in range(n_plans):
        n = _open_range(s, 0, people.size, n, -1, True, people, outputs, u, key_flat, offered, offered_step,
                        sentinel, intent_table, propensity, repeat_propensity, has_repeat, is_customer,
                        offer_factor, has_offer_factor, customer_since, existing, boost_by_since, has_boost,
                        cap)
    flat_out, plan_out, person_out, count_out, offered_out = outputs
    return flat_out[:n], plan_out[:n], person_out[:n], count_out[:n], offered_out[:n]


@numba.njit(**JIT)
def _pair_rows(size: int) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64],
                                   NDArray[np.int64], NDArray[np.bool_]]:
    """Room for ``size`` rows of four int64 columns and a flag.

    The pairs of :func:`open_journeys_kernel` (flat index, plan, person, journeys, offered) and
    of :func:`churn_pairs_kernel` (flat index, plan, person, key, live customer).
    """
    return (np.empty(size, dtype=np.int64), np.empty(size, dtype=np.int64),
            np.empty(size, dtype=np.int64), np.empty(size, dtype=np.int64),
            np.empty(size, dtype=np.bool_))


@numba.njit(**JIT)
def _open_range(s: int, lo: int, hi: int, n: int, end: int, write: bool, people: NDArray[np.int64],
                outputs: tuple[Any, ...],
                u: NDArray[np.float32], key_flat: NDArray[Any], offered: NDArray[np.bool_],
                offered_step: int, sentinel: int, intent_table: NDArray[np.float32],
                propensity: NDArray[np.float32], repeat_propensity: NDArray[np.float32],
                has_repeat: bool, is_customer: NDArray[np.float64], offer_factor: NDArray[np.float32],
                has_offer_factor: bool, customer_since: NDArray[np.int16], existing: NDArray[np.bool_],
                boost_by_since: NDArray[np.float32], has_boost: bool, cap: int) -> int:
    """Candidates ``lo`` to ``hi`` of plan ``s`` (:func:`open_journeys_kernel`); returns the final ``n``.

    With ``write``, each is written at row ``n`` of ``outputs``, which advances when the pair
    opens; without, they are only counted. Stops when ``n`` reaches ``end`` (a parallel chunk's
    last row is written). ``outputs`` is unpacked once here (per pair, it would count
    references to each array at every pair).
    """
    flat_out, plan_out, person_out, count_out, offered_out = outputs
    n_people = u.size
    for k in range(lo, hi):
        if n == end:
            break
        p = people[k]
        f = s * n_people + p
        has_offer = offered[f]
        key = np.int64(key_flat[f]) + offered_step * np.int64(has_offer)
        live = key != sentinel
        key = min(key, np.int64(sentinel))  # the sentinel's entry is read, then ignored
        prop = propensity[p]
        if has_repeat and is_customer[key] != 0:
            prop = repeat_propensity[p]
        intent = intent_table[key] * prop
        if has_boost:  # numpy multiplied every pair, the others by 1.0 (the same float32)
            since = customer_since[f]
            if since >= 0 and not existing[p]:
                intent = intent * boost_by_since[since]
        if has_offer_factor and has_offer:
            intent = intent * offer_factor[p]
        draw = u[p]
        count = 1
        if cap > 1:
            whole = np.floor(intent)
            count = max(min(cap, int(whole) + int(draw < intent - whole)), 1)
        if write:
            flat_out[n] = f
            plan_out[n] = s
            person_out[n] = p
            count_out[n] = count
            offered_out[n] = has_offer
        n += live & (draw < intent)
    return n


@numba.njit(**PARALLEL_JIT)
def _open_journeys_par(chunk: int, u: NDArray[np.float32], people: NDArray[np.int64], n_plans: int,
                       key_flat: NDArray[Any], offered: NDArray[np.bool_], offered_step: int,
                       sentinel: int, intent_table: NDArray[np.float32],
                       propensity: NDArray[np.float32], repeat_propensity: NDArray[np.float32],
                       has_repeat: bool, is_customer: NDArray[np.float64],
                       offer_factor: NDArray[np.float32], has_offer_factor: bool,
                       customer_since: NDArray[np.int16], existing: NDArray[np.bool_],
                       boost_by_since: NDArray[np.float32], has_boost: bool, cap: int,
                       ) -> tuple[Any, ...]:
    """:func:`open_journeys_kernel` on every thread, in chunks of ``chunk`` candidates a plan.

    Each chunk counts its openings, then writes them at its offset (the serial order).
    """
    m = people.size
    per_plan = n_chunks(m, chunk)
    count = n_plans * per_plan
    hits = np.empty(count, dtype=np.int64)
    none = _pair_rows(0)
    for q in numba.prange(count):
        s, lo, hi = _plan_chunk(q, per_plan, chunk, m)
        hits[q] = _open_range(s, lo, hi, 0, -1, False, people, none, u, key_flat, offered, offered_step,
                              sentinel, intent_table, propensity, repeat_propensity, has_repeat,
                              is_customer, offer_factor, has_offer_factor, customer_since, existing,
                              boost_by_since, has_boost, cap)
    offsets = chunk_offsets(hits)
    outputs = _pair_rows(offsets[-1])
    for q in numba.prange(count):
        s, lo, hi = _plan_chunk(q, per_plan, chunk, m)
        _open_range(s, lo, hi, offsets[q], offsets[q + 1], True, people, outputs, u, key_flat, offered,
                    offered_step, sentinel, intent_table, propensity, repeat_propensity, has_repeat,
                    is_customer, offer_factor, has_offer_factor, customer_since, existing, boost_by_since,
                    has_boost, cap)
    return outputs


@numba.njit(**JIT)
def _drift(satisfaction: NDArray[np.float32], base: np.float32, keep: np.float32) -> None:
    """:func:`drift_kernel`, serially."""
    for i in range(satisfaction.size):
        satisfaction[i] = (satisfaction[i] - base) * keep + base


@numba.njit(**PARALLEL_JIT)
def _drift_par(chunk: int, satisfaction: NDArray[np.float32], base: np.float32, keep: np.float32) -> None:
    """:func:`drift_kernel` on every thread, ``chunk`` pairs at a time."""
    for c in numba.prange(n_chunks(satisfaction.size, chunk)):
        lo, hi = chunk_bounds(c, chunk, satisfaction.size)
        _drift(satisfaction[lo:hi], base, keep)


@numba.njit(**JIT)
def _settle(touched_flat: NDArray[np.int64], part_ends: NDArray[np.int64],
                               touched: NDArray[np.bool_], experience: NDArray[np.float32],
                               satisfaction: NDArray[np.float32], key_flat: NDArray[Any],
                               is_customer: NDArray[np.float64], baseline: np.float32,
                               smoothing: np.float32, n_people: int, n_plans: int,
                               ) -> tuple[NDArray[np.float64], int, np.float32]:
    """:func:`settle_satisfaction_kernel`, serially."""
    moved, n = _fresh(touched_flat, part_ends, touched)
    change = np.zeros(n_plans)
    lowest = np.float32(1.0)
    for i in range(n):
        f = moved[i]
        before, after = _move(f, experience, satisfaction, baseline, smoothing)
        lowest = min(lowest, after)
        change[f // n_people] += (np.float64(after) - np.float64(before)) * is_customer[key_flat[f]]
    return change, n, lowest


@numba.njit(**JIT)
def _fresh(touched_flat: NDArray[np.int64], part_ends: NDArray[np.int64],
           touched: NDArray[np.bool_]) -> tuple[NDArray[np.int64], int]:
    """The pairs :func:`settle_satisfaction_kernel` moves (the first ``n`` of the array), and ``n``."""
    moved = np.empty(touched_flat.size, dtype=np.int64)
    n = 0
    start = 0
    for end in part_ends:
        first = n
        for i in range(start, end):
            f = touched_flat[i]
            moved[n] = f
            n += touched[f]
        for i in range(first, n):
            touched[moved[i]] = False
        start = end
    return moved, n


@numba.njit(**JIT)
def _move(f: int, experience: NDArray[np.float32], satisfaction: NDArray[np.float32],
          baseline: np.float32, smoothing: np.float32) -> tuple[np.float32, np.float32]:
    """Move pair ``f``'s satisfaction towards its experience (float32); before and after."""
    zero, one = np.float32(0.0), np.float32(1.0)
    target = min(max(baseline + experience[f], zero), one)
    experience[f] = zero
    before = satisfaction[f]
    after = before + smoothing * (target - before)
    satisfaction[f] = after
    return before, after


@numba.njit(**PARALLEL_JIT)
def _settle_par(chunk: int, touched_flat: NDArray[np.int64], part_ends: NDArray[np.int64],
                touched: NDArray[np.bool_], experience: NDArray[np.float32],
                satisfaction: NDArray[np.float32], key_flat: NDArray[Any],
                is_customer: NDArray[np.float64], baseline: np.float32,
                smoothing: np.float32, n_people: int, n_plans: int,
                ) -> tuple[NDArray[np.float64], int, np.float32]:
    """:func:`settle_satisfaction_kernel` with the moves on every thread (the pairs are distinct).

    The plans' sums and the lowest value are then taken serially, in the serial order.
    """
    moved, n = _fresh(touched_flat, part_ends, touched)
    afters = np.empty(n, dtype=np.float32)
    deltas = np.empty(n)
    for c in numba.prange(n_chunks(n, chunk)):
        lo, hi = chunk_bounds(c, chunk, n)
        for i in range(lo, hi):
            f = moved[i]
            before, after = _move(f, experience, satisfaction, baseline, smoothing)
            afters[i] = after
            deltas[i] = (np.float64(after) - np.float64(before)) * is_customer[key_flat[f]]
    change = np.zeros(n_plans)
    lowest = np.float32(1.0)
    for i in range(n):
        lowest = min(lowest, afters[i])
        change[moved[i] // n_people] += deltas[i]
    return change, n, lowest


@numba.njit(**JIT)
def _churn_pairs(people: NDArray[np.int64], n_plans: int, n_people: int, key_flat: NDArray[Any],
                       offered: NDArray[np.bool_], offered_step: int, sentinel: int,
                       customer_since: NDArray[np.int16],
                       ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64],
                                  NDArray[np.int64], NDArray[np.bool_]]:
    """:func:`churn_pairs_kernel`, serially."""
    pairs = _pair_rows(people.size * n_plans)
    _churn_pair_range(0, people.size * n_plans, people, n_people, key_flat, offered, offered_step,
                      sentinel, customer_since, pairs)
    return pairs


@numba.njit(**JIT)
def _churn_pair_range(lo: int, hi: int, people: NDArray[np.int64], n_people: int, key_flat: NDArray[Any],
                      offered: NDArray[np.bool_], offered_step: int, sentinel: int,
                      customer_since: NDArray[np.int16], pairs: tuple[Any, ...]) -> None:
    """Write rows ``lo`` to ``hi`` of the ``pairs`` of :func:`churn_pairs_kernel`.

    Row ``i`` is plan ``i // people.size``; ``pairs`` is unpacked once here, not per row.
    """
    flat, plan, person, key, live_customer = pairs
    for i in range(lo, hi):
        s = i // people.size
        p = people[i - s * people.size]
        f = s * n_people + p
        k = np.int64(key_flat[f]) + offered_step * np.int64(offered[f])
        flat[i] = f
        plan[i] = s
        person[i] = p
        key[i] = k
        live_customer[i] = (k != sentinel) & (customer_since[f] >= 0)


@numba.njit(**PARALLEL_JIT)
def _churn_pairs_par(chunk: int, people: NDArray[np.int64], n_plans: int, n_people: int,
                     key_flat: NDArray[Any], offered: NDArray[np.bool_], offered_step: int, sentinel: int,
                     customer_since: NDArray[np.int16]) -> tuple[Any, ...]:
    """:func:`churn_pairs_kernel` on every thread, ``chunk`` pairs at a time."""
    size = people.size * n_plans
    pairs = _pair_rows(size)
    for c in numba.prange(n_chunks(size, chunk)):
        lo, hi = chunk_bounds(c, chunk, size)
        _churn_pair_range(lo, hi, people, n_people, key_flat, offered, offered_step, sentinel,
                          customer_since, pairs)
    return pairs


@numba.njit(**JIT)
def _churn(u: NDArray[np.float32], flat: NDArray[np.int64], plan: NDArray[np.int64],
                 person: NDArray[np.int64], key: NDArray[np.int64], live_customer: NDArray[np.bool_],
                 hazard: NDArray[np.float32], per_excess: float, excess: NDArray[np.float64],
                 dropout: float, sentinel: int, week: int, lapse_week: NDArray[np.int16],
                 lapse_overmessaging: NDArray[np.bool_], n_plans: int,
                 ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """:func:`churn_kernel`, serially."""
    tallies = np.zeros((3, n_plans), dtype=np.int64)
    gone = np.empty(flat.size + 1, dtype=np.int64)
    n = _churn_range(0, flat.size, 0, gone, u, flat, plan, person, key, live_customer, hazard, per_excess,
                     excess, dropout, sentinel, week, lapse_week, lapse_overmessaging, tallies)
    return tallies[0], tallies[1], tallies[2], gone[:n]


@numba.njit(**JIT)
def _churn_range(lo: int, hi: int, j: int, gone: NDArray[np.int64], u: NDArray[np.float32],
                 flat: NDArray[np.int64], plan: NDArray[np.int64], person: NDArray[np.int64],
                 key: NDArray[np.int64], live_customer: NDArray[np.bool_], hazard: NDArray[np.float32],
                 per_excess: float, excess: NDArray[np.float64], dropout: float, sentinel: int, week: int,
                 lapse_week: NDArray[np.int16], lapse_overmessaging: NDArray[np.bool_],
                 tallies: NDArray[np.int64]) -> int:
    """Decide pairs ``lo`` to ``hi`` of :func:`churn_kernel` (the first live customer: number ``j``).

    Counts them in ``tallies`` ((3, P) lapses, over-messaging lapses and drop-outs per plan) and
    writes those that left into ``gone`` from position ``lo``; returns where they end.
    """
    n = lo
    for i in range(lo, hi):
        draw = u[person[i]]
        s = plan[i]
        if live_customer[i]:
            base = hazard[j]
            j += 1
            lapse = draw < base
            by_messaging = (not lapse) and np.float64(draw) < np.float64(base) + per_excess * excess[key[i]]
            tallies[0, s] += lapse or by_messaging
            tallies[1, s] += by_messaging
            left = lapse or by_messaging
            if by_messaging:
                lapse_overmessaging[flat[i]] = True
        else:
            left = key[i] != sentinel and draw < dropout
            tallies[2, s] += left
        if left:
            lapse_week[flat[i]] = week
        gone[n] = flat[i]
        n += left
    return n


@numba.njit(**PARALLEL_JIT)
def _churn_par(chunk: int, u: NDArray[np.float32], flat: NDArray[np.int64], plan: NDArray[np.int64],
               person: NDArray[np.int64], key: NDArray[np.int64], live_customer: NDArray[np.bool_],
               hazard: NDArray[np.float32], per_excess: float, excess: NDArray[np.float64],
               dropout: float, sentinel: int, week: int, lapse_week: NDArray[np.int16],
               lapse_overmessaging: NDArray[np.bool_], n_plans: int) -> tuple[Any, ...]:
    """:func:`churn_kernel` on every thread, in chunks of ``chunk`` distinct pairs.

    Each chunk first counts its live customers (where its hazards start), then decides its
    pairs with tallies of its own (integer counts: added up after, in any order).
    """
    count = n_chunks(flat.size, chunk)
    customers = np.zeros(count, dtype=np.int64)
    for c in numba.prange(count):
        lo, hi = chunk_bounds(c, chunk, flat.size)
        for i in range(lo, hi):
            customers[c] += live_customer[i]
    first_hazard = chunk_offsets(customers)
    tallies = np.zeros((count, 3, n_plans), dtype=np.int64)
    scratch = np.empty(flat.size, dtype=np.int64)
    starts = np.empty(count, dtype=np.int64)
    hits = np.empty(count, dtype=np.int64)
    for c in numba.prange(count):
        lo, hi = chunk_bounds(c, chunk, flat.size)
        starts[c] = lo
        hits[c] = _churn_range(lo, hi, first_hazard[c], scratch, u, flat, plan, person, key, live_customer,
                               hazard, per_excess, excess, dropout, sentinel, week, lapse_week,
                               lapse_overmessaging, tallies[c]) - lo
    total = np.zeros((3, n_plans), dtype=np.int64)
    for c in range(count):
        total += tallies[c]
    return total[0], total[1], total[2], gather_chunks(scratch, starts, hits)


def contact_conflicts_kernel(u: NDArray[np.float32], chance: NDArray[np.float64], key_flat: NDArray[Any],
                             offered: NDArray[np.bool_], offered_step: int,
                             multi: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Flat indices of the pairs that meet conflicting messages this week.

    Parameters
    ----------
    u:
        (N,) this week's conflict draw of each person (uniform [0, 1), float32).
    chance:
        (P,) each plan's weekly chance of a conflict (share; a plan at 0 has none).
    key_flat:
        (P x N,) each pair's contact key (int16 or int32), by flat index plan x N + person.
    offered, offered_step:
        (P x N,) whether the pair got an offer this week, and how far an offer moves a key.
    multi:
        (K,) whether a key (with this week's offer) is messaged by several channels.

    Returns
    -------
    NDArray[np.int64]
        Flat indices, plan by plan, people in order: draw below the plan's chance and ``multi``.
    """
    args = (u, chance, key_flat, offered, offered_step, multi)
    if threads.parallel(u.size):
        return _contact_conflicts_par(threads.CHUNK, *args)  # type: ignore[no-any-return]
    return _contact_conflicts(*args)  # type: ignore[no-any-return]


def unsubscribes_kernel(u: NDArray[np.float32], largest: float, per_contact: float,
                        excess: NDArray[np.float64], key_flat: NDArray[Any], offered: NDArray[np.bool_],
                        offered_step: int, n_plans: int) -> NDArray[np.int64]:
    """Flat indices of the pairs that unsubscribe this week.

    Parameters
    ----------
    u:
        (N,) this week's unsubscribe draw of each person (uniform [0, 1), float32).
    largest:
        ``per_contact`` x the largest ``excess`` (float64, compared exactly with each float32
        draw): only people whose draw is below it are examined. Rounded to float32 first, it
        could fall below a pair's exact threshold and skip a draw equal to the rounded value.
    per_contact:
        Chance to unsubscribe per contact above tolerance (share per contact a week).
    excess:
        (K,) contacts a week above the person's tolerance, by key (with this week's offer).
    key_flat, offered, offered_step:
        (P x N,) each pair's contact key and whether it got an offer this week; how far an
        offer moves a key.
    n_plans:
        P, the plans run.

    Returns
    -------
    NDArray[np.int64]
        Flat indices, plan by plan, people in order: draw below ``per_contact`` x excess.
    """
    args = (u, largest, per_contact, excess, key_flat, offered, offered_step, n_plans)
    if threads.parallel(u.size):
        return _unsubscribes_par(threads.CHUNK, *args)  # type: ignore[no-any-return]
    return _unsubscribes(*args)  # type: ignore[no-any-return]


def open_journeys_kernel(u: NDArray[np.float32], people: NDArray[np.int64], n_plans: int,
                         key_flat: NDArray[Any], offered: NDArray[np.bool_], offered_step: int,
                         sentinel: int, intent_table: NDArray[np.float32],
                         propensity: NDArray[np.float32], repeat_propensity: NDArray[np.float32],
                         has_repeat: bool, is_customer: NDArray[np.float64],
                         offer_factor: NDArray[np.float32], has_offer_factor: bool,
                         customer_since: NDArray[np.int16], existing: NDArray[np.bool_],
                         boost_by_since: NDArray[np.float32], has_boost: bool, cap: int,
                         ) -> tuple[NDArray[Any], ...]:
    """Journeys opened this week by the candidate ``people`` in every plan.

    A pair opens a journey when its key is not the ``sentinel`` and ``u[person]`` is below its
    intent (expected journeys this week, float32): its key's ``intent_table`` entry x its
    propensity (``repeat_propensity`` for customers when ``has_repeat``) x, when ``has_boost``
    and the pair is a new customer, its first purchase's ``boost_by_since`` entry x, with an
    offer this week and ``has_offer_factor``, its ``offer_factor``, multiplied in that order.
    With ``cap`` > 1 it opens floor(intent) journeys plus one more with chance the fraction,
    between 1 and ``cap``.

    Parameters
    ----------
    u:
        (N,) this week's open draw of each person (uniform [0, 1), float32).
    people:
        (M,) candidates, sorted: the people whose draw is below some plan's bound.
    n_plans, sentinel:
        P, the plans run, and the key of pairs not alive (not yet aware, lapsed or dropped out).
    key_flat, offered, offered_step:
        (P x N,) each pair's contact key and whether it got an offer this week; how far an
        offer moves a key.
    intent_table, is_customer:
        (K,) journeys a week by key (float32) and whether a key is a customer's (0 or 1).
    propensity, repeat_propensity, offer_factor:
        (N,) each person's purchase propensity, repeat propensity and offer response (float32
        multipliers).
    has_repeat, has_offer_factor:
        Whether ``repeat_propensity`` and ``offer_factor`` apply.
    customer_since, existing:
        (P x N,) week of each pair's first purchase (-1 for prospects); (N,) whether a person
        was a customer before the start (never a new customer).
    boost_by_since, has_boost:
        The new-customer intent multiplier by week of first purchase (float32, at least this
        week + 1 entries), and whether it applies.
    cap:
        Most journeys a person opens in a week (>= 1).

    Returns
    -------
    tuple of arrays
        Flat index, plan, person and journey count of each opening pair (plan by plan, people
        in order), and whether it got an offer this week.
    """
    args = (u, people, n_plans, key_flat, offered, offered_step, sentinel, intent_table, propensity,
            repeat_propensity, has_repeat, is_customer, offer_factor, has_offer_factor, customer_since,
            existing, boost_by_since, has_boost, cap)
    if threads.parallel(people.size * n_plans):
        return _open_journeys_par(threads.CHUNK, *args)  # type: ignore[no-any-return]
    return _open_journeys(*args)  # type: ignore[no-any-return]


def drift_kernel(satisfaction: NDArray[np.float32], base: np.float32, keep: np.float32) -> None:
    """``satisfaction -= base; satisfaction *= keep; satisfaction += base`` in one pass, in place.

    Parameters
    ----------
    satisfaction:
        (P x N,) every pair's satisfaction (0-1, float32).
    base, keep:
        The baseline satisfaction and the share of the gap to it kept this week (float32).
    """
    if threads.parallel(satisfaction.size):
        _drift_par(threads.CHUNK, satisfaction, base, keep)
    else:
        _drift(satisfaction, base, keep)


def settle_satisfaction_kernel(touched_flat: NDArray[np.int64], part_ends: NDArray[np.int64],
                               touched: NDArray[np.bool_], experience: NDArray[np.float32],
                               satisfaction: NDArray[np.float32], key_flat: NDArray[Any],
                               is_customer: NDArray[np.float64], baseline: np.float32,
                               smoothing: np.float32, n_people: int, n_plans: int,
                               ) -> tuple[NDArray[np.float64], int, np.float32]:
    """Move the satisfaction of the pairs touched this week towards their experience.

    A pair counts in the first part that lists it while its ``touched`` mark is set, and the
    marks are cleared. Each such pair's satisfaction moves by ``smoothing`` towards
    ``clip(baseline + experience, 0, 1)`` and its experience is reset to 0, all in float32 as
    the numpy steps did.

    Parameters
    ----------
    touched_flat, part_ends:
        The flat indices the week's parts marked, one part after another; part ``i`` ends at
        ``part_ends[i]``.
    touched, experience, satisfaction:
        (P x N,) marks, this week's experience (satisfaction points) and satisfaction (0-1,
        float32), by flat index.
    key_flat, is_customer:
        (P x N,) each pair's contact key; (K,) whether a key is a customer's (0 or 1).
    baseline, smoothing:
        The baseline satisfaction and the share of the way moved this week (float32).
    n_people, n_plans:
        N and P.

    Returns
    -------
    tuple
        (P,) change of each plan's customers' satisfaction sum (float64, added in order as
        ``np.bincount`` adds), how many pairs moved, and the lowest new satisfaction among
        them (1.0 if none).
    """
    args = (touched_flat, part_ends, touched, experience, satisfaction, key_flat, is_customer, baseline,
            smoothing, n_people, n_plans)
    if threads.parallel(touched_flat.size):
        return _settle_par(threads.CHUNK, *args)  # type: ignore[no-any-return]
    return _settle(*args)  # type: ignore[no-any-return]


def churn_pairs_kernel(people: NDArray[np.int64], n_plans: int, n_people: int, key_flat: NDArray[Any],
                       offered: NDArray[np.bool_], offered_step: int, sentinel: int,
                       customer_since: NDArray[np.int16]) -> tuple[NDArray[Any], ...]:
    """The pairs of the candidate ``people`` in every plan, as churn examines them.

    Parameters
    ----------
    people:
        (M,) candidates, sorted: the people whose churn draw is below the week's bound.
    n_plans, n_people:
        P and N.
    key_flat, offered, offered_step:
        (P x N,) each pair's contact key and whether it got an offer this week; how far an
        offer moves a key.
    sentinel:
        The key of pairs not alive (not yet aware, lapsed or dropped out).
    customer_since:
        (P x N,) week of the first purchase, -1 for prospects.

    Returns
    -------
    tuple of arrays
        (P x M,) flat index, plan, person, key (with this week's offer) of each pair, plan by
        plan, and whether the pair is a live customer (key not the ``sentinel``,
        ``customer_since`` >= 0).
    """
    args = (people, n_plans, n_people, key_flat, offered, offered_step, sentinel, customer_since)
    if threads.parallel(people.size * n_plans):
        return _churn_pairs_par(threads.CHUNK, *args)  # type: ignore[no-any-return]
    return _churn_pairs(*args)  # type: ignore[no-any-return]


def churn_kernel(u: NDArray[np.float32], flat: NDArray[np.int64], plan: NDArray[np.int64],
                 person: NDArray[np.int64], key: NDArray[np.int64], live_customer: NDArray[np.bool_],
                 hazard: NDArray[np.float32], per_excess: float, excess: NDArray[np.float64],
                 dropout: float, sentinel: int, week: int, lapse_week: NDArray[np.int16],
                 lapse_overmessaging: NDArray[np.bool_], n_plans: int,
                 ) -> tuple[NDArray[np.int64], ...]:
    """Who lapses among the pairs of :func:`churn_pairs_kernel`; writes their lapse week.

    A live customer lapses when ``u[person]`` is below its ``hazard``, or else by
    over-messaging when below the hazard plus ``per_excess`` x its key's ``excess`` contacts
    (float64); a live prospect drops out when below ``dropout``.

    Parameters
    ----------
    u:
        (N,) this week's churn draw of each person (uniform [0, 1), float32).
    flat, plan, person, key, live_customer:
        (M,) the pairs examined, as :func:`churn_pairs_kernel` returns them.
    hazard:
        Weekly lapse chance (share, float32) of each live customer among the pairs, in order.
    per_excess, excess:
        Extra lapse chance per contact above tolerance (share per contact a week), and (K,)
        the contacts above tolerance by key.
    dropout:
        A prospect's weekly drop-out chance (share), as compared with a float32 draw.
    sentinel, week:
        The key gone pairs get, and this week's index (written as their lapse week).
    lapse_week, lapse_overmessaging:
        (P x N,) state written for the pairs that leave.
    n_plans:
        P.

    Returns
    -------
    tuple of arrays
        (P,) lapses (hazard and over-messaging), over-messaging lapses and prospect drop-outs
        per plan, and the flat indices of every pair that left, in order.
    """
    args = (u, flat, plan, person, key, live_customer, hazard, per_excess, excess, dropout, sentinel, week,
            lapse_week, lapse_overmessaging, n_plans)
    if threads.parallel(flat.size):  # one item per pair examined (the draw is per person)
        return _churn_par(threads.CHUNK, *args)  # type: ignore[no-any-return]
    return _churn(*args)  # type: ignore[no-any-return]


def warm_up() -> None:
    """Compile (or load from the cache) these kernels on tiny inputs."""
    u = np.zeros(2, dtype=np.float32)
    keys = np.zeros(2, dtype=np.int16)
    flags = np.zeros(2, dtype=np.bool_)
    contact_conflicts_kernel(u, np.ones(1), keys, flags, 1, np.ones(2, dtype=np.bool_))
    unsubscribes_kernel(u, 0.5, 0.5, np.ones(2), keys, flags, 1, 1)
    since = np.zeros(2, dtype=np.int16)
    open_journeys_kernel(u, np.arange(2), 1, keys, flags, 1, 1, u, u, u, False, np.ones(2), u, False, since,
                         flags, u, False, 1)
    drift_kernel(u, np.float32(0.5), np.float32(0.5))
    flat, plan, person, key, live = churn_pairs_kernel(np.arange(2), 1, 2, keys, flags, 1, 1, since)
    churn_kernel(u, flat, plan, person, key, live, u, 0.5, np.ones(2), 0.5, 1, 0,
                 np.zeros(2, dtype=np.int16), flags, 1)
    settle_satisfaction_kernel(np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64), flags, u, u, keys,
                               np.ones(2), np.float32(0.5), np.float32(0.5), 2, 1)


__all__ = ["below", "churn_kernel", "churn_pairs_kernel", "contact_conflicts_kernel", "drift_kernel",
           "open_journeys_kernel", "settle_satisfaction_kernel", "unsubscribes_kernel", "warm_up"]
