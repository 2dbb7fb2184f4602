"""Names of the weekly counters the engine keeps for each strategy, and keys of lost-sale causes."""

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
    CONTACTS = 8
    CONTACT_COST = 9
    OFFERS = 10
    OFFER_COST = 11
    OFFER_JOURNEYS = 12
    RETURNS = 13
    RETURNS_COST = 14
    REACH_COST = 15
    LAPSES = 16
    PROSPECT_DROPOUTS = 17
    SWITCHES = 18
    CONTEXT_LOSSES = 19
    JOURNEY_CONFLICT_CHANCES = 20
    JOURNEY_CONFLICTS = 21
    CONTACT_CONFLICT_CHANCES = 22
    CONTACT_CONFLICTS = 23
    BUY_ATTEMPTS = 24
    STOCKOUTS = 25
    NETWORK_FULFILLED = 26
    EXCESS_CONTACTS = 27
    UNSUBSCRIBES = 28
    CROSS_CHANNEL_RETURNS = 29
    RETURN_FRICTIONS = 30
    SATISFACTION_SUM = 31
    LOYAL_ACTIVE = 32
    LOST_CONTEXT = 33
    LOST_STOCKOUT = 34
    LOST_CONFLICT = 35
    LOST_ABANDONED = 36
    LOST_OVERMESSAGING_CHURN = 37
    LOST_VALUE_CONTEXT = 38
    LOST_VALUE_STOCKOUT = 39
    LOST_VALUE_CONFLICT = 40
    LOST_VALUE_ABANDONED = 41
    ALIVE_PROSPECTS = 42
    STORE_RETURNS_OF_REMOTE = 43
    RETURN_EXCHANGES = 44
    RETURN_EXCHANGE_SALES = 45
    OFFER_DISCOUNT = 46
    SERVICE_REQUESTS = 47
    SERVICE_REQUESTS_ELSEWHERE = 48
    SERVICE_REQUESTS_UNSEEN = 49
    SERVICE_UNRESOLVED_FIRST_CONTACT = 50
    SERVICE_REQUESTS_ABANDONED = 51
    SERVICE_CONTACTS = 52


class LossCause(StrEnum):
    """Why a journey or a customer was lost (docs/MODEL.md).

    The ``cause`` key of ``Results.losses``; its text is ``cause.<key>`` in the display catalog.
    """

    LOST_CONTEXT = "lost_context"
    STOCK_OUT = "stock_out"
    CONFLICT = "conflict"
    OVER_MESSAGING_CHURN = "over_messaging_churn"
    ABANDONMENT = "abandoned"


LOSS_PREFIX = "lost:"
"""Prefix of a loss in the flows frame's ``destination`` (``lost:stock_out``), which otherwise
holds channel names."""


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
