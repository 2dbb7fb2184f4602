"""A deliberately plain, one-person-at-a-time version of the weekly loop.

It reads the same world and the same random draws as :mod:`simulation.core.engine` but advances each
person with scalar Python, in the order docs/MODEL.md describes. The vectorized engine must agree
with it person by person (tests/simulation/core/test_reference_model.py), and the journey walk
(:func:`simulation.core.journey.walk_journeys`) journey by journey with :func:`_journey`
(tests/simulation/core/test_journey.py). Targeted offers are not
modelled here: use it with ``economics.offers_per_week_share = 0``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import betaincinv

from simulation.core.engine import dropout_step
from simulation.core.random_streams import Draw, RandomStreams, normal_from_uniforms
from simulation.core.scenario import Capability, Scenario
from simulation.core.world import World, build_world

CAP = {c: i for i, c in enumerate(Capability)}


@dataclass
class Person:
    customer_since: int = -1
    lapse_week: int = -1
    purchases: int = 0
    channels_used: int = 0
    channels_bought: int = 0
    subscribed: bool = True
    satisfaction: np.float32 = field(default_factory=np.float32)
    hazard: np.float32 = field(default_factory=np.float32)
    purchases_by_channel: list[int] = field(default_factory=list)
    orders_discounted: list[float] = field(default_factory=list)
    """Orders by channel, each weighted by its week's discount factor (cost to serve)."""
    network_discounted: float = 0.0
    """Orders served from another location's stock, discounted the same way."""
    remote_revenue_discounted: float = 0.0
    """Net revenue of digital-channel orders, discounted (what pickup add-ons are a share of)."""
    revenue_discounted: float = 0.0
    """Net revenue, exchanges at in-store returns included, discounted to week 0."""
    service_contacts_discounted: float = 0.0
    """Service contacts (first and repeat) of the person's requests, discounted to week 0."""


def _draw(streams: RandomStreams, kind: Draw, week: int, step: int, person: int) -> float:
    return float(streams.uniform(kind, week, step, np.array([person]))[0])


def recognised(world: World, streams: RandomStreams, person: int, level: np.ndarray) -> bool:
    """Identity as the gate: recognised across channels while the person's fixed draw is below
    r0 + (1 - r0) x identity (1 at identity 1)."""
    identity = float(level[CAP[Capability.IDENTITY]])
    r0 = world.scenario.behaviour.recognised_without_identity
    share = 1.0 if identity >= 1.0 else r0 + (1.0 - r0) * identity
    return _draw(streams, Draw.MODEL, 0, 3, person) < share


def _hazard(world: World, person: int, p: Person) -> np.float32:
    b = world.scenario.behaviour
    gap = p.satisfaction - np.float32(b.baseline_satisfaction)
    segment = world.people.segment[person]
    hazard = np.float32(world.segments.weekly_churn_hazard[segment]) * np.exp(
        np.float32(-b.satisfaction_churn_elasticity) * gap)
    if p.purchases >= b.loyalty_threshold_purchases:
        hazard *= np.float32(b.loyal_hazard_multiplier)
    return np.float32(hazard)


