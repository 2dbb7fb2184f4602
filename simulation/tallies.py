"""Names of the weekly counters the engine keeps for each strategy, and of lost-sale causes."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Tally(IntEnum):
    """Weekly counters; money in simulated-population currency (scaled later)."""

    NEW_AWARE = 0
    ACTIVE_CUSTOMERS = 1
    NEW_CUSTOMERS = 2
    JOURNEYS = 3
    PURCHASES = 4
    GROSS_SALES = 5
    REFUNDS = 6
    NET_REVENUE = 7
    GROSS_MARGIN = 8
    CONTACTS = 9
    CONTACT_COST = 10
    OFFERS = 11
    OFFER_COST = 12
    OFFER_JOURNEYS = 13
    RETURNS = 14
    RETURNS_COST = 15
    REACH_COST = 16
    LAPSES = 17
    PROSPECT_DROPOUTS = 18
    SWITCHES = 19
    CONTEXT_LOSSES = 20
    JOURNEY_CONFLICT_CHANCES = 21
    JOURNEY_CONFLICTS = 22
    CONTACT_CONFLICT_CHANCES = 23
    CONTACT_CONFLICTS = 24
    BUY_ATTEMPTS = 25
    STOCKOUTS = 26
    NETWORK_FULFILLED = 27
    EXCESS_CONTACTS = 28
    UNSUBSCRIBES = 29
    CROSS_CHANNEL_RETURNS = 30
    RETURN_FRICTIONS = 31
    SATISFACTION_SUM = 32
    LOYAL_ACTIVE = 33
    LOST_CONTEXT = 34
    LOST_STOCKOUT = 35
    LOST_CONFLICT = 36
    LOST_ABANDONED = 37
    LOST_OVERMESSAGING_CHURN = 38
    LOST_VALUE_CONTEXT = 39
    LOST_VALUE_STOCKOUT = 40
    LOST_VALUE_CONFLICT = 41
    LOST_VALUE_ABANDONED = 42
    ALIVE_PROSPECTS = 43


class LossCause(StrEnum):
    """Why a journey or a customer was lost (MODEL.md outputs)."""

    LOST_CONTEXT = "lost context on channel switch"
    STOCK_OUT = "stock-out"
    CONFLICT = "conflicting prices or messages"
    OVER_MESSAGING_CHURN = "over-messaging churn"
    ABANDONMENT = "abandoned journey"


class JourneyEnd(IntEnum):
    """How a journey ended; codes stored per journey inside a week."""

    OPEN = 0
    BOUGHT = 1
    LOST_CONTEXT = 2
    STOCK_OUT = 3
    CONFLICT = 4
    ABANDONED = 5


JOURNEY_LOSSES: tuple[tuple[JourneyEnd, LossCause, Tally, Tally], ...] = (
    (JourneyEnd.LOST_CONTEXT, LossCause.LOST_CONTEXT, Tally.LOST_CONTEXT, Tally.LOST_VALUE_CONTEXT),
    (JourneyEnd.STOCK_OUT, LossCause.STOCK_OUT, Tally.LOST_STOCKOUT, Tally.LOST_VALUE_STOCKOUT),
    (JourneyEnd.CONFLICT, LossCause.CONFLICT, Tally.LOST_CONFLICT, Tally.LOST_VALUE_CONFLICT),
    (JourneyEnd.ABANDONED, LossCause.ABANDONMENT, Tally.LOST_ABANDONED, Tally.LOST_VALUE_ABANDONED),
)
"""Journey ends that lose a sale: end code, reported cause, count tally, lost-value tally."""
