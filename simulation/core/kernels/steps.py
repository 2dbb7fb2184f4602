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

from simulation.core.kernels.common import JIT


@numba.njit(**JIT)
def below(u: NDArray[np.float32], bound: float) -> NDArray[np.int64]:
    """``(u < bound).nonzero()[0]``, ``bound`` as compared with a float32 draw.

    Branch-free (a count, then a fill that writes every position and advances on a hit): the
    hits are too frequent for a branch to be predicted.
    """
    n = 0
    for p in range(u.size):
        n += u[p] < bound
    out = np.empty(n + 1, dtype=np.int64)
    n = 0
    for p in range(u.size):
        out[n] = p
        n += u[p] < bound
    return out[:n]


@numba.njit(**JIT)
def contact_conflicts_kernel(u: NDArray[np.float32], chance: NDArray[np.float64],
                             key_flat: NDArray[Any], offered: NDArray[np.bool_], offered_step: int,
                             multi: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Flat indices of the pairs that meet conflicting messages this week.

    Those whose draw ``u[person]`` is below their plan's ``chance`` (share; plans at 0 have
    none) and whose key (with this week's offer) says several channels message them (``multi``).
    """
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
            key = np.int64(key_flat[f]) + offered_step * np.int64(offered[f])
            out[n] = f
            n += (u[p] < b) & multi[key]
    return out[:n]


@numba.njit(**JIT)
def unsubscribes_kernel(u: NDArray[np.float32], largest: float, per_contact: float,
                        excess: NDArray[np.float64], key_flat: NDArray[Any],
                        offered: NDArray[np.bool_], offered_step: int, n_plans: int,
                        ) -> NDArray[np.int64]:
    """Flat indices of the pairs that unsubscribe this week.

    Those whose ``u[person]`` is below ``per_contact`` (share per contact) x the excess contacts
    of their key (with this week's offer); only people whose draw is below ``largest`` (as
    compared with a float32 draw) are examined.
    """
    n_people = u.size
    people = below(u, largest)
    out = np.empty(people.size * n_plans + 1, dtype=np.int64)
    n = 0
    for s in range(n_plans):
        for p in people:
            f = s * n_people + p
            key = np.int64(key_flat[f]) + offered_step * np.int64(offered[f])
            out[n] = f
            n += u[p] < per_contact * excess[key]
    return out[:n]


@numba.njit(**JIT)
def open_journeys_kernel(u: NDArray[np.float32], people: NDArray[np.int64], n_plans: int,
                         key_flat: NDArray[Any], offered: NDArray[np.bool_], offered_step: int,
                         sentinel: int, intent_table: NDArray[np.float32],
                         propensity: NDArray[np.float32], repeat_propensity: NDArray[np.float32],
                         has_repeat: bool, is_customer: NDArray[np.float64],
                         offer_factor: NDArray[np.float32], has_offer_factor: bool, cap: int,
                         ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64],
                                    NDArray[np.int64], NDArray[np.bool_]]:
    """Journeys opened this week by the candidate ``people`` (sorted) in every plan.

    A pair's intent (expected journeys, float32) is its key's ``intent_table`` entry x its
    propensity (``repeat_propensity`` for customers when ``has_repeat``) x, with an offer this
    week and ``has_offer_factor``, its ``offer_factor``; it opens a journey when its key is not
    the ``sentinel`` and ``u[person]`` is below the intent, and with ``cap`` > 1 opens
    floor(intent) journeys plus one more with chance the fraction, between 1 and ``cap``.

    Returns
    -------
    tuple of arrays
        Flat index, plan, person and journey count of each opening pair, and whether it got an
        offer this week.
    """
    n_people = u.size
    size = people.size * n_plans + 1
    flat_out = np.empty(size, dtype=np.int64)
    plan_out = np.empty(size, dtype=np.int64)
    person_out = np.empty(size, dtype=np.int64)
    count_out = np.empty(size, dtype=np.int64)
    offered_out = np.empty(size, dtype=np.bool_)
    n = 0
    for s in range(n_plans):
        for p in people:
            f = s * n_people + p
            has_offer = offered[f]
            key = np.int64(key_flat[f]) + offered_step * np.int64(has_offer)
            live = key != sentinel
            key = min(key, np.int64(sentinel))  # the sentinel's entry is read, then ignored
            prop = propensity[p]
            if has_repeat and is_customer[key] != 0:
                prop = repeat_propensity[p]
            intent = intent_table[key] * prop
            if has_offer_factor and has_offer:
                intent = intent * offer_factor[p]
            draw = u[p]
            count = 1
            if cap > 1:
                whole = np.floor(intent)
                count = max(min(cap, int(whole) + int(draw < intent - whole)), 1)
            flat_out[n] = f
            plan_out[n] = s
            person_out[n] = p
            count_out[n] = count
            offered_out[n] = has_offer
            n += live & (draw < intent)
    return flat_out[:n], plan_out[:n], person_out[:n], count_out[:n], offered_out[:n]


@numba.njit(**JIT)
def drift_kernel(satisfaction: NDArray[np.float32], base: np.float32, keep: np.float32) -> None:
    """``satisfaction -= base; satisfaction *= keep; satisfaction += base`` in one pass (float32)."""
    for i in range(satisfaction.size):
        satisfaction[i] = (satisfaction[i] - base) * keep + base


@numba.njit(**JIT)
def settle_satisfaction_kernel(touched_flat: NDArray[np.int64], part_ends: NDArray[np.int64],
                               touched: NDArray[np.bool_], experience: NDArray[np.float32],
                               satisfaction: NDArray[np.float32], key_flat: NDArray[Any],
                               is_customer: NDArray[np.float64], baseline: np.float32,
                               smoothing: np.float32, n_people: int, n_plans: int,
                               ) -> tuple[NDArray[np.float64], int, np.float32]:
    """Move the satisfaction of the pairs touched this week towards their experience.

    ``touched_flat`` holds the parts the week marked (flat indices), one after another, part
    ``i`` ending at ``part_ends[i]``; a pair counts in the first part that lists it while its
    ``touched`` mark is set, and the marks are cleared. Each such pair's satisfaction (float32,
    0-1) moves by ``smoothing`` towards ``clip(baseline + experience, 0, 1)`` and its experience
    is reset to 0, all in float32 as the numpy steps did.

    Returns
    -------
    tuple
        (P,) change of each plan's customers' satisfaction sum (float64, added in order as
        ``np.bincount`` adds), how many pairs moved, and the lowest new satisfaction among
        them (1.0 if none).
    """
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
    change = np.zeros(n_plans)
    lowest = np.float32(1.0)
    zero, one = np.float32(0.0), np.float32(1.0)
    for i in range(n):
        f = moved[i]
        target = min(max(baseline + experience[f], zero), one)
        experience[f] = zero
        before = satisfaction[f]
        after = before + smoothing * (target - before)
        satisfaction[f] = after
        lowest = min(lowest, after)
        change[f // n_people] += (np.float64(after) - np.float64(before)) * is_customer[key_flat[f]]
    return change, n, lowest


@numba.njit(**JIT)
def churn_pairs_kernel(people: NDArray[np.int64], n_plans: int, n_people: int, key_flat: NDArray[Any],
                       offered: NDArray[np.bool_], offered_step: int, sentinel: int,
                       customer_since: NDArray[np.int16],
                       ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64],
                                  NDArray[np.int64], NDArray[np.bool_]]:
    """The pairs of the candidate ``people`` (sorted) in every plan, as churn examines them.

    Returns
    -------
    tuple of arrays
        Flat index, plan, person, key (with this week's offer) of each pair, and whether the
        pair is a live customer (key not the ``sentinel``, ``customer_since`` >= 0).
    """
    size = people.size * n_plans
    flat = np.empty(size, dtype=np.int64)
    plan = np.empty(size, dtype=np.int64)
    person = np.empty(size, dtype=np.int64)
    key = np.empty(size, dtype=np.int64)
    live_customer = np.empty(size, dtype=np.bool_)
    i = 0
    for s in range(n_plans):
        for p in people:
            f = s * n_people + p
            k = np.int64(key_flat[f]) + offered_step * np.int64(offered[f])
            flat[i] = f
            plan[i] = s
            person[i] = p
            key[i] = k
            live_customer[i] = (k != sentinel) & (customer_since[f] >= 0)
            i += 1
    return flat, plan, person, key, live_customer


@numba.njit(**JIT)
def churn_kernel(u: NDArray[np.float32], flat: NDArray[np.int64], plan: NDArray[np.int64],
                 person: NDArray[np.int64], key: NDArray[np.int64], live_customer: NDArray[np.bool_],
                 hazard: NDArray[np.float32], per_excess: float, excess: NDArray[np.float64],
                 dropout: float, sentinel: int, week: int, lapse_week: NDArray[np.int16],
                 lapse_overmessaging: NDArray[np.bool_], n_plans: int,
                 ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Who lapses among the pairs of :func:`churn_pairs_kernel`; writes their lapse week.

    A live customer lapses when ``u[person]`` is below its ``hazard`` (float32; one entry per
    live customer, in order), or else by over-messaging when below the hazard plus
    ``per_excess`` x its key's ``excess`` contacts (float64); a live prospect drops out when
    below ``dropout`` (as compared with a float32 draw).

    Returns
    -------
    tuple of arrays
        (P,) lapses (hazard and over-messaging), over-messaging lapses and prospect drop-outs
        per plan, and the flat indices of every pair that left, in order.
    """
    lapses = np.zeros(n_plans, dtype=np.int64)
    messaging = np.zeros(n_plans, dtype=np.int64)
    drops = np.zeros(n_plans, dtype=np.int64)
    gone = np.empty(flat.size + 1, dtype=np.int64)
    n = 0
    j = 0
    for i in range(flat.size):
        draw = u[person[i]]
        s = plan[i]
        if live_customer[i]:
            base = hazard[j]
            j += 1
            lapse = draw < base
            by_messaging = (not lapse) and np.float64(draw) < np.float64(base) + per_excess * excess[key[i]]
            lapses[s] += lapse or by_messaging
            messaging[s] += by_messaging
            left = lapse or by_messaging
            if by_messaging:
                lapse_overmessaging[flat[i]] = True
        else:
            left = key[i] != sentinel and draw < dropout
            drops[s] += left
        if left:
            lapse_week[flat[i]] = week
        gone[n] = flat[i]
        n += left
    return lapses, messaging, drops, gone[:n]


def warm_up() -> None:
    """Compile (or load from the cache) these kernels on tiny inputs."""
    u = np.zeros(2, dtype=np.float32)
    keys = np.zeros(2, dtype=np.int16)
    flags = np.zeros(2, dtype=np.bool_)
    contact_conflicts_kernel(u, np.ones(1), keys, flags, 1, np.ones(2, dtype=np.bool_))
    unsubscribes_kernel(u, 0.5, 0.5, np.ones(2), keys, flags, 1, 1)
    open_journeys_kernel(u, np.arange(2), 1, keys, flags, 1, 1, u, u, u, False, np.ones(2), u, False, 1)
    drift_kernel(u, np.float32(0.5), np.float32(0.5))
    flat, plan, person, key, live = churn_pairs_kernel(np.arange(2), 1, 2, keys, flags, 1, 1,
                                                        np.zeros(2, dtype=np.int16))
    churn_kernel(u, flat, plan, person, key, live, u, 0.5, np.ones(2), 0.5, 1, 0,
                 np.zeros(2, dtype=np.int16), flags, 1)
    settle_satisfaction_kernel(np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64), flags, u, u, keys,
                               np.ones(2), np.float32(0.5), np.float32(0.5), 2, 1)


__all__ = ["below", "churn_kernel", "churn_pairs_kernel", "contact_conflicts_kernel", "drift_kernel",
           "open_journeys_kernel", "settle_satisfaction_kernel", "unsubscribes_kernel", "warm_up"]
