"""The weekly customer-journey simulation, vectorized over people.

One run advances every plan of :class:`~simulation.core.world.World` through the same weeks on the
same people. State is held as (plan, person) arrays and processed flat, all plans at once: the
only Python loops are over weeks and over the few touchpoints of a journey (and a call per plan
to the targeting policy). Random draws come from :class:`~simulation.core.random_streams.RandomStreams`
and are indexed by person, so every plan meets the same luck (common random numbers).

A week, for each plan (docs/MODEL.md section 3, "The weekly steps"):

1. Marketing reach: people whose reach week has come are aware.
2. Contacts: each channel that knows a subscribed person sends its own messages (siloed) or one
   policy caps them (``orchestration``); targeted offers come on top. Contacts remind (journey
   intent rises with diminishing returns); contacts above tolerance annoy (satisfaction falls,
   some unsubscribe, churn hazard rises). Messages from several channels conflict unless
   ``consistency`` aligns them (:mod:`simulation.core.contacts`).
3. Journeys open at the person's intent rate, the expected journeys this week (several where it is
   above 1, up to ``max_journeys_per_week``; walked in turn), each in the person's home channel or,
   with chance their channel breadth, in one drawn from the segment's preferences.
4. At each touchpoint a journey may switch channel (context kept with probability ``context``;
   otherwise the customer gives up or starts over), meet a conflicting price after a switch
   (``consistency``), and decide to buy; a purchase needs the item in stock, which shared
   inventory (``inventory``) raises. Journeys still open after the last touchpoint are abandoned
   (:mod:`simulation.core.journey`).
5. Orders get lognormal values; some are returned; a return in another channel meets friction
   unless ``service`` integrates returns. Some orders bring a service request; one made in
   another channel is resolved less often at the first contact unless ``service`` shares the
   records (:mod:`simulation.core.service_requests`).
6. Satisfaction drifts back to its baseline (``satisfaction_half_life_weeks``), then moves
   towards this week's experience; the churn hazard falls with satisfaction and
   loyalty and rises with over-messaging. Purchase happens before churn within a week. With
   ``dropout_after_purchase`` above 0 (BG/NBD), a buyer may also become inactive right after
   the purchase, with their own Beta-distributed chance.

The engine keeps each person's discounted net revenue and costs, never reading the parameters
that only value behaviour (market size, gross margin, capability costs): :mod:`simulation.core.metrics`
applies them after the run (:mod:`simulation.core.valuation`). The state and output types live in
:mod:`simulation.core.state`, the contact-key bookkeeping in :mod:`simulation.core.keys`; this
module keeps :class:`Simulation`, whose steps write the state.
"""

from __future__ import annotations

import functools
import itertools
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import betaincinv

from simulation.core.capabilities import Capability
from simulation.core.contacts import MaskContacts, contact_tables
from simulation.core.journey import JourneyPaths, WalkedJourneys, walk_journeys
from simulation.core.kernels.common import compared_with_float32
from simulation.core.kernels.keys import refresh_keys_kernel, set_keys_kernel
from simulation.core.kernels.outcomes import journey_outcomes_kernel
from simulation.core.kernels.purchases import counts_overflow, purchase_writes_kernel
from simulation.core.kernels.select import (
    below_at,
    between,
    gather,
    hazard_inputs,
    mark,
    open_candidates,
    scale_where,
    set_annoyance,
    table_at,
    totals_by_plan,
    where_table,
)
from simulation.core.kernels.steps import (
    below,
    churn_kernel,
    churn_pairs_kernel,
    contact_conflicts_kernel,
    drift_kernel,
    open_journeys_kernel,
    settle_satisfaction_kernel,
    unsubscribes_kernel,
)
from simulation.core.keys import ContactKeys, KeyLayout
from simulation.core.random_streams import (
    Draw,
    PopulationDraws,
    RandomStreams,
    SharedDrawsReader,
    normal_from_uniforms,
)
from simulation.core.recognition import recognised_share, recognition_draw
from simulation.core.service_requests import SERVICE_TALLIES, requesting, service_requests
from simulation.core.state import Cohort, PlanState, ProgressCallback, RunOutput
from simulation.core.tallies import JOURNEY_LOSSES, JourneyEnd, Tally
from simulation.core.targeting import RandomTargeting, TargetingContext, TargetingPolicy, WeekPurchases
from simulation.core.world import People, World
from simulation.inputs.problems import Progress

_CAP = {c: i for i, c in enumerate(Capability)}

POPULATION_DRAWS = (Draw.UNSUBSCRIBE, Draw.CONTACT_CONFLICT, Draw.OPEN_JOURNEY, Draw.CHURN)
"""Whole-population draws of a week, in the order the week takes them."""
DRAW_AHEAD_FROM_PEOPLE = 200_000
"""From this population on, each whole-population draw is prepared in a background thread while
the week works on the step before (below it, handing over costs more than the draw)."""
_PURCHASE_DRAWS = [(Draw.ORDER_VALUE, 0), (Draw.ORDER_VALUE, 1), (Draw.RETURN, 0),
                   (Draw.RETURN_ELSEWHERE, 0), (Draw.RETURN_FRICTION, 0)]
"""Event draws of one purchase: two for the order value's normal deviate, three for returns."""
_TOUCHPOINT_TALLIES = [Tally.SWITCHES, Tally.CONTEXT_LOSSES, Tally.JOURNEY_CONFLICT_CHANCES,
                       Tally.JOURNEY_CONFLICTS, Tally.BUY_ATTEMPTS, Tally.NETWORK_FULFILLED,
                       Tally.STOCKOUTS]
"""Touchpoint events counted per plan, in :data:`simulation.core.journey.TOUCHPOINT_EVENTS` order."""
_LOSS_TALLIES = [t for *_, count, _ in JOURNEY_LOSSES for t in [count]] + [
    t for *_, value in JOURNEY_LOSSES for t in [value]]
