"""What the marketer can see: purchase records, features and which records are linked.

Every person has a hidden propensity to shop (``world.people.propensity``) that multiplies their
journey rate in every channel. The marketer never sees it. It sees interaction histories, and
those reveal the propensity only as well as the data is joined up:

* **Siloed** (``identity`` = 0). Each channel keeps its own records. Channel *c* knows the people
  who had a touchpoint with it and, for them, its own recency, frequency and spend
  (:func:`channel_features`, stacked for all channels by :func:`channel_records`).
* **Unified** (``identity`` = 1). One customer view: every channel's recency, frequency and spend
  plus cross-channel features (total purchases, last purchase anywhere, channels used and
  bought, customer tenure): :func:`unified_features`.
* **In between.** ``identity`` is the share of customer records that are linked: a person is
  linked when a hashed uniform draw of theirs is below the level (:func:`linked`), so raising
  the level links a superset.

Recency is exp(-weeks since the last purchase / ``RECENCY_SCALE_WEEKS``), 0 if never; counts
and spend (in US dollars, whatever the scenario's currency) enter as log1p. Features are float32.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from simulation.core.kernels.features import lookup
from simulation.core.kernels.select import gather, gather_columns, set_by_slot
from simulation.core.recognition import RECOGNITION_STEP, recognised
from simulation.core.records import lazy_zeros
from simulation.core.targeting import WeekPurchases
from simulation.core.world import CHANNELS_IN_MASK

if TYPE_CHECKING:
    from simulation.core.random_streams import RandomStreams
    from simulation.core.records import BuyerRecords
    from simulation.core.state import PlanState

RECENCY_SCALE_WEEKS = 13.0
"""Recency features are exp(-weeks since the last purchase / this scale), 0 if never."""

STEP_SAMPLE, STEP_TEST, STEP_LINK = 1, 2, RECOGNITION_STEP
"""Steps of the hashed ``Draw.MODEL`` uniforms: a round's sample, its held-out part, and
each person's fixed linking draw (week 0)."""


@dataclass
class PurchaseHistory:
    """Per-plan records the engine does not keep: week of the last purchase in each channel.

    Kept by buyer slot, like the engine's purchase records (:mod:`simulation.core.records`):
    only people who bought have a week to keep, and a dense (C, N) array took every page.
    """

    slot: NDArray[np.int32]
    """(N,) each person's buyer slot (the plan state's ``records.slot``), 0 if they never bought."""
    weeks: NDArray[np.int16]
    """(C, S) by slot: week of the latest purchase in the channel plus 1, 0 if none."""

    @classmethod
    def empty(cls, n_channels: int, n_people: int,
              slot: NDArray[np.int32] | None = None) -> PurchaseHistory:
        """A history of ``n_people`` people over ``n_channels`` channels with no purchase yet.

        ``slot``: the buyer slots of the plan's state to share (they must be handed out before
        :meth:`record` sees a buyer, as the engine does); None gives each person their own.
        """
        if slot is None:
            slot = np.arange(1, n_people + 1, dtype=np.int32)
        return cls(slot=slot, weeks=lazy_zeros((n_channels, n_people + 1), np.int16))

    @property
    def n_channels(self) -> int:
        """Channels the history covers (C)."""
        return int(self.weeks.shape[0])

    @property
    def last_purchase_week(self) -> NDArray[np.int16]:
        """(C, N) week of each person's latest purchase in each channel, -1 if none (a copy)."""
        return self.last_week(np.arange(self.slot.size))

    def last_week(self, people: NDArray[np.int64],
                  channel: int | NDArray[np.int64] | None = None) -> NDArray[np.int16]:
        """Week of the latest purchase of ``people``, -1 if none.

        (C, P) in every channel; (P,) in ``channel``, one channel or one per person.
        """
        slots = self.slot.take(people)
        if channel is None:
            weeks = np.take(self.weeks, slots, axis=1)
        elif isinstance(channel, int):
            weeks = self.weeks[channel].take(slots)
        else:
            weeks = self.weeks[channel, slots]
        return weeks - np.int16(1)  # type: ignore[no-any-return]

    def last_week_of_slots(self, slots: NDArray[np.integer]) -> NDArray[np.int16]:
        """(C, P) :meth:`last_week` in every channel of the people whose slots are ``slots``."""
        weeks = gather_columns(self.weeks, slots)
        weeks -= np.int16(1)
        return weeks

    def record(self, purchases: WeekPurchases, week: int) -> None:
        """Set the last purchase week of each buyer's channel in ``purchases`` to ``week``."""
        set_by_slot(self.weeks, purchases.channel, purchases.person, self.slot, week + 1)


