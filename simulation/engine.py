"""The weekly customer-journey simulation, vectorized over people.

One run advances every plan of :class:`~simulation.world.World` through the same weeks on the
same people. State is held as (plan, person) arrays and processed flat, all plans at once: the
only Python loops are over weeks and over the few touchpoints of a journey (and a call per plan
to the targeting policy). Random draws come from :class:`~simulation.random_streams.RandomStreams`
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
   loyalty and rises with over-messaging. Purchase happens before churn within a week.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from simulation.random_streams import Draw, RandomStreams
from simulation.scenario import Capability
from simulation.tallies import JOURNEY_LOSSES, JourneyEnd, Tally
from simulation.targeting import RandomTargeting, TargetingContext, TargetingPolicy, WeekPurchases
from simulation.world import NEVER, World

ProgressCallback = Callable[[float, str], None]
"""Called with (fraction done in [0, 1], message)."""

_CAP = {c: i for i, c in enumerate(Capability)}


@dataclass
class StrategyState:
    """Per-person state of one plan, arrays of shape (N,) or (C, N).

    The engine keeps one instance whose arrays have a leading plan axis, (P, N) or (P, C, N);
    :meth:`plan` gives the per-plan view that policies and metrics read.
    """

    customer_since: NDArray[np.int16]
    """Week of becoming a customer (0 for existing customers), -1 if never."""
    lapse_week: NDArray[np.int16]
    """Week the person lapsed (customer churn or prospect drop-out), -1 if still alive."""
    lapse_overmessaging: NDArray[np.bool_]
    engaged: NDArray[np.bool_]
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
    value_discounted: NDArray[np.float32]
    """Customer-level contribution discounted to week 0 (rebased to acquisition later)."""
    hazard: NDArray[np.float32]
    """Current weekly churn hazard (kept up to date when satisfaction or loyalty change)."""

    @classmethod
    def stacked(cls, world: World, n_plans: int) -> StrategyState:
        """Initial state of ``n_plans`` plans, arrays (P, N) or (P, C, N)."""
        n = world.n_people
        n_channels = len(world.channels.names)
        existing = world.people.existing
        shape = (n_plans, n)

        def tiled(row: NDArray[np.generic]) -> NDArray[np.generic]:
            return np.repeat(row[None], n_plans, axis=0)

        return cls(
            customer_since=tiled(np.where(existing, 0, -1).astype(np.int16)),
            lapse_week=np.full(shape, -1, dtype=np.int16),
            lapse_overmessaging=np.zeros(shape, dtype=bool),
            engaged=tiled(existing),
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
            value_discounted=np.zeros(shape, dtype=np.float32),
            hazard=tiled(world.segments.churn_hazard[world.people.segment].astype(np.float32)),
        )

    def plan(self, s: int) -> StrategyState:
        """Views of plan ``s`` (writes go through to the stacked arrays)."""
        return StrategyState(**{f.name: getattr(self, f.name)[s] for f in fields(self)})

    def flat(self, name: str) -> NDArray[np.generic]:
        """A (P x N,) view of a (P, N) array, indexed by plan x N + person."""
        return getattr(self, name).reshape(-1)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class RunOutput:
    """Raw arrays of a finished run; :mod:`simulation.metrics` turns them into frames."""

    world: World
    weekly: NDArray[np.float64]
    """(S, T, len(Tally)) weekly counters."""
    flows: NDArray[np.float64]
    """(S, C, C + 4) journeys by start channel -> purchase channel or loss (JourneyEnd 2-5)."""
    states: tuple[StrategyState, ...]
    integration_cost: NDArray[np.float64]
    """(S, T) integration one-off plus running cost per week, real currency."""


def _bit_count_table(n_channels: int) -> NDArray[np.int64]:
    masks = np.arange(2**n_channels)
    return np.array([bin(m).count("1") for m in masks])


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

    def take(self, positions: NDArray[np.int64] | NDArray[np.bool_]) -> Cohort:
        return Cohort(flat=self.flat[positions], plan=self.plan[positions], person=self.person[positions])

    @property
    def size(self) -> int:
        return int(self.flat.size)


class Simulation:
    """One run of all plans; use :func:`simulation.simulate` rather than this class."""

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
        self.horizon = scenario.market.horizon_weeks
        self.discount = 1.0 / (1.0 + scenario.weekly_discount_rate) ** np.arange(self.horizon)

        masks = np.arange(2**n_channels)
        bits = (masks[:, None] >> np.arange(n_channels)) & 1
        self.siloed_contacts = bits @ world.channels.contact_frequency
        self.siloed_contact_cost = bits @ (world.channels.contact_frequency * world.channels.contact_cost)
        self.multi_channel_mask = _bit_count_table(n_channels) >= 2
        self.preference_cdf = np.cumsum(world.segments.preference, axis=1)
        sigma = world.segments.order_value_dispersion
        self.expected_order_value = (
            world.segments.order_value[:, None] * np.exp(sigma**2 / 2)[:, None]
            * world.channels.value_multiplier[None, :]
        )
        self.keys_per_plan = len(world.segments.names) * 2 * 2**n_channels
        self.offered_key = 2**n_channels
        self.segment_key = world.people.segment.astype(np.int32) * (2 * 2**n_channels)
        self.segment_hazard = world.segments.churn_hazard.astype(np.float32)
        self.state = StrategyState.stacked(world, self.n_plans)
        self.states = tuple(self.state.plan(s) for s in range(self.n_plans))
        self.weekly = np.zeros((self.n_plans, self.horizon, len(Tally)))
        self.flows = np.zeros((self.n_plans, n_channels, n_channels + 4))

    # ---------------------------------------------------------------------------------------

    def run(self, progress: ProgressCallback | None = None) -> RunOutput:
        world = self.world
        n = world.n_people
        gen_open, gen_churn, gen_conflict = (
            self.streams.generator(kind) for kind in (Draw.OPEN_JOURNEY, Draw.CHURN, Draw.CONTACT_CONFLICT)
        )
        report_every = max(1, self.horizon // 50)
        for week in range(self.horizon):
            # Whole-population draws, shared by every plan (common random numbers).
            self._week(
                week,
                world.effective_levels(week),
                aware_now=world.people.aware_week <= week,
                new_aware=int(np.count_nonzero(world.people.aware_week == week)),
                u_open=gen_open.random(n, dtype=np.float32),
                u_churn=gen_churn.random(n, dtype=np.float32),
                u_conflict=gen_conflict.random(n, dtype=np.float32),
            )
            if progress is not None and (week % report_every == 0 or week == self.horizon - 1):
                progress((week + 1) / self.horizon, f"week {week + 1} of {self.horizon}")
        return RunOutput(
            world=world, weekly=self.weekly, flows=self.flows, states=self.states,
            integration_cost=integration_cost_schedule(world),
        )

    def _count(self, tally: NDArray[np.float64], which: Tally, plan: NDArray[np.int64],
               weights: NDArray[np.floating] | None = None) -> None:
        """Add per-plan counts (or sums of ``weights``) of a cohort to this week's tally."""
        tally[:, which] += np.bincount(plan, weights=weights, minlength=self.n_plans)

    def _contact_tables(self, levels: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
        """Contact outcomes per key = (plan, segment, offered, channel mask), flattened.

        Everything about contacts depends on a person only through their segment, whether they
        get an offer and which channels know them, so it is computed once per key (at most
        P x G x 2 x 2^C values) and looked up per person.
        """
        behaviour, economics = self.behaviour, self.economics
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
        shape = intent.shape
        multi = self.multi_channel_mask[None, None, :] & (contacts > 0)
        return {
            "intent": intent.astype(np.float32).ravel(),
            "excess": excess.ravel(),
            "contacts": np.broadcast_to(contacts[:, None], shape).ravel(),
            "cost": np.broadcast_to(cost[:, None], shape).ravel(),
            "multi": np.broadcast_to(multi[:, None], shape).ravel(),
            "offers": np.broadcast_to(offered[:, None], shape).ravel(),
        }

    def _per_key(self, counts: NDArray[np.int64], table: NDArray[np.generic]) -> NDArray[np.float64]:
        """Per-plan totals of a per-key table weighted by how many people have each key."""
        return (counts * table).reshape(self.n_plans, -1).sum(axis=1)  # type: ignore[no-any-return]

    def _week(self, week: int, levels: NDArray[np.float64], *, aware_now: NDArray[np.bool_],
              new_aware: int, u_open: NDArray[np.float32], u_churn: NDArray[np.float32],
              u_conflict: NDArray[np.float32]) -> None:
        """Advance every plan by one week."""
        world, behaviour, streams, state = self.world, self.behaviour, self.streams, self.state
        n = self.n_people
        tally = self.weekly[:, week]
        tally[:, Tally.NEW_AWARE] = new_aware
        tally[:, Tally.REACH_COST] = new_aware * world.scenario.market.reach_cost

        alive = Cohort.of(np.flatnonzero(aware_now[None, :] & (state.lapse_week < 0)), n)
        experience = np.zeros(alive.size, dtype=np.float32)
        touched = np.zeros(alive.size, dtype=bool)
        tables = self._contact_tables(levels)

        # 2. Contacts and offers --------------------------------------------------------------
        mask = state.flat("channels_used")[alive.flat]
        mask *= state.flat("subscribed")[alive.flat]
        key = self.segment_key[alive.person]
        key += mask
        key += (alive.plan * self.keys_per_plan).astype(np.int32)
        eligible_pos = np.flatnonzero(mask)
        offered_pos = self._offers(week, levels, alive, eligible_pos)
        key[offered_pos] += self.offered_key
        per_key = np.bincount(key, minlength=self.n_plans * self.keys_per_plan)
        tally[:, Tally.CONTACTS] = self._per_key(per_key, tables["contacts"])
        tally[:, Tally.CONTACT_COST] = self._per_key(per_key, tables["cost"] * (1 - tables["offers"]))
        tally[:, Tally.OFFERS] = self._per_key(per_key, tables["offers"])
        tally[:, Tally.OFFER_COST] = tally[:, Tally.OFFERS] * self.economics.offer_cost
        tally[:, Tally.EXCESS_CONTACTS] = self._per_key(per_key, tables["excess"])
        tally[:, Tally.CONTACT_CONFLICT_CHANCES] = self._per_key(per_key, tables["multi"])

        annoyed_pos = np.flatnonzero(tables["excess"][key] > 0)
        excess = tables["excess"][key[annoyed_pos]]
        experience[annoyed_pos] -= behaviour.overmessaging_satisfaction_loss * excess
        touched[annoyed_pos] = True
        unsubscribe = annoyed_pos[
            streams.uniform(Draw.UNSUBSCRIBE, week, 0, alive.person[annoyed_pos])
            < behaviour.unsubscribe_per_excess_contact * excess
        ]
        state.flat("subscribed")[alive.flat[unsubscribe]] = False
        self._count(tally, Tally.UNSUBSCRIBES, alive.plan[unsubscribe])

        conflict_chance = behaviour.conflict_rate * (1 - levels[:, _CAP[Capability.CONSISTENCY]])
        if conflict_chance.max() > 0:
            multi_pos = np.flatnonzero(tables["multi"][key])
            conflicted = multi_pos[
                u_conflict[alive.person[multi_pos]] < conflict_chance[alive.plan[multi_pos]]
            ]
            experience[conflicted] -= behaviour.conflict_satisfaction_loss
            touched[conflicted] = True
            self._count(tally, Tally.CONTACT_CONFLICTS, alive.plan[conflicted])

        # 3. Journeys open --------------------------------------------------------------------
        intent = tables["intent"][key]
        intent *= world.people.propensity[alive.person]
        journey_pos = np.flatnonzero(u_open[alive.person] < intent)
        journeys = alive.take(journey_pos)
        self._count(tally, Tally.OFFER_JOURNEYS, journeys.plan, tables["offers"][key[journey_pos]])
        state.flat("engaged")[journeys.flat] = True
        self._count(tally, Tally.JOURNEYS, journeys.plan)
        bought = self._journeys(week, levels, tally, journeys, journey_pos, experience, touched)

        # 8a. Who is a customer now (including this week's first buyers).
        customer = state.flat("customer_since")[alive.flat] >= 0
        cust_pos = np.flatnonzero(customer)
        customers = alive.take(cust_pos)
        # CLV: contacts and offers to customers are costs of keeping them.
        cost = tables["cost"][key[cust_pos]].astype(np.float32)
        cost *= np.float32(self.discount[week])
        state.flat("value_discounted")[customers.flat] -= cost

        # 7. Satisfaction and the churn hazard it drives --------------------------------------
        moved = alive.take(touched)
        target = np.clip(behaviour.baseline_satisfaction + experience[touched], 0.0, 1.0)
        satisfaction = state.flat("satisfaction")
        sat = satisfaction[moved.flat]
        sat += behaviour.satisfaction_smoothing * (target - sat)
        satisfaction[moved.flat] = sat
        self._update_hazard(moved)

        # 8b. Churn of customers (over-messaging adds to the hazard), drop-out of prospects.
        lapse_week = state.flat("lapse_week")
        lapses = u_churn[customers.person] < state.flat("hazard")[customers.flat]
        self._count(tally, Tally.ACTIVE_CUSTOMERS, customers.plan)
        self._count(tally, Tally.SATISFACTION_SUM, customers.plan, satisfaction[customers.flat])
        loyal = state.flat("purchases")[customers.flat] >= behaviour.loyalty_threshold_purchases
        self._count(tally, Tally.LOYAL_ACTIVE, customers.plan[loyal])
        annoyed_customers = customer[annoyed_pos]
        if behaviour.churn_per_excess_contact > 0 and annoyed_customers.any():
            annoyed = alive.take(annoyed_pos[annoyed_customers])
            u = u_churn[annoyed.person]
            base = state.flat("hazard")[annoyed.flat]
            extra = behaviour.churn_per_excess_contact * excess[annoyed_customers]
            by_messaging = (u >= base) & (u < base + extra)
            lapse_week[annoyed.flat[by_messaging]] = week
            state.flat("lapse_overmessaging")[annoyed.flat[by_messaging]] = True
            self._count(tally, Tally.LOST_OVERMESSAGING_CHURN, annoyed.plan[by_messaging])
        lapse_week[customers.flat[lapses]] = week
        self._count(tally, Tally.LAPSES, customers.plan[lapses])
        tally[:, Tally.LAPSES] += tally[:, Tally.LOST_OVERMESSAGING_CHURN]
        tally[:, Tally.ALIVE_PROSPECTS] = np.bincount(alive.plan, minlength=self.n_plans) - (
            tally[:, Tally.ACTIVE_CUSTOMERS])

        prospects = alive.take(~customer)
        drop = u_churn[prospects.person] < world.scenario.market.prospect_dropout_weekly
        lapse_week[prospects.flat[drop]] = week
        self._count(tally, Tally.PROSPECT_DROPOUTS, prospects.plan[drop])

        for s, purchases in enumerate(bought):
            self.targeting.observe_week(week, s, self.states[s], purchases)

    def _offers(self, week: int, levels: NDArray[np.float64], alive: Cohort,
                eligible_pos: NDArray[np.int64]) -> NDArray[np.int64]:
        """Positions in ``alive`` that receive a targeted offer; the policy chooses per plan."""
        if self.economics.offers_per_week_share <= 0 or eligible_pos.size == 0:
            return eligible_pos[:0]
        bounds = np.searchsorted(alive.plan[eligible_pos], np.arange(self.n_plans + 1))
        chosen = []
        for s in range(self.n_plans):
            block = eligible_pos[bounds[s]:bounds[s + 1]]
            if block.size == 0:
                continue
            context = TargetingContext(
                week=week, strategy=s, identity=float(levels[s, _CAP[Capability.IDENTITY]]),
                eligible=alive.person[block], offer_share=self.economics.offers_per_week_share,
                state=self.states[s], world=self.world, streams=self.streams,
            )
            chosen.append(block[self.targeting.select(context)])
        return np.concatenate(chosen) if chosen else eligible_pos[:0]

    def _update_hazard(self, who: Cohort) -> None:
        """Recompute the weekly churn hazard of ``who`` from satisfaction and loyalty.

        hazard = segment hazard x exp(-elasticity x (satisfaction - baseline))
                 x (loyal multiplier if purchases >= loyalty threshold)
        """
        behaviour, state = self.behaviour, self.state
        seg = self.world.people.segment[who.person]
        gap = state.flat("satisfaction")[who.flat] - np.float32(behaviour.baseline_satisfaction)
        hazard = self.segment_hazard[seg] * np.exp(np.float32(-behaviour.satisfaction_churn_elasticity) * gap)
        loyal = state.flat("purchases")[who.flat] >= behaviour.loyalty_threshold_purchases
        hazard[loyal] *= np.float32(behaviour.loyal_hazard_multiplier)
        state.flat("hazard")[who.flat] = hazard

    def _journeys(self, week: int, levels: NDArray[np.float64], tally: NDArray[np.float64],
                  journeys: Cohort, journey_pos: NDArray[np.int64], experience: NDArray[np.float32],
                  touched: NDArray[np.bool_]) -> list[WeekPurchases]:
        """Touchpoints of this week's journeys; writes purchases into the state and tallies.

        ``journey_pos`` are the journeys' positions in the week's alive cohort (where
        ``experience`` and ``touched`` are kept). Returns each plan's purchases.
        """
        world, behaviour, streams = self.world, self.behaviour, self.streams
        chan, segs = world.channels, world.segments
        person, plan = journeys.person, journeys.plan
        seg = world.people.segment[person]
        n_j = journeys.size
        n_channels = self.n_channels

        u = streams.uniform(Draw.START_CHANNEL, week, 0, person)
        channel = (u[:, None] >= self.preference_cdf[seg, :-1]).sum(axis=1)
        start = channel.copy()
        used = np.left_shift(1, channel).astype(np.uint8)
        end = np.zeros(n_j, dtype=np.int8)
        kept = behaviour.siloed_context_kept
        keep_context = kept + (1.0 - kept) * levels[:, _CAP[Capability.CONTEXT]]
        conflict_chance = behaviour.conflict_rate * (1 - levels[:, _CAP[Capability.CONSISTENCY]])
        pooled = levels[:, _CAP[Capability.INVENTORY]] * behaviour.network_fill_rate

        for k in range(behaviour.touchpoints_per_journey):
            pos = np.flatnonzero(end == JourneyEnd.OPEN)
            if pos.size == 0:
                break
            restarting = np.zeros(n_j, dtype=bool)
            if k > 0 and n_channels > 1:
                switch = streams.uniform(Draw.SWITCH, week, k, person[pos]) < (
                    segs.switch_probability[seg[pos]]
                )
                sw = pos[switch]
                if sw.size:
                    weights = segs.preference[seg[sw]].copy()
                    weights[np.arange(sw.size), channel[sw]] = 0.0
                    total = weights.sum(axis=1)
                    real = total > 0
                    sw, weights, total = sw[real], weights[real], total[real]
                    cdf = np.cumsum(weights, axis=1) / total[:, None]
                    u = streams.uniform(Draw.NEXT_CHANNEL, week, k, person[sw])
                    channel[sw] = (u[:, None] >= cdf[:, :-1]).sum(axis=1)
                    used[sw] |= np.left_shift(1, channel[sw]).astype(np.uint8)
                    self._count(tally, Tally.SWITCHES, plan[sw])

                    lost = sw[streams.uniform(Draw.KEEP_CONTEXT, week, k, person[sw]) >= keep_context[plan[sw]]]
                    self._count(tally, Tally.CONTEXT_LOSSES, plan[lost])
                    experience[journey_pos[lost]] -= behaviour.lost_context_satisfaction_loss
                    touched[journey_pos[lost]] = True
                    gives_up = streams.uniform(Draw.RESTART, week, k, person[lost]) < (
                        behaviour.lost_context_abandon_share
                    )
                    end[lost[gives_up]] = JourneyEnd.LOST_CONTEXT
                    # Starting over spends this touchpoint on finding the way back.
                    restarting[lost[~gives_up]] = True

                    going_on = sw[end[sw] == JourneyEnd.OPEN]
                    self._count(tally, Tally.JOURNEY_CONFLICT_CHANCES, plan[going_on])
                    meets = going_on[
                        streams.uniform(Draw.CONFLICT, week, k, person[going_on])
                        < conflict_chance[plan[going_on]]
                    ]
                    self._count(tally, Tally.JOURNEY_CONFLICTS, plan[meets])
                    experience[journey_pos[meets]] -= behaviour.conflict_satisfaction_loss
                    touched[journey_pos[meets]] = True
                    walks = meets[
                        streams.uniform(Draw.CONFLICT_WALKAWAY, week, k, person[meets])
                        < segs.conflict_sensitivity[seg[meets]]
                    ]
                    end[walks] = JourneyEnd.CONFLICT

            ready = pos[(end[pos] == JourneyEnd.OPEN) & ~restarting[pos]]
            decide = ready[
                streams.uniform(Draw.BUY, week, k, person[ready]) < chan.conversion[channel[ready]]
            ]
            self._count(tally, Tally.BUY_ATTEMPTS, plan[decide])
            own = chan.availability[channel[decide]]
            u = streams.uniform(Draw.IN_STOCK, week, k, person[decide])
            in_stock = u < own + (1.0 - own) * pooled[plan[decide]]
            self._count(tally, Tally.NETWORK_FULFILLED, plan[decide[in_stock & (u >= own)]])
            end[decide[in_stock]] = JourneyEnd.BOUGHT
            out = decide[~in_stock]
            self._count(tally, Tally.STOCKOUTS, plan[out])
            experience[journey_pos[out]] -= behaviour.stockout_satisfaction_loss
            touched[journey_pos[out]] = True
            lost_sale = out[
                streams.uniform(Draw.STOCKOUT_LOST, week, k, person[out]) < behaviour.stockout_lost_share
            ]
            end[lost_sale] = JourneyEnd.STOCK_OUT

        end[end == JourneyEnd.OPEN] = JourneyEnd.ABANDONED
        self.state.flat("channels_used")[journeys.flat] |= used

        width = n_channels + 4
        destination = np.where(end == JourneyEnd.BOUGHT, channel, n_channels + end - 2)
        self.flows += np.bincount(
            (plan * n_channels + start) * width + destination, minlength=self.flows.size
        ).reshape(self.flows.shape)
        for code, _cause, count_tally, value_tally in JOURNEY_LOSSES:
            lost = end == code
            self._count(tally, count_tally, plan[lost])
            self._count(tally, value_tally, plan[lost], self.expected_order_value[seg[lost], channel[lost]])

        bought = end == JourneyEnd.BOUGHT
        return self._purchases(week, levels, tally, journeys.take(bought), journey_pos[bought],
                               channel[bought], experience, touched)

    def _purchases(self, week: int, levels: NDArray[np.float64], tally: NDArray[np.float64],
                   buyers: Cohort, pos: NDArray[np.int64], channel: NDArray[np.int64],
                   experience: NDArray[np.float32], touched: NDArray[np.bool_]) -> list[WeekPurchases]:
        """Order values, returns and the purchase records of this week's buyers."""
        world, behaviour, streams, state = self.world, self.behaviour, self.streams, self.state
        chan, segs = world.channels, world.segments
        person, plan = buyers.person, buyers.plan
        seg = world.people.segment[person]
        z = streams.normal(Draw.ORDER_VALUE, week, 0, person)
        order = segs.order_value[seg] * chan.value_multiplier[channel] * np.exp(
            segs.order_value_dispersion[seg] * z
        )
        returned = streams.uniform(Draw.RETURN, week, 0, person) < chan.return_rate[channel]
        elsewhere = returned & (
            streams.uniform(Draw.RETURN_ELSEWHERE, week, 0, person) < behaviour.cross_channel_return_share
        )
        friction = elsewhere & (
            streams.uniform(Draw.RETURN_FRICTION, week, 0, person)
            >= levels[plan, _CAP[Capability.SERVICE]]
        )
        net = np.where(returned, 0.0, order)
        margin = net * self.economics.gross_margin
        returns_cost = returned * behaviour.return_processing_cost
        state.flat("value_discounted")[buyers.flat] += (
            (margin - returns_cost) * self.discount[week]).astype(np.float32)

        self._count(tally, Tally.PURCHASES, plan)
        self._count(tally, Tally.GROSS_SALES, plan, order)
        self._count(tally, Tally.REFUNDS, plan[returned], order[returned])
        self._count(tally, Tally.NET_REVENUE, plan, net)
        self._count(tally, Tally.GROSS_MARGIN, plan, margin)
        self._count(tally, Tally.RETURNS, plan[returned])
        self._count(tally, Tally.RETURNS_COST, plan, returns_cost)
        self._count(tally, Tally.CROSS_CHANNEL_RETURNS, plan[elsewhere])
        self._count(tally, Tally.RETURN_FRICTIONS, plan[friction])

        experience[pos] += behaviour.purchase_satisfaction_gain
        experience[pos] -= behaviour.return_friction_satisfaction_loss * friction
        touched[pos] = True

        customer_since = state.flat("customer_since")
        first = customer_since[buyers.flat] < 0
        customer_since[buyers.flat[first]] = week
        self._count(tally, Tally.NEW_CUSTOMERS, plan[first])
        purchases = state.flat("purchases")
        count = purchases[buyers.flat] + 1
        purchases[buyers.flat] = count
        state.flat("second_purchase_week")[buyers.flat[count == 2]] = week
        state.flat("last_purchase_week")[buyers.flat] = week
        by_channel = (plan * self.n_channels + channel) * self.n_people + person
        state.purchases_by_channel.reshape(-1)[by_channel] += np.uint16(1)
        state.spend_by_channel.reshape(-1)[by_channel] += net.astype(np.float32)
        state.flat("channels_bought")[buyers.flat] |= np.left_shift(1, channel).astype(np.uint8)

        bounds = np.searchsorted(plan, np.arange(self.n_plans + 1))
        return [
            WeekPurchases(person=person[a:b], channel=channel[a:b], net_value=net[a:b])
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]


def integration_cost_schedule(world: World) -> NDArray[np.float64]:
    """(S, T) integration spend per week in real currency.

    One-off cost x level is spread evenly over the capability's ramp-up (paid in week 0 when the
    ramp is 0); running cost x level is paid every week from week 0.
    """
    scenario = world.scenario
    horizon = scenario.market.horizon_weeks
    weeks = np.arange(horizon)
    cost = np.zeros((len(world.strategies), horizon))
    for i, capability in enumerate(Capability):
        price = scenario.capability_costs.of(capability)
        ramp = price.ramp_weeks
        one_off = np.where(weeks < max(ramp, 1), price.one_off_cost / max(ramp, 1), 0.0)
        weekly = one_off + price.running_cost_weekly
        cost += world.levels[:, i : i + 1] * weekly[None, :]
    return cost


__all__ = ["NEVER", "ProgressCallback", "RunOutput", "Simulation", "StrategyState"]