def run_reference(scenario: Scenario) -> tuple[World, list[list[Person]]]:
    """People of every standard plan after the horizon, advanced one at a time."""
    streams = RandomStreams(scenario.seed)
    world = build_world(scenario, streams)
    b, channels, segments = scenario.behaviour, world.channels, world.segments
    n, n_channels = world.n_people, len(channels.names)
    plans: list[list[Person]] = []
    for _ in world.plan_names:
        people = []
        for i in range(n):
            p = Person(satisfaction=np.float32(b.baseline_satisfaction),
                       purchases_by_channel=[0] * n_channels, orders_discounted=[0.0] * n_channels)
            if world.people.existing[i]:
                p.customer_since, p.purchases = 0, 1
                p.channels_used = 1 << int(world.people.favourite_channel[i])
            p.hazard = np.float32(segments.weekly_churn_hazard[world.people.segment[i]])
            people.append(p)
        plans.append(people)
    gen_open, gen_churn, gen_conflict, gen_unsub = (
        streams.generator(k)
        for k in (Draw.OPEN_JOURNEY, Draw.CHURN, Draw.CONTACT_CONFLICT, Draw.UNSUBSCRIBE))
    pref_cdf = np.cumsum(segments.channel_preference, axis=1)
    for week in range(scenario.market.horizon_weeks):
        u_open = gen_open.random(n, dtype=np.float32)
        u_churn = gen_churn.random(n, dtype=np.float32)
        u_conflict = gen_conflict.random(n, dtype=np.float32)
        u_unsub = gen_unsub.random(n, dtype=np.float32)
        levels = world.effective_levels(week)
        for s, people in enumerate(plans):
            level = levels[s]
            for i, p in enumerate(people):
                if world.people.aware_week[i] > week or p.lapse_week >= 0:
                    p.satisfaction = _drift(b, p.satisfaction)  # everyone's drifts, alive or not
                    continue
                _person_week(world, streams, week, i, p, level, pref_cdf,
                             float(u_open[i]), u_churn[i], float(u_conflict[i]), u_unsub[i])
    return world, plans


def _drift(b, satisfaction: np.float32) -> np.float32:
    """One week of drift back to baseline at ``b.satisfaction_half_life_weeks`` (0 = none)."""
    if b.satisfaction_half_life_weeks <= 0:
        return satisfaction
    base = np.float32(b.baseline_satisfaction)
    keep = np.float32(0.5 ** (1.0 / b.satisfaction_half_life_weeks))
    return np.float32(np.float32(np.float32(satisfaction - base) * keep) + base)


def _journey_count(b, intent: np.float32, u_open: float) -> int:
    """How many journeys an intent of ``intent`` opens (0 if none): its whole part, and one more
    if the draw is below the fraction, at most ``b.max_journeys_per_week``."""
    if not u_open < intent:
        return 0
    if b.max_journeys_per_week == 1:
        return 1
    whole = np.floor(intent)
    more = np.float32(u_open) < np.float32(intent - whole)
    return max(1, min(b.max_journeys_per_week, int(whole) + int(more)))