"""Lost-journey counts, then their expected lost value, in ``JOURNEY_LOSSES`` order."""
_LOSS_ENDS = np.array([end for end, *_ in JOURNEY_LOSSES], dtype=np.int8)
_PURCHASE_TALLIES = [Tally.PURCHASES, Tally.GROSS_SALES, Tally.NET_REVENUE, Tally.NEW_CUSTOMERS]
"""What :meth:`Simulation._purchases` counts per plan over every buyer, in the order it stacks them."""
_RETURN_TALLIES = [Tally.REFUNDS, Tally.RETURNS, Tally.RETURNS_COST, Tally.CROSS_CHANNEL_RETURNS,
                   Tally.RETURN_FRICTIONS, Tally.STORE_RETURNS_OF_REMOTE, Tally.RETURN_EXCHANGES,
                   Tally.RETURN_EXCHANGE_SALES, Tally.GROSS_SALES, Tally.NET_REVENUE]
"""What it counts over the returned orders only (the exchanges add to gross and net sales)."""
_PER_PLAN_TABLES = [(Tally.CONTACTS, "contacts"), (Tally.CONTACT_COST, "contact_cost"),
                    (Tally.OFFERS, "offers"), (Tally.EXCESS_CONTACTS, "excess"),
                    (Tally.CONTACT_CONFLICT_CHANCES, "multi"), (Tally.ACTIVE_CUSTOMERS, "customer"),
                    (Tally.LOYAL_ACTIVE, "loyal_customer"), (None, "alive")]
"""Per-key tables counted per plan each week (tally, table); "alive" is not a tally of its own."""


