"""The numpy forms of the passes :mod:`simulation.core.kernels` replaced, kept as references.

Each function is the engine's vectorized code as it was before the kernels (commit a5b8007), so
``tests/simulation/core/test_kernels.py`` can check that every kernel computes the same arrays,
bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from simulation.core.capabilities import Capability
from simulation.core.channel_shift import shift_chance, shift_to_store
from simulation.core.journey import TOUCHPOINT_DRAWS, JourneyPaths, WalkedJourneys, _walk_draws
from simulation.core.random_streams import Draw, RandomStreams
from simulation.core.tallies import JourneyEnd
from simulation.core.world import World

_CAP = {c: i for i, c in enumerate(Capability)}


def numpy_walk_journeys(world: World, paths: JourneyPaths, streams: RandomStreams, week: int,
                  person: NDArray[np.int64], plan: NDArray[np.int64],
                  levels: NDArray[np.float64],
                  recognised: NDArray[np.bool_] | None = None, repeat: int = 0) -> WalkedJourneys:
    """The vectorized numpy walk the compiled kernel replaced, as it was (a reference)."""
    behaviour = world.scenario.behaviour
    chan, segs = world.channels, world.segments
    n_channels = len(chan.names)
    seg = world.people.segment.take(person)
    n_j, n_touch = person.size, behaviour.touchpoints_per_journey

    uniform = streams.uniform_block(_walk_draws(repeat, n_touch), week, person)
    u = {kind: uniform[1 + i :: len(TOUCHPOINT_DRAWS)] for i, kind in enumerate(TOUCHPOINT_DRAWS)}

    # Channel path: a journey starts in the person's home channel unless their breadth has it
    # choose afresh (start draw below the breadth, then rescaled to a uniform); a switch goes to
    # another channel by the segment's preferences.
    channel = np.empty((n_touch, n_j), dtype=np.intp)
    u_start, breadth = uniform[0], world.people.channel_breadth
    if breadth is not None:
        own_breadth = breadth.take(person)
        u_start = u_start / own_breadth
    channel[0] = np.argmax(u_start[:, None] < paths.preference_cdf.take(seg, axis=0), axis=1)
    if breadth is not None:
        channel[0] = np.where(u_start >= 1.0, world.people.favourite_channel.take(person), channel[0])
    switch = np.zeros((n_touch, n_j), dtype=bool)
    if n_channels > 1:
        switch[1:] = u[Draw.SWITCH][1:] < segs.switch_probability.take(seg)
    for k in range(1, n_touch):
        here = channel[k - 1]
        switch[k] &= paths.can_switch[seg, here]
        channel[k] = here
        sw = switch[k].nonzero()[0]
        cdf = paths.switch_cdf[seg[sw], here[sw]]
        channel[k, sw] = np.argmax(u[Draw.NEXT_CHANNEL][k, sw][:, None] < cdf, axis=1)

    # Events at each touchpoint, as if the journey were still open there.
    kept = behaviour.siloed_context_kept
    context = levels[:, _CAP[Capability.CONTEXT]].take(plan)
    if recognised is not None:
        context = context * recognised
    keep_context = kept + (1.0 - kept) * context
    conflict_chance = behaviour.conflict_rate * (1 - levels[:, _CAP[Capability.CONSISTENCY]])
    pooled = levels[:, _CAP[Capability.INVENTORY]] * behaviour.network_fill_rate
    # Returns accepted in any channel make buying less risky (Janakiraman et al. 2016), for
    # the people whose returns another channel can accept (recognised); with one channel there
    # is no other channel to return in.
    uplift = behaviour.returns_policy_uplift if n_channels > 1 else 0.0
    service = levels[:, _CAP[Capability.SERVICE]].take(plan)
    if recognised is not None:
        service = service * recognised
    policy = 1.0 + uplift * service
    lost = switch & (u[Draw.KEEP_CONTEXT] >= keep_context)
    gives_up = lost & (u[Draw.RESTART] < behaviour.lost_context_abandon_share)
    conflict_chance_met = switch & ~gives_up
    meets = conflict_chance_met & (u[Draw.CONFLICT] < conflict_chance.take(plan))
    walks = meets & (u[Draw.CONFLICT_WALKAWAY] < segs.conflict_sensitivity.take(seg))
    # Starting over after lost context spends the touchpoint on finding the way back.
    decide = ~(lost | walks) & (u[Draw.BUY] < chan.conversion.take(channel) * policy)
    own = chan.stock_availability.take(channel)
    in_stock_draw = u[Draw.IN_STOCK]
    bought = decide & (in_stock_draw < own + (1.0 - own) * pooled.take(plan))
    network = bought & (in_stock_draw >= own)
    stockout = decide & ~bought
    lost_sale = stockout & (u[Draw.STOCKOUT_LOST] < behaviour.stockout_lost_share)

    # The first terminal event ends the journey; later touchpoints never happen.
    code = (bought * np.int8(JourneyEnd.BOUGHT) + gives_up * np.int8(JourneyEnd.LOST_CONTEXT)
            + lost_sale * np.int8(JourneyEnd.STOCK_OUT) + walks * np.int8(JourneyEnd.CONFLICT))
    ends = code > 0
    reached = np.ones((n_touch, n_j), dtype=bool)
    reached[1:] = ~np.logical_or.accumulate(ends[:-1], axis=0)
    # The ending touchpoint, or the last one for a journey that never ends (abandoned).
    stop = ends.copy()
    stop[-1] = True
    last = stop.argmax(axis=0)
    column = np.arange(n_j)
    end = code[last, column]
    end[end == JourneyEnd.OPEN] = JourneyEnd.ABANDONED

    events = np.stack([switch, lost, conflict_chance_met, meets, decide, network, stockout])
    events &= reached
    per_journey = events.sum(axis=1, dtype=np.int32)
    final = channel[last, column]
    researched = final
    channels_used = np.bitwise_or.reduce(np.left_shift(1, channel) * reached, axis=0)
    from_network = events[5].any(axis=0)
    # Research online, buy offline: with store stock visible, an online purchase may move to a
    # store, served from its shelf (channel_shift.py).
    moved, store = shift_to_store(
        world, paths.stores, streams, week, person, plan, seg,
        shift_chance(world, levels, _CAP[Capability.INVENTORY]), end == JourneyEnd.BOUGHT,
        channels_used, repeat)
    if moved.size:
        researched = final.copy()
        final = final.copy()
        final[moved] = store
        channels_used[moved] |= np.left_shift(1, store)
        from_network[moved] = False
        per_journey[5, moved] = 0
    _, context_lost, _, conflicted, _, _, stocked_out = per_journey
    satisfaction_loss = (
        np.float32(behaviour.lost_context_satisfaction_loss) * context_lost
        + np.float32(behaviour.conflict_satisfaction_loss) * conflicted
        + np.float32(behaviour.stockout_satisfaction_loss) * stocked_out).astype(np.float32)
    return WalkedJourneys(
        segment=seg, start=channel[0], final=final, researched=researched, end=end,
        events=per_journey, channels_used=channels_used, from_network=from_network,
        satisfaction_loss=satisfaction_loss,
    )


def numpy_set_keys(flat: NDArray[np.int64], new: NDArray[Any], old: NDArray[Any], key_flat: NDArray[Any],
                   per_key: NDArray[np.int64], annoyed: NDArray[np.bool_], annoyed_by_key: NDArray[np.bool_],
                   cost: NDArray[np.float32], to_date: NDArray[np.float64], is_customer: NDArray[np.float64],
                   satisfaction: NDArray[np.float32], n_people: int, n_plans: int,
                   ) -> tuple[NDArray[np.float64], bool]:
    """``ContactKeys.assign`` and ``Simulation._set_keys`` as they were; returns the sum change."""
    key_flat[flat] = new
    new = key_flat.take(flat)
    size = per_key.size
    per_key -= np.bincount(old, minlength=size)
    per_key += np.bincount(new, minlength=size)
    annoyed[flat] = annoyed_by_key.take(new)
    cost[flat] -= (to_date.take(new) - to_date.take(old)).astype(np.float32)
    customer_change = is_customer.take(new) - is_customer.take(old)
    if customer_change.any():
        return np.bincount(flat // n_people, weights=customer_change * satisfaction.take(flat),
                           minlength=n_plans), True
    return np.zeros(n_plans), False


def numpy_refresh_keys(flat: NDArray[np.int64], plan: NDArray[np.int64], person: NDArray[np.int64],
                       check_aware: bool, week: int, lapse_week: NDArray[np.int16],
                       aware_week: NDArray[np.int16], segment: NDArray[np.int8],
                       customer_since: NDArray[np.int16], purchases: NDArray[Any], loyalty: int,
                       recognition_u: NDArray[np.float32], shares: NDArray[np.float64],
                       channels_used: NDArray[np.uint8], subscribed: NDArray[np.bool_],
                       steps: NDArray[np.int64], sentinel: int, key_flat: NDArray[Any],
                       *books: Any) -> tuple[NDArray[np.float64], bool]:
    """``Simulation._refresh_keys`` (with ``KeyLayout.compose``) as it was."""
    dtype = key_flat.dtype.type
    alive = lapse_week.take(flat) < 0
    if check_aware:
        alive &= aware_week.take(person) <= week
    key = (plan * steps[0]).astype(dtype)
    key += segment.take(person) * dtype(steps[1])
    key += (customer_since.take(flat) >= 0) * dtype(steps[2])
    key += (purchases.take(flat) >= loyalty) * dtype(steps[3])
    key += (recognition_u.take(person) < shares.take(plan)) * dtype(steps[4])
    key += channels_used.take(flat) * subscribed.take(flat)
    key = np.where(alive, key, dtype(sentinel))
    old = key_flat.take(flat)
    changed = key != old
    return numpy_set_keys(flat.compress(changed), key.compress(changed), old.compress(changed),
                          key_flat, *books)


def numpy_contact_conflicts(u: NDArray[np.float32], chance: NDArray[np.float64], key_flat: NDArray[Any],
                            offered: NDArray[np.bool_], offered_step: int, multi: NDArray[np.bool_],
                            ) -> NDArray[np.int64]:
    """``Simulation._below`` and the key lookup of ``_contact_conflicts`` as they were."""
    n = u.size
    parts = [s * n + (u < b).nonzero()[0] for s, b in enumerate(chance) if b > 0]
    if not parts:
        return np.zeros(0, dtype=np.int64)
    could = np.concatenate(parts)
    keys = key_flat.take(could) + offered.take(could) * key_flat.dtype.type(offered_step)
    return could[multi.take(keys)]  # type: ignore[no-any-return]


def numpy_unsubscribes(u: NDArray[np.float32], largest: float, per_contact: float,
                       excess: NDArray[np.float64], key_flat: NDArray[Any], offered: NDArray[np.bool_],
                       offered_step: int, n_plans: int) -> NDArray[np.int64]:
    """The pairs ``Simulation._unsubscribes`` chooses: draw below ``per_contact`` x the key's excess.

    ``largest`` (the largest threshold) is compared in float64: numpy compared a Python float
    with the float32 draws in float32 (NEP 50), which skipped a draw equal to the threshold
    rounded down to float32.
    """
    n = u.size
    person = (u < np.float64(largest)).nonzero()[0]
    could = (np.arange(n_plans)[:, None] * n + person[None, :]).ravel()
    who = np.tile(person, n_plans)
    keys = key_flat.take(could) + offered.take(could) * key_flat.dtype.type(offered_step)
    return could[u.take(who) < per_contact * excess.take(keys)]  # type: ignore[no-any-return]


def numpy_open_journeys(u: NDArray[np.float32], people: NDArray[np.int64], n_plans: int,
                        key_flat: NDArray[Any], offered: NDArray[np.bool_], offered_step: int,
                        sentinel: int, intent_table: NDArray[np.float32], propensity: NDArray[np.float32],
                        repeat_propensity: NDArray[np.float32] | None, is_customer: NDArray[np.float64],
                        offer_factor: NDArray[np.float32] | None, cap: int,
                        new_customer: tuple[Any, ...] | None = None) -> tuple[NDArray[Any], ...]:
    """``Simulation._open_journeys`` after the candidate scan, as it was.

    ``new_customer``: ``(customer_since, existing, boost, half_life, week)`` where the scenario has
    a new-customer intent boost; each pair's intent is then multiplied as the engine's numpy path
    did, pair by pair, before the offer's factor.
    """
    n = u.size
    flat = (np.arange(n_plans)[:, None] * n + people[None, :]).ravel()
    plan = np.repeat(np.arange(n_plans), people.size)
    person = np.tile(people, n_plans)
    key = key_flat.take(flat) + offered.take(flat) * key_flat.dtype.type(offered_step)
    prop = propensity.take(person) if repeat_propensity is None else np.where(
        is_customer.take(key) != 0, repeat_propensity.take(person), propensity.take(person))
    intent = intent_table.take(key) * prop
    if new_customer is not None:
        customer_since, existing, boost, half_life, week = new_customer
        since = customer_since.take(flat).astype(np.float32)
        extra = boost * np.exp2(-(week - since) / half_life)
        new = (since >= 0) & ~existing.take(person)
        intent = intent * np.where(new, 1.0 + extra, 1.0).astype(np.float32)
    if offer_factor is not None:
        got = offered.take(flat)
        intent[got] *= offer_factor.take(person.compress(got))
    opens = (key != sentinel) & (u.take(person) < intent)
    count = np.ones(int(opens.sum()), dtype=np.int64)
    if cap > 1:
        intent = intent.compress(opens)
        whole = np.floor(intent)
        count = np.minimum(cap, whole.astype(np.int64)
                           + (u.take(person.compress(opens)) < intent - whole)).clip(min=1)
    return flat[opens], plan[opens], person[opens], count, offered.take(flat[opens])


def numpy_settle_satisfaction(parts: list[NDArray[np.int64]], touched: NDArray[np.bool_],
                              experience: NDArray[np.float32], satisfaction: NDArray[np.float32],
                              key_flat: NDArray[Any], is_customer: NDArray[np.float64], baseline: float,
                              smoothing: float, n_people: int, n_plans: int,
                              ) -> tuple[NDArray[np.float64], int, Any]:
    """``Simulation._moved`` and the move of ``_update_satisfaction`` as they were."""
    fresh_parts = []
    for part in parts:
        fresh = part.compress(touched.take(part))
        touched[fresh] = False
        fresh_parts.append(fresh)
    flat = np.concatenate(fresh_parts) if fresh_parts else np.zeros(0, dtype=np.int64)
    target = np.clip(baseline + experience.take(flat), 0.0, 1.0)
    experience[flat] = 0.0
    before = satisfaction.take(flat)
    sat = before + smoothing * (target - before)
    satisfaction[flat] = sat
    lowest = sat.min() if sat.size else np.float32(1.0)
    change = (sat.astype(np.float64) - before) * is_customer.take(key_flat.take(flat))
    return np.bincount(flat // n_people, weights=change, minlength=n_plans), int(flat.size), lowest


def numpy_churn(u: NDArray[np.float32], bound: float, n_plans: int, key_flat: NDArray[Any],
                offered: NDArray[np.bool_], offered_step: int, sentinel: int,
                customer_since: NDArray[np.int16], hazard_of: NDArray[np.float32], per_excess: float,
                excess: NDArray[np.float64], dropout: float, week: int, lapse_week: NDArray[np.int16],
                lapse_overmessaging: NDArray[np.bool_]) -> tuple[NDArray[Any], ...]:
    """``Simulation._churn`` as it was, with each pair's hazard looked up in ``hazard_of``.

    Returns per-plan lapses, over-messaging lapses and drop-outs, and the pairs that left.
    """
    n = u.size
    person = (u < bound).nonzero()[0]
    flat = (np.arange(n_plans)[:, None] * n + person[None, :]).ravel()
    plan = np.repeat(np.arange(n_plans), person.size)
    who = np.tile(person, n_plans)
    key = key_flat.take(flat) + offered.take(flat) * key_flat.dtype.type(offered_step)
    alive = key != sentinel
    customer = customer_since.take(flat) >= 0
    draw = u.take(who)
    at = (alive & customer).nonzero()[0]
    base = hazard_of.take(flat.take(at))
    u_at = draw.take(at)
    lapse_at = u_at < base
    lapse = np.zeros(flat.size, dtype=bool)
    lapse[at] = lapse_at
    by_messaging = np.zeros(flat.size, dtype=bool)
    by_messaging[at] = ~lapse_at & (u_at < base + per_excess * excess.take(key.take(at)))
    drops = alive & ~customer & (draw < dropout)
    for mask in (by_messaging, drops, lapse):
        lapse_week[flat.compress(mask)] = week
    lapse_overmessaging[flat.compress(by_messaging)] = True
    counts = [np.bincount(plan[m], minlength=n_plans) for m in (lapse | by_messaging, by_messaging, drops)]
    return (*counts, flat.compress(lapse | by_messaging | drops))


def numpy_place(slot: NDArray[np.int32], used: int,
                person: NDArray[np.int64]) -> tuple[NDArray[np.int64], int]:
    """``BuyerRecords.place`` before the kernel (commit dcf02c2): slots, slots handed out."""
    slots = slot.take(person)
    new = slots == 0
    if new.any():
        fresh = np.unique(person.compress(new))
        slot[fresh] = np.arange(used, used + fresh.size, dtype=np.int32)
        used += fresh.size
        slots = slot.take(person)
    return slots.astype(np.int64), used


def numpy_purchase_writes(records: Any, flat: NDArray[np.int64], plan: NDArray[np.int64],
                          person: NDArray[np.int64], channel: NDArray[np.int64], net: NDArray[np.float64],
                          from_network: NDArray[np.bool_], physical: NDArray[np.bool_], discount: np.float64,
                          week: int, gain: Any, state: dict[str, NDArray[Any]],
                          experience: NDArray[np.float32],
                          channel_weekly: NDArray[np.float64]) -> NDArray[np.bool_]:
    """The purchase step's writes before the kernel (commit dcf02c2), on every plan's ``records``.

    ``state``: (P x N,) flat arrays by name; ``channel_weekly``: (P, 2, C) this week's totals.
    Returns which buyers made their first purchase.
    """
    store = records._store
    slot, store.used = numpy_place(store.slot, store.used, person)
    records.add("revenue_discounted", plan, slot, (net * discount).astype(np.float32))
    remote = ~physical.take(channel)
    records.add("remote_revenue_discounted", plan.compress(remote), slot.compress(remote),
                (net.compress(remote) * discount).astype(np.float32))
    customer_since = state["customer_since"]
    first = customer_since.take(flat) < 0
    experience[flat] += gain
    customer_since[flat[first]] = week
    purchases = state["purchases"]
    count = purchases.take(flat) + 1
    purchases[flat] = count
    state["second_purchase_week"][flat[count == 2]] = week
    state["last_purchase_week"][flat] = week
    records.add("purchases_by_channel", plan, slot, 1, channel)
    records.add("spend_by_channel", plan, slot, net.astype(np.float32), channel)
    discount32 = np.float32(discount)
    records.add("orders_discounted", plan, slot, discount32, channel)
    records.add("network_discounted", plan.compress(from_network), slot.compress(from_network), discount32)
    n_plans, _, n_c = channel_weekly.shape
    channel_weekly[:, 0] += np.bincount(plan * n_c + channel, minlength=n_plans * n_c).reshape(n_plans, n_c)
    channel_weekly[:, 1] += np.bincount(plan * n_c + channel, weights=net,
                                        minlength=n_plans * n_c).reshape(n_plans, n_c)
    state["channels_bought"][flat] |= np.left_shift(1, channel).astype(np.uint8)
    return first


# --- kernels/select.py: the numpy expressions the selections and gathers replaced (0ef5d49) ---


def numpy_where_table(table: NDArray[np.bool_], index: NDArray[Any]) -> NDArray[np.int64]:
    """engine._all_eligible: the people whose key is in ``table``."""
    return table.take(index).nonzero()[0]


def numpy_table_at(table: NDArray[np.bool_], index: NDArray[Any], at: NDArray[np.int64]) -> NDArray[np.bool_]:
    """engine._eligible_among."""
    return table.take(index.take(at))


def numpy_open_candidates(u: NDArray[np.float32], bound: NDArray[np.float32], person: NDArray[np.int64],
                          offered_bound: NDArray[np.float64]) -> NDArray[np.int64]:
    """engine._open_journeys: the people whose open draw is below their bound (with an offer's)."""
    candidate = u < bound
    if person.size:
        candidate[person] |= u.take(person) < offered_bound
    return candidate.nonzero()[0]


def numpy_between(u: NDArray[np.float32], low: np.float64, high: np.float64) -> NDArray[np.int64]:
    """engine._update_recognition: the people whose recognition flips."""
    return ((u >= low) & (u < high)).nonzero()[0]


def numpy_below_at(u: NDArray[np.float32], person: NDArray[np.int64], threshold: NDArray[np.float64],
                   plan: NDArray[np.int64]) -> NDArray[np.bool_]:
    """engine._recognised."""
    return u.take(person) < threshold.take(plan)


def numpy_unified_features(state: Any, history: Any, people: NDArray[np.int64], week: int, *,
                           per_usd: float = 1.0) -> NDArray[np.float32]:
    """personalization.features.unified_features as it was (a gather per record)."""
    from simulation.core.personalization.features import recency, spend_in_usd
    from simulation.core.world import CHANNELS_IN_MASK

    n_channels = history.n_channels
    out = np.empty((people.size, 4 * n_channels + 6), dtype=np.float32, order="F")
    used = np.take(state.channels_used, people)
    base = 4 * n_channels
    blocks = out[:, :base].T.reshape(n_channels, 4, people.size)
    recency(history.last_week(people), week, out=blocks[:, 0])
    counts = state.records.take("purchases_by_channel", people)
    np.log1p(counts, out=blocks[:, 1], dtype=np.float32)
    spend = spend_in_usd(state.records.take("spend_by_channel", people), per_usd)
    np.log1p(np.maximum(spend, 0.0, out=spend), out=blocks[:, 2])
    blocks[:, 3] = (used[None, :] >> np.arange(n_channels, dtype=used.dtype)[:, None]) & 1
    np.log1p(counts.sum(axis=0, dtype=np.float32), out=out[:, base])
    recency(np.take(state.last_purchase_week, people), week, out=out[:, base + 1])
    out[:, base + 2] = np.take(CHANNELS_IN_MASK, used)
    out[:, base + 3] = np.take(CHANNELS_IN_MASK, np.take(state.channels_bought, people))
    since = np.take(state.customer_since, people)
    out[:, base + 4] = np.where(since >= 0, np.log1p(np.maximum(week - since, 0)), 0.0)
    out[:, base + 5] = since >= 0
    return out


def numpy_count_many(tally: NDArray[np.float64], rows: list[int], plan: NDArray[np.int64],
                     values: NDArray[Any], n_plans: int) -> None:
    """engine.Simulation._count_many: per-plan sums of each row of ``values`` (numpy's pairwise sums)."""
    if n_plans == 1:
        tally[0, rows] += values[:, 0:plan.size].sum(axis=1)
        return
    bounds = np.searchsorted(plan, np.arange(n_plans + 1))
    for s in range(n_plans):
        tally[s, rows] += values[:, bounds[s]:bounds[s + 1]].sum(axis=1)


def numpy_journey_outcomes(tally: NDArray[np.float64], event_rows: list[int], loss_rows: list[int],
                           flat: NDArray[np.int64], plan: NDArray[np.int64], walk: Any,
                           expected_order_value: NDArray[np.float64], loss_ends: NDArray[np.int8],
                           experience: NDArray[np.float32], channels_used: NDArray[np.uint8],
                           flows: NDArray[np.float64], n_plans: int,
                           ) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """engine.Simulation._journeys' writes of a walk as they were (0ef5d49): returns hurt and bought."""
    from simulation.core.tallies import JourneyEnd

    n_channels = expected_order_value.shape[1]
    numpy_count_many(tally, event_rows, plan, walk.events, n_plans)
    satisfaction_loss = walk.satisfaction_loss
    hurt = flat.compress(satisfaction_loss > 0)
    experience[hurt] -= satisfaction_loss[satisfaction_loss > 0]
    channels_used[flat] |= walk.channels_used.astype(np.uint8)
    width = n_channels + 4
    end, final = walk.end, walk.final
    destination = np.where(end == JourneyEnd.BOUGHT, final, n_channels + end - 2)
    flows += np.bincount((plan * n_channels + walk.start) * width + destination,
                         minlength=flows.size).reshape(flows.shape)
    lost_by = end[None, :] == loss_ends[:, None]
    value = expected_order_value[walk.segment, final]
    numpy_count_many(tally, loss_rows, plan, np.concatenate([lost_by, lost_by * value]), n_plans)
    return hurt, end == JourneyEnd.BOUGHT


def numpy_set_annoyance(annoyed: NDArray[np.bool_], key: NDArray[Any], annoyance: NDArray[np.float32],
                        experience: NDArray[np.float32]) -> NDArray[np.int64]:
    """engine._contacts: the fatigue of the pairs contacted above tolerance."""
    at = annoyed.nonzero()[0]
    experience[at] = -annoyance.take(key.take(at))
    return at


def numpy_uniform_block(streams: RandomStreams, draws: list[tuple[Draw, int]], week: int,
                        person: NDArray[Any]) -> NDArray[np.float32]:
    """RandomStreams.uniform_block (and uniform, one row) as numpy computed them (0ef5d49)."""
    offsets = streams.offsets(tuple(draws), week)
    x = offsets[:, None] ^ person.astype(np.uint32)[None, :]
    x ^= x >> np.uint32(16)
    x *= np.uint32(0x7FEB352D)
    x ^= x >> np.uint32(15)
    x *= np.uint32(0x846CA68B)
    x ^= x >> np.uint32(16)
    return np.multiply(x >> np.uint32(8), 2.0**-24, dtype=np.float32)


def numpy_channel_features(state: Any, history: Any, channel: int, people: NDArray[np.int64], week: int,
                           out: NDArray[np.float32] | None = None, *,
                           per_usd: float = 1.0) -> NDArray[np.float32]:
    """personalization.features.channel_features as it was (a slot look-up per record)."""
    from simulation.core.personalization.features import recency, spend_in_usd

    if out is None:
        out = np.empty((people.size, 3), dtype=np.float32, order="F")
    recency(history.last_week(people, channel), week, out=out[:, 0])
    records = state.records
    np.log1p(records.take("purchases_by_channel", people, channel), out=out[:, 1], dtype=np.float32)
    spend = spend_in_usd(records.take("spend_by_channel", people, channel), per_usd)
    np.log1p(np.maximum(spend, 0.0, out=spend), out=out[:, 2])
    return out


def numpy_channel_records(state: Any, history: Any, people: NDArray[np.int64], week: int, *,
                          per_usd: float = 1.0) -> Any:
    """personalization.features.channel_records as it was."""
    from simulation.core.personalization.features import ChannelRecords

    n_channels = history.n_channels
    used = state.channels_used[people]
    positions = [np.flatnonzero((used >> c) & 1) for c in range(n_channels)]
    rows = sum(p.size for p in positions)
    design = np.zeros((rows, 4 * n_channels), dtype=np.float32, order="F")
    start = 0
    for c, pos in enumerate(positions):
        block = slice(start, start + pos.size)
        design[block, 4 * c] = 1.0
        numpy_channel_features(state, history, c, np.take(people, pos), week,
                               out=design[block, 4 * c + 1 : 4 * c + 4], per_usd=per_usd)
        start += pos.size
    channel = np.repeat(np.arange(n_channels), [p.size for p in positions])
    person_pos = np.concatenate(positions) if positions else np.zeros(0, dtype=np.int64)
    return ChannelRecords(design=design, person_pos=person_pos.astype(np.int64), channel=channel)


def numpy_hazard(flat: NDArray[np.int64], person: NDArray[np.int64], segment: NDArray[Any],
                 segment_hazard: NDArray[np.float32], satisfaction: NDArray[np.float32], baseline: float,
                 elasticity: float, purchases: NDArray[Any], threshold: int,
                 loyal_multiplier: float) -> NDArray[np.float32]:
    """engine._hazard as it was."""
    seg = segment.take(person)
    gap = satisfaction.take(flat) - np.float32(baseline)
    hazard = segment_hazard.take(seg) * np.exp(np.float32(-elasticity) * gap)
    loyal = purchases.take(flat) >= threshold
    hazard[loyal] *= np.float32(loyal_multiplier)
    return hazard


def numpy_floats_from_raw(raw: NDArray[np.uint64], out: NDArray[np.float32]) -> NDArray[np.float32]:
    """random_streams._floats_from_raw as it was (numpy, three passes)."""
    words = raw.view(np.uint32)
    words >>= np.uint32(8)
    out[...] = words.view(np.int32)
    out *= np.float32(2.0**-24)
    return out


def numpy_offered_bound(open_bound: NDArray[np.float32], person: NDArray[np.int64], offer_bound_factor: float,
                        offer_factor: NDArray[np.float32] | None) -> NDArray[np.float64]:
    """engine._offered_bound as it was: the open bound of ``person`` with an offer."""
    bound: NDArray[np.float64] = open_bound.take(person).astype(np.float64) * offer_bound_factor
    if offer_factor is not None:
        bound *= offer_factor.take(person)
    return bound