def _person_week(world: World, streams: RandomStreams, week: int, i: int, p: Person,
                 level: np.ndarray, pref_cdf: np.ndarray, u_open: float, u_churn: np.float32,
                 u_conflict: float, u_unsub: np.float32) -> None:
    scenario = world.scenario
    b, channels, segments = scenario.behaviour, world.channels, world.segments
    seg = int(world.people.segment[i])
    n_channels = len(channels.names)
    experience = np.float32(0.0)
    touched = False

    # Contacts: every channel that knows the person messages them; orchestration caps them for
    # a person recognised across channels.
    mask = p.channels_used if p.subscribed else 0
    known = [c for c in range(n_channels) if mask >> c & 1]
    siloed = float(sum(channels.contact_frequency_weekly[c] for c in known))
    o = level[CAP[Capability.ORCHESTRATION]] * recognised(world, streams, i, level)
    contacts = siloed - o * (siloed - min(siloed, b.contact_cap_weekly))
    excess = max(contacts - segments.contact_tolerance_weekly[seg], 0.0)
    if excess > 0:
        experience = np.float32(np.float64(experience) - b.overmessaging_satisfaction_loss * excess)
        touched = True
        if u_unsub < b.unsubscribe_per_excess_contact * excess:
            p.subscribed = False
    conflict_chance = b.conflict_rate * (1 - level[CAP[Capability.CONSISTENCY]])
    if conflict_chance > 0 and len(known) >= 2 and contacts > 0 and u_conflict < conflict_chance:
        experience = np.float32(experience - b.conflict_satisfaction_loss)
        touched = True

    reminder = 1.0 - b.reminder_max_uplift * np.expm1(-contacts / b.reminder_half_saturation)
    people = world.people
    own = (people.repeat_propensity if people.repeat_propensity is not None and p.customer_since >= 0
           else people.propensity)
    intent = np.float32(segments.intent_rate_weekly[seg] * reminder) * own[i]
    if b.new_customer_intent_boost > 0 and p.customer_since >= 0 and not world.people.existing[i]:
        boost = b.new_customer_intent_boost * np.exp2(-np.float32(week - p.customer_since)
                                                      / b.new_customer_boost_half_life)
        intent = intent * np.float32(1.0 + boost)
    for j in range(_journey_count(b, intent, u_open)):
        if p.lapse_week >= 0:
            break  # dropped out after this week's earlier purchase
        bought_channel, experience, touched, from_network, basket = _journey(
            world, streams, week, i, p, level, pref_cdf, experience, touched, j)
        if bought_channel < 0:
            continue
        repeat = p.customer_since >= 0  # BG/NBD: drop-out follows repeat purchases only
        experience, touched, exchange = _purchase(world, streams, week, i, p, level, bought_channel,
                                                  experience, j, basket)
        experience, contacts = _service_request(world, streams, week, i, level, experience, j)
        discount = 1.0 / (1.0 + scenario.weekly_discount_rate) ** week
        p.service_contacts_discounted += discount * contacts
        net = _net_order_value(world, streams, week, i, bought_channel, j, basket)
        p.revenue_discounted += discount * (net + exchange)
        p.orders_discounted[bought_channel] += discount
        p.network_discounted += discount * from_network
        if not channels.physical[bought_channel]:
            p.remote_revenue_discounted += discount * net
        mean, c = b.dropout_after_purchase, b.dropout_after_purchase_concentration
        if mean > 0 and repeat:
            own = betaincinv(mean * c, (1 - mean) * c, _draw(streams, Draw.PURCHASE_DROPOUT, 0, 1, i))
            if _draw(streams, Draw.PURCHASE_DROPOUT, week, dropout_step(j), i) < own:
                p.lapse_week = week  # inactive for good; the week's churn step no longer applies
    p.satisfaction = _drift(b, p.satisfaction)
    if b.satisfaction_half_life_weeks > 0:
        p.hazard = _hazard(world, i, p)
    if touched:
        target = b.baseline_satisfaction + experience
        target = min(max(target, np.float32(0.0)), np.float32(1.0))
        p.satisfaction = p.satisfaction + b.satisfaction_smoothing * (target - p.satisfaction)
        p.hazard = _hazard(world, i, p)
    if p.lapse_week >= 0:
        return
    if p.customer_since >= 0:
        extra = b.churn_per_excess_contact * excess
        if u_churn < p.hazard or (excess > 0 and u_churn < p.hazard + extra):
            p.lapse_week = week
    elif u_churn < scenario.market.prospect_dropout_weekly:
        p.lapse_week = week


