"""The journey walk: a week's journeys, each to its end, as a pure function.

A journey opens in the person's home channel or, with chance their channel breadth, in one drawn
from the segment's preferences (always the latter without the breadth trait), and lasts at most
``behaviour.touchpoints_per_journey`` touchpoints. At each one it may switch channel (the
context is kept with a chance raised by ``context``; otherwise the customer gives up or starts
over), meet a conflicting price or message after a switch (less often with ``consistency``) and
walk away, and decide to buy; a purchase needs the item in stock, which shared inventory
(``inventory``) raises. A journey still open after its last touchpoint is abandoned. With store
stock visible online (``inventory``), a purchase by a journey that stayed online may move to a
store (research online, buy offline: :mod:`simulation.core.channel_shift`).

:func:`walk_journeys` walks each journey touchpoint by touchpoint in a compiled loop
(:func:`simulation.core.kernels.walk.walk_kernel`): the channel path, then each event from its
hashed draw, until the first terminal event ends the journey; a journey's draws are computed
only for the touchpoints it reaches, exactly as the per-person reference model in
``tests/simulation/core/reference_model.py`` walks them; ``tests/simulation/core/test_journey.py``
drives this function against it (and ``test_kernels.py`` against the vectorized numpy walk it
replaced, bit for bit). The function reads the world and the draws and writes
nothing: :class:`simulation.core.engine.Simulation` applies the result to the plans' state.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulation.core.capabilities import Capability
from simulation.core.channel_shift import StoreChoice, shift_chance, shift_to_store
from simulation.core.kernels.common import compared_with_float32
from simulation.core.kernels.walk import walk_kernel
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

_END_CODES = np.array([JourneyEnd.OPEN, JourneyEnd.BOUGHT, JourneyEnd.LOST_CONTEXT, JourneyEnd.STOCK_OUT,
                       JourneyEnd.CONFLICT, JourneyEnd.ABANDONED], dtype=np.int8)
"""End codes in the order :func:`simulation.core.kernels.walk.walk_kernel` takes them."""


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

    levels = np.asarray(levels, dtype=np.float64)
    if recognised is None:
        recognised = np.ones(n_j, dtype=bool)
    breadth = world.people.channel_breadth
    offsets = streams.offsets(_walk_draws(repeat, n_touch), week)
    # Returns accepted in any channel make buying less risky (Janakiraman et al. 2016), for
    # the people whose returns another channel can accept (recognised); with one channel there
    # is no other channel to return in.
    uplift = behaviour.returns_policy_uplift if n_channels > 1 else 0.0
    start, final, end, per_journey, channels_used, from_network = walk_kernel(
        np.asarray(person, dtype=np.int64), np.asarray(plan, dtype=np.int64), seg,
        np.asarray(recognised, dtype=np.bool_), offsets, n_touch,
        breadth if breadth is not None else np.ones(1, dtype=np.float32),
        world.people.favourite_channel, breadth is not None,
        paths.preference_cdf, paths.switch_cdf, paths.can_switch,
        segs.switch_probability.astype(np.float64), n_channels > 1,
        np.ascontiguousarray(levels[:, _CAP[Capability.CONTEXT]]), float(behaviour.siloed_context_kept),
        compared_with_float32(behaviour.lost_context_abandon_share),
        behaviour.conflict_rate * (1 - levels[:, _CAP[Capability.CONSISTENCY]]),
        segs.conflict_sensitivity.astype(np.float64), chan.conversion.astype(np.float64),
        np.ascontiguousarray(levels[:, _CAP[Capability.SERVICE]]), float(uplift),
        chan.stock_availability.astype(np.float64),
        levels[:, _CAP[Capability.INVENTORY]] * behaviour.network_fill_rate,
        compared_with_float32(behaviour.stockout_lost_share), _END_CODES)
    researched = final
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
        segment=seg, start=start, final=final, researched=researched, end=end,
        events=per_journey, channels_used=channels_used, from_network=from_network,
        satisfaction_loss=satisfaction_loss,
    )


__all__ = ["TOUCHPOINT_DRAWS", "TOUCHPOINT_EVENTS", "JourneyPaths", "WalkedJourneys", "walk_journeys"]
