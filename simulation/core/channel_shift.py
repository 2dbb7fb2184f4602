"""Research online, buy offline: with store stock visible online, online purchases move to a store.

Gallino and Moreno (2014, Management Science) found that when a retailer made its store stock
verifiable online (with buy online, pick up in store), online sales fell while store sales and
store traffic rose: shoppers who had researched online went to a store they now knew had the item
(the "research shopper" of Verhoef, Neslin and Vroomen 2007). Here, a journey that stayed in
digital channels and ends in a purchase completes it in a store instead with chance
``behaviour.store_shift_share`` x the plan's ``inventory`` level. The same purchase moves channel:
it is counted once, in the store, and no purchase is added, so it is migrated, not incremental.

What moves with it, and what does not:

* The purchase is a store sale: the store's return rate applies (the shopper has seen the
  item), it pays no delivery (the store's cost to serve) and it is served from the store's
  shelf, not from the network. It is not a click-and-collect order, so it brings none of
  click-and-collect's handling cost or pickup add-on (those value remote orders).
* The order keeps the value of the online basket it was researched in (the channel's order
  value multiplier of the online channel): the shopper came for the item they chose. Extra
  buying on the store visit (Gallino and Moreno's cross-selling) is not modelled here.
* The store is drawn among the business's physical channels by the segment's preferences
  (every physical channel alike if the segment prefers none), from the same draw.
* No identity gate: seeing store stock online does not need the shopper to be recognised.
* The reverse (a store stock-out ordered online from the rest of the network) is already
  the inventory mechanism's network fulfilment, which keeps the sale in the store channel;
  nothing here counts it again.

:func:`shift_to_store` is called at the end of :func:`simulation.core.journey.walk_journeys`;
its draw (:attr:`~simulation.core.random_streams.Draw.STORE_SHIFT`, step = which of the
person's journeys this week it is) is hashed per person and week, so every plan meets the same
luck, and none is taken where the shift cannot happen (share 0, no inventory level, no store).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulation.core.random_streams import Draw, RandomStreams
from simulation.core.world import World


@dataclass(frozen=True)
class StoreChoice:
    """Where a shifted purchase goes, computed once per run."""

    physical_mask: int
    """Bit mask of the physical channels (0 when the business has no store)."""
    store_cdf: NDArray[np.float64]
    """(G, C) for each segment, cumulative preference over the physical channels only (digital
    columns add nothing), normalised to 1 with the last column +inf."""

    @classmethod
    def of(cls, world: World) -> StoreChoice:
        """The tables of ``world``."""
        physical = np.asarray(world.channels.physical, dtype=bool)
        mask = int(np.left_shift(1, np.flatnonzero(physical)).sum())
        preference = world.segments.channel_preference * physical[None, :]
        total = preference.sum(axis=1, keepdims=True)
        # A segment that prefers no store goes to any of them alike.
        preference = np.where(total > 0, preference, physical[None, :].astype(np.float64))
        cdf = np.cumsum(preference, axis=1) / np.maximum(preference.sum(axis=1, keepdims=True), 1e-300)
        cdf[:, -1] = np.inf
        return cls(physical_mask=mask, store_cdf=cdf)


def shift_chance(world: World, levels: NDArray[np.float64], inventory: int) -> NDArray[np.float64]:
    """(P,) chance that an online-only journey's purchase moves to a store under each plan.

    ``store_shift_share`` x the plan's inventory level this week (``levels[:, inventory]``).
    """
    share = world.scenario.behaviour.store_shift_share
    return share * levels[:, inventory]  # type: ignore[no-any-return]


def shift_to_store(world: World, choice: StoreChoice, streams: RandomStreams, week: int,
                   person: NDArray[np.int64], plan: NDArray[np.int64], segment: NDArray[np.int8],
                   chance: NDArray[np.float64], bought: NDArray[np.bool_],
                   channels_used: NDArray[np.intp], repeat: int = 0,
                   ) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Which purchases move to a store, and to which one.

    Parameters
    ----------
    world, choice:
        The run's world and its :class:`StoreChoice`.
    streams:
        The run's random streams (draw :attr:`Draw.STORE_SHIFT`, step ``repeat``).
    week:
        Week number of the horizon.
    person, plan, segment:
        (J,) each journey's person, plan index and segment.
    chance:
        (P,) :func:`shift_chance` of each plan.
    bought:
        (J,) whether the journey ended in a purchase.
    channels_used:
        (J,) bit mask of the channels the journey had a touchpoint in.
    repeat:
        Which of the person's journeys this week it is (0 for the first).

    Returns
    -------
    tuple of arrays
        Positions (among the J journeys) of the purchases that move, and the store channel each
        moves to. Empty when nothing can move.
    """
    none = np.zeros(0, dtype=np.intp)
    if choice.physical_mask == 0 or not (chance > 0).any():
        return none, none
    online_only = bought & ((channels_used & choice.physical_mask) == 0)
    candidates = np.flatnonzero(online_only & (chance.take(plan) > 0))
    if candidates.size == 0:
        return none, none
    u = streams.uniform(Draw.STORE_SHIFT, week, repeat, person.take(candidates)).astype(np.float64)
    p = chance.take(plan.take(candidates))
    moves = u < p
    at = candidates.compress(moves)
    # Below the chance, the draw rescaled to [0, 1) picks the store.
    rescaled = u.compress(moves) / p.compress(moves)
    store = np.argmax(rescaled[:, None] < choice.store_cdf.take(segment.take(at), axis=0), axis=1)
    return at, store.astype(np.intp)


__all__ = ["StoreChoice", "shift_chance", "shift_to_store"]