def _journey(world: World, streams: RandomStreams, week: int, i: int, p: Person,
             level: np.ndarray, pref_cdf: np.ndarray, experience: np.float32,
             touched: bool, repeat: int = 0) -> tuple[int, np.float32, bool, bool, int]:
    b, channels, segments = world.scenario.behaviour, world.channels, world.segments
    seg = int(world.people.segment[i])
    n_channels = len(channels.names)
    step = repeat * b.touchpoints_per_journey  # the journey's first touchpoint draw

    def draw(kind: Draw, week: int, k: int, i: int) -> float:
        return _draw(streams, kind, week, step + k, i)

    u = np.float32(_draw(streams, Draw.START_CHANNEL, week, repeat, i))
    breadth = world.people.channel_breadth
    if breadth is not None:
        u = np.float32(u / breadth[i])  # below 1: choose afresh; otherwise the home channel
    if breadth is not None and u >= 1.0:
        channel = int(world.people.favourite_channel[i])
    else:
        channel = int((float(u) >= pref_cdf[seg, :-1]).sum())
    used = 1 << channel
    kept = b.siloed_context_kept
    context = level[CAP[Capability.CONTEXT]] * recognised(world, streams, i, level)
    keep_context = kept + (1.0 - kept) * context
    conflict_chance = b.conflict_rate * (1 - level[CAP[Capability.CONSISTENCY]])
    pooled = level[CAP[Capability.INVENTORY]] * b.network_fill_rate
    outcome, from_network = -1, False
    for k in range(b.touchpoints_per_journey):
        restarting = False
        switching = k > 0 and n_channels > 1
        if switching and draw(Draw.SWITCH, week, k, i) < segments.switch_probability[seg]:
            weights = segments.channel_preference[seg].copy()
            weights[channel] = 0.0
            if weights.sum() > 0:
                cdf = np.cumsum(weights) / weights.sum()
                channel = int((draw(Draw.NEXT_CHANNEL, week, k, i) >= cdf[:-1]).sum())
                used |= 1 << channel
                if draw(Draw.KEEP_CONTEXT, week, k, i) >= keep_context:
                    experience = np.float32(experience - b.lost_context_satisfaction_loss)
                    touched = True
                    if draw(Draw.RESTART, week, k, i) < b.lost_context_abandon_share:
                        break
                    restarting = True
                if draw(Draw.CONFLICT, week, k, i) < conflict_chance:
                    experience = np.float32(experience - b.conflict_satisfaction_loss)
                    touched = True
                    walk = draw(Draw.CONFLICT_WALKAWAY, week, k, i)
                    if walk < segments.conflict_sensitivity[seg]:
                        break
        if restarting:
            continue
        service = level[CAP[Capability.SERVICE]] * recognised(world, streams, i, level)
        policy = 1.0 + (b.returns_policy_uplift if n_channels > 1 else 0.0) * service
        if draw(Draw.BUY, week, k, i) < channels.conversion[channel] * policy:
            own = channels.stock_availability[channel]
            in_stock = draw(Draw.IN_STOCK, week, k, i)
            if in_stock < own + (1.0 - own) * pooled:
                outcome, from_network = channel, in_stock >= own  # served from another location
                break
            experience = np.float32(experience - b.stockout_satisfaction_loss)
            touched = True
            if draw(Draw.STOCKOUT_LOST, week, k, i) < b.stockout_lost_share:
                break
    # Research online, buy offline: a purchase by a journey that touched no store may move to
    # one (served from its shelf), keeping the basket of the online channel it was chosen in.
    researched = outcome
    physical = channels.physical
    chance = b.store_shift_share * level[CAP[Capability.INVENTORY]]
    stores_used = any(used >> c & 1 and physical[c] for c in range(n_channels))
    if outcome >= 0 and physical.any() and chance > 0 and not stores_used:
        u = float(_draw(streams, Draw.STORE_SHIFT, week, repeat, i))
        if u < chance:
            weights = np.where(physical, segments.channel_preference[seg], 0.0)
            if weights.sum() == 0:
                weights = physical.astype(float)
            cdf = np.cumsum(weights) / weights.sum()
            outcome = int((u / chance >= cdf[:-1]).sum())
            used |= 1 << outcome
            from_network = False
    p.channels_used |= used
    return outcome, experience, touched, from_network, researched


def _order_value(world: World, streams: RandomStreams, week: int, i: int, basket: int,
                 repeat: int = 0) -> float:
    """The order's lognormal value (the engine's arithmetic, one person; journey ``repeat`` of the week).

    ``basket``: the channel the order was chosen in (its order value multiplier).
    """
    segments, channels = world.segments, world.channels
    seg = world.people.segment[i]
    u = [np.array([_draw(streams, Draw.ORDER_VALUE, week, 2 * repeat + k, i)], dtype=np.float32)
         for k in (0, 1)]
    z = normal_from_uniforms(u[0], u[1])
    order = (segments.order_value[[seg]] * channels.order_value_multiplier[[basket]]
             * np.exp(segments.order_value_dispersion[[seg]] * z))
    if world.people.spend_level is not None:
        order = order * world.people.spend_level[[i]]
    return float(order[0])