def _eligible_among(known: NDArray[np.bool_], keys: NDArray[np.signedinteger[Any]],
                    person: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Which of ``person`` may be contacted, given one plan's contact keys."""
    return table_at(known, keys, np.asarray(person, dtype=np.int64))  # type: ignore[no-any-return]


def _all_eligible(known: NDArray[np.bool_], keys: NDArray[np.signedinteger[Any]]) -> NDArray[np.int64]:
    """Every person one plan may contact, sorted."""
    return where_table(known, keys)  # type: ignore[no-any-return]


class Simulation:
    """One run of all plans; use :func:`simulation.simulate` rather than this class.

    Besides the per-person state, the engine keeps each (plan, person)'s contact key
    (:mod:`simulation.core.keys`): what contacts do to a person is computed once per key and
    looked up, and per-week totals come from a count of keys. Rare events (opening a journey,
    churning, unsubscribing, meeting a conflict) are found from the shared uniform draws: only
    people whose draw is below the largest possible probability can have the event, and only
    they are examined.

    Parameters
    ----------
    world:
        The scenario as arrays and the plans to run (:func:`simulation.core.world.build_world`).
    streams:
        The scenario's random streams (the ones ``world`` was drawn with).
    targeting:
        Who receives targeted offers; random eligible people by default.
    shared_draws:
        Where a plan group of a split run reads the whole-population draws it shares with the
        other groups (:class:`~simulation.core.random_streams.SharedPopulationDraws`); by
        default the run takes its own from ``streams``.
    """

    def __init__(self, world: World, streams: RandomStreams,
                 targeting: TargetingPolicy | None = None, *,
                 shared_draws: SharedDrawsReader | None = None) -> None:
        self.world = world
        self.streams = streams
        self._shared_draws = shared_draws
        self.targeting: TargetingPolicy = targeting or RandomTargeting()
        scenario = world.scenario
        self.behaviour = scenario.behaviour
        self.economics = scenario.economics
        n_channels = len(world.channels.names)
        self.n_channels = n_channels
        self.n_plans = len(world.plan_names)
        self._plan_edges = np.arange(self.n_plans + 1)
        self.n_people = world.n_people
        self.horizon = scenario.market.horizon_weeks
        self.discount = 1.0 / (1.0 + scenario.weekly_discount_rate) ** np.arange(self.horizon)

        self.masks = MaskContacts.of(world)
        physical = np.flatnonzero(world.channels.physical)
        # Where an online order returned in a store is taken back (the first store channel).
        self.return_store = int(physical[0]) if physical.size else -1
        self.paths = JourneyPaths.of(world)
        self.layout = KeyLayout.of(self.n_plans, len(world.segments.names), n_channels)
        self.sentinel = self.layout.sentinel
        self.segment_hazard = world.segments.weekly_churn_hazard.astype(np.float32)
        b, e = self.behaviour, self.economics
        # Offer response by person (offer_response_intent_elasticity): None when everyone
        # responds alike, so the key tables' (1 + offer_uplift) stands and nothing changes.
        self.offer_factor: NDArray[np.float32] | None = None
        if e.offer_response_intent_elasticity > 0 and e.offer_uplift > 0:
            response = 1.0 + e.offer_uplift * np.power(
                np.maximum(world.people.propensity.astype(np.float64), 1e-6),
                -e.offer_response_intent_elasticity)
            self.offer_factor = (response / (1.0 + e.offer_uplift)).astype(np.float32)
        # Largest journey chance a person can have without an offer (reminders at their maximum).
        # Without the offer's factor: most people get no offer in a given week, and a bound twice
        # as high (the default offer uplift) would examine twice the people. The week's offered
        # people are examined against the bound with their offer (open_candidates).
        self.open_bound = (
            world.segments.intent_rate_weekly[world.people.segment] * (1.0 + b.reminder_max_uplift)
            * _highest_propensity(world.people) * (1.0 + b.new_customer_intent_boost) * 1.0001
        ).astype(np.float32)
        self.offer_bound_factor = (1.0 + e.offer_uplift) * 1.0001
        # Each person's fixed recognition draw (identity as the gate, recognition.py), and the
        # share each plan recognises in the week under way (set at the start of each week).
        self.recognition_u = recognition_draw(streams, np.arange(self.n_people))
        self.recognised_shares = np.zeros(self.n_plans)
        self._shares_of: NDArray[np.float64] | None = None
        self._shares = self.recognised_shares
        self.state = PlanState.stacked(world, self.n_plans)
        self.states = tuple(self.state.plan(s) for s in range(self.n_plans))
        self.keys = ContactKeys(self.layout, self.n_people)
        layout = self.layout
        self._key_steps = np.array([layout.plan_step, layout.segment_step, layout.customer_step,
                                    layout.loyal_step, layout.recognised_step], dtype=np.int64)
        # Contact costs are charged per key held: contact_cost_to_date[k] is what holding key k
        # has cost (discounted) in every week up to the next one charged. A pair is credited
        # that amount when it takes a key and debited when it leaves it (and at the end), so
        # the CLV needs no pass over every person each week.
        self.contact_cost_to_date = np.zeros(self.sentinel + 1)
        # Satisfaction summed over the pairs whose key says customer, kept up to date.
        self.satisfaction_sum = np.zeros(self.n_plans)
        # A lower bound on every pair's satisfaction (everyone starts at the baseline), kept
        # through the weekly drift and moves so the churn bound needs no pass over every pair.
        self.lowest_satisfaction = np.float32(scenario.behaviour.baseline_satisfaction)
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
        self._most_excess = 0.0
        """The most excess contacts any key has in the current tables (count)."""
        self._per_plan_tables = np.zeros((len(_PER_PLAN_TABLES), self.sentinel))
        self.weekly = np.zeros((self.n_plans, self.horizon, len(Tally)))
        self.flows = np.zeros((self.n_plans, n_channels, n_channels + 4))
        self.channel_weekly = np.zeros((self.n_plans, self.horizon, 2, n_channels))

    # ---------------------------------------------------------------------------------------

    def run(self, progress: ProgressCallback | None = None) -> RunOutput:
        """Advance every plan through the horizon, one week at a time.

        Parameters
        ----------
        progress:
            Called about 50 times with (fraction of weeks done, message).

        Returns
        -------
        RunOutput
            Weekly tallies, journey flows, per-channel weekly orders and revenue, and each
            plan's final per-person state (simulated people, simulated currency).
        """
        world = self.world
        report_every = max(1, self.horizon // 50)
        self.draws = self._shared_draws or PopulationDraws(
            self.streams, POPULATION_DRAWS, self.n_people, self.horizon,
            ahead=self.n_people >= DRAW_AHEAD_FROM_PEOPLE)
        try:
            for week in range(self.horizon):
                self._week(week, world.effective_levels(week))
                if progress is not None and (week % report_every == 0 or week == self.horizon - 1):
                    progress((week + 1) / self.horizon,
                             Progress("progress.week", week=week + 1, weeks=self.horizon))
        finally:
            self.draws.close()
        charged = self.contact_cost_to_date.astype(np.float32)
        for s in range(self.n_plans):  # plan by plan: a temporary of N, not P x N, at the peak
            self.state.cost_discounted[s] += charged.take(self.keys.key[s])
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
        rows = _tally_rows(tuple(which))
        if self.n_plans == 1:
            tally[0, rows] += values[:, 0:who.size].sum(axis=1)
            return
        bounds = np.searchsorted(who.plan, self._plan_edges)
        for s in range(self.n_plans):
            tally[s, rows] += values[:, bounds[s]:bounds[s + 1]].sum(axis=1)

    def _all_plans(self, person: NDArray[np.int64]) -> Cohort:
        """The cohort of ``person`` (sorted) in every plan, sorted by flat index."""
        if self.n_plans == 1 and person.dtype == np.int64:  # the same arrays, fewer operations
            return Cohort(flat=person.copy(), plan=np.zeros(person.size, dtype=np.int64), person=person)
        return Cohort.every_plan(person, self.n_plans, self.n_people)

    def _cohort_of(self, flat: NDArray[np.int64]) -> Cohort:
        """:meth:`Cohort.of` ``flat``; with one plan, without dividing every index by N."""
        if self.n_plans == 1 and flat.dtype == np.int64:
            return Cohort(flat=flat, plan=np.zeros(flat.size, dtype=np.int64), person=flat.copy())
        return Cohort.of(flat, self.n_people)

    def _current_keys(self, who: Cohort) -> NDArray[np.signedinteger[Any]]:
        """The contact keys of ``who`` this week, counting an offer received this week."""
        return self.keys.current(who, self.offered)

    def _refresh_keys(self, who: Cohort, week: int, *, aware: bool = False) -> None:
        """Recompute the contact key of ``who`` from their state (sentinel if not alive).

        ``aware``: whether every pair of ``who`` is known to be aware by now (reached this week,
        or holding a key, as everyone who opens a journey or unsubscribes does), which saves
        reading their reach weeks. Only the pairs whose key changes are written.
        """
        state = self.state
        change, any_change = refresh_keys_kernel(
            who.flat, who.plan, who.person, not aware, week, state.flat("lapse_week"),
            self.world.people.aware_week, self.world.people.segment, state.flat("customer_since"),
            state.flat("purchases"), self.behaviour.loyalty_threshold_purchases, self.recognition_u,
            self.recognised_shares, state.flat("channels_used"), state.flat("subscribed"),
            self._key_steps, self.sentinel, *self._key_books())
        if any_change:
            self.satisfaction_sum += change

    def _update_recognition(self, levels: NDArray[np.float64]) -> None:
        """Set this week's recognised shares; pairs whose recognition changed get new keys.

        A plan's share moves only while its identity level ramps; the people whose fixed draw
        lies between the old and the new share flip (a higher share recognises a superset).
        """
        shares = self._recognised_shares(levels)
        step = self.layout.dtype(self.layout.recognised_step)
        for s in np.flatnonzero(shares != self.recognised_shares):
            low, high = sorted((self.recognised_shares[s], shares[s]))
            u = self.recognition_u
            flat = s * self.n_people + between(u, low, high)
            keys = self.keys.flat.take(flat)
            live = keys != self.sentinel
            change = step if shares[s] > self.recognised_shares[s] else -step
            self._set_keys(flat.compress(live), keys.compress(live) + change)
        self.recognised_shares = shares

    def _set_keys(self, flat: NDArray[np.int64], keys: NDArray[np.signedinteger[Any]] | int,
                  old: NDArray[np.signedinteger[Any]] | None = None) -> None:
        """Give (plan, person) pairs ``flat`` (distinct) new contact keys.

        The key counts, the contact costs charged and the customers' satisfaction sum are kept up to
        date. ``old``: the pairs' keys now, if the caller has read them.
        """
        key_flat = self.keys.flat
        if old is None:
            old = key_flat.take(flat)
        if np.ndim(keys) == 0:  # one key for every pair (e.g. the sentinel)
            keys = np.full(flat.size, keys, dtype=key_flat.dtype)
        change, any_change = set_keys_kernel(flat, keys, old, *self._key_books())
        if any_change:
            self.satisfaction_sum += change

    def _key_books(self) -> tuple[Any, ...]:
        """What :func:`set_keys_kernel` keeps up to date by key, in its argument order."""
        return (self.keys.flat, self.keys.per_key, self.annoyed, self.annoyed_by_key,
                self.state.flat("cost_discounted"), self.contact_cost_to_date, self.layout.is_customer,
                self.state.flat("satisfaction"), self.n_people, self.n_plans)

    def _touch(self, flat: NDArray[np.int64]) -> None:
        """Mark pairs whose satisfaction moves this week (their ``experience`` is set)."""
        mark(self.touched, flat)
        self.touched_parts.append(flat)

    def _draw(self, kind: Draw) -> NDArray[np.float32]:
        """The week's whole-population uniform draw of ``kind``, shared by every plan.

        Each kind has its own generator and is drawn exactly once a week, in the order of
        ``POPULATION_DRAWS``, so draws are the same whichever plans run. The array is reused
        two draws later, so each step uses its draw before the next step takes one.
        """
        return self.draws.take(kind)

    def _week(self, week: int, levels: NDArray[np.float64]) -> None:
        """Advance every plan by one week (the numbered steps of the module docstring)."""
        tally = self.weekly[:, week]
        tables = self._tables_for_levels(levels)
        self._update_recognition(levels)
        self._reach(week, tally)
        offered = self._contacts(week, levels, tally, tables)
        unsubscribed = self._unsubscribes(tally, tables)
        self._contact_conflicts(levels, tally, tables)
        journeys, count = self._open_journeys(week, tally, tables, offered)
        bought = self._journeys(week, levels, tally, journeys)
        for repeat in range(1, int(count.max(initial=0))):
            # Further journeys of the week, in turn (a person's journeys never share a step);
            # a customer who dropped out after a purchase opens no more.
            again = journeys.take(count > repeat)
            again = again.take(self.state.flat("lapse_week").take(again.flat) < 0)
            more = self._journeys(week, levels, tally, again, repeat)
            bought = [WeekPurchases.joined(a, b) for a, b in zip(bought, more, strict=True)]
        self._update_satisfaction()
        self._churn(week, tally, tables)
        self.offered[offered.flat] = False
        for changed in (journeys, unsubscribed):
            self._refresh_keys(changed, week, aware=True)
        for s, purchases in enumerate(bought):
            self.targeting.observe_week(week, s, self.states[s], purchases)

    def _tables_for_levels(self, levels: NDArray[np.float64]) -> dict[str, NDArray[Any]]:
        """The week's per-key tables (recomputed only while some capability ramps up)."""
        if self._tables_for != levels.tobytes():
            self._tables_cache = contact_tables(self.world, self.layout, self.masks, levels)
            self._tables_for = levels.tobytes()
            self._most_excess = float(self._tables_cache["excess"].max())
            self._per_plan_tables = np.stack([self._tables_cache[name][:-1]
                                              for _, name in _PER_PLAN_TABLES]).astype(np.float64)
            if not np.array_equal(self._tables_cache["annoyed"], self.annoyed_by_key):
                self.annoyed_by_key = self._tables_cache["annoyed"]
                self.annoyed = gather(self.annoyed_by_key, self.keys.flat)
        return self._tables_cache

    def _reach(self, week: int, tally: NDArray[np.float64]) -> None:
        """1. People whose reach week has come become aware (and contactable)."""
        reached = (self.world.people.aware_week == week).nonzero()[0]
        tally[:, Tally.NEW_AWARE] = reached.size
        tally[:, Tally.REACH_COST] = reached.size * self.world.scenario.market.reach_cost
        self._refresh_keys(self._all_plans(reached), week, aware=True)

    def _contacts(self, week: int, levels: NDArray[np.float64], tally: NDArray[np.float64],
                  tables: dict[str, NDArray[Any]]) -> Cohort:
        """2. Contacts and targeted offers; returns who got an offer this week.

        Counts the contacts and offers, charges their cost to customers' CLV and applies the fatigue
        of those contacted above tolerance.
        """
        key = self.keys.flat
        per_key = self.keys.per_key.copy()
        offered = self._offers(week, levels, tables, per_key)
        self.offered[offered.flat] = True
        offered_key = key[offered.flat] + self.layout.offered_step
        if offered.size:
            per_key -= np.bincount(key[offered.flat], minlength=per_key.size)
            per_key += np.bincount(offered_key, minlength=per_key.size)
        # KeyLayout.per_plan of every table at once: the same products and row sums.
        totals = (per_key[:-1] * self._per_plan_tables).reshape(len(_PER_PLAN_TABLES), self.n_plans, -1
                                                                 ).sum(axis=2)
        for row, (which, _) in enumerate(_PER_PLAN_TABLES[:-1]):
            tally[:, which] = totals[row]
        tally[:, Tally.OFFER_COST] = tally[:, Tally.OFFERS] * self.economics.offer_cost
        alive = totals[-1]
        tally[:, Tally.ALIVE_PROSPECTS] = alive - tally[:, Tally.ACTIVE_CUSTOMERS]
        tally[:, Tally.SATISFACTION_SUM] = self.satisfaction_sum

        # CLV: contacts and offers to people who are customers at the start of the week.
        cost = tables["customer_cost"] * np.float32(self.discount[week])
        self.contact_cost_to_date += cost
        self.state.flat("cost_discounted")[offered.flat] += cost[offered_key] - cost[key[offered.flat]]

        # Fatigue from contacts above tolerance touches satisfaction every week it lasts.
        experience = self.experience
        self._touch(set_annoyance(self.annoyed, key, tables["annoyance"], experience))
        experience[offered.flat] = -tables["annoyance"][offered_key]
        self._touch(offered.flat.compress(tables["annoyed"][offered_key]))
        return offered

    def _open_journeys(self, week: int, tally: NDArray[np.float64], tables: dict[str, NDArray[Any]],
                       offers: Cohort) -> tuple[Cohort, NDArray[np.int64]]:
        """3. Journeys open at each person's intent rate (reminders and offers raise it).

        The intent is the expected number of journeys this week: a pair opens its whole part
        and one more with chance equal to the fraction (below 1 journey a week this is the chance
        of one journey), at most ``behaviour.max_journeys_per_week``. Only people whose open draw
        is below their largest possible intent are examined (:attr:`open_bound`, and
        x the offer's factor for this week's ``offers``). Returns the pairs with a
        journey and how many each opens.
        """
        u_open = self._draw(Draw.OPEN_JOURNEY)
        factor = self.offer_factor
        candidates = open_candidates(u_open, self.open_bound, offers.person, self.offer_bound_factor,
                                     self.open_bound if factor is None else factor, factor is not None)
        people = self.world.people
        has_boost = self.behaviour.new_customer_intent_boost > 0
        flat, plan, person, count, offered = open_journeys_kernel(
            u_open, candidates, self.n_plans, self.keys.flat, self.offered,
            self.layout.offered_step, self.sentinel, tables["intent"], people.propensity,
            people.propensity if people.repeat_propensity is None else people.repeat_propensity,
            people.repeat_propensity is not None, self.layout.is_customer,
            people.propensity if self.offer_factor is None else self.offer_factor,
            self.offer_factor is not None, self.state.flat("customer_since"), people.existing,
            self._new_customer_boost(week) if has_boost else people.propensity, has_boost,
            self.behaviour.max_journeys_per_week)
        journeys = Cohort(flat=flat, plan=plan, person=person)
        tally[:, _tally_rows((Tally.JOURNEYS, Tally.OFFER_JOURNEYS))] += totals_by_plan(
            plan, count, offered, self.n_plans)
        return journeys, count

    def _new_customer_boost(self, week: int) -> NDArray[np.float32]:
        """Journey intent multiplier of a new customer by the week of their first purchase.

        Entry ``w`` (0 to ``week``) is 1 + boost x 0.5^((week - w) / half-life), float32;
        prospects and customers from before the start are not multiplied. The same float32
        operations the engine once applied to each pair's first-purchase week, on a contiguous
        array (numpy's float32 ``exp2`` gives the same bits for a value wherever it sits in such
        an array).
        """
        b = self.behaviour
        since = np.arange(week + 1, dtype=np.float32)
        boost = b.new_customer_intent_boost * np.exp2(-(week - since) / b.new_customer_boost_half_life)
        return (1.0 + boost).astype(np.float32)  # type: ignore[no-any-return]

    def _update_satisfaction(self) -> None:
        """6. Satisfaction drifts back to its baseline, then moves towards this week's experience.

        Every pair's gap to ``baseline_satisfaction`` shrinks by 0.5^(1 / half-life) a week
        (``behaviour.satisfaction_half_life_weeks``; 0 = no drift); the pairs touched this week
        then move towards their experience. The churn hazard is computed from it when churn is
        decided.
        """
        behaviour, experience = self.behaviour, self.experience
        if behaviour.satisfaction_half_life_weeks > 0:
            self._drift_satisfaction(behaviour.satisfaction_half_life_weeks)
        parts = self.touched_parts
        self.touched_parts = []
        touched_flat = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        ends = np.cumsum([part.size for part in parts], dtype=np.int64)
        # The parameters are Python floats, which meet float32 arrays as float32 (NEP 50).
        change, moved, lowest = settle_satisfaction_kernel(
            touched_flat.astype(np.int64, copy=False), ends, self.touched, experience,
            self.state.flat("satisfaction"), self.keys.flat, self.layout.is_customer,
            np.float32(behaviour.baseline_satisfaction), np.float32(behaviour.satisfaction_smoothing),
            self.n_people, self.n_plans)
        if moved:
            self.lowest_satisfaction = min(self.lowest_satisfaction, np.float32(lowest))
        self.satisfaction_sum += change

    def _drift_satisfaction(self, half_life: float) -> None:
        """Every pair's satisfaction gap to baseline shrinks by one week of ``half_life``."""
        base = np.float32(self.behaviour.baseline_satisfaction)
        keep = np.float32(0.5 ** (1.0 / half_life))
        drift_kernel(self.state.flat("satisfaction"), base, keep)
        # The same float32 steps on the bound: each is monotone, so it stays below every pair.
        self.lowest_satisfaction = (self.lowest_satisfaction - base) * keep + base
        # The customers' sum drifts the same way (sum = base x customers + keep x gap sum).
        customers = self.layout.per_plan(self.keys.per_key, self.layout.is_customer)
        self.satisfaction_sum = base * customers + float(keep) * (
            self.satisfaction_sum - float(base) * customers)

    def _unsubscribes(self, tally: NDArray[np.float64], tables: dict[str, NDArray[Any]],
) -> Cohort:
        """People annoyed by contacts above tolerance unsubscribe with chance per excess contact.

        Returns who unsubscribed; their contact keys change from next week.
        """
        u_unsub = self._draw(Draw.UNSUBSCRIBE)
        per_contact = self.behaviour.unsubscribe_per_excess_contact
        largest = per_contact * self._most_excess
        if largest <= 0:
            return Cohort.empty(self.n_people)
        gone = self._cohort_of(unsubscribes_kernel(
            u_unsub, largest, per_contact, tables["excess"], self.keys.flat,
            self.offered, self.layout.offered_step, self.n_plans))
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
        conflicted = self._cohort_of(contact_conflicts_kernel(
            u_conflict, chance, self.keys.flat, self.offered, self.layout.offered_step, tables["multi"]))
        self.experience[conflicted.flat] -= self.behaviour.conflict_satisfaction_loss
        self._touch(conflicted.flat)
        self._count(tally, Tally.CONTACT_CONFLICTS, conflicted.plan)

    def _churn(self, week: int, tally: NDArray[np.float64], tables: dict[str, NDArray[Any]]) -> None:
        """6. Customers lapse with their hazard plus over-messaging; prospects drop out."""
        u_churn = self._draw(Draw.CHURN)
        behaviour, state = self.behaviour, self.state
        dropout = self.world.scenario.market.prospect_dropout_weekly
        per_excess = behaviour.churn_per_excess_contact
        bound = max(self._largest_hazard(), dropout) + per_excess * self._most_excess
        flat, plan, person, key, live_customer = churn_pairs_kernel(
            below(u_churn, bound), self.n_plans, self.n_people, self.keys.flat,
            self.offered, self.layout.offered_step, self.sentinel, state.flat("customer_since"))
        # The hazard (an exponential, kept in numpy) only of the live customers among them (a
        # fifth of the pairs examined).
        at = live_customer.nonzero()[0]
        hazard = self._hazard(Cohort(flat=flat.take(at), plan=plan.take(at), person=person.take(at)))
        lapses, messaging, drops, gone = churn_kernel(
            u_churn, flat, plan, person, key, live_customer, hazard, per_excess, tables["excess"],
            compared_with_float32(dropout), self.sentinel, week, state.flat("lapse_week"),
            state.flat("lapse_overmessaging"), self.n_plans)
        for which, counts in ((Tally.LOST_OVERMESSAGING_CHURN, messaging), (Tally.PROSPECT_DROPOUTS, drops),
                              (Tally.LAPSES, lapses)):
            tally[:, which] += counts
        self._set_keys(gone, self.sentinel)

    def _offers(self, week: int, levels: NDArray[np.float64], tables: dict[str, NDArray[Any]],
                per_key: NDArray[np.int64]) -> Cohort:
        """Who receives a targeted offer this week; the policy chooses per plan."""
        n = self.n_people
        if self.economics.offers_per_week_share <= 0:
            return Cohort.empty(n)
        known = tables["known"]
        n_eligible = self.layout.per_plan(per_key, known)
        chosen = []
        shares = self._recognised_shares(levels)
        for s in range(self.n_plans):
            plan_keys = self.keys.key[s]
            context = TargetingContext(
                week=week, plan=s, identity=float(levels[s, _CAP[Capability.IDENTITY]]),
                recognised=float(shares[s]),
                offer_share=self.economics.offers_per_week_share, n_eligible=int(n_eligible[s]),
                is_eligible=functools.partial(_eligible_among, known, plan_keys),
                list_eligible=functools.partial(_all_eligible, known, plan_keys),
                state=self.states[s], world=self.world, streams=self.streams,
            )
            chosen.append(s * n + np.asarray(self.targeting.select(context), dtype=np.int64))
        return self._cohort_of(np.concatenate(chosen))

    def _recognised_shares(self, levels: NDArray[np.float64]) -> NDArray[np.float64]:
        """(P,) share of people each plan recognises across channels this week.

        r0 + (1 - r0) x identity, exactly 1 at identity 1 (so a fully integrated plan gates
        nobody out).
        """
        if levels is not self._shares_of:  # the week's levels are one array, asked for several times
            identity = levels[:, _CAP[Capability.IDENTITY]]
            share = recognised_share(self.behaviour.recognised_without_identity, identity)
            self._shares = np.where(identity >= 1.0, 1.0, share)
            self._shares_of = levels
        return self._shares

    def _recognised(self, levels: NDArray[np.float64], who: Cohort) -> NDArray[np.bool_]:
        """Whether each (plan, person) of ``who`` is recognised across channels this week."""
        shares = self._recognised_shares(levels)
        return below_at(self.recognition_u, who.person, shares, who.plan)  # type: ignore[no-any-return]

    def _largest_hazard(self) -> float:
        """An upper bound on every customer's churn hazard this week.

        The riskiest segment at the lowest satisfaction anyone may have now
        (:attr:`lowest_satisfaction`; loyalty only lowers it), with float32 headroom.
        """
        b = self.behaviour
        lowest = float(self.lowest_satisfaction)
        return float(self.segment_hazard.max()) * float(np.exp(
            b.satisfaction_churn_elasticity * (b.baseline_satisfaction - lowest))) * 1.0001

    def _hazard(self, who: Cohort) -> NDArray[np.float32]:
        """Weekly churn hazard of ``who`` from their satisfaction and loyalty now.

        hazard = segment hazard x exp(-elasticity x (satisfaction - baseline))
                 x (loyal multiplier if purchases >= loyalty threshold)
        """
        behaviour, state = self.behaviour, self.state
        segment_hazard, gap, loyal = hazard_inputs(
            who.flat, who.person, self.world.people.segment, self.segment_hazard,
            state.flat("satisfaction"), np.float32(behaviour.baseline_satisfaction), state.flat("purchases"),
            behaviour.loyalty_threshold_purchases)
        hazard = segment_hazard * np.exp(np.float32(-behaviour.satisfaction_churn_elasticity) * gap)
        scale_where(hazard, loyal, np.float32(behaviour.loyal_hazard_multiplier))
        return hazard  # type: ignore[no-any-return]

    def _journeys(self, week: int, levels: NDArray[np.float64], tally: NDArray[np.float64],
                  journeys: Cohort, repeat: int = 0) -> list[WeekPurchases]:
        """4. Touchpoints of this week's journeys; returns each plan's purchases.

        The journeys are walked by :func:`simulation.core.journey.walk_journeys` and written into the
        state and tallies; ``repeat`` is which of each person's journeys this week it is.
        """
        walk = self._walk(week, journeys, levels, self._recognised(levels, journeys), repeat)
        # One pass writes the satisfaction losses, channels used and flows and counts the events
        # and lost journeys (:func:`journey_outcomes_kernel`); numpy sums the lost value per plan.
        hurt, bought, events, losses, lost_value = journey_outcomes_kernel(
            journeys.flat, journeys.plan, walk.start, walk.final, walk.end, walk.segment,
            walk.satisfaction_loss, walk.channels_used, walk.events, self.paths.expected_order_value,
            _LOSS_ENDS, int(JourneyEnd.BOUGHT), self.experience, self.state.flat("channels_used"),
            self.flows.reshape(-1), self.n_plans)
        self._touch(hurt)
        tally[:, _tally_rows(tuple(_TOUCHPOINT_TALLIES))] += events
        tally[:, _tally_rows(tuple(_LOSS_TALLIES[:len(JOURNEY_LOSSES)]))] += losses
        self._count_many(tally, _LOSS_TALLIES[len(JOURNEY_LOSSES):], journeys, lost_value)

        final = walk.final
        return self._purchases(week, levels, tally, journeys.take(bought), final.take(bought),
                               walk.from_network.take(bought), repeat, basket=walk.researched.take(bought))

    def _walk(self, week: int, journeys: Cohort, levels: NDArray[np.float64],
              recognised: NDArray[np.bool_], repeat: int = 0) -> WalkedJourneys:
        """:func:`walk_journeys` of ``journeys``; ``repeat``: which of each person's journeys this week it is.

        The walk is compiled (:func:`simulation.core.kernels.walk.walk_kernel`) and keeps no
        per-touchpoint temporaries, so it takes every journey at once at any N.
        """
        return walk_journeys(self.world, self.paths, self.streams, week, journeys.person,
                             journeys.plan, levels, recognised, repeat=repeat)

    def _purchases(self, week: int, levels: NDArray[np.float64], tally: NDArray[np.float64],
                   buyers: Cohort, channel: NDArray[np.int64],
                   from_network: NDArray[np.bool_], repeat: int = 0,
                   basket: NDArray[np.int64] | None = None) -> list[WeekPurchases]:
        """5. Order values, returns and the purchase records of this week's buyers.

        ``from_network``: which orders are served from another location's stock; ``repeat``: which
        of the buyers' journeys this week it is (its draws are :func:`purchase_draws`);
        ``basket``: the channel whose order value multiplier each order has (the channel it was
        chosen in, which differs from ``channel`` for a purchase researched online and moved to
        a store, :mod:`simulation.core.channel_shift`); None = ``channel``.
        """
        world, behaviour, streams, state = self.world, self.behaviour, self.streams, self.state
        chan, segs = world.channels, world.segments
        person, plan = buyers.person, buyers.plan
        seg = world.people.segment.take(person)
        uniform = streams.uniform_block(purchase_draws(repeat), week, person)
        z = normal_from_uniforms(uniform[0], uniform[1])
        basket = channel if basket is None else basket
        order = segs.order_value.take(seg) * chan.order_value_multiplier.take(basket) * np.exp(
            segs.order_value_dispersion.take(seg) * z
        )
        if world.people.spend_level is not None:  # each customer's own spending level (calibration)
            order = order * world.people.spend_level.take(person)
        returned = uniform[2] < chan.return_rate.take(channel)
        net = np.where(returned, 0.0, order)
        discount = self.discount[week]
        first = self._write_purchases(week, buyers, channel, net, from_network)
        rows = [np.ones(buyers.size), order, net, first]
        # The offer's discount is redeemed on every purchase in the offer week, also on those
        # that would have happened without it.
        if self.economics.offer_discount_share > 0:
            offer_discount = self.offered.take(buyers.flat) * (self.economics.offer_discount_share * net)
            state.flat("cost_discounted")[buyers.flat] += (offer_discount * discount).astype(np.float32)
            self._count(tally, Tally.OFFER_DISCOUNT, plan, offer_discount)
        self._count_many(tally, _PURCHASE_TALLIES, buyers, np.stack(rows))
        friction, exchanged, exchange = self._returns(week, levels, tally, buyers.take(returned),
                                                      channel.compress(returned), order.compress(returned),
                                                      uniform[3].compress(returned),
                                                      uniform[4].compress(returned), repeat)

        returns = buyers.flat.compress(returned)
        self.experience[returns] -= behaviour.return_friction_satisfaction_loss * friction
        if behaviour.service_request_rate > 0:
            self._service_requests(week, levels, tally, buyers, repeat)
        self._touch(buyers.flat)

        if exchanged.size:
            store, at = self.return_store, returned.nonzero()[0][exchanged]
            records = state.records
            records.add("spend_by_channel", plan[at], records.place(person[at]),
                        exchange.astype(np.float32), store)
            self.channel_weekly[:, week, 1, store] += np.bincount(
                plan[at], weights=exchange, minlength=self.n_plans)
        self._dropout_after_purchase(week, tally, buyers, first, repeat)

        bounds = np.searchsorted(plan, np.arange(self.n_plans + 1))
        offered = self.offered.take(buyers.flat)
        return [
            WeekPurchases(person=person[a:b], channel=channel[a:b], net_value=net[a:b],
                          order_value=order[a:b], offered=offered[a:b])
            for a, b in itertools.pairwise(bounds)
        ]

    def _write_purchases(self, week: int, buyers: Cohort, channel: NDArray[np.int64],
                         net: NDArray[np.float64], from_network: NDArray[np.bool_]) -> NDArray[np.bool_]:
        """Write the week's purchases into the buyer records, the state and the channel totals.

        One compiled pass (:func:`~simulation.core.kernels.purchases.purchase_writes_kernel`):
        the records (revenue, remote revenue, purchases, spend and orders by channel, network
        orders; discounted to week 0), customer since, purchases, second and last purchase week,
        channels bought, the purchase's satisfaction gain, and this week's orders and net revenue
        by channel. A purchase counter about to overflow is widened first. ``net``: each order's
        net value (simulated currency).

        Returns
        -------
        NDArray[np.bool_]
            Which buyers made their first purchase.
        """
        state = self.state
        records = state.records
        slot = records.place(buyers.person)
        counts = records.table("purchases_by_channel")
        if counts_overflow(counts, buyers.plan, channel, slot):
            counts = records.widen("purchases_by_channel")
        gain = self.behaviour.purchase_satisfaction_gain
        gain = np.result_type(np.float32, gain).type(gain)  # as numpy adds it to float32 (NEP 50)
        return purchase_writes_kernel(  # type: ignore[no-any-return]
            buyers.flat, buyers.plan, slot, channel, net, from_network, self.world.channels.physical,
            float(self.discount[week]), week, gain, records.table("revenue_discounted"),
            records.table("remote_revenue_discounted"), counts, records.table("spend_by_channel"),
            records.table("orders_discounted"), records.table("network_discounted"),
            state.flat("customer_since"), state.flat("purchases"), state.flat("second_purchase_week"),
            state.flat("last_purchase_week"), state.flat("channels_bought"), self.experience,
            self.channel_weekly[:, week])

    def _returns(self, week: int, levels: NDArray[np.float64], tally: NDArray[np.float64],
                 returns: Cohort, channel: NDArray[np.int64], order: NDArray[np.float64],
                 u_elsewhere: NDArray[np.float32], u_friction: NDArray[np.float32], repeat: int = 0,
                 ) -> tuple[NDArray[np.bool_], NDArray[np.int64], NDArray[np.float64]]:
        """The week's returned orders: friction, in-store returns of online orders, exchanges.

        A return wanted in another channel (``cross_channel_return_share``) meets friction
        unless the plan's service takes it there for a recognised customer. Without friction
        an online order's return is taken back in a store (the first store channel) when the
        business has one, paying no return carriage, and ``behaviour.return_exchange_share`` of
        such returns bring an exchange or another purchase worth ``return_exchange_value`` x
        the order: revenue added to the customer's discounted revenue here. No exchange draw is
        made unless some return met no friction, so results without service stay as without
        this step.

        Returns
        -------
        tuple of arrays
            Friction of each return, positions (among ``returns``) of those that brought an
            exchange, and the exchanges' values.
        """
        behaviour, state = self.behaviour, self.state
        chan = self.world.channels
        elsewhere = u_elsewhere < behaviour.cross_channel_return_share
        friction = elsewhere & (u_friction >= levels[returns.plan, _CAP[Capability.SERVICE]]
                                * self._recognised(levels, returns))
        in_store = elsewhere & ~friction
        if self.return_store < 0:
            in_store[:] = False
        else:
            in_store &= ~chan.physical.take(channel)
        candidates = in_store.nonzero()[0]
        exchanged = candidates[:0]
        if candidates.size:
            u = self.streams.uniform(Draw.RETURN_EXCHANGE, week, repeat, returns.person[candidates])
            exchanged = candidates[u < behaviour.return_exchange_share]
        exchange = order[exchanged] * behaviour.return_exchange_value
        gained = np.zeros(returns.size)
        gained[exchanged] = exchange
        brought = np.zeros(returns.size, dtype=bool)
        brought[exchanged] = True
        # A return by post pays its carriage; one taken back in a store does not.
        returns_cost = behaviour.return_processing_cost + ~in_store * chan.return_carriage_cost.take(channel)
        discount = self.discount[week]
        state.flat("cost_discounted")[returns.flat] += (returns_cost * discount).astype(np.float32)
        records = state.records
        records.add("revenue_discounted", returns.plan[exchanged], records.place(returns.person[exchanged]),
                    (exchange * discount).astype(np.float32))
        self._count_many(tally, _RETURN_TALLIES, returns, np.stack([
            order, np.ones(returns.size), returns_cost, elsewhere, friction, in_store,
            brought, gained, gained, gained]))
        return friction, exchanged, exchange

    def _service_requests(self, week: int, levels: NDArray[np.float64], tally: NDArray[np.float64],
                          buyers: Cohort, repeat: int = 0) -> None:
        """Service requests of this week's orders (:mod:`simulation.core.service_requests`).

        Another channel sees an order's record with chance the plan's service level, for
        customers it recognises; requests it cannot see are resolved less often at the first
        contact. Writes the requests' satisfaction losses into this week's experience (the buyers
        are touched anyway), their discounted contacts into the cost-to-serve record and counts
        them.
        """
        behaviour = self.behaviour
        at = requesting(behaviour, self.streams, week, repeat, buyers.person)
        if at.size == 0:
            return
        asking = buyers.take(at)
        shared = levels[asking.plan, _CAP[Capability.SERVICE]] * self._recognised(levels, asking)
        requests = service_requests(behaviour, self.n_channels, self.streams, week, repeat,
                                    buyers.person, at, shared)
        hurt = requests.satisfaction_loss > 0
        self.experience[asking.flat.compress(hurt)] -= requests.satisfaction_loss.compress(hurt)
        records = self.state.records
        records.add("service_contacts_discounted", asking.plan, records.place(asking.person),
                    (requests.contacts * self.discount[week]).astype(np.float32))
        self._count_many(tally, SERVICE_TALLIES, asking, requests.rows())

    def _dropout_after_purchase(self, week: int, tally: NDArray[np.float64], buyers: Cohort,
                                first: NDArray[np.bool_], repeat: int = 0) -> None:
        """BG/NBD drop-out: after a repeat purchase a customer may become inactive for good.

        As in BG/NBD, never right after the first purchase (``first`` marks this week's first
        purchases). Each customer drops out with their own probability, Beta distributed with mean
        ``behaviour.dropout_after_purchase`` (no draw at 0, so results stay as without it).
        """
        b = self.behaviour
        if b.dropout_after_purchase <= 0 or buyers.size == 0:
            return
        buyers = buyers.take(~first)
        quits = (self.streams.uniform(Draw.PURCHASE_DROPOUT, week, dropout_step(repeat), buyers.person)
                 < dropout_chance(b.dropout_after_purchase, b.dropout_after_purchase_concentration,
                                  self.streams, buyers.person))
        if quits.any():
            gone = buyers.flat[quits]
            self.state.flat("lapse_week")[gone] = week
            self._count(tally, Tally.LAPSES, buyers.plan[quits])
            self._set_keys(gone, self.sentinel)
            self.offered[gone] = False  # this week's offer is spent; the key stays the sentinel


@functools.lru_cache(maxsize=32)
def _tally_rows(which: tuple[Tally, ...]) -> NDArray[np.intp]:
    """The tallies ``which`` as an index array (the same few lists are counted every week)."""
    return np.array(which, dtype=np.intp)


def purchase_draws(repeat: int) -> list[tuple[Draw, int]]:
    """Event draws of the purchase ending a person's journey ``repeat`` (0 = first) of a week.

    Two steps of the order value's normal deviate, then one each for returns.
    """
    return [(kind, 2 * repeat + step if kind is Draw.ORDER_VALUE else repeat)
            for kind, step in _PURCHASE_DRAWS]


def dropout_step(repeat: int) -> int:
    """Step of the drop-out draw after a week's purchase ``repeat`` (step 1 is the fixed trait)."""
    return 0 if repeat == 0 else repeat + 1


def dropout_chance(mean: float, concentration: float, streams: RandomStreams,
                   person: NDArray[np.int64]) -> NDArray[np.float64]:
    """Each person's drop-out chance after a purchase (share 0-1).

    The Beta(mean x c, (1 - mean) x c) quantile of a uniform fixed per person (week 0, step 1 of
    the drop-out stream).
    """
    u = streams.uniform(Draw.PURCHASE_DROPOUT, 0, 1, person).astype(np.float64)
    return betaincinv(mean * concentration, (1.0 - mean) * concentration, u)  # type: ignore[no-any-return]


def _highest_propensity(people: People) -> NDArray[np.float32]:
    """The larger of a person's propensities (before and after the first purchase)."""
    return people.propensity if people.repeat_propensity is None else np.maximum(
        people.propensity, people.repeat_propensity)


__all__ = [
    "DRAW_AHEAD_FROM_PEOPLE", "POPULATION_DRAWS", "Simulation", "dropout_chance", "dropout_step",
    "purchase_draws",
]