_TABLE_WEEKS = 4096
"""Widest span of weeks :func:`recency` computes as a table and looks up."""


def recency(last_week: NDArray[np.int16], week: int,
            out: NDArray[np.float32] | None = None) -> NDArray[np.float32]:
    """exp(-(week - last) / RECENCY_SCALE_WEEKS) where a purchase exists (``last`` >= 0), else 0.

    ``last_week`` holds weeks (int16, -1 = never); the result is float32, in (0, 1]. The weeks
    take few distinct values, so the exponential is evaluated once per week between the least
    and the greatest (:func:`exact_recency`, the same float32 operations per value) and looked
    up, which gives the same bits as evaluating it per person at a fraction of the cost.
    """
    if out is None:
        out = np.empty(last_week.shape, dtype=np.float32)
    if last_week.size:
        lo, hi = int(last_week.min()), int(last_week.max())
        if hi - lo < min(_TABLE_WEEKS, last_week.size):
            table = exact_recency(np.arange(lo, hi + 1, dtype=last_week.dtype), week)
            return lookup(table, last_week, lo, out)
    return exact_recency(last_week, week, out)


def exact_recency(last_week: NDArray[np.int16], week: int,
                  out: NDArray[np.float32] | None = None) -> NDArray[np.float32]:
    """:func:`recency` evaluated for every element (float32 arithmetic, numpy's exp)."""
    scaled = (last_week.astype(np.float32) - np.float32(week)) / np.float32(RECENCY_SCALE_WEEKS)
    if out is None:
        out = np.empty(last_week.shape, dtype=np.float32)
    out[...] = 0.0
    return np.exp(scaled, out=out, where=last_week >= 0)


def channel_feature_names() -> tuple[str, ...]:
    """Columns one siloed channel model sees (besides its intercept)."""
    return ("recency", "log_purchases", "log_spend")


def channel_features(state: PlanState, history: PurchaseHistory, channel: int,
                     people: NDArray[np.int64], week: int,
                     out: NDArray[np.float32] | None = None, *,
                     per_usd: float = 1.0) -> NDArray[np.float32]:
    """(P, 3) what channel ``channel`` knows of ``people`` from its own records only.

    ``per_usd``: the scenario currency's units per US dollar; spend enters the features in
    dollars (see :func:`spend_in_usd`).

    ``out``: where to write them (a (P, 3) view, e.g. columns of a larger column-major matrix,
    where each column is contiguous and cheap to fill).
    """
    records = state.records
    slots = records.slot.take(people)
    history_slots = slots if history.slot is records.slot else history.slot.take(people)
    return _channel_features_of_slots(records, history, channel, slots, history_slots, week, out,
                                      per_usd=per_usd)


def _channel_features_of_slots(records: BuyerRecords, history: PurchaseHistory, channel: int,
                               slots: NDArray[np.int32], history_slots: NDArray[np.int32], week: int,
                               out: NDArray[np.float32] | None = None, *,
                               per_usd: float = 1.0) -> NDArray[np.float32]:
    """:func:`channel_features` of the people whose buyer slots are ``slots``.

    ``history_slots``: their slots in ``history``. One compiled gather per record, with no
    conversion of the int32 slots to ``intp``.
    """
    if out is None:
        out = np.empty((slots.size, 3), dtype=np.float32, order="F")
    weeks = gather(history.weeks[channel], history_slots)
    weeks -= np.int16(1)
    recency(weeks, week, out=out[:, 0])
    np.log1p(gather(records.table("purchases_by_channel")[channel], slots), out=out[:, 1],
             dtype=np.float32)
    spend = spend_in_usd(gather(records.table("spend_by_channel")[channel], slots), per_usd)
    np.log1p(np.maximum(spend, 0.0, out=spend), out=out[:, 2])
    return out


def unified_feature_names(channel_names: tuple[str, ...]) -> tuple[str, ...]:
    """Column names of the unified features: four per channel, then six per person."""
    per_channel = [f"{stem}_{name}" for name in channel_names
                   for stem in ("recency", "log_purchases", "log_spend", "known")]
    return (*per_channel, "log_purchases_total", "recency_any", "channels_used",
            "channels_bought", "log_tenure_weeks", "is_customer")