def _net_order_value(world: World, streams: RandomStreams, week: int, i: int, channel: int,
                     repeat: int = 0, basket: int | None = None) -> float:
    """The order's value, 0 if it is returned (at the rate of ``channel``, where it was bought)."""
    returned = _draw(streams, Draw.RETURN, week, repeat, i) < world.channels.return_rate[channel]
    basket = channel if basket is None else basket
    return 0.0 if returned else _order_value(world, streams, week, i, basket, repeat)


def _service_request(world: World, streams: RandomStreams, week: int, i: int, level: np.ndarray,
                     experience: np.float32, repeat: int = 0) -> tuple[np.float32, int]:
    """A purchase's service request, if any: (experience after it, contacts it took).

    Made in another channel with ``service_request_elsewhere_share`` (never with one channel);
    there the order's record is seen with chance service x recognised. Resolved at the first
    contact with ``first_contact_resolution`` where seen, ``unseen_first_contact_resolution``
    where not; otherwise given up with ``service_request_abandon_share`` (one contact, the
    unresolved loss) or resolved at a second contact (the repeat-contact loss).
    """
    b = world.scenario.behaviour
    rate = b.service_request_rate
    if rate <= 0 or _draw(streams, Draw.SERVICE_REQUEST, week, repeat, i) >= rate:
        return experience, 0
    elsewhere = (len(world.channels.names) > 1 and _draw(streams, Draw.SERVICE_ELSEWHERE, week, repeat, i)
                 < b.service_request_elsewhere_share)
    shared = level[CAP[Capability.SERVICE]] * recognised(world, streams, i, level)
    unseen = elsewhere and _draw(streams, Draw.SERVICE_RECORD_SEEN, week, repeat, i) >= shared
    chance = b.unseen_first_contact_resolution if unseen else b.first_contact_resolution
    if _draw(streams, Draw.SERVICE_RESOLVED, week, repeat, i) < chance:
        return experience, 1
    if _draw(streams, Draw.SERVICE_ABANDON, week, repeat, i) < b.service_request_abandon_share:
        return np.float32(np.float64(experience) - b.unresolved_request_satisfaction_loss), 1
    return np.float32(np.float64(experience) - b.repeat_contact_satisfaction_loss), 2


def _purchase(world: World, streams: RandomStreams, week: int, i: int, p: Person,
              level: np.ndarray, channel: int, experience: np.float32,
              repeat: int = 0, basket: int | None = None) -> tuple[np.float32, bool, float]:
    b, channels = world.scenario.behaviour, world.channels
    returned = _draw(streams, Draw.RETURN, week, repeat, i) < channels.return_rate[channel]
    elsewhere = returned and (_draw(streams, Draw.RETURN_ELSEWHERE, week, repeat, i)
                              < b.cross_channel_return_share)
    service = level[CAP[Capability.SERVICE]] * recognised(world, streams, i, level)
    friction = elsewhere and _draw(streams, Draw.RETURN_FRICTION, week, repeat, i) >= service
    # An online order returned in a store (no friction) may bring an exchange there.
    exchange = 0.0
    in_store = elsewhere and not friction and channels.physical.any() and not channels.physical[channel]
    if in_store and _draw(streams, Draw.RETURN_EXCHANGE, week, repeat, i) < b.return_exchange_share:
        basket = channel if basket is None else basket
        exchange = _order_value(world, streams, week, i, basket, repeat) * b.return_exchange_value
    experience = np.float32(experience + b.purchase_satisfaction_gain)
    experience = np.float32(np.float64(experience) - b.return_friction_satisfaction_loss * float(friction))
    if p.customer_since < 0:
        p.customer_since = week
    p.purchases += 1
    p.purchases_by_channel[channel] += 1
    p.channels_bought |= 1 << channel
    return experience, True, exchange
