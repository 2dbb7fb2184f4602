"""Contact keys: the few facts that decide what contacts do to a (plan, person) pair.

A pair's *contact key* packs its plan, segment, whether it is a customer, whether it is loyal,
whether the plan recognises the person across channels this week (identity as the gate,
:mod:`simulation.core.recognition`), whether it got a targeted offer this week and the mask of
channels that know and may message the person, or a sentinel for people not reached or lapsed.
Everything contacts do to a person (reminders, fatigue, cost, conflict exposure) depends only on
the key, so the engine computes
it once per key (:mod:`simulation.core.contacts`) and looks it up; per-week totals come from
:attr:`ContactKeys.per_key`, the count of pairs holding each key, kept up to date as keys change,
so no step passes over every person to total them. Keys are composed and reassigned by the
engine's kernels (:mod:`simulation.core.kernels.keys`).

Key layout, most significant first: (((((plan, segment), customer), loyal), recognised), offered),
mask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from simulation.core.state import Cohort


@dataclass(frozen=True)
class KeyLayout:
    """Where each fact sits in a key; keys run from 0 to :attr:`sentinel` inclusive.

    Attributes
    ----------
    n_plans, n_segments, n_masks:
        Plans P, segments G and channel masks M = 2 ** channels.
    offered_step, recognised_step, loyal_step, customer_step, segment_step, plan_step:
        What one unit of each fact adds to a key.
    sentinel:
        The key of pairs no contact reaches (not reached yet, or lapsed); P x G x 16 x M.
    dtype:
        int16 while keys fit (half the memory of int32 keys), else int32.
    is_customer:
        (sentinel + 1,) 1.0 for keys of customers, else 0.0 (0 for the sentinel).
    """

    n_plans: int
    n_segments: int
    n_masks: int
    offered_step: int
    recognised_step: int
    loyal_step: int
    customer_step: int
    segment_step: int
    plan_step: int
    sentinel: int
    dtype: type[np.signedinteger[Any]]
    is_customer: NDArray[np.float64]

    @classmethod
    def of(cls, n_plans: int, n_segments: int, n_channels: int) -> KeyLayout:
        """The layout of a run of ``n_plans`` plans, ``n_segments`` segments and ``n_channels``."""
        n_masks = 2**n_channels
        segment_step = 16 * n_masks
        plan_step = n_segments * segment_step
        sentinel = n_plans * plan_step
        customer_step = 8 * n_masks
        key_ids = np.arange(sentinel + 1)
        return cls(
            n_plans=n_plans, n_segments=n_segments, n_masks=n_masks, offered_step=n_masks,
            recognised_step=2 * n_masks, loyal_step=4 * n_masks, customer_step=customer_step,
            segment_step=segment_step,
            plan_step=plan_step, sentinel=sentinel,
            dtype=np.int16 if sentinel < np.iinfo(np.int16).max else np.int32,
            is_customer=np.where(key_ids < sentinel, (key_ids // customer_step) % 2, 0).astype(np.float64),
        )

    def per_plan(self, counts: NDArray[np.int64], table: NDArray[Any]) -> NDArray[np.float64]:
        """(P,) totals of a per-key ``table`` weighted by ``counts`` of pairs holding each key.

        The sentinel's entry is left out.
        """
        return (counts[:-1] * table[:-1]).reshape(self.n_plans, -1).sum(axis=1)  # type: ignore[no-any-return]


class ContactKeys:
    """Every (plan, person) pair's current key and how many pairs hold each key.

    Parameters
    ----------
    layout:
        The run's key layout.
    n_people:
        N; every pair starts at the sentinel (nobody reached yet).
    """

    def __init__(self, layout: KeyLayout, n_people: int) -> None:
        self.layout = layout
        self.key = np.full((layout.n_plans, n_people), layout.sentinel, dtype=layout.dtype)
        """(P, N) each pair's key, without this week's offer."""
        self.flat = self.key.reshape(-1)
        """(P x N,) view of :attr:`key` by flat index plan x N + person."""
        self.per_key = np.zeros(layout.sentinel + 1, dtype=np.int64)
        """(sentinel + 1,) how many pairs hold each key."""
        self.per_key[layout.sentinel] = self.key.size

    def current(self, who: Cohort, offered: NDArray[np.bool_]) -> NDArray[np.signedinteger[Any]]:
        """The keys of ``who`` this week, counting an offer received this week.

        ``offered`` is the (P x N,) flag of this week's recipients.
        """
        keys = self.flat.take(who.flat)
        keys += offered.take(who.flat) * self.layout.dtype(self.layout.offered_step)
        return keys  # type: ignore[no-any-return]


__all__ = ["ContactKeys", "KeyLayout"]
