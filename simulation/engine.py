"""The weekly customer-journey simulation, vectorized over people.

One run advances every strategy of :class:`~simulation.world.World` through the same weeks on the
same people. The loop is over weeks and, inside a week, over strategies and the few touchpoints
of a journey; everything per person is a numpy array operation. Random draws come from
:class:`~simulation.random_streams.RandomStreams` so all strategies share them.

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

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

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

PARALLEL_MIN_PEOPLE = 150_000
"""From this population up, plans advance in parallel threads within each week (numpy releases
the GIL in its array loops; plans share nothing mutable, so results are identical)."""


@dataclass
class StrategyState:
    """Mutable per-person state of one strategy, arrays of shape (N,) or (C, N)."""

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
    def initial(cls, world: World) -> StrategyState:
        n = world.n_people
        n_channels = len(world.channels.names)
        existing = world.people.existing
        state = cls(
            customer_since=np.where(existing, 0, -1).astype(np.int16),
            lapse_week=np.full(n, -1, dtype=np.int16),
            lapse_overmessaging=np.zeros(n, dtype=bool),
            engaged=existing.copy(),
            purchases=np.zeros(n, dtype=np.uint16),
            second_purchase_week=np.full(n, -1, dtype=np.int16),
            last_purchase_week=np.full(n, -1, dtype=np.int16),
            satisfaction=np.full(n, world.scenario.behaviour.baseline_satisfaction, np.float32),
            channels_used=np.where(
                existing, np.left_shift(1, world.people.favourite_channel.astype(np.uint8)), 0
            ).astype(np.uint8),
            channels_bought=np.zeros(n, dtype=np.uint8),
            subscribed=np.ones(n, dtype=bool),
            purchases_by_channel=np.zeros((n_channels, n), dtype=np.uint16),
            spend_by_channel=np.zeros((n_channels, n), dtype=np.float32),
            value_discounted=np.zeros(n, dtype=np.float32),
            hazard=world.segments.churn_hazard[world.people.segment].astype(np.float32),
        )
        return state


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


@dataclass(frozen=True)
class WeekDraws:
    """What every plan shares in one week: awareness and whole-population uniform draws."""

    week: int
    aware_now: NDArray[np.bool_]
    new_aware: int
    open_journey: NDArray[np.float32]
    churn: NDArray[np.float32]
    contact_conflict: NDArray[np.float32]
    levels: NDArray[np.float64]
    """(P, 6) capability levels in force this week."""


def _bit_count_table(n_channels: int) -> NDArray[np.int64]:
    masks = np.arange(2**n_channels)
    return np.array([bin(m).count("1") for m in masks])


class Simulation:
    """One run of all strategies; use :func:`simulation.simulate` rather than this class."""

    def __init__(self, world: World, streams: RandomStreams,
                 targeting: TargetingPolicy | None = None, *, parallel: bool | None = None) -> None:
        """``parallel``: advance plans in threads (None = only from PARALLEL_MIN_PEOPLE up)."""
        self.world = world
        self.streams = streams
        self.targeting: TargetingPolicy = targeting or RandomTargeting()
        self.parallel = world.n_people >= PARALLEL_MIN_PEOPLE if parallel is None else parallel
        scenario = world.scenario
        self.behaviour = scenario.behaviour
        self.economics = scenario.economics
        n_channels = len(world.channels.names)
        self.n_channels = n_channels
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
        n_keys = 2 * 2**n_channels
        self.offered_key = 2**n_channels
        self.segment_key = world.people.segment.astype(np.int32) * n_keys
        self.segment_hazard = world.segments.churn_hazard.astype(np.float32)
        self.states = tuple(StrategyState.initial(world) for _ in world.strategies)
        self.weekly = np.zeros((len(world.strategies), self.horizon, len(Tally)))
        self.flows = np.zeros((len(world.strategies), n_channels, n_channels + 4))
        for state in self.states:
            state.purchases[world.people.existing] = 1

    # ---------------------------------------------------------------------------------------

    def run(self, progress: ProgressCallback | None = None) -> RunOutput:
        world = self.world
        n = world.n_people
        generators = [self.streams.generator(kind)
                      for kind in (Draw.OPEN_JOURNEY, Draw.CHURN, Draw.CONTACT_CONFLICT)]
        report_every = max(1, self.horizon // 50)
        plans = range(len(self.states))
        workers = min(len(self.states), os.cpu_count() or 1)
        pool = ThreadPoolExecutor(max(workers, 2)) if self.parallel else None
        try:
            for week in range(self.horizon):
                # Whole-population draws, shared by every plan (common random numbers).
                draws = WeekDraws(
                    week=week,
                    aware_now=world.people.aware_week <= week,
                    new_aware=int(np.count_nonzero(world.people.aware_week == week)),
                    open_journey=generators[0].random(n, dtype=np.float32),
                    churn=generators[1].random(n, dtype=np.float32),
                    contact_conflict=generators[2].random(n, dtype=np.float32),
                    levels=world.effective_levels(week),
                )
                if pool is None:
                    for s in plans:
                        self._advance(s, draws)
                else:
                    list(pool.map(lambda s, d=draws: self._advance(s, d), plans))
                if progress is not None and (week % report_every == 0 or week == self.horizon - 1):
                    progress((week + 1) / self.horizon, f"week {week + 1} of {self.horizon}")
        finally:
            if pool is not None:
                pool.shutdown()
        return RunOutput(
            world=world, weekly=self.weekly, flows=self.flows, states=self.states,
            integration_cost=integration_cost_schedule(world),
        )

    def _advance(self, s: int, draws: WeekDraws) -> None:
        """One week of plan ``s``; touches only that plan's state, tallies and flows."""
        tally = self.weekly[s, draws.week]
        tally[Tally.NEW_AWARE] = draws.new_aware
        tally[Tally.REACH_COST] = draws.new_aware * self.world.scenario.market.reach_cost
        bought = self._week(draws.week, s, self.states[s], draws.levels[s], tally, draws.aware_now,
                            draws.open_journey, draws.churn, draws.contact_conflict)
        self.targeting.observe_week(draws.week, s, self.states[s], bought)

    def _contact_tables(self, level: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
        """Per-key contact outcomes for this plan-week, key = (segment, offered, channel mask).

        Everything about contacts depends on a person only through their segment, whether they
        get an offer and which channels know them, so it is computed once per key (at most
        G x 2 x 2^C values) and looked up per person.
        """
        behaviour, economics = self.behaviour, self.economics
        siloed = self.siloed_contacts
        orchestration = level[_CAP[Capability.ORCHESTRATION]]
        contacts = siloed - orchestration * (siloed - np.minimum(siloed, behaviour.contact_cap_weekly))
        scale = np.divide(contacts, siloed, out=np.zeros_like(contacts), where=siloed > 0)
        offered = np.array([0.0, 1.0])[:, None]
        contacts = contacts[None, :] + offered  # (2, M)
        cost = self.siloed_contact_cost[None, :] * scale[None, :] + economics.offer_cost * offered
        reminder = 1.0 - behaviour.reminder_max_uplift * np.expm1(
            -contacts / behaviour.reminder_half_saturation)
        segs = self.world.segments
        intent = (segs.intent_rate[:, None, None] * reminder[None]
                  * (1.0 + economics.offer_uplift * offered)[None])
        excess = np.maximum(contacts[None] - segs.contact_tolerance[:, None, None], 0.0)
        shape = intent.shape
        multi = np.broadcast_to(self.multi_channel_mask[None, :] & (contacts > 0), shape)
        return {
            "intent": intent.astype(np.float32).ravel(),
            "excess": excess.ravel(),
            "contacts": np.broadcast_to(contacts, shape).ravel(),
            "cost": np.broadcast_to(cost, shape).ravel(),
            "multi": multi.ravel(),
            "offers": np.broadcast_to(offered, shape).ravel(),
        }

    def _week(self, week: int, s: int, state: StrategyState, level: NDArray[np.float64],
              tally: NDArray[np.float64], aware_now: NDArray[np.bool_],
              u_open: NDArray[np.float32], u_churn: NDArray[np.float32],
              u_conflict: NDArray[np.float32]) -> WeekPurchases:
        """Advance one plan by one week; returns the week's purchases."""
        world, behaviour, streams = self.world, self.behaviour, self.streams
        people = world.people
        alive = np.flatnonzero(aware_now & (state.lapse_week < 0))
        experience = np.zeros(alive.size, dtype=np.float32)
        touched = np.zeros(alive.size, dtype=bool)
        tables = self._contact_tables(level)

        # 2. Contacts and offers --------------------------------------------------------------
        mask = state.channels_used[alive]
        mask *= state.subscribed[alive]
        key = self.segment_key[alive]
        key += mask
        eligible_pos = np.flatnonzero(mask)
        offered_pos = eligible_pos[:0]
        if self.economics.offers_per_week_share > 0 and eligible_pos.size:
            context = TargetingContext(
                week=week, strategy=s, identity=float(level[_CAP[Capability.IDENTITY]]),
                eligible=alive[eligible_pos], offer_share=self.economics.offers_per_week_share,
                state=state, world=world, streams=streams,
            )
            offered_pos = eligible_pos[self.targeting.select(context)]
            key[offered_pos] += self.offered_key
        per_key = np.bincount(key, minlength=tables["intent"].size)
        tally[Tally.CONTACTS] = per_key @ tables["contacts"]
        tally[Tally.CONTACT_COST] = per_key @ (tables["cost"] * (1 - tables["offers"]))
        tally[Tally.OFFERS] = offered_pos.size
        tally[Tally.OFFER_COST] = offered_pos.size * self.economics.offer_cost
        tally[Tally.EXCESS_CONTACTS] = per_key @ tables["excess"]
        tally[Tally.CONTACT_CONFLICT_CHANCES] = per_key @ tables["multi"]

        annoyed_pos = np.flatnonzero(tables["excess"][key] > 0)
        excess = tables["excess"][key[annoyed_pos]]
        experience[annoyed_pos] -= behaviour.overmessaging_satisfaction_loss * excess
        touched[annoyed_pos] = True
        unsubscribe = annoyed_pos[
            streams.uniform(Draw.UNSUBSCRIBE, week, 0, alive[annoyed_pos])
            < behaviour.unsubscribe_per_excess_contact * excess
        ]
        state.subscribed[alive[unsubscribe]] = False
        tally[Tally.UNSUBSCRIBES] = unsubscribe.size

        conflict_chance = behaviour.conflict_rate * (1 - level[_CAP[Capability.CONSISTENCY]])
        if conflict_chance > 0:
            multi_pos = np.flatnonzero(tables["multi"][key])
            conflicted = multi_pos[u_conflict[alive[multi_pos]] < conflict_chance]
            experience[conflicted] -= behaviour.conflict_satisfaction_loss
            touched[conflicted] = True
            tally[Tally.CONTACT_CONFLICTS] = conflicted.size

        # 3. Journeys open --------------------------------------------------------------------
        intent = tables["intent"][key]
        intent *= people.propensity[alive]
        journey_pos = np.flatnonzero(u_open[alive] < intent)
        if offered_pos.size:
            tally[Tally.OFFER_JOURNEYS] = tables["offers"][key[journey_pos]].sum()
        state.engaged[alive[journey_pos]] = True
        tally[Tally.JOURNEYS] = journey_pos.size
        bought = WeekPurchases.none()
        if journey_pos.size:
            bought = self._journeys(week, s, state, level, tally, alive, journey_pos, experience, touched)

        # 8a. Who is a customer now (including this week's first buyers).
        customer = state.customer_since[alive] >= 0
        cust_pos = np.flatnonzero(customer)
        who = alive[cust_pos]
        # CLV: contacts and offers to customers are costs of keeping them.
        cost = tables["cost"][key[cust_pos]]
        has_cost = np.flatnonzero(cost)
        state.value_discounted[who[has_cost]] -= (cost[has_cost] * self.discount[week]).astype(np.float32)

        # 7. Satisfaction and the churn hazard it drives --------------------------------------
        moved = alive[touched]
        target = np.clip(behaviour.baseline_satisfaction + experience[touched], 0.0, 1.0)
        sat = state.satisfaction[moved]
        sat += behaviour.satisfaction_smoothing * (target - sat)
        state.satisfaction[moved] = sat
        self._update_hazard(state, moved)

        # 8b. Churn of customers (over-messaging adds to the hazard), drop-out of prospects.
        u = u_churn[who]
        lapses = u < state.hazard[who]
        tally[Tally.ACTIVE_CUSTOMERS] = who.size
        tally[Tally.ALIVE_PROSPECTS] = alive.size - who.size
        tally[Tally.SATISFACTION_SUM] = float(state.satisfaction[who].sum(dtype=np.float64))
        tally[Tally.LOYAL_ACTIVE] = np.count_nonzero(
            state.purchases[who] >= behaviour.loyalty_threshold_purchases)
        annoyed_customers = customer[annoyed_pos]
        if behaviour.churn_per_excess_contact > 0 and annoyed_customers.any():
            a_pos = annoyed_pos[annoyed_customers]
            a_who = alive[a_pos]
            u_a = u_churn[a_who]
            base = state.hazard[a_who]
            extra = behaviour.churn_per_excess_contact * excess[annoyed_customers]
            by_messaging = a_who[(u_a >= base) & (u_a < base + extra)]
            state.lapse_week[by_messaging] = week
            state.lapse_overmessaging[by_messaging] = True
            tally[Tally.LOST_OVERMESSAGING_CHURN] = by_messaging.size
        lapsed = who[lapses]
        state.lapse_week[lapsed] = week
        tally[Tally.LAPSES] = lapsed.size + tally[Tally.LOST_OVERMESSAGING_CHURN]

        prospects = alive[~customer]
        dropouts = prospects[u_churn[prospects] < self.world.scenario.market.prospect_dropout_weekly]
        state.lapse_week[dropouts] = week
        tally[Tally.PROSPECT_DROPOUTS] = dropouts.size
        return bought

    def _update_hazard(self, state: StrategyState, person: NDArray[np.int64]) -> None:
        """Recompute the weekly churn hazard of ``person`` from satisfaction and loyalty.

        hazard = segment hazard x exp(-elasticity x (satisfaction - baseline))
                 x (loyal multiplier if purchases >= loyalty threshold)
        """
        behaviour = self.behaviour
        seg = self.world.people.segment[person]
        gap = state.satisfaction[person] - np.float32(behaviour.baseline_satisfaction)
        hazard = self.segment_hazard[seg] * np.exp(np.float32(-behaviour.satisfaction_churn_elasticity) * gap)
        loyal = state.purchases[person] >= behaviour.loyalty_threshold_purchases
        hazard[loyal] *= np.float32(behaviour.loyal_hazard_multiplier)
        state.hazard[person] = hazard

    def _journeys(self, week: int, s: int, state: StrategyState, level: NDArray[np.float64],
                  tally: NDArray[np.float64], alive: NDArray[np.int64],
                  journey_pos: NDArray[np.int64], experience: NDArray[np.float32],
                  touched: NDArray[np.bool_]) -> WeekPurchases:
        """Touchpoints of this week's journeys; writes purchases into ``state`` and tallies."""
        world, behaviour, streams = self.world, self.behaviour, self.streams
        chan = world.channels
        person = alive[journey_pos]
        seg = world.people.segment[person]
        n_j = person.size
        n_channels = self.n_channels

        u = streams.uniform(Draw.START_CHANNEL, week, 0, person)
        channel = (u[:, None] >= self.preference_cdf[seg, :-1]).sum(axis=1)
        start = channel.copy()
        used = np.left_shift(1, channel).astype(np.uint8)
        end = np.zeros(n_j, dtype=np.int8)
        kept = behaviour.siloed_context_kept
        keep_context = kept + (1.0 - kept) * level[_CAP[Capability.CONTEXT]]
        conflict_chance = behaviour.conflict_rate * (1 - level[_CAP[Capability.CONSISTENCY]])
        pooled = level[_CAP[Capability.INVENTORY]] * behaviour.network_fill_rate

        for k in range(behaviour.touchpoints_per_journey):
            pos = np.flatnonzero(end == JourneyEnd.OPEN)
            if pos.size == 0:
                break
            restarting = np.zeros(n_j, dtype=bool)
            if k > 0 and n_channels > 1:
                switch = streams.uniform(Draw.SWITCH, week, k, person[pos]) < (
                    world.segments.switch_probability[seg[pos]]
                )
                sw = pos[switch]
                if sw.size:
                    weights = world.segments.preference[seg[sw]].copy()
                    weights[np.arange(sw.size), channel[sw]] = 0.0
                    total = weights.sum(axis=1)
                    real = total > 0
                    sw, weights, total = sw[real], weights[real], total[real]
                    cdf = np.cumsum(weights, axis=1) / total[:, None]
                    u = streams.uniform(Draw.NEXT_CHANNEL, week, k, person[sw])
                    channel[sw] = (u[:, None] >= cdf[:, :-1]).sum(axis=1)
                    used[sw] |= np.left_shift(1, channel[sw]).astype(np.uint8)
                    tally[Tally.SWITCHES] += sw.size

                    lost = sw[streams.uniform(Draw.KEEP_CONTEXT, week, k, person[sw]) >= keep_context]
                    tally[Tally.CONTEXT_LOSSES] += lost.size
                    experience[journey_pos[lost]] -= behaviour.lost_context_satisfaction_loss
                    touched[journey_pos[lost]] = True
                    gives_up = streams.uniform(Draw.RESTART, week, k, person[lost]) < (
                        behaviour.lost_context_abandon_share
                    )
                    end[lost[gives_up]] = JourneyEnd.LOST_CONTEXT
                    # Starting over spends this touchpoint on finding the way back.
                    restarting[lost[~gives_up]] = True

                    going_on = sw[end[sw] == JourneyEnd.OPEN]
                    tally[Tally.JOURNEY_CONFLICT_CHANCES] += going_on.size
                    meets = going_on[
                        streams.uniform(Draw.CONFLICT, week, k, person[going_on]) < conflict_chance
                    ]
                    tally[Tally.JOURNEY_CONFLICTS] += meets.size
                    experience[journey_pos[meets]] -= behaviour.conflict_satisfaction_loss
                    touched[journey_pos[meets]] = True
                    walks = meets[
                        streams.uniform(Draw.CONFLICT_WALKAWAY, week, k, person[meets])
                        < world.segments.conflict_sensitivity[seg[meets]]
                    ]
                    end[walks] = JourneyEnd.CONFLICT

            ready = pos[(end[pos] == JourneyEnd.OPEN) & ~restarting[pos]]
            decide = ready[
                streams.uniform(Draw.BUY, week, k, person[ready]) < chan.conversion[channel[ready]]
            ]
            tally[Tally.BUY_ATTEMPTS] += decide.size
            own = chan.availability[channel[decide]]
            u = streams.uniform(Draw.IN_STOCK, week, k, person[decide])
            in_stock = u < own + (1.0 - own) * pooled
            tally[Tally.NETWORK_FULFILLED] += np.count_nonzero(in_stock & (u >= own))
            end[decide[in_stock]] = JourneyEnd.BOUGHT
            out = decide[~in_stock]
            tally[Tally.STOCKOUTS] += out.size
            experience[journey_pos[out]] -= behaviour.stockout_satisfaction_loss
            touched[journey_pos[out]] = True
            lost_sale = out[
                streams.uniform(Draw.STOCKOUT_LOST, week, k, person[out]) < behaviour.stockout_lost_share
            ]
            end[lost_sale] = JourneyEnd.STOCK_OUT

        end[end == JourneyEnd.OPEN] = JourneyEnd.ABANDONED
        state.channels_used[person] |= used

        destination = np.where(end == JourneyEnd.BOUGHT, channel, n_channels + end - 2)
        self.flows[s] += np.bincount(
            start * (n_channels + 4) + destination, minlength=n_channels * (n_channels + 4)
        ).reshape(n_channels, n_channels + 4)
        for code, _cause, count_tally, value_tally in JOURNEY_LOSSES:
            lost = end == code
            tally[count_tally] = np.count_nonzero(lost)
            tally[value_tally] = self.expected_order_value[seg[lost], channel[lost]].sum()

        return self._purchases(week, state, tally, alive, journey_pos[end == JourneyEnd.BOUGHT],
                        channel[end == JourneyEnd.BOUGHT], level, experience, touched)

    def _purchases(self, week: int, state: StrategyState, tally: NDArray[np.float64],
                   alive: NDArray[np.int64], pos: NDArray[np.int64], channel: NDArray[np.int64],
                   level: NDArray[np.float64], experience: NDArray[np.float32],
                   touched: NDArray[np.bool_]) -> WeekPurchases:
        """Order values, returns and the purchase records of this week's buyers."""
        world, behaviour, streams = self.world, self.behaviour, self.streams
        chan, segs = world.channels, world.segments
        person = alive[pos]
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
            streams.uniform(Draw.RETURN_FRICTION, week, 0, person) >= level[_CAP[Capability.SERVICE]]
        )
        net = np.where(returned, 0.0, order)
        margin = net * self.economics.gross_margin
        returns_cost = returned * behaviour.return_processing_cost
        state.value_discounted[person] += ((margin - returns_cost) * self.discount[week]).astype(np.float32)

        tally[Tally.PURCHASES] = person.size
        tally[Tally.GROSS_SALES] = order.sum()
        tally[Tally.REFUNDS] = order[returned].sum()
        tally[Tally.NET_REVENUE] = net.sum()
        tally[Tally.GROSS_MARGIN] = margin.sum()
        tally[Tally.RETURNS] = np.count_nonzero(returned)
        tally[Tally.RETURNS_COST] = returns_cost.sum()
        tally[Tally.CROSS_CHANNEL_RETURNS] = np.count_nonzero(elsewhere)
        tally[Tally.RETURN_FRICTIONS] = np.count_nonzero(friction)

        experience[pos] += behaviour.purchase_satisfaction_gain
        experience[pos] -= behaviour.return_friction_satisfaction_loss * friction
        touched[pos] = True

        first = state.customer_since[person] < 0
        state.customer_since[person[first]] = week
        tally[Tally.NEW_CUSTOMERS] = np.count_nonzero(first)
        count = state.purchases[person] + 1
        state.purchases[person] = count
        state.second_purchase_week[person[count == 2]] = week
        state.last_purchase_week[person] = week
        flat = channel * state.purchases.size + person
        state.purchases_by_channel.reshape(-1)[flat] += np.uint16(1)
        state.spend_by_channel.reshape(-1)[flat] += net.astype(np.float32)
        state.channels_bought[person] |= np.left_shift(1, channel).astype(np.uint8)
        return WeekPurchases(person=person, channel=channel, net_value=net)


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
