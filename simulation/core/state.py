"""What a run holds and hands back: per-person plan state, sets of (plan, person) pairs, raw output.

Arrays are indexed by person (N), by channel then person (C, N), or, while the engine runs all
plans in lockstep, by plan first: (P, N) and (P, C, N). Money is in simulated-population
currency (one simulated person's spend; :mod:`simulation.core.metrics` scales it to the market)
and weeks are counted from week 0 of the horizon.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from simulation.core.records import BuyerRecords
from simulation.core.world import World

ProgressCallback = Callable[[float, str], None]
"""Called with (fraction done in [0, 1], message); the one progress type of the project."""


def most_purchases(horizon_weeks: int, journeys_per_week: int) -> int:
    """Most purchases one person can have in one plan by the end of a horizon (count).

    The engine opens at most ``journeys_per_week`` journeys per (plan, person) a week
    (``behaviour.max_journeys_per_week``) and a journey ends in at most one purchase, so a person
    makes at most ``horizon_weeks x journeys_per_week`` purchases, plus the one an existing
    customer starts with. A mechanism that lets a journey buy more than once must raise this
    bound (the counters would wrap around otherwise).
    """
    return horizon_weeks * journeys_per_week + 1


def count_dtype(most: int) -> type[np.unsignedinteger[Any]]:
    """The narrowest unsigned integer type that holds per-person purchase counts up to ``most``.

    uint8 while the bound is at most 255 (e.g. one journey a week over up to 254 weeks): the
    (P, N) purchase counters then take one byte per person and plan instead of two; at the default
    seven journeys a week over 156 weeks, uint16. (Counts by channel start in uint8 whatever the
    bound and widen when a count would overflow, :mod:`simulation.core.records`.) Every reader
    widens them (to float or int64) before arithmetic, so results do not depend on it.
    """
    return np.uint8 if most <= np.iinfo(np.uint8).max else np.uint16


@dataclass
class PlanState:
    """Per-person state of one plan, arrays of shape (N,) or (C, N).

    The engine keeps one instance whose arrays have a leading plan axis, (P, N) or (P, C, N);
    :meth:`plan` gives the per-plan view that policies and metrics read. Weeks are week numbers
    of the horizon (int16), money is simulated currency (float32).
    """

    customer_since: NDArray[np.int16]
    """Week of becoming a customer (0 for existing customers), -1 if never."""
    lapse_week: NDArray[np.int16]
    """Week the person lapsed (customer churn or prospect drop-out), -1 if still alive."""
    lapse_overmessaging: NDArray[np.bool_]
    """Whether the lapse was caused by contacts above the person's tolerance."""
    purchases: NDArray[np.unsignedinteger[Any]]
    """Purchases so far (an existing customer starts with 1); :func:`count_dtype`."""
    second_purchase_week: NDArray[np.int16]
    """Week of the second purchase, -1 if none yet."""
    last_purchase_week: NDArray[np.int16]
    """Week of the latest purchase in any channel, -1 if none (existing customers' first purchase
    predates the horizon and has no week)."""
    satisfaction: NDArray[np.float32]
    """Satisfaction in [0, 1], smoothed towards each week's experience."""
    channels_used: NDArray[np.uint8]
    """Bit mask of channels the person had a touchpoint in (those channels now know them)."""
    channels_bought: NDArray[np.uint8]
    """Bit mask of channels the person bought in."""
    subscribed: NDArray[np.bool_]
    """Still accepts marketing contacts (False after unsubscribing)."""
    cost_discounted: NDArray[np.float32]
    """Contact, offer and returns-processing costs of the person as a customer, discounted to
    week 0. CLV = gross margin x ``revenue_discounted`` - ``cost_discounted``, rebased to the
    acquisition week (:func:`simulation.core.metrics.horizon_values`); the margin and the costs to
    serve are applied after the run because nothing a simulated person does depends on them."""
    records: BuyerRecords
    """The records only purchases write, kept for the people who bought
    (:mod:`simulation.core.records`); read them as the properties below (every person) or with
    ``records.take(name, people)`` (some people)."""

    @property
    def purchases_by_channel(self) -> NDArray[np.unsignedinteger[Any]]:
        """(C, N) purchases by channel (uint8, widened to uint16 if a count needs it)."""
        return self.records.dense("purchases_by_channel")

    @property
    def spend_by_channel(self) -> NDArray[np.float32]:
        """(C, N) net spend (after refunds) by channel, simulated currency."""
        return self.records.dense("spend_by_channel")

    @property
    def orders_discounted(self) -> NDArray[np.float32]:
        """(C, N) orders by channel discounted to week 0.

        Their cost to serve is a valuation parameter, applied by :mod:`simulation.core.metrics`.
        """
        return self.records.dense("orders_discounted")

    @property
    def revenue_discounted(self) -> NDArray[np.float32]:
        """Net revenue (after refunds) discounted to week 0, simulated currency."""
        return self.records.dense("revenue_discounted")

    @property
    def network_discounted(self) -> NDArray[np.float32]:
        """Orders served from another location's stock (shared inventory), discounted to week 0."""
        return self.records.dense("network_discounted")

    @property
    def remote_revenue_discounted(self) -> NDArray[np.float32]:
        """Net revenue of orders in digital channels, discounted to week 0.

        The orders a plan with shared inventory may have collected in a store, where some bring an
        add-on purchase (a valuation effect, :func:`simulation.core.metrics.pickup_addon_factor`).
        """
        return self.records.dense("remote_revenue_discounted")

    @property
    def service_contacts_discounted(self) -> NDArray[np.float32]:
        """Service contacts the person's orders brought, each weighted by its week's discount.

        First and repeat contacts; their cost is a valuation parameter
        (``economics.service_contact_cost``), applied by :mod:`simulation.core.metrics` as part of
        the cost to serve (:mod:`simulation.core.service_requests`).
        """
        return self.records.dense("service_contacts_discounted")

    @classmethod
    def stacked(cls, world: World, n_plans: int) -> PlanState:
        """Initial state of ``n_plans`` plans, arrays (P, N) or (P, C, N)."""
        n = world.n_people
        n_channels = len(world.channels.names)
        existing = world.people.existing
        shape = (n_plans, n)
        counts = count_dtype(most_purchases(world.scenario.market.horizon_weeks,
                                            world.scenario.behaviour.max_journeys_per_week))

        def tiled(row: NDArray[Any]) -> NDArray[Any]:
            return np.repeat(row[None], n_plans, axis=0)

        return cls(
            customer_since=tiled(np.where(existing, 0, -1).astype(np.int16)),
            lapse_week=np.full(shape, -1, dtype=np.int16),
            lapse_overmessaging=np.zeros(shape, dtype=bool),
            purchases=tiled(existing.astype(counts)),
            second_purchase_week=np.full(shape, -1, dtype=np.int16),
            last_purchase_week=np.full(shape, -1, dtype=np.int16),
            satisfaction=np.full(shape, world.scenario.behaviour.baseline_satisfaction, np.float32),
            channels_used=tiled(np.where(
                existing, np.left_shift(1, world.people.favourite_channel.astype(np.uint8)), 0
            ).astype(np.uint8)),
            channels_bought=np.zeros(shape, dtype=np.uint8),
            subscribed=np.ones(shape, dtype=bool),
            cost_discounted=np.zeros(shape, dtype=np.float32),
            records=BuyerRecords.empty(n_plans, n_channels, n),
        )

    @property
    def engaged(self) -> NDArray[np.bool_]:
        """Had a journey (or is an existing customer): a channel knows them."""
        return self.channels_used != 0  # type: ignore[no-any-return]

    def plan(self, index: int) -> PlanState:
        """Views of the plan at ``index`` (writes go through to the stacked arrays)."""
        return PlanState(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def flat(self, name: str) -> NDArray[Any]:
        """A (P x N,) view of a (P, N) array, indexed by plan x N + person."""
        return getattr(self, name).reshape(-1)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Cohort:
    """A set of (plan, person) pairs, as flat indices (plan x N + person) and their parts.

    The engine builds cohorts sorted by flat index, hence by plan.
    """

    flat: NDArray[np.int64]
    plan: NDArray[np.int64]
    person: NDArray[np.int64]

    @classmethod
    def of(cls, flat: NDArray[np.int64], n_people: int) -> Cohort:
        """The cohort of flat indices ``flat`` in a run of ``n_people`` people."""
        plan, person = np.divmod(flat, n_people)
        return cls(flat=flat, plan=plan, person=person)

    @classmethod
    def empty(cls, n_people: int) -> Cohort:
        """No pairs."""
        return cls.of(np.zeros(0, dtype=np.int64), n_people)

    @classmethod
    def every_plan(cls, person: NDArray[np.int64], n_plans: int, n_people: int) -> Cohort:
        """``person`` (sorted) in each of ``n_plans`` plans, sorted by flat index."""
        flat = (np.arange(n_plans)[:, None] * n_people + person[None, :]).ravel()
        return cls(flat=flat, plan=np.repeat(np.arange(n_plans), person.size),
                   person=np.tile(person, n_plans))

    def take(self, positions: NDArray[np.int64] | NDArray[np.bool_] | slice) -> Cohort:
        """The members at ``positions`` (a boolean mask, integer positions or a slice)."""
        if isinstance(positions, slice):
            return Cohort(flat=self.flat[positions], plan=self.plan[positions], person=self.person[positions])
        if positions.dtype == np.bool_:  # np.compress is several times faster than a[mask]
            mask: NDArray[np.bool_] = positions  # type: ignore[assignment]
            return Cohort(flat=self.flat.compress(mask), plan=self.plan.compress(mask),
                          person=self.person.compress(mask))
        return Cohort(flat=self.flat.take(positions), plan=self.plan.take(positions),
                      person=self.person.take(positions))

    @property
    def size(self) -> int:
        """Number of pairs."""
        return int(self.flat.size)


@dataclass(frozen=True)
class RunOutput:
    """Raw arrays of a finished run; :mod:`simulation.core.metrics` turns them into frames.

    Counts are of simulated people and money is simulated currency: the valuation
    (:mod:`simulation.core.valuation`) scales them and adds the integration-cost schedule.
    """

    world: World
    weekly: NDArray[np.float64]
    """(P, T, len(Tally)) weekly counters."""
    flows: NDArray[np.float64]
    """(P, C, C + 4) journeys by start channel -> purchase channel or loss (JourneyEnd 2-5)."""
    states: tuple[PlanState, ...]
    """Each plan's final per-person state."""
    channel_weekly: NDArray[np.float64]
    """(P, T, 2, C) orders and net revenue by week and purchase channel (simulated units)."""

    def plans(self, names: list[str]) -> RunOutput:
        """The run of the plans ``names`` only (a plan's numbers do not depend on the others)."""
        index = [self.world.plan_names.index(name) for name in names]
        world = dataclasses.replace(self.world, plan_names=tuple(names), levels=self.world.levels[index])
        return RunOutput(world=world, weekly=self.weekly[index], flows=self.flows[index],
                         states=tuple(self.states[i] for i in index),
                         channel_weekly=self.channel_weekly[index])

    def joined(self, other: RunOutput) -> RunOutput:
        """The plans of this run then ``other``'s, as one run.

        This is what a lockstep run of them all gives, since ``other`` ran the same scenario (common
        random numbers).
        """
        if other.world.scenario != self.world.scenario:
            raise ValueError("runs of different scenarios cannot be joined")
        world = dataclasses.replace(
            self.world, plan_names=self.world.plan_names + other.world.plan_names,
            levels=np.concatenate([self.world.levels, other.world.levels]))
        return RunOutput(world=world, weekly=np.concatenate([self.weekly, other.weekly]),
                         flows=np.concatenate([self.flows, other.flows]),
                         states=self.states + other.states,
                         channel_weekly=np.concatenate([self.channel_weekly, other.channel_weekly]))


__all__ = ["Cohort", "PlanState", "ProgressCallback", "RunOutput", "count_dtype", "most_purchases"]
