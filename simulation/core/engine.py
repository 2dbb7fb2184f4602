"""The weekly customer-journey simulation, vectorized over people.

One run advances every plan of :class:`~simulation.core.world.World` through the same weeks on the
same people. State is held as (plan, person) arrays and processed flat, all plans at once: the
only Python loops are over weeks and over the few touchpoints of a journey (and a call per plan
to the targeting policy). Random draws come from :class:`~simulation.core.random_streams.RandomStreams`
and are indexed by person, so every plan meets the same luck (common random numbers).

A week, for each strategy (MODEL.md "Lifecycle"):

1. Marketing reach: people whose reach week has come are aware.
2. Contacts: each channel that knows a subscribed person sends its own messages (siloed) or one
   policy caps them (``orchestration``); targeted offers come on top. Contacts remind (journey
   intent rises with diminishing returns); contacts above tolerance annoy (satisfaction falls,
   some unsubscribe, churn hazard rises). Messages from several channels conflict unless
   ``consistency`` aligns them.
3. Journeys open at the person's intent rate, in a channel drawn from the segment's preferences.
4. At each touchpoint a journey may switch channel (context kept with probability ``context``;
   otherwise the customer gives up or starts over), meet a conflicting price after a switch
   (``consistency``), and decide to buy; a purchase needs the item in stock, which shared
   inventory (``inventory``) raises. Journeys still open after the last touchpoint are abandoned.
5. Orders get lognormal values; some are returned; a return in another channel meets friction
   unless ``service`` integrates returns.
6. Satisfaction moves towards this week's experience; the churn hazard falls with satisfaction and
   loyalty and rises with over-messaging. Purchase happens before churn within a week. With
   ``dropout_after_purchase`` above 0 (BG/NBD), a buyer may also become inactive right after
   the purchase, with their own Beta-distributed chance.

The engine keeps each person's discounted net revenue and costs, never reading the parameters
that only value behaviour (market size, gross margin, capability costs): :mod:`simulation.core.metrics`
applies them after the run (:mod:`simulation.core.valuation`).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import betaincinv

from simulation.core.random_streams import Draw, PopulationDraws, RandomStreams, normal_from_uniforms
from simulation.core.scenario import Capability
from simulation.core.tallies import JOURNEY_LOSSES, JourneyEnd, Tally
from simulation.core.targeting import RandomTargeting, TargetingContext, TargetingPolicy, WeekPurchases
from simulation.core.world import CHANNELS_IN_MASK, NEVER, World

ProgressCallback = Callable[[float, str], None]
"""Called with (fraction done in [0, 1], message)."""

_CAP = {c: i for i, c in enumerate(Capability)}

_POPULATION_DRAWS = (Draw.UNSUBSCRIBE, Draw.CONTACT_CONFLICT, Draw.OPEN_JOURNEY, Draw.CHURN)
"""Whole-population draws of a week, in the order the week takes them."""
DRAW_AHEAD_FROM_PEOPLE = 200_000
"""From this population on, each whole-population draw is prepared in a background thread while
the week works on the step before (below it, handing over costs more than the draw)."""
_TOUCHPOINT_DRAWS = (Draw.SWITCH, Draw.NEXT_CHANNEL, Draw.KEEP_CONTEXT, Draw.RESTART, Draw.CONFLICT,
                     Draw.CONFLICT_WALKAWAY, Draw.BUY, Draw.IN_STOCK, Draw.STOCKOUT_LOST)
"""Event draws of one journey touchpoint (hashed per person, week and touchpoint)."""
_PURCHASE_DRAWS = [(Draw.ORDER_VALUE, 0), (Draw.ORDER_VALUE, 1), (Draw.RETURN, 0),
                   (Draw.RETURN_ELSEWHERE, 0), (Draw.RETURN_FRICTION, 0)]
"""Event draws of one purchase: two for the order value's normal deviate, three for returns."""
_TOUCHPOINT_TALLIES = [Tally.SWITCHES, Tally.CONTEXT_LOSSES, Tally.JOURNEY_CONFLICT_CHANCES,
                       Tally.JOURNEY_CONFLICTS, Tally.BUY_ATTEMPTS, Tally.NETWORK_FULFILLED,
                       Tally.STOCKOUTS]
"""Touchpoint events counted per plan, in the order :meth:`Simulation._journeys` stacks them."""
_LOSS_TALLIES = [t for *_, count, _ in JOURNEY_LOSSES for t in [count]] + [
    t for *_, value in JOURNEY_LOSSES for t in [value]]
"""Lost-journey counts, then their expected lost value, in ``JOURNEY_LOSSES`` order."""
_LOSS_ENDS = np.array([end for end, *_ in JOURNEY_LOSSES], dtype=np.int8)
_PURCHASE_TALLIES = [Tally.PURCHASES, Tally.GROSS_SALES, Tally.REFUNDS, Tally.NET_REVENUE,
                     Tally.RETURNS, Tally.RETURNS_COST, Tally.CROSS_CHANNEL_RETURNS,
                     Tally.RETURN_FRICTIONS, Tally.NEW_CUSTOMERS]
"""What :meth:`Simulation._purchases` counts per plan, in the order it stacks them."""