def spend_in_usd(spend: NDArray[np.float32], per_usd: float) -> NDArray[np.float32]:
    """Spend in US dollars (a fresh array, changed in place).

    log(1 + spend) is not invariant to the money unit, so without this the same shoppers would be
    ranked differently in baht than in dollars. Dollars are left untouched (no division by 1), so
    their runs keep every bit.
    """
    if per_usd != 1.0:
        spend /= np.float32(per_usd)
    return spend


def unified_features(state: PlanState, history: PurchaseHistory,
                     people: NDArray[np.int64], week: int, *,
                     per_usd: float = 1.0) -> NDArray[np.float32]:
    """(P, 4 C + 6) the 360-degree view: every channel's records plus cross-channel features."""
    n_channels = history.n_channels
    # Column-major: every feature is written as one contiguous column.
    out = np.empty((people.size, 4 * n_channels + 6), dtype=np.float32, order="F")
    used = np.take(state.channels_used, people)
    base = 4 * n_channels
    # Every channel's four columns at once: channel_features' columns plus "known", as a
    # (channel, feature, person) view of the first 4 C columns.
    blocks = out[:, :base].T.reshape(n_channels, 4, people.size)
    # The buyer slots once for the three records (the history shares the state's slots).
    records = state.records
    slots = records.slot.take(people)
    history_slots = slots if history.slot is records.slot else history.slot.take(people)
    recency(history.last_week_of_slots(history_slots), week, out=blocks[:, 0])
    counts = records.take_slots("purchases_by_channel", slots)
    np.log1p(counts, out=blocks[:, 1], dtype=np.float32)
    spend = spend_in_usd(records.take_slots("spend_by_channel", slots), per_usd)
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


@dataclass(frozen=True)
class ChannelRecords:
    """Siloed records of a set of people: one row per (person, channel that knows them)."""

    design: NDArray[np.float32]
    """(R, 4 C) block-diagonal: channel c's row holds [1, features] in columns 4c..4c+3."""
    person_pos: NDArray[np.int64]
    """(R,) position of the row's person in the people array it was built from."""
    channel: NDArray[np.int64]
    """(R,) the channel of the row."""


def channel_records(state: PlanState, history: PurchaseHistory, people: NDArray[np.int64],
                    week: int, *, per_usd: float = 1.0) -> ChannelRecords:
    """Every channel's own view of the people it knows, stacked block-diagonally."""
    n_channels = history.n_channels
    used = state.channels_used[people]
    positions = [np.flatnonzero((used >> c) & 1) for c in range(n_channels)]
    records = state.records
    slots = records.slot.take(people)
    history_slots = slots if history.slot is records.slot else history.slot.take(people)
    rows = sum(p.size for p in positions)
    design = np.zeros((rows, 4 * n_channels), dtype=np.float32, order="F")
    start = 0
    for c, pos in enumerate(positions):
        block = slice(start, start + pos.size)
        design[block, 4 * c] = 1.0
        _channel_features_of_slots(records, history, c, slots.take(pos), history_slots.take(pos), week,
                                   out=design[block, 4 * c + 1 : 4 * c + 4], per_usd=per_usd)
        start += pos.size
    channel = np.repeat(np.arange(n_channels), [p.size for p in positions])
    person_pos = np.concatenate(positions) if positions else np.zeros(0, dtype=np.int64)
    return ChannelRecords(design=design, person_pos=person_pos.astype(np.int64), channel=channel)


def linked(streams: RandomStreams, people: NDArray[np.int64], share: float) -> NDArray[np.bool_]:
    """Whether each person's records are linked across channels when a ``share`` is recognised.

    :func:`simulation.core.recognition.recognised`: the engine's gate and the models link the
    same people.

    A fixed hashed draw per person below the share: the linked share is ``share`` in
    expectation, and a higher share links a superset of the people a lower one links.
    """
    return recognised(streams, people, share)


def subset_records(records: ChannelRecords, positions: NDArray[np.int64], n_people: int) -> ChannelRecords:
    """The rows of ``records`` whose person is in ``positions``, re-indexed to that subset."""
    new_pos = np.full(n_people, -1, dtype=np.int64)
    new_pos[positions] = np.arange(positions.size)
    keep = new_pos[records.person_pos] >= 0
    return ChannelRecords(design=records.design[keep], person_pos=new_pos[records.person_pos[keep]],
                          channel=records.channel[keep])


__all__ = [
    "RECENCY_SCALE_WEEKS",
    "ChannelRecords",
    "PurchaseHistory",
    "channel_feature_names",
    "channel_features",
    "channel_records",
    "exact_recency",
    "linked",
    "recency",
    "subset_records",
    "unified_feature_names",
    "unified_features",
]
