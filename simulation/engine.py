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

from collections.abc import Callable
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


def _bit_count_table(n_channels: int) -> NDArray[np.int64]:
    masks = np.arange(2**n_channels)
    return np.array([bin(m).count("1") for m in masks])


class Simulation:
    """One run of all strategies; use :func:`simulation.simulate` rather than this class."""

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
        self._bought = WeekPurchases.none()
        self.states = tuple(StrategyState.initial(world) for _ in world.strategies)
        self.weekly = np.zeros((len(world.strategies), self.horizon, len(Tally)))
        self.flows = np.zeros((len(world.strategies), n_channels, n_channels + 4))
        for state in self.states:
            state.purchases[world.people.existing] = 1

    # ---------------------------------------------------------------------------------------

    def run(self, progress: ProgressCallback | None = None) -> RunOutput:
        world = self.world
        n = world.n_people
        aware_week = world.people.aware_week
        gen_open = self.streams.generator(Draw.OPEN_JOURNEY)
        gen_churn = self.streams.generator(Draw.CHURN)
        gen_conflict = self.streams.generator(Draw.CONTACT_CONFLICT)
        gen_unsub = self.streams.generator(Draw.UNSUBSCRIBE)
        report_every = max(1, self.horizon // 50)
        for week in range(self.horizon):
            aware_now = aware_week <= week
            new_aware = int(np.count_nonzero(aware_week == week))
            # Whole-population draws, shared by every strategy (common random numbers).
            u_open = gen_open.random(n, dtype=np.float32)
            u_churn = gen_churn.random(n)
            u_conflict = gen_conflict.random(n, dtype=np.float32)
            u_unsub = gen_unsub.random(n, dtype=np.float32)
            levels = world.effective_levels(week)
            for s, state in enumerate(self.states):
                tally = self.weekly[s, week]
                tally[Tally.NEW_AWARE] = new_aware
                tally[Tally.REACH_COST] = new_aware * world.scenario.market.reach_cost
                self._bought = WeekPurchases.none()
                self._week(week, s, state, levels[s], tally, aware_now,
                           u_open, u_churn, u_conflict, u_unsub)
                self.targeting.observe_week(week, s, state, self._bought)
            if progress is not None and (week % report_every == 0 or week == self.horizon - 1):
                progress((week + 1) / self.horizon, f"week {week + 1} of {self.horizon}")
        return RunOutput(
            world=world, weekly=self.weekly, flows=self.flows, states=self.states,
            integration_cost=integration_cost_schedule(world),
        )

    def _week(self, week: int, s: int, state: StrategyState, level: NDArray[np.float64],
              tally: NDArray[np.float64], aware_now: NDArray[np.bool_],
              u_open: NDArray[np.float32], u_churn: NDArray[np.float64],
              u_conflict: NDArray[np.float32], u_unsub: NDArray[np.float32]) -> None:
        world, behaviour = self.world, self.behaviour
        people = world.people
        alive = np.flatnonzero(aware_now & (state.lapse_week < 0))
        seg = people.segment[alive]
        is_customer = state.customer_since[alive] >= 0
        tally[Tally.ACTIVE_CUSTOMERS] = np.count_nonzero(is_customer)
        tally[Tally.ALIVE_PROSPECTS] = alive.size - tally[Tally.ACTIVE_CUSTOMERS]

        experience = np.zeros(alive.size, dtype=np.float32)
        touched = np.zeros(alive.size, dtype=bool)

        # 2. Contacts and offers --------------------------------------------------------------
        mask = state.channels_used[alive] * state.subscribed[alive]
        siloed = self.siloed_contacts[mask]
        cap = behaviour.contact_cap_weekly
        orchestration = level[_CAP[Capability.ORCHESTRATION]]
        capped = np.minimum(siloed, cap)
        contacts = siloed - orchestration * (siloed - capped)
        scale = np.divide(contacts, siloed, out=np.zeros_like(contacts), where=siloed > 0)
        contact_cost = self.siloed_contact_cost[mask] * scale

        offered = np.zeros(alive.size, dtype=bool)
        eligible_pos = np.flatnonzero(mask)
        if self.economics.offers_per_week_share > 0 and eligible_pos.size:
            context = TargetingContext(
                week=week, strategy=s, identity=float(level[_CAP[Capability.IDENTITY]]),
                eligible=alive[eligible_pos], offer_share=self.economics.offers_per_week_share,
                state=state, world=world, streams=self.streams,
            )
            offered[eligible_pos[self.targeting.select(context)]] = True
        contacts = contacts + offered
        offer_cost = offered * self.economics.offer_cost
        tally[Tally.CONTACTS] = contacts.sum()
        tally[Tally.CONTACT_COST] = contact_cost.sum()
        tally[Tally.OFFERS] = np.count_nonzero(offered)
        tally[Tally.OFFER_COST] = offer_cost.sum()

        excess = np.maximum(contacts - world.segments.contact_tolerance[seg], 0.0)
        annoyed = excess > 0
        tally[Tally.EXCESS_CONTACTS] = excess.sum()
        experience -= behaviour.overmessaging_satisfaction_loss * excess
        touched |= annoyed
        unsubscribe = annoyed & (u_unsub[alive] < behaviour.unsubscribe_per_excess_contact * excess)
        state.subscribed[alive[unsubscribe]] = False
        tally[Tally.UNSUBSCRIBES] = np.count_nonzero(unsubscribe)

        multi = self.multi_channel_mask[mask] & (contacts > 0)
        conflict_chance = behaviour.conflict_rate * (1 - level[_CAP[Capability.CONSISTENCY]])
        contact_conflict = multi & (u_conflict[alive] < conflict_chance)
        tally[Tally.CONTACT_CONFLICT_CHANCES] = np.count_nonzero(multi)
        tally[Tally.CONTACT_CONFLICTS] = np.count_nonzero(contact_conflict)
        experience -= behaviour.conflict_satisfaction_loss * contact_conflict
        touched |= contact_conflict

        # 3. Journeys open --------------------------------------------------------------------
        reminder = 1.0 + behaviour.reminder_max_uplift * -np.expm1(
            -contacts / behaviour.reminder_half_saturation
        )
        intent = world.segments.intent_rate[seg] * people.propensity[alive] * reminder
        intent *= 1.0 + self.economics.offer_uplift * offered
        opens = u_open[alive] < intent
        tally[Tally.OFFER_JOURNEYS] = np.count_nonzero(opens & offered)
        journey_pos = np.flatnonzero(opens)
        state.engaged[alive[journey_pos]] = True
        tally[Tally.JOURNEYS] = journey_pos.size

        value = np.zeros(alive.size)
        if journey_pos.size:
            self._journeys(week, s, state, level, tally, alive, journey_pos, experience, touched,
                           value)

        # CLV: contribution of people who were customers at the start of the week.
        contribution = value - np.where(is_customer, contact_cost + offer_cost, 0.0)
        has_value = np.flatnonzero(contribution != 0)
        state.value_discounted[alive[has_value]] += contribution[has_value] * self.discount[week]

        # 7. Satisfaction ---------------------------------------------------------------------
        moved = np.flatnonzero(touched)
        target = behaviour.baseline_satisfaction + experience[moved]
        sat = state.satisfaction[alive[moved]]
        sat += behaviour.satisfaction_smoothing * (np.clip(target, 0.0, 1.0) - sat)
        state.satisfaction[alive[moved]] = sat

        # 8. Churn of customers, drop-out of prospects -----------------------------------------
        customer = state.customer_since[alive] >= 0
        cust_pos = np.flatnonzero(customer)
        who = alive[cust_pos]
        hazard = world.segments.churn_hazard[seg[cust_pos]] * np.exp(
            -behaviour.satisfaction_churn_elasticity
            * (state.satisfaction[who] - behaviour.baseline_satisfaction)
        )
        loyal = state.purchases[who] >= behaviour.loyalty_threshold_purchases
        hazard = np.where(loyal, hazard * behaviour.loyal_hazard_multiplier, hazard)
        hazard_total = hazard + behaviour.churn_per_excess_contact * excess[cust_pos]
        u = u_churn[who]
        lapses = u < hazard_total
        from_messaging = lapses & (u >= hazard)
        state.lapse_week[who[lapses]] = week
        state.lapse_overmessaging[who[from_messaging]] = True
        tally[Tally.LAPSES] = np.count_nonzero(lapses)
        tally[Tally.LOST_OVERMESSAGING_CHURN] = np.count_nonzero(from_messaging)
        tally[Tally.LOYAL_ACTIVE] = np.count_nonzero(loyal)
        tally[Tally.SATISFACTION_SUM] = float(state.satisfaction[who].sum())

        prospects = alive[~customer]
        dropouts = prospects[u_churn[prospects] < self.world.scenario.market.prospect_dropout_weekly]
        state.lapse_week[dropouts] = week
        tally[Tally.PROSPECT_DROPOUTS] = dropouts.size

    def _journeys(self, week: int, s: int, state: StrategyState, level: NDArray[np.float64],
                  tally: NDArray[np.float64], alive: NDArray[np.int64],
                  journey_pos: NDArray[np.int64], experience: NDArray[np.float32],
                  touched: NDArray[np.bool_], value_out: NDArray[np.float64]) -> None:
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
            can_buy = np.ones(pos.size, dtype=bool)
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
                    restart = np.isin(pos, lost[~gives_up], assume_unique=True)
                    can_buy &= ~restart

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

            ready = pos[can_buy & (end[pos] == JourneyEnd.OPEN)]
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

        self._purchases(week, state, tally, alive, journey_pos[end == JourneyEnd.BOUGHT],
                        channel[end == JourneyEnd.BOUGHT], level, experience, touched, value_out)

    def _purchases(self, week: int, state: StrategyState, tally: NDArray[np.float64],
                   alive: NDArray[np.int64], pos: NDArray[np.int64], channel: NDArray[np.int64],
                   level: NDArray[np.float64], experience: NDArray[np.float32],
                   touched: NDArray[np.bool_], value_out: NDArray[np.float64]) -> None:
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
        value_out[pos] = margin - returns_cost

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
        state.purchases_by_channel[channel, person] += 1
        state.spend_by_channel[channel, person] += net.astype(np.float32)
        state.channels_bought[person] |= np.left_shift(1, channel).astype(np.uint8)
        self._bought = WeekPurchases(person=person, channel=channel, net_value=net)


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