@dataclass
class PlanState:
    """Per-person state of one plan, arrays of shape (N,) or (C, N).

    The engine keeps one instance whose arrays have a leading plan axis, (P, N) or (P, C, N);
    :meth:`plan` gives the per-plan view that policies and metrics read.
    """

    customer_since: NDArray[np.int16]
    """Week of becoming a customer (0 for existing customers), -1 if never."""
    lapse_week: NDArray[np.int16]
    """Week the person lapsed (customer churn or prospect drop-out), -1 if still alive."""
    lapse_overmessaging: NDArray[np.bool_]
    purchases: NDArray[np.uint16]
    second_purchase_week: NDArray[np.int16]
    last_purchase_week: NDArray[np.int16]
    satisfaction: NDArray[np.float32]
    channels_used: NDArray[np.uint8]
    """Bit mask of channels the person had a touchpoint in (those channels now know them)."""
    channels_bought: NDArray[np.uint8]
    subscribed: NDArray[np.bool_]
    purchases_by_channel: NDArray[np.uint16]
    spend_by_channel: NDArray[np.float32]
    """(C, N) net spend (after refunds) by channel, simulated currency."""
    revenue_discounted: NDArray[np.float32]
    """Net revenue (after refunds) discounted to week 0, simulated currency."""
    cost_discounted: NDArray[np.float32]
    """Contact, offer and returns-processing costs of the person as a customer, discounted to
    week 0. CLV = gross margin x ``revenue_discounted`` - ``cost_discounted``, rebased to the
    acquisition week (:func:`simulation.core.metrics.horizon_values`); the margin and the costs to
    serve are applied after the run because nothing a simulated person does depends on them."""
    orders_discounted: NDArray[np.float32]
    """(C, N) orders by channel discounted to week 0 (their cost to serve is a valuation
    parameter, applied by :mod:`simulation.core.metrics`)."""
    network_discounted: NDArray[np.float32]
    """Orders served from another location's stock (shared inventory), discounted to week 0."""

    @classmethod
    def stacked(cls, world: World, n_plans: int) -> PlanState:
        """Initial state of ``n_plans`` plans, arrays (P, N) or (P, C, N)."""
        n = world.n_people
        n_channels = len(world.channels.names)
        existing = world.people.existing
        shape = (n_plans, n)

        def tiled(row: NDArray[Any]) -> NDArray[Any]:
            return np.repeat(row[None], n_plans, axis=0)

        return cls(
            customer_since=tiled(np.where(existing, 0, -1).astype(np.int16)),
            lapse_week=np.full(shape, -1, dtype=np.int16),
            lapse_overmessaging=np.zeros(shape, dtype=bool),
            purchases=tiled(existing.astype(np.uint16)),
            second_purchase_week=np.full(shape, -1, dtype=np.int16),
            last_purchase_week=np.full(shape, -1, dtype=np.int16),
            satisfaction=np.full(shape, world.scenario.behaviour.baseline_satisfaction, np.float32),
            channels_used=tiled(np.where(
                existing, np.left_shift(1, world.people.favourite_channel.astype(np.uint8)), 0
            ).astype(np.uint8)),
            channels_bought=np.zeros(shape, dtype=np.uint8),
            subscribed=np.ones(shape, dtype=bool),
            purchases_by_channel=np.zeros((n_plans, n_channels, n), dtype=np.uint16),
            spend_by_channel=np.zeros((n_plans, n_channels, n), dtype=np.float32),
            revenue_discounted=np.zeros(shape, dtype=np.float32),
            cost_discounted=np.zeros(shape, dtype=np.float32),
            orders_discounted=np.zeros((n_plans, n_channels, n), dtype=np.float32),
            network_discounted=np.zeros(shape, dtype=np.float32),
        )

    @property
    def engaged(self) -> NDArray[np.bool_]:
        """Had a journey (or is an existing customer): a channel knows them."""
        return self.channels_used != 0  # type: ignore[no-any-return]

    def plan(self, s: int) -> PlanState:
        """Views of plan ``s`` (writes go through to the stacked arrays)."""
        return PlanState(**{f.name: getattr(self, f.name)[s] for f in fields(self)})

    def flat(self, name: str) -> NDArray[Any]:
        """A (P x N,) view of a (P, N) array, indexed by plan x N + person."""
        return getattr(self, name).reshape(-1)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class RunOutput:
    """Raw arrays of a finished run; :mod:`simulation.core.metrics` turns them into frames."""

    world: World
    weekly: NDArray[np.float64]
    """(S, T, len(Tally)) weekly counters."""
    flows: NDArray[np.float64]
    """(S, C, C + 4) journeys by start channel -> purchase channel or loss (JourneyEnd 2-5)."""
    states: tuple[PlanState, ...]
    channel_weekly: NDArray[np.float64]
    """(S, T, 2, C) orders and net revenue by week and purchase channel (simulated units)."""

    @property
    def integration_cost(self) -> NDArray[np.float64]:
        """(S, T) integration one-off plus running cost per week, real currency."""
        return integration_cost_schedule(self.world, self.weekly)

    def plans(self, names: list[str]) -> RunOutput:
        """The run of the plans ``names`` only (a plan's numbers do not depend on the others)."""
        index = [self.world.strategies.index(name) for name in names]
        world = dataclasses.replace(self.world, strategies=tuple(names), levels=self.world.levels[index])
        return RunOutput(world=world, weekly=self.weekly[index], flows=self.flows[index],
                         states=tuple(self.states[i] for i in index),
                         channel_weekly=self.channel_weekly[index])

    def joined(self, other: RunOutput) -> RunOutput:
        """This run's plans then ``other``'s, as one run: what a lockstep run of them all
        gives, since ``other`` ran the same scenario (common random numbers)."""
        if other.world.scenario != self.world.scenario:
            raise ValueError("runs of different scenarios cannot be joined")
        world = dataclasses.replace(
            self.world, strategies=self.world.strategies + other.world.strategies,
            levels=np.concatenate([self.world.levels, other.world.levels]))
        return RunOutput(world=world, weekly=np.concatenate([self.weekly, other.weekly]),
                         flows=np.concatenate([self.flows, other.flows]),
                         states=self.states + other.states,
                         channel_weekly=np.concatenate([self.channel_weekly, other.channel_weekly]))


