"""The journey walk: every touchpoint of a week's journeys at once, as a pure function.

A journey opens in the person's home channel or, with chance their channel breadth, in one drawn
from the segment's preferences (always the latter without the breadth trait), and lasts at most
``behaviour.touchpoints_per_journey`` touchpoints. At each one it may switch channel (the
context is kept with a chance raised by ``context``; otherwise the customer gives up or starts
over), meet a conflicting price or message after a switch (less often with ``consistency``) and
walk away, and decide to buy; a purchase needs the item in stock, which shared inventory
(``inventory``) raises. A journey still open after its last touchpoint is abandoned. With store
stock visible online (``inventory``), a purchase by a journey that stayed online may move to a
store (research online, buy offline: :mod:`simulation.core.channel_shift`).

:func:`walk_journeys` evaluates all touchpoints of all journeys as (touchpoint, journey) arrays
in one ordered pass: the channel path first (the only step that depends on the previous
touchpoint), then each event from its hashed draw, then which touchpoint ended the journey.
Events after the end are masked out, so a journey ends at its first terminal event exactly as
if its touchpoints were walked one by one, which is what the per-person reference model in
``tests/simulation/core/reference_model.py`` does; ``tests/simulation/core/test_journey.py``
drives this function against it. The function reads the world and the draws and writes
nothing: :class:`simulation.core.engine.Simulation` applies the result to the plans' state.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulation.core.capabilities import Capability
from simulation.core.channel_shift import StoreChoice, shift_chance, shift_to_store
from simulation.core.random_streams import Draw, RandomStreams
from simulation.core.tallies import JourneyEnd
from simulation.core.world import World

_CAP = {c: i for i, c in enumerate(Capability)}

TOUCHPOINT_DRAWS = (Draw.SWITCH, Draw.NEXT_CHANNEL, Draw.KEEP_CONTEXT, Draw.RESTART, Draw.CONFLICT,
                    Draw.CONFLICT_WALKAWAY, Draw.BUY, Draw.IN_STOCK, Draw.STOCKOUT_LOST)
"""Event draws of one journey touchpoint (hashed per person, week and touchpoint)."""

TOUCHPOINT_EVENTS = ("switch", "context_lost", "conflict_chance", "conflict", "buy_attempt",
                     "network_fulfilled", "stockout")
"""Touchpoint events counted per journey, in the row order of :attr:`WalkedJourneys.events`."""


def _open_last(cdf: NDArray[np.float64]) -> NDArray[np.float64]:
    """``cdf`` with its last column (the total, 1 up to rounding) set to +inf."""
    cdf = cdf.copy()
    cdf[..., -1] = np.inf
    return cdf


@dataclass(frozen=True)
class JourneyPaths:
    """Tables of a world that journeys look up, computed once per run.

    Cumulative preferences have their last column set to +inf: a channel is drawn as the first
    column above the uniform draw (argmax finds it without counting every column).
    """

    preference_cdf: NDArray[np.float64]
    """(G, C) cumulative channel preference of each segment, where a journey starts."""
    switch_cdf: NDArray[np.float64]
    """(G, C, C) for (segment, current channel): cumulative preference over the other channels,
    where a switching journey goes."""
    can_switch: NDArray[np.bool_]
    """(G, C) whether a journey of the segment in the channel has another channel to go to."""
    expected_order_value: NDArray[np.float64]
    """(G, C) mean order value (lognormal mean) of the segment in the channel, simulated
    currency: what a journey lost in that channel is counted as."""
    stores: StoreChoice
    """Where a purchase researched online goes when it moves to a store
    (:mod:`simulation.core.channel_shift`)."""

    @classmethod
    def of(cls, world: World) -> JourneyPaths:
        """The tables of ``world``."""
        preference = world.segments.channel_preference
        n_channels = preference.shape[1]
        others = np.repeat(preference[:, None, :], n_channels, axis=1)
        others[:, np.arange(n_channels), np.arange(n_channels)] = 0.0
        total = others.sum(axis=2)
        can_switch = total > 0
        sigma = world.segments.order_value_dispersion
        return cls(
            preference_cdf=_open_last(np.cumsum(preference, axis=1)),
            switch_cdf=_open_last(np.cumsum(others, axis=2) / np.where(can_switch, total, 1.0)[..., None]),
            can_switch=can_switch,
            expected_order_value=(world.segments.order_value[:, None] * np.exp(sigma**2 / 2)[:, None]
                                  * world.channels.order_value_multiplier[None, :]),
            stores=StoreChoice.of(world),
        )


@dataclass(frozen=True)
class WalkedJourneys:
    """How each of J journeys went; arrays of shape (J,) unless stated."""

    segment: NDArray[np.int8]
    """Segment of the journey's person."""
    start: NDArray[np.intp]
    """Channel of the first touchpoint."""
    final: NDArray[np.intp]
    """Channel of the touchpoint that ended the journey (the last one if abandoned), or the
    store a purchase researched online moved to (:mod:`simulation.core.channel_shift`)."""
    researched: NDArray[np.intp]
    """Channel whose basket the purchase is (its order value multiplier): ``final``, except
    for a purchase moved to a store, where it is the online channel it was chosen in."""
    end: NDArray[np.int8]
    """How the journey ended, a :class:`~simulation.core.tallies.JourneyEnd` code (never OPEN)."""
    events: NDArray[np.int32]
    """(len(TOUCHPOINT_EVENTS), J) touchpoint events of the journey up to its end."""
    channels_used: NDArray[np.intp]
    """Bit mask of the channels the journey had a touchpoint in."""
    from_network: NDArray[np.bool_]
    """Whether the purchase (if any) was served from another location's stock."""
    satisfaction_loss: NDArray[np.float32]
    """Satisfaction the journey cost (lost context, conflicts and stock-outs), >= 0."""

    @property
    def bought(self) -> NDArray[np.bool_]:
        """Whether the journey ended in a purchase."""
        return self.end == JourneyEnd.BOUGHT  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=16)
