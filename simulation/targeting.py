"""Who gets a targeted offer this week: the seam between the engine and personalization.

The engine asks a :class:`TargetingPolicy` once per strategy and week for the people who receive
an offer, among those it may contact. A policy sees only what a marketer could see (the
strategy's state: purchases, spend and channels per person, weeks of events), never the hidden
propensity. The default, :class:`RandomTargeting`, sends the budget to random eligible people, so
the value of better data is zero until a learned policy (``simulation.personalization``) is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray

from simulation.random_streams import Draw

if TYPE_CHECKING:
    from simulation.engine import StrategyState
    from simulation.random_streams import RandomStreams
    from simulation.world import World


@dataclass(frozen=True)
class WeekPurchases:
    """The purchases one strategy recorded in one week, arrays of shape (P,)."""

    person: NDArray[np.int64]
    channel: NDArray[np.int64]
    net_value: NDArray[np.float64]
    """Order value after refunds, simulated currency."""

    @classmethod
    def none(cls) -> WeekPurchases:
        empty = np.zeros(0, dtype=np.int64)
        return cls(person=empty, channel=empty, net_value=np.zeros(0))


@dataclass(frozen=True)
class TargetingContext:
    """What a policy may look at when choosing offer recipients.

    Attributes
    ----------
    week, strategy:
        Current week and the strategy's index in ``world.strategies``.
    identity:
        Effective ``identity`` level this week (0 = siloed data, 1 = unified).
    eligible:
        (E,) person indices the business may contact this week.
    offer_share:
        Share of ``eligible`` the weekly budget pays for.
    """

    week: int
    strategy: int
    identity: float
    eligible: NDArray[np.int64]
    offer_share: float
    state: StrategyState
    world: World
    streams: RandomStreams


class TargetingPolicy(Protocol):
    """Chooses offer recipients; must be deterministic given the context."""

    def select(self, context: TargetingContext) -> NDArray[np.bool_]:
        """A boolean mask over ``context.eligible``: True = send an offer."""
        ...

    def observe_week(self, week: int, strategy: int, state: StrategyState,
                     purchases: WeekPurchases) -> None:
        """Called at the end of each strategy-week with that week's purchases."""
        ...


class RandomTargeting:
    """Offers to a random ``offer_share`` of eligible people (no data used)."""

    def select(self, context: TargetingContext) -> NDArray[np.bool_]:
        u = context.streams.uniform(Draw.TARGETING, context.week, 0, context.eligible)
        return u < context.offer_share  # type: ignore[no-any-return]

    def observe_week(self, week: int, strategy: int, state: StrategyState,
                     purchases: WeekPurchases) -> None:
        return None
