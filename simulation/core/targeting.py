"""Who gets a targeted offer this week: the seam between the engine and personalization.

The engine asks a :class:`TargetingPolicy` once per plan and week for the people who receive
an offer, among those it may contact. A policy sees only what a marketer could see (the
plan's state: purchases, spend and channels per person, weeks of events), never the hidden
propensity. The default, :class:`RandomTargeting`, sends the budget to random eligible people, so
the value of better data is zero until a learned policy (``simulation.core.personalization``) is used.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray

from simulation.core.random_streams import Draw

if TYPE_CHECKING:
    from simulation.core.random_streams import RandomStreams
    from simulation.core.state import PlanState
    from simulation.core.world import World


@dataclass(frozen=True)
class WeekPurchases:
    """The purchases one plan recorded in one week, arrays of shape (B,) (B buyers)."""

    person: NDArray[np.int64]
    channel: NDArray[np.int64]
    net_value: NDArray[np.float64]
    """Order value after refunds (0 for a returned order), simulated currency."""
    order_value: NDArray[np.float64]
    """Order value before any refund, simulated currency."""
    offered: NDArray[np.bool_]
    """Whether the buyer received a targeted offer this week."""

    @classmethod
    def none(cls) -> WeekPurchases:
        """No purchases (empty arrays)."""
        empty = np.zeros(0, dtype=np.int64)
        return cls(person=empty, channel=empty, net_value=np.zeros(0), order_value=np.zeros(0),
                   offered=np.zeros(0, dtype=bool))

    def joined(self, other: WeekPurchases) -> WeekPurchases:
        """These purchases then ``other``'s (a person with two journeys in the week appears twice)."""
        return WeekPurchases(*(np.concatenate([getattr(self, f.name), getattr(other, f.name)])
                               for f in dataclasses.fields(self)))


@dataclass(frozen=True)
class TargetingContext:
    """What a policy may look at when choosing offer recipients.

    Attributes
    ----------
    week, plan:
        Current week and the plan's index in ``world.plan_names``.
    identity:
        Effective ``identity`` level this week (0 = siloed data, 1 = unified).
    recognised:
        Share of people recognised across channels this week, r0 + (1 - r0) x identity
        (:mod:`simulation.core.recognition`): the models link these people's records.
    offer_share:
        Share of the eligible people the weekly budget pays for.
    n_eligible:
        How many people the business may contact this week (alive, known to a channel,
        subscribed).
    is_eligible:
        ``is_eligible(person)`` -> bool array: may these people be contacted this week?
    list_eligible:
        Returns every eligible person (sorted); costs a pass over the population, so policies
        use :attr:`eligible` only when they need the whole list (e.g. to rank everyone).
    """

    week: int
    plan: int
    identity: float
    recognised: float
    offer_share: float
    n_eligible: int
    is_eligible: Callable[[NDArray[np.int64]], NDArray[np.bool_]]
    list_eligible: Callable[[], NDArray[np.int64]]
    state: PlanState
    world: World
    streams: RandomStreams

    @cached_property
    def eligible(self) -> NDArray[np.int64]:
        """(E,) every person the business may contact this week."""
        return self.list_eligible()

    @property
    def budget(self) -> int:
        """Offers the weekly budget pays for."""
        return round(self.offer_share * self.n_eligible)


class TargetingPolicy(Protocol):
    """Chooses offer recipients; must be deterministic given the context."""

    def select(self, context: TargetingContext) -> NDArray[np.int64]:
        """Person indices (eligible, distinct) that receive an offer this week."""
        ...

    def observe_week(self, week: int, plan: int, state: PlanState,
                     purchases: WeekPurchases) -> None:
        """Called at the end of each plan's week with that week's purchases."""
        ...


class WeeklyDraw:
    """Who this week's random offers may go to, drawn once a week and shared by all plans.

    Each person is chosen independently with probability ``offer_share``. The chosen people are
    found by geometric gaps between them (drawn from hashed uniforms of ``(TARGETING, week, gap
    number)``), which is the same Bernoulli process as a draw per person but costs a draw per
    chosen person rather than per person.
    """

    def __init__(self) -> None:
        self._key: tuple[int, int, float] = (-1, -1, -1.0)
        self._chosen: NDArray[np.int64] = np.zeros(0, dtype=np.int64)

    def chosen(self, context: TargetingContext) -> NDArray[np.int64]:
        """Sorted positions of the people chosen this week (drawn again only when week, N or share change)."""
        key = (context.week, context.world.n_people, context.offer_share)
        if key != self._key:
            self._key = key
            self._chosen = bernoulli_positions(context.streams, context.week, key[1], key[2])
        return self._chosen


def bernoulli_positions(streams: RandomStreams, week: int, n: int, p: float, *,
                        kind: Draw = Draw.TARGETING, step: int = 0) -> NDArray[np.int64]:
    """Sorted positions in ``range(n)`` of independent Bernoulli(``p``) successes.

    Hashed uniforms of ``(kind, week, step, gap number)``.
    """
    if p <= 0 or n == 0:
        return np.zeros(0, dtype=np.int64)
    if p >= 1:
        return np.arange(n)
    expected = n * p
    parts, position, drawn = [], -1, 0
    while position < n:
        size = int(expected + 6 * np.sqrt(expected) + 16)
        u = streams.uniform(kind, week, step, np.arange(drawn, drawn + size))
        # A gap longer than the population ends the draw; capping first keeps tiny p finite.
        with np.errstate(over="ignore", divide="ignore"):
            gaps = np.minimum(np.floor(np.log1p(-u) / np.log1p(-p)), n).astype(np.int64) + 1
        positions = position + np.cumsum(gaps)
        parts.append(positions)
        position, drawn = int(positions[-1]), drawn + size
    found = np.concatenate(parts)
    return found[found < n]


def random_recipients(context: TargetingContext, draw: WeeklyDraw) -> NDArray[np.int64]:
    """Each eligible person independently with probability ``offer_share`` (hashed draws)."""
    candidates = draw.chosen(context)
    return candidates[context.is_eligible(candidates)]


class RandomTargeting:
    """Offers to a random ``offer_share`` of eligible people (no data used)."""

    def __init__(self) -> None:
        self._draw = WeeklyDraw()

    def select(self, context: TargetingContext) -> NDArray[np.int64]:
        """The week's random recipients: each eligible person with probability ``offer_share``."""
        return random_recipients(context, self._draw)

    def observe_week(self, week: int, plan: int, state: PlanState,
                     purchases: WeekPurchases) -> None:
        """Nothing: random offers learn nothing from purchases."""
        return None