def _walk_draws(repeat: int, n_touch: int) -> tuple[tuple[Draw, int], ...]:
    """The draws of a walk: the start channel, then each touchpoint's :data:`TOUCHPOINT_DRAWS`."""
    return ((Draw.START_CHANNEL, repeat),
            *((kind, repeat * n_touch + k) for k in range(n_touch) for kind in TOUCHPOINT_DRAWS))


def walk_journeys(world: World, paths: JourneyPaths, streams: RandomStreams, week: int,
                  person: NDArray[np.int64], plan: NDArray[np.int64],
                  levels: NDArray[np.float64],
                  recognised: NDArray[np.bool_] | None = None, repeat: int = 0) -> WalkedJourneys:
    """Walk the journeys of ``person`` under plan ``plan`` in ``week``.

    Parameters
    ----------
    world, paths:
        The run's world and its :class:`JourneyPaths`.
    streams:
        The run's random streams; each touchpoint's events use hashed draws of
        (kind, ``week``, touchpoint, person), so a journey's path depends on nobody else's.
    week:
        Week number of the horizon.
    person, plan:
        (J,) the person and plan index of each journey.
    levels:
        (P, K) capability levels in force this week (:meth:`World.effective_levels`), in
        :class:`~simulation.core.scenario.Capability` order.
    recognised:
        (J,) whether the journey's person is recognised across channels
        (:mod:`simulation.core.recognition`); context carry-over and the returns-policy uplift
        act only on them. None =
        everyone recognised.
    repeat:
        Which of the person's journeys this week it is (0 for the first): journey ``j`` uses
        steps ``j`` (start channel) and ``j x touchpoints + k`` (touchpoint ``k``) of the hashed
        draws, so a second journey in a week is not a copy of the first.

    Returns
    -------
    WalkedJourneys
        Each journey's path, events and end; nothing is written anywhere.
    """
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


__all__ = ["TOUCHPOINT_DRAWS", "TOUCHPOINT_EVENTS", "JourneyPaths", "WalkedJourneys", "walk_journeys"]