def _eligible_among(known: NDArray[np.bool_], keys: NDArray[np.signedinteger[Any]],
                    person: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Which of ``person`` may be contacted, given one plan's contact keys."""
    return known.take(keys.take(person))  # type: ignore[no-any-return]


def _all_eligible(known: NDArray[np.bool_], keys: NDArray[np.signedinteger[Any]]) -> NDArray[np.int64]:
    """Every person one plan may contact, sorted."""
    return known.take(keys).nonzero()[0]


@dataclass(frozen=True)
class Cohort:
    """A set of (plan, person) pairs, as flat indices and their parts."""

    flat: NDArray[np.int64]
    plan: NDArray[np.int64]
    person: NDArray[np.int64]

    @classmethod
    def of(cls, flat: NDArray[np.int64], n_people: int) -> Cohort:
        plan, person = np.divmod(flat, n_people)
        return cls(flat=flat, plan=plan, person=person)

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
        return int(self.flat.size)


class Simulation:
    """One run of all plans; use :func:`simulation.simulate` rather than this class.

    Besides the per-person state, the engine keeps each (plan, person)'s *contact key*: plan,
    segment, customer or not, loyal or not, offered this week or not, and the mask of channels
    that know and may message the person (or a sentinel for people not reached or lapsed).
    Everything contacts do to a person (reminders, fatigue, cost, conflict exposure) depends only
    on that key, so it is computed once per key and looked up; per-week totals come from a
    count of keys. Rare events (opening a journey, churning, unsubscribing, meeting a conflict)
    are found from the shared uniform draws: only people whose draw is below the largest
    possible probability can have the event, and only they are examined.
    """

    def __init__(self, world: World, streams: RandomStreams,
                 targeting: TargetingPolicy | None = None) -> None:
        self.world = world
        self.streams = streams
        self.targeting: TargetingPolicy = targeting or RandomTargeting()
        scenario = world.scenario
        self.behaviour = scenario.behaviour
        self.economics = scenario.economics
        n_channels = len(world.channels.names)
        self.n_channels = n_channels
        self.n_plans = len(world.strategies)
        self.n_people = world.n_people
        self.n_segments = len(world.segments.names)
        self.horizon = scenario.market.horizon_weeks
        self.discount = 1.0 / (1.0 + scenario.weekly_discount_rate) ** np.arange(self.horizon)

        masks = np.arange(2**n_channels)
        bits = (masks[:, None] >> np.arange(n_channels)) & 1
        self.siloed_contacts = bits @ world.channels.contact_frequency
        self.siloed_contact_cost = bits @ (world.channels.contact_frequency * world.channels.contact_cost)
        self.multi_channel_mask = CHANNELS_IN_MASK[: 2**n_channels] >= 2
        # Cumulative preferences with the last column +inf: a channel is drawn as the first
        # column above the uniform draw (argmax finds it without counting every column).
        self.preference_cdf = _open_last(np.cumsum(world.segments.preference, axis=1))
        # Where a switching journey goes: for (segment, current channel), the cumulative
        # preference over the other channels, and whether there is another channel at all.
        others = np.repeat(world.segments.preference[:, None, :], n_channels, axis=1)
        others[:, np.arange(n_channels), np.arange(n_channels)] = 0.0
        total = others.sum(axis=2)
        self.can_switch = total > 0
        self.switch_cdf = _open_last(
            np.cumsum(others, axis=2) / np.where(self.can_switch, total, 1.0)[..., None])
        sigma = world.segments.order_value_dispersion
        self.expected_order_value = (
            world.segments.order_value[:, None] * np.exp(sigma**2 / 2)[:, None]
            * world.channels.value_multiplier[None, :]
        )
        # Key layout: ((((plan, segment), customer), loyal), offered), mask.
        self.n_masks = 2**n_channels
        self.offered_step = self.n_masks
        self.loyal_step = 2 * self.n_masks
        self.customer_step = 4 * self.n_masks
        self.segment_step = 8 * self.n_masks
        self.plan_step = self.n_segments * self.segment_step
        self.sentinel = self.n_plans * self.plan_step
        # Keys fit in 16 bits for the usual few plans (half the memory of 32-bit keys).
        self.key_dtype: type[np.signedinteger[Any]] = (
            np.int16 if self.sentinel < np.iinfo(np.int16).max else np.int32)
        self.segment_hazard = world.segments.churn_hazard.astype(np.float32)
        b, e = self.behaviour, self.economics
        # Largest journey chance a person can have (reminders and an offer at their maximum).
        self.open_bound = (
            world.segments.intent_rate[world.people.segment] * (1.0 + b.reminder_max_uplift)
            * (1.0 + e.offer_uplift) * world.people.propensity * 1.0001
        ).astype(np.float32)
        self.state = PlanState.stacked(world, self.n_plans)
        self.states = tuple(self.state.plan(s) for s in range(self.n_plans))
        self.key = np.full((self.n_plans, self.n_people), self.sentinel, dtype=self.key_dtype)
        # How many (plan, person) pairs hold each key, kept up to date as keys change.
        self.per_key = np.zeros(self.sentinel + 1, dtype=np.int64)
        self.per_key[self.sentinel] = self.key.size
        key_ids = np.arange(self.sentinel + 1)
        self.key_is_customer = np.where(key_ids < self.sentinel, (key_ids // self.customer_step) % 2, 0
                                        ).astype(np.float64)
        # Contact costs are charged per key held: contact_cost_to_date[k] is what holding key k
        # has cost (discounted) in every week up to the next one charged. A pair is credited
        # that amount when it takes a key and debited when it leaves it (and at the end), so
        # the CLV needs no pass over every person each week.
        self.contact_cost_to_date = np.zeros(self.sentinel + 1)
        # Satisfaction summed over the pairs whose key says customer, kept up to date.
        self.satisfaction_sum = np.zeros(self.n_plans)
        # This week's satisfaction experience by flat (plan, person): zero, and not touched,
        # except for the pairs listed in touched_parts during a week.
        self.experience = np.zeros(self.n_plans * self.n_people, dtype=np.float32)
        self.touched = np.zeros(self.n_plans * self.n_people, dtype=bool)
        self.touched_parts: list[NDArray[np.int64]] = []
        # Whether each pair's contacts exceed their tolerance (this week's "annoyed" table at
        # their key), kept up to date as keys change; recomputed only when the table changes.
        self.annoyed_by_key = np.zeros(self.sentinel + 1, dtype=bool)
        self.annoyed = np.zeros(self.n_plans * self.n_people, dtype=bool)
        self.offered = np.zeros(self.n_plans * self.n_people, dtype=bool)
        self._tables_for = b""
        self._tables_cache: dict[str, NDArray[Any]] = {}
        self.weekly = np.zeros((self.n_plans, self.horizon, len(Tally)))
        self.flows = np.zeros((self.n_plans, n_channels, n_channels + 4))
        self.channel_weekly = np.zeros((self.n_plans, self.horizon, 2, n_channels))

    # ---------------------------------------------------------------------------------------

    def run(self, progress: ProgressCallback | None = None) -> RunOutput:
        world = self.world
        report_every = max(1, self.horizon // 50)
        self.draws = PopulationDraws(self.streams, _POPULATION_DRAWS, self.n_people, self.horizon,
                                     ahead=self.n_people >= DRAW_AHEAD_FROM_PEOPLE)
        try:
            for week in range(self.horizon):
                self._week(week, world.effective_levels(week))
                if progress is not None and (week % report_every == 0 or week == self.horizon - 1):
                    progress((week + 1) / self.horizon, f"week {week + 1} of {self.horizon}")
        finally:
            self.draws.close()
        charged = self.contact_cost_to_date.astype(np.float32)
        self.state.flat("cost_discounted")[:] += charged.take(self.key.reshape(-1))
        return RunOutput(world=world, weekly=self.weekly, flows=self.flows, states=self.states,
                         channel_weekly=self.channel_weekly)

    def _count(self, tally: NDArray[np.float64], which: Tally, plan: NDArray[np.int64],
               weights: NDArray[np.floating] | None = None) -> None:
        """Add per-plan counts (or sums of ``weights``) of a cohort to this week's tally."""
        tally[:, which] += np.bincount(plan, weights=weights, minlength=self.n_plans)

    def _count_many(self, tally: NDArray[np.float64], which: list[Tally], who: Cohort,
                    values: NDArray[Any]) -> None:
        """Add per-plan sums of each row of ``values`` (len(which), who.size) to ``which``.

        A cohort is sorted by plan, so each plan's columns are one slice (summing slices is
        many times faster than a bincount over a (row, member) index).
        """
        bounds = np.searchsorted(who.plan, np.arange(self.n_plans + 1))
        for s in range(self.n_plans):
            tally[s, which] += values[:, bounds[s]:bounds[s + 1]].sum(axis=1)

    def _all_plans(self, person: NDArray[np.int64]) -> Cohort:
        """The cohort of ``person`` (sorted) in every plan, sorted by flat index."""
        flat = (np.arange(self.n_plans)[:, None] * self.n_people + person[None, :]).ravel()
        return Cohort(flat=flat, plan=np.repeat(np.arange(self.n_plans), person.size),
                      person=np.tile(person, self.n_plans))

    def _below(self, u: NDArray[np.float32], bound: NDArray[np.float64]) -> Cohort:
        """(plan, person) pairs whose shared draw ``u[person]`` is below the plan's ``bound``."""
        parts = [s * self.n_people + (u < b).nonzero()[0] for s, b in enumerate(bound) if b > 0]
        if not parts:
            return Cohort.of(np.zeros(0, dtype=np.int64), self.n_people)
        return Cohort.of(np.concatenate(parts), self.n_people)

    def _current_keys(self, who: Cohort) -> NDArray[np.signedinteger[Any]]:
        """This week's contact keys of ``who``, counting an offer received this week."""
        keys = self.key.reshape(-1).take(who.flat)
        keys += self.offered.take(who.flat) * self.key_dtype(self.offered_step)
        return keys  # type: ignore[no-any-return]

    def _refresh_keys(self, who: Cohort, week: int) -> None:
        """Recompute the contact key of ``who`` from their state (sentinel if not alive)."""
        state = self.state
        alive = (self.world.people.aware_week[who.person] <= week) & (
            state.flat("lapse_week")[who.flat] < 0)
        step = self.key_dtype
        loyal = state.flat("purchases")[who.flat] >= self.behaviour.loyalty_threshold_purchases
        key = (who.plan * self.plan_step).astype(self.key_dtype)
        key += self.world.people.segment.take(who.person) * self.key_dtype(self.segment_step)
        key += (state.flat("customer_since")[who.flat] >= 0) * step(self.customer_step)
        key += loyal * step(self.loyal_step)
        key += state.flat("channels_used")[who.flat] * state.flat("subscribed")[who.flat]
        self._set_keys(who.flat, np.where(alive, key, self.sentinel))

    def _set_keys(self, flat: NDArray[np.int64], keys: NDArray[np.signedinteger[Any]] | int) -> None:
        """Give (plan, person) pairs ``flat`` (distinct) new contact keys, keeping the key
        counts, the contact costs charged and the customers' satisfaction sum up to date."""
        key = self.key.reshape(-1)
        size = self.per_key.size
        old = key.take(flat)
        key[flat] = keys
        new = key.take(flat)
        self.per_key -= np.bincount(old, minlength=size)
        self.per_key += np.bincount(new, minlength=size)
        self.annoyed[flat] = self.annoyed_by_key.take(new)
        to_date = self.contact_cost_to_date
        self.state.flat("cost_discounted")[flat] -= (to_date.take(new) - to_date.take(old)
                                                    ).astype(np.float32)
        customer_change = self.key_is_customer.take(new) - self.key_is_customer.take(old)
        if customer_change.any():
            satisfaction = self.state.flat("satisfaction").take(flat)
            self.satisfaction_sum += np.bincount(
                flat // self.n_people, weights=customer_change * satisfaction, minlength=self.n_plans)

    def _touch(self, flat: NDArray[np.int64]) -> None:
        """Mark pairs whose satisfaction moves this week (their ``experience`` is set)."""
        self.touched[flat] = True
        self.touched_parts.append(flat)

    def _tables(self, levels: NDArray[np.float64]) -> dict[str, NDArray[Any]]:
        """Per-key outcomes of contacts this week, flattened in key order, sentinel last.

        Axes before flattening: (plan P, segment G, customer 2, loyal 2, offered 2, mask M).
        """
        behaviour, economics = self.behaviour, self.economics
        n_p, n_g, n_m = self.n_plans, self.n_segments, self.n_masks
        siloed = self.siloed_contacts[None, :]
        orchestration = levels[:, _CAP[Capability.ORCHESTRATION], None]
        contacts = siloed - orchestration * (siloed - np.minimum(siloed, behaviour.contact_cap_weekly))
        scale = np.divide(contacts, siloed, out=np.zeros_like(contacts), where=siloed > 0)
        offered = np.array([0.0, 1.0])[None, :, None]
        contacts = contacts[:, None, :] + offered  # (P, 2, M)
        cost = self.siloed_contact_cost[None, None, :] * scale[:, None, :] + economics.offer_cost * offered
        reminder = 1.0 - behaviour.reminder_max_uplift * np.expm1(
            -contacts / behaviour.reminder_half_saturation)
        segs = self.world.segments
        intent = (segs.intent_rate[None, :, None, None] * reminder[:, None]
                  * (1.0 + economics.offer_uplift * offered)[:, None])  # (P, G, 2, M)
        excess = np.maximum(contacts[:, None] - segs.contact_tolerance[None, :, None, None], 0.0)
        full = (n_p, n_g, 2, 2, 2, n_m)

        def grid(values: NDArray[Any], dims: str, dtype: type) -> NDArray[Any]:
            """Broadcast ``values`` (axes named by ``dims`` out of 'pgclom') to the key grid."""
            shape = [size if axis in dims else 1 for axis, size in zip("pgclom", full, strict=True)]
            out: NDArray[Any] = np.zeros(int(np.prod(full)) + 1, dtype=dtype)
            out[:-1] = np.broadcast_to(values.reshape(shape), full).ravel()
            return out

        customer = np.array([0.0, 1.0])
        known = (np.arange(n_m) > 0).astype(float)
        multi = self.multi_channel_mask[None, None, :] & (contacts > 0)
        annoyance = (behaviour.overmessaging_satisfaction_loss * excess).astype(np.float32)
        return {
            "intent": grid(intent.astype(np.float32), "pgom", np.float32),
            "excess": grid(excess, "pgom", np.float64),
            "annoyed": grid(excess > 0, "pgom", np.bool_),
            "annoyance": grid(annoyance, "pgom", np.float32),
            "contacts": grid(contacts, "pom", np.float64),
            "contact_cost": grid(cost - economics.offer_cost * offered, "pom", np.float64),
            "customer_cost": grid(cost[:, None, :, :] * customer[None, :, None, None], "pcom", np.float32),
            "multi": grid(multi, "pom", np.bool_),
            "offers": grid(np.array([0.0, 1.0]), "o", np.float64),
            "customer": self.key_is_customer,
            "loyal_customer": grid(np.outer(customer, [0.0, 1.0]), "cl", np.float64),
            "known": grid(known, "m", np.bool_),
            "alive": grid(np.ones(1), "", np.float64),
        }

    def _per_plan(self, counts: NDArray[np.int64], table: NDArray[Any]) -> NDArray[np.float64]:
        """Per-plan totals of a per-key table weighted by how many people have each key."""
        return (counts[:-1] * table[:-1]).reshape(self.n_plans, -1).sum(axis=1)  # type: ignore[no-any-return]

    def _draw(self, kind: Draw) -> NDArray[np.float32]:
        """This week's whole-population uniform draw of ``kind``, shared by every plan.

        Each kind has its own generator and is drawn exactly once a week, in the order of
        ``_POPULATION_DRAWS``, so draws are the same whichever plans run. The array is reused
        two draws later, so each step uses its draw before the next step takes one.
        """
        return self.draws.take(kind)

    def _week(self, week: int, levels: NDArray[np.float64]) -> None:
        """Advance every plan by one week (the numbered steps of the module docstring)."""
        tally = self.weekly[:, week]
        tables = self._tables_for_levels(levels)
        self._reach(week, tally)
        offered = self._contacts(week, levels, tally, tables)
        unsubscribed = self._unsubscribes(tally, tables)
        self._contact_conflicts(levels, tally, tables)
        journeys = self._open_journeys(tally, tables)
        bought = self._journeys(week, levels, tally, journeys)
        self._update_satisfaction()
        self._churn(week, tally, tables)
        self.offered[offered.flat] = False
        for changed in (journeys, unsubscribed):
            self._refresh_keys(changed, week)
        for s, purchases in enumerate(bought):
            self.targeting.observe_week(week, s, self.states[s], purchases)

    def _tables_for_levels(self, levels: NDArray[np.float64]) -> dict[str, NDArray[Any]]:
        """This week's per-key tables (recomputed only while some capability ramps up)."""
        if self._tables_for != levels.tobytes():
            self._tables_cache, self._tables_for = self._tables(levels), levels.tobytes()
            if not np.array_equal(self._tables_cache["annoyed"], self.annoyed_by_key):
                self.annoyed_by_key = self._tables_cache["annoyed"]
                self.annoyed = self.annoyed_by_key.take(self.key.reshape(-1))
        return self._tables_cache

    def _reach(self, week: int, tally: NDArray[np.float64]) -> None:
        """1. People whose reach week has come become aware (and contactable)."""
        reached = (self.world.people.aware_week == week).nonzero()[0]
        tally[:, Tally.NEW_AWARE] = reached.size
        tally[:, Tally.REACH_COST] = reached.size * self.world.scenario.market.reach_cost
        self._refresh_keys(self._all_plans(reached), week)

    def _contacts(self, week: int, levels: NDArray[np.float64], tally: NDArray[np.float64],
                  tables: dict[str, NDArray[Any]]) -> Cohort:
        """2. Contacts and targeted offers: their counts, their cost to customers' CLV and the
        fatigue of those contacted above tolerance. Returns who got an offer this week."""
        key = self.key.reshape(-1)
        per_key = self.per_key.copy()
        offered = self._offers(week, levels, tables, per_key)
        self.offered[offered.flat] = True
        offered_key = key[offered.flat] + self.offered_step
        if offered.size:
            per_key -= np.bincount(key[offered.flat], minlength=per_key.size)
            per_key += np.bincount(offered_key, minlength=per_key.size)
        for which, table in ((Tally.CONTACTS, "contacts"), (Tally.CONTACT_COST, "contact_cost"),
                             (Tally.OFFERS, "offers"), (Tally.EXCESS_CONTACTS, "excess"),
                             (Tally.CONTACT_CONFLICT_CHANCES, "multi"),
                             (Tally.ACTIVE_CUSTOMERS, "customer"), (Tally.LOYAL_ACTIVE, "loyal_customer")):
            tally[:, which] = self._per_plan(per_key, tables[table])
        tally[:, Tally.OFFER_COST] = tally[:, Tally.OFFERS] * self.economics.offer_cost
        alive = self._per_plan(per_key, tables["alive"])
        tally[:, Tally.ALIVE_PROSPECTS] = alive - tally[:, Tally.ACTIVE_CUSTOMERS]
        tally[:, Tally.SATISFACTION_SUM] = self.satisfaction_sum

        # CLV: contacts and offers to people who are customers at the start of the week.
        cost = tables["customer_cost"] * np.float32(self.discount[week])
        self.contact_cost_to_date += cost
        self.state.flat("cost_discounted")[offered.flat] += cost[offered_key] - cost[key[offered.flat]]

        # Fatigue from contacts above tolerance touches satisfaction every week it lasts.
        experience = self.experience
        annoyed = self.annoyed.nonzero()[0]
        experience[annoyed] = -tables["annoyance"].take(key.take(annoyed))
        self._touch(annoyed)
        experience[offered.flat] = -tables["annoyance"][offered_key]
        self._touch(offered.flat.compress(tables["annoyed"][offered_key]))
        return offered

    def _open_journeys(self, tally: NDArray[np.float64], tables: dict[str, NDArray[Any]]) -> Cohort:
        """3. Journeys open at each person's intent rate (reminders and offers raise it)."""
        u_open = self._draw(Draw.OPEN_JOURNEY)
        could = self._all_plans((u_open < self.open_bound).nonzero()[0])
        could_key = self._current_keys(could)
        intent = tables["intent"][could_key] * self.world.people.propensity[could.person]
        opens = (could_key != self.sentinel) & (u_open[could.person] < intent)
        journeys = could.take(opens)
        self._count_many(tally, [Tally.JOURNEYS, Tally.OFFER_JOURNEYS], journeys,
                         np.stack([np.ones(journeys.size, dtype=bool), self.offered.take(journeys.flat)]))
        return journeys

    def _update_satisfaction(self) -> None:
        """6. Satisfaction of the pairs touched this week moves towards their experience (the
        churn hazard is computed from it when churn is decided)."""
        behaviour, experience = self.behaviour, self.experience
        moved = self._moved()
        target = np.clip(behaviour.baseline_satisfaction + experience[moved.flat], 0.0, 1.0)
        experience[moved.flat] = 0.0
        satisfaction = self.state.flat("satisfaction")
        before = satisfaction[moved.flat]
        sat = before + behaviour.satisfaction_smoothing * (target - before)
        satisfaction[moved.flat] = sat
        is_customer = self.key_is_customer.take(self.key.reshape(-1).take(moved.flat))
        change = (sat.astype(np.float64) - before) * is_customer
        self.satisfaction_sum += np.bincount(moved.plan, weights=change, minlength=self.n_plans)

    def _moved(self) -> Cohort:
        """The pairs touched this week, each once; clears the marks for next week."""
        parts = []
        for part in self.touched_parts:
            fresh = part.compress(self.touched.take(part))
            self.touched[fresh] = False
            parts.append(fresh)
        self.touched_parts = []
        return Cohort.of(np.concatenate(parts), self.n_people)

    def _unsubscribes(self, tally: NDArray[np.float64], tables: dict[str, NDArray[Any]],
) -> Cohort:
        """People annoyed by contacts above tolerance unsubscribe with chance per excess contact.

        Returns who unsubscribed; their contact keys change from next week.
        """
        u_unsub = self._draw(Draw.UNSUBSCRIBE)
        per_contact = self.behaviour.unsubscribe_per_excess_contact
        largest = per_contact * float(tables["excess"].max())
        if largest <= 0:
            return Cohort.of(np.zeros(0, dtype=np.int64), self.n_people)
        could = self._all_plans((u_unsub < largest).nonzero()[0])
        could_key = self._current_keys(could)
        leaves = u_unsub[could.person] < per_contact * tables["excess"][could_key]
        gone = could.take(leaves)
        self.state.flat("subscribed")[gone.flat] = False
        self._count(tally, Tally.UNSUBSCRIBES, gone.plan)
        return gone

    def _contact_conflicts(self, levels: NDArray[np.float64], tally: NDArray[np.float64],
                           tables: dict[str, NDArray[Any]]) -> None:
        """Messages from several unaligned channels contradict each other (``consistency``)."""
        u_conflict = self._draw(Draw.CONTACT_CONFLICT)
        chance = self.behaviour.conflict_rate * (1 - levels[:, _CAP[Capability.CONSISTENCY]])
        if chance.max() <= 0:
            return
        could = self._below(u_conflict, chance)
        hit = tables["multi"].take(self._current_keys(could))
        conflicted = could.take(hit)
        self.experience[conflicted.flat] -= self.behaviour.conflict_satisfaction_loss
        self._touch(conflicted.flat)
        self._count(tally, Tally.CONTACT_CONFLICTS, conflicted.plan)

    def _churn(self, week: int, tally: NDArray[np.float64], tables: dict[str, NDArray[Any]]) -> None:
        """6. Customers lapse with their hazard plus over-messaging; prospects drop out."""
        u_churn = self._draw(Draw.CHURN)
        behaviour, state = self.behaviour, self.state
        dropout = self.world.scenario.market.prospect_dropout_weekly
        per_excess = behaviour.churn_per_excess_contact
        bound = max(self._largest_hazard(), dropout) + per_excess * float(tables["excess"].max())
        could = self._all_plans((u_churn < bound).nonzero()[0])
        could_key = self._current_keys(could)
        alive = could_key != self.sentinel
        customer = state.flat("customer_since")[could.flat] >= 0
        u = u_churn[could.person]
        base = self._hazard(could)
        lapse = alive & customer & (u < base)
        by_messaging = alive & customer & ~lapse & (u < base + per_excess * tables["excess"][could_key])
        drops = alive & ~customer & (u < dropout)
        lapse_week = state.flat("lapse_week")
        for which, mask in ((Tally.LOST_OVERMESSAGING_CHURN, by_messaging), (Tally.PROSPECT_DROPOUTS, drops)):
            lapse_week[could.flat.compress(mask)] = week
            self._count(tally, which, could.plan[mask])
        lapse_week[could.flat.compress(lapse)] = week
        state.flat("lapse_overmessaging")[could.flat.compress(by_messaging)] = True
        self._count(tally, Tally.LAPSES, could.plan[lapse | by_messaging])
        self._set_keys(could.flat.compress(lapse | by_messaging | drops), self.sentinel)

    def _offers(self, week: int, levels: NDArray[np.float64], tables: dict[str, NDArray[Any]],
                per_key: NDArray[np.int64]) -> Cohort:
        """Who receives a targeted offer this week; the policy chooses per plan."""
        n = self.n_people
        if self.economics.offers_per_week_share <= 0:
            return Cohort.of(np.zeros(0, dtype=np.int64), n)
        known = tables["known"]
        n_eligible = self._per_plan(per_key, known)
        chosen = []
        for s in range(self.n_plans):
            plan_keys = self.key[s]
            context = TargetingContext(
                week=week, strategy=s, identity=float(levels[s, _CAP[Capability.IDENTITY]]),
                offer_share=self.economics.offers_per_week_share, n_eligible=int(n_eligible[s]),
                is_eligible=functools.partial(_eligible_among, known, plan_keys),
                list_eligible=functools.partial(_all_eligible, known, plan_keys),
                state=self.states[s], world=self.world, streams=self.streams,
            )
            chosen.append(s * n + np.asarray(self.targeting.select(context), dtype=np.int64))
        return Cohort.of(np.concatenate(chosen), n)

    def _largest_hazard(self) -> float:
        """No customer's hazard this week exceeds this: the riskiest segment at the lowest
        satisfaction anyone has now (loyalty only lowers it), with float32 headroom."""
        b = self.behaviour
        lowest = float(self.state.satisfaction.min())
        return float(self.segment_hazard.max()) * float(np.exp(
            b.satisfaction_churn_elasticity * (b.baseline_satisfaction - lowest))) * 1.0001

    def _hazard(self, who: Cohort) -> NDArray[np.float32]:
        """Weekly churn hazard of ``who`` from their satisfaction and loyalty now.

        hazard = segment hazard x exp(-elasticity x (satisfaction - baseline))
                 x (loyal multiplier if purchases >= loyalty threshold)
        """
        behaviour, state = self.behaviour, self.state
        seg = self.world.people.segment.take(who.person)
        gap = state.flat("satisfaction").take(who.flat) - np.float32(behaviour.baseline_satisfaction)
        hazard = self.segment_hazard.take(seg) * np.exp(
            np.float32(-behaviour.satisfaction_churn_elasticity) * gap)
        loyal = state.flat("purchases").take(who.flat) >= behaviour.loyalty_threshold_purchases
        hazard[loyal] *= np.float32(behaviour.loyal_hazard_multiplier)
        return hazard  # type: ignore[no-any-return]

    def _journeys(self, week: int, levels: NDArray[np.float64], tally: NDArray[np.float64],
                  journeys: Cohort) -> list[WeekPurchases]:
        """4. Touchpoints of this week's journeys; writes purchases into the state and tallies.

        Every touchpoint of every journey is evaluated at once, as (touchpoint, journey)
        arrays: first the channel path (the only step that depends on the previous
        touchpoint), then each event from its draw, then which touchpoint ended the journey.
        Events after the end are masked out, so a journey ends at its first terminal event
        exactly as if touchpoints were walked one by one (the reference loop in the tests does).

        Returns each plan's purchases.
        """
        world, behaviour = self.world, self.behaviour
        chan, segs = world.channels, world.segments
        person, plan = journeys.person, journeys.plan
        seg = world.people.segment.take(person)
        n_j, n_touch = journeys.size, behaviour.touchpoints_per_journey

        draws = [(Draw.START_CHANNEL, 0)] + [
            (kind, k) for k in range(n_touch) for kind in _TOUCHPOINT_DRAWS]
        uniform = self.streams.uniform_block(draws, week, person)
        u = {kind: uniform[1 + i :: len(_TOUCHPOINT_DRAWS)] for i, kind in enumerate(_TOUCHPOINT_DRAWS)}

        # Channel path: a switch goes to another channel by the segment's preferences.
        channel = np.empty((n_touch, n_j), dtype=np.intp)
        channel[0] = np.argmax(uniform[0][:, None] < self.preference_cdf.take(seg, axis=0), axis=1)
        switch = np.zeros((n_touch, n_j), dtype=bool)
        if self.n_channels > 1:
            switch[1:] = u[Draw.SWITCH][1:] < segs.switch_probability.take(seg)
        for k in range(1, n_touch):
            here = channel[k - 1]
            switch[k] &= self.can_switch[seg, here]
            channel[k] = here
            sw = switch[k].nonzero()[0]
            cdf = self.switch_cdf[seg[sw], here[sw]]
            channel[k, sw] = np.argmax(u[Draw.NEXT_CHANNEL][k, sw][:, None] < cdf, axis=1)

        # Events at each touchpoint, as if the journey were still open there.
        kept = behaviour.siloed_context_kept
        keep_context = kept + (1.0 - kept) * levels[:, _CAP[Capability.CONTEXT]]
        conflict_chance = behaviour.conflict_rate * (1 - levels[:, _CAP[Capability.CONSISTENCY]])
        pooled = levels[:, _CAP[Capability.INVENTORY]] * behaviour.network_fill_rate
        lost = switch & (u[Draw.KEEP_CONTEXT] >= keep_context.take(plan))
        gives_up = lost & (u[Draw.RESTART] < behaviour.lost_context_abandon_share)
        conflict_chance_met = switch & ~gives_up
        meets = conflict_chance_met & (u[Draw.CONFLICT] < conflict_chance.take(plan))
        walks = meets & (u[Draw.CONFLICT_WALKAWAY] < segs.conflict_sensitivity.take(seg))
        # Starting over after lost context spends the touchpoint on finding the way back.
        decide = ~(lost | walks) & (u[Draw.BUY] < chan.conversion.take(channel))
        own = chan.availability.take(channel)
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
        final = channel[last, column]

        events = np.stack([switch, lost, conflict_chance_met, meets, decide, network, stockout])
        events &= reached
        per_journey = events.sum(axis=1, dtype=np.int32)
        self._count_many(tally, _TOUCHPOINT_TALLIES, journeys, per_journey)
        _, context_lost, _, conflicted, _, _, stocked_out = per_journey
        satisfaction_loss = (
            np.float32(behaviour.lost_context_satisfaction_loss) * context_lost
            + np.float32(behaviour.conflict_satisfaction_loss) * conflicted
            + np.float32(behaviour.stockout_satisfaction_loss) * stocked_out).astype(np.float32)
        hurt = journeys.flat.compress(satisfaction_loss > 0)
        self.experience[hurt] -= satisfaction_loss[satisfaction_loss > 0]
        self._touch(hurt)
        used = np.bitwise_or.reduce(np.left_shift(1, channel) * reached, axis=0)
        self.state.flat("channels_used")[journeys.flat] |= used.astype(np.uint8)

        width = self.n_channels + 4
        start = channel[0]
        destination = np.where(end == JourneyEnd.BOUGHT, final, self.n_channels + end - 2)
        self.flows += np.bincount(
            (plan * self.n_channels + start) * width + destination, minlength=self.flows.size
        ).reshape(self.flows.shape)
        lost_by = end[None, :] == _LOSS_ENDS[:, None]
        value = self.expected_order_value[seg, final]
        self._count_many(tally, _LOSS_TALLIES, journeys, np.concatenate([lost_by, lost_by * value]))

        is_bought = end == JourneyEnd.BOUGHT
        from_network = events[5].any(axis=0).compress(is_bought)
        return self._purchases(week, levels, tally, journeys.take(is_bought), final.compress(is_bought),
                               from_network)

    def _purchases(self, week: int, levels: NDArray[np.float64], tally: NDArray[np.float64],
                   buyers: Cohort, channel: NDArray[np.int64],
                   from_network: NDArray[np.bool_]) -> list[WeekPurchases]:
        """5. Order values, returns and the purchase records of this week's buyers.

        ``from_network``: which orders are served from another location's stock."""
        world, behaviour, streams, state = self.world, self.behaviour, self.streams, self.state
        chan, segs = world.channels, world.segments
        person, plan = buyers.person, buyers.plan
        seg = world.people.segment[person]
        uniform = streams.uniform_block(_PURCHASE_DRAWS, week, person)
        z = normal_from_uniforms(uniform[0], uniform[1])
        order = segs.order_value[seg] * chan.value_multiplier[channel] * np.exp(
            segs.order_value_dispersion[seg] * z
        )
        returned = uniform[2] < chan.return_rate[channel]
        elsewhere = returned & (
            uniform[3] < behaviour.cross_channel_return_share
        )
        friction = elsewhere & (
            uniform[4]
            >= levels[plan, _CAP[Capability.SERVICE]]
        )
        net = np.where(returned, 0.0, order)
        returns_cost = returned * behaviour.return_processing_cost
        state.flat("revenue_discounted")[buyers.flat] += (net * self.discount[week]).astype(np.float32)
        state.flat("cost_discounted")[buyers.flat] += (returns_cost * self.discount[week]).astype(np.float32)

        customer_since = state.flat("customer_since")
        first = customer_since[buyers.flat] < 0
        self._count_many(tally, _PURCHASE_TALLIES, buyers, np.stack([
            np.ones(buyers.size), order, order * returned, net, returned, returns_cost, elsewhere,
            friction, first]))

        experience = self.experience
        experience[buyers.flat] += behaviour.purchase_satisfaction_gain
        experience[buyers.flat] -= behaviour.return_friction_satisfaction_loss * friction
        self._touch(buyers.flat)

        customer_since[buyers.flat[first]] = week
        purchases = state.flat("purchases")
        count = purchases[buyers.flat] + 1
        purchases[buyers.flat] = count
        state.flat("second_purchase_week")[buyers.flat[count == 2]] = week
        state.flat("last_purchase_week")[buyers.flat] = week
        by_channel = (plan * self.n_channels + channel) * self.n_people + person
        state.purchases_by_channel.reshape(-1)[by_channel] += np.uint16(1)
        state.spend_by_channel.reshape(-1)[by_channel] += net.astype(np.float32)
        discount = np.float32(self.discount[week])
        state.orders_discounted.reshape(-1)[by_channel] += discount
        state.flat("network_discounted")[buyers.flat.compress(from_network)] += discount
        n_c = self.n_channels
        self.channel_weekly[:, week, 0] += np.bincount(
            plan * n_c + channel, minlength=self.n_plans * n_c).reshape(self.n_plans, n_c)
        self.channel_weekly[:, week, 1] += np.bincount(
            plan * n_c + channel, weights=net, minlength=self.n_plans * n_c).reshape(self.n_plans, n_c)
        state.flat("channels_bought")[buyers.flat] |= np.left_shift(1, channel).astype(np.uint8)
        self._dropout_after_purchase(week, tally, buyers)

        bounds = np.searchsorted(plan, np.arange(self.n_plans + 1))
        offered = self.offered.take(buyers.flat)
        return [
            WeekPurchases(person=person[a:b], channel=channel[a:b], net_value=net[a:b],
                          order_value=order[a:b], offered=offered[a:b])
            for a, b in itertools.pairwise(bounds)
        ]

    def _dropout_after_purchase(self, week: int, tally: NDArray[np.float64], buyers: Cohort) -> None:
        """BG/NBD drop-out: after a purchase a customer becomes inactive for good with their own
        probability, Beta distributed with mean ``behaviour.dropout_after_purchase`` (no draw at
        0, so results stay as without it)."""
        b = self.behaviour
        if b.dropout_after_purchase <= 0 or buyers.size == 0:
            return
        quits = (self.streams.uniform(Draw.PURCHASE_DROPOUT, week, 0, buyers.person)
                 < dropout_chance(b.dropout_after_purchase, b.dropout_after_purchase_concentration,
                                  self.streams, buyers.person))
        if quits.any():
            gone = buyers.flat[quits]
            self.state.flat("lapse_week")[gone] = week
            self._count(tally, Tally.LAPSES, buyers.plan[quits])
            self._set_keys(gone, self.sentinel)
            self.offered[gone] = False  # this week's offer is spent; the key stays the sentinel


def dropout_chance(mean: float, concentration: float, streams: RandomStreams,
                   person: NDArray[np.int64]) -> NDArray[np.float64]:
    """Each person's drop-out chance after a purchase: the Beta(mean x c, (1 - mean) x c)
    quantile of a uniform fixed per person (week 0, step 1 of the drop-out stream)."""
    u = streams.uniform(Draw.PURCHASE_DROPOUT, 0, 1, person).astype(np.float64)
    return betaincinv(mean * concentration, (1.0 - mean) * concentration, u)  # type: ignore[no-any-return]


def _open_last(cdf: NDArray[np.float64]) -> NDArray[np.float64]:
    """``cdf`` with its last column (the total, 1 up to rounding) set to +inf."""
    cdf = cdf.copy()
    cdf[..., -1] = np.inf
    return cdf


def one_off_cost_schedule(world: World) -> NDArray[np.float64]:
    """(S, T) one-off integration spend per week in real currency.

    A capability's one-off cost at full level is fixed + per store x stores, times 1 + the
    programme's overrun; a plan pays it x (level - level already in place, if positive), spread
    evenly over the implementation delay and the capability's ramp-up (paid in the first week
    when both are 0).
    """
    scenario = world.scenario
    horizon = scenario.market.horizon_weeks
    weeks = np.arange(horizon)
    stores = scenario.business.stores
    overrun = 1.0 + scenario.implementation_risk.one_off_overrun
    delay = scenario.implementation_risk.delay_weeks
    cost = np.zeros((len(world.strategies), horizon))
    for i, capability in enumerate(Capability):
        price = scenario.capability_costs.of(capability)
        span = max(delay + price.ramp_weeks, 1)
        total = (price.one_off_cost + price.one_off_per_store * stores) * overrun
        one_off = np.where(weeks < span, total / span, 0.0)
        built = np.maximum(world.levels[:, i : i + 1] - world.existing[i], 0.0)
        cost += built * one_off[None, :]
    return cost


def running_cost_schedule(world: World, weekly: NDArray[np.float64]) -> NDArray[np.float64]:
    """(S, T) running integration cost per week in real currency, from week 0.

    Per capability at full level: fixed + per store x stores every week, + per order x the
    plan's orders that week, + per profile / 52 x its active customers that week; a plan pays
    it x its level. ``weekly`` is the run's (S, T, tallies) counters (simulated people, scaled
    here to the market).
    """
    scenario = world.scenario
    stores = scenario.business.stores
    orders = weekly[:, :, Tally.PURCHASES] * scenario.scale
    profiles = weekly[:, :, Tally.ACTIVE_CUSTOMERS] * scenario.scale
    cost = np.zeros(orders.shape)
    for i, capability in enumerate(Capability):
        price = scenario.capability_costs.of(capability)
        per_week = (price.running_cost_weekly + price.running_per_store_weekly * stores
                    + price.cost_per_order * orders + price.cost_per_profile_yearly / 52 * profiles)
        cost += world.levels[:, i : i + 1] * per_week
    return cost


def integration_cost_schedule(world: World, weekly: NDArray[np.float64]) -> NDArray[np.float64]:
    """(S, T) integration spend per week in real currency: one-off plus running."""
    return one_off_cost_schedule(world) + running_cost_schedule(world, weekly)


__all__ = ["NEVER", "PlanState", "ProgressCallback", "RunOutput", "Simulation"]
