"""The scenario turned into arrays: channel and segment tables and the fixed traits of people.

Nothing here depends on the plan: every plan is simulated on this same world. Table fields
carry the names of the scenario fields they come from (``Channel.stock_availability`` ->
``ChannelTable.stock_availability``); units are those of the scenario (weekly rates per week,
order values in simulated currency).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import betaincinv, gammainc, gammaincinv, ndtr, ndtri

from simulation.core.random_streams import Draw, RandomStreams
from simulation.core.scenario import Capability, CapabilityLevels, ChannelKind, Plan, Scenario

NEVER = np.iinfo(np.int16).max
"""Week stamp meaning 'never happened' (also used for people never reached)."""

CHANNELS_IN_MASK = np.array([bin(mask).count("1") for mask in range(256)], dtype=np.uint8)
"""Number of channels in an 8-bit channel mask (bit c set = channel c): ``CHANNELS_IN_MASK[mask]``."""


@dataclass(frozen=True)
class ChannelTable:
    """Per-channel parameters as arrays of shape (C,)."""

    names: tuple[str, ...]
    physical: NDArray[np.bool_]
    """Whether the channel is a physical one (``Channel.kind``)."""
    conversion: NDArray[np.float64]
    order_value_multiplier: NDArray[np.float64]
    contact_frequency_weekly: NDArray[np.float64]
    contact_cost: NDArray[np.float64]
    stock_availability: NDArray[np.float64]
    return_rate: NDArray[np.float64]
    return_carriage_cost: NDArray[np.float64]
    """Carriage of a return sent back by post (currency/return)."""


@dataclass(frozen=True)
class SegmentTable:
    """Per-segment parameters as arrays of shape (G,) or (G, C)."""

    names: tuple[str, ...]
    share: NDArray[np.float64]
    channel_preference: NDArray[np.float64]
    """(G, C) channel choice probabilities, rows normalised to sum to 1."""
    switch_probability: NDArray[np.float64]
    intent_rate_weekly: NDArray[np.float64]
    order_value: NDArray[np.float64]
    order_value_dispersion: NDArray[np.float64]
    weekly_churn_hazard: NDArray[np.float64]
    conflict_sensitivity: NDArray[np.float64]
    contact_tolerance_weekly: NDArray[np.float64]


@dataclass(frozen=True)
class People:
    """Fixed traits of the N simulated people, shape (N,)."""

    segment: NDArray[np.int8]
    propensity: NDArray[np.float32]
    """Hidden multiplier of the segment's journey rate (mean 1); the marketer never sees it."""
    aware_week: NDArray[np.int16]
    """Week the person is reached by marketing (0 for existing customers, NEVER if not)."""
    existing: NDArray[np.bool_]
    favourite_channel: NDArray[np.int8]
    repeat_propensity: NDArray[np.float32] | None = None
    """Propensity once a customer (``behaviour.repeat_propensity_correlation`` below 1);
    None: ``propensity`` throughout."""
    spend_level: NDArray[np.float32] | None = None
    """Multiplier of the person's order values, mean 1 (``behaviour.spend_heterogeneity``
    above 0); None: 1 for everyone."""
    channel_breadth: NDArray[np.float32] | None = None
    """Share of the person's journeys that start in a channel chosen afresh by the segment's
    preferences (the others start in ``favourite_channel``, then the person's home channel);
    ``behaviour.channel_breadth_mean`` below 1. None: every journey chooses afresh."""


@dataclass(frozen=True)
class World:
    """Everything a run reads that does not change during it."""

    scenario: Scenario
    channels: ChannelTable
    segments: SegmentTable
    people: People
    plan_names: tuple[str, ...]
    """Names of the plans simulated in lockstep (by default the three of :class:`Plan`)."""
    levels: NDArray[np.float64]
    """(P, K) planned capability levels, in :class:`Capability` order (K capabilities)."""
    existing_capabilities: NDArray[np.float64]
    """(K,) levels already in place at week 0 (``scenario.existing_capabilities``)."""
    ramp_weeks: NDArray[np.float64]
    """(K,) ramp-up of each capability in weeks."""
    delay_weeks: int = 0
    """Weeks every capability's phase-in starts late (``implementation_risk.delay_weeks``)."""

    @property
    def n_people(self) -> int:
        """Number of simulated people (N)."""
        return int(self.people.segment.shape[0])

    def effective_levels(self, week: int) -> NDArray[np.float64]:
        """(P, K) capability levels in force in ``week``.

        From the levels in place to the plan's, phased in linearly over each capability's ramp once
        the implementation delay has passed.
        """
        since = week - self.delay_weeks
        if since < 0:
            return np.broadcast_to(self.existing_capabilities, self.levels.shape).copy()
        phase = np.where(self.ramp_weeks > 0, np.minimum(1.0, since / np.maximum(self.ramp_weeks, 1)), 1.0)
        existing = self.existing_capabilities
        return existing + (self.levels - existing) * phase


def channel_table(scenario: Scenario) -> ChannelTable:
    """The scenario's channels as arrays of shape (C,), in the scenario's order."""
    chans = scenario.channels
    return ChannelTable(
        names=tuple(c.name for c in chans),
        physical=np.array([c.kind is ChannelKind.PHYSICAL for c in chans]),
        conversion=np.array([c.conversion for c in chans]),
        order_value_multiplier=np.array([c.order_value_multiplier for c in chans]),
        contact_frequency_weekly=np.array([c.contact_frequency_weekly for c in chans]),
        contact_cost=np.array([c.contact_cost for c in chans]),
        stock_availability=np.array([c.stock_availability for c in chans]),
        return_rate=np.array([c.return_rate for c in chans]),
        return_carriage_cost=np.array([c.return_carriage_cost for c in chans]),
    )


def segment_table(scenario: Scenario) -> SegmentTable:
    """The scenario's segments as arrays of shape (G,) or (G, C); channel preferences sum to 1."""
    segs = scenario.segments
    names = [c.name for c in scenario.channels]
    pref = np.array([[s.channel_preference.get(n, 0.0) for n in names] for s in segs], dtype=float)
    pref /= pref.sum(axis=1, keepdims=True)
    return SegmentTable(
        names=tuple(s.name for s in segs),
        share=np.array([s.share for s in segs]),
        channel_preference=pref,
        switch_probability=np.array([s.switch_probability for s in segs]),
        intent_rate_weekly=np.array([s.intent_rate_weekly for s in segs]),
        order_value=np.array([s.order_value for s in segs]),
        order_value_dispersion=np.array([s.order_value_dispersion for s in segs]),
        weekly_churn_hazard=np.array([s.weekly_churn_hazard for s in segs]),
        conflict_sensitivity=np.array([s.conflict_sensitivity for s in segs]),
        contact_tolerance_weekly=np.array([s.contact_tolerance_weekly for s in segs]),
    )


def draw_people(scenario: Scenario, segments: SegmentTable, streams: RandomStreams) -> People:
    """Segments, hidden propensities, reach week and existing customers of N people.

    Propensity is gamma distributed with mean 1 and the scenario's coefficient of variation
    (``behaviour.intent_heterogeneity``); 0 makes everyone alike.
    """
    n = scenario.market.population
    segment = np.searchsorted(
        np.cumsum(segments.share), streams.generator(Draw.SEGMENT).random(n), side="right"
    ).clip(max=len(segments.share) - 1).astype(np.int8)

    cv = scenario.behaviour.intent_heterogeneity
    if cv > 0:
        shape = 1.0 / cv**2
        propensity = streams.generator(Draw.PROPENSITY).gamma(shape, 1.0 / shape, n)
    else:
        propensity = np.ones(n)

    existing = streams.generator(Draw.EXISTING).random(n) < scenario.market.existing_customer_share
    reach = scenario.market.weekly_reach_rate
    if reach > 0:
        # Week of first reach: geometric waiting time (week 0 is the first chance).
        aware = streams.generator(Draw.AWARENESS).geometric(reach, n) - 1
        aware_week = np.minimum(aware, NEVER).astype(np.int16)
    else:
        aware_week = np.full(n, NEVER, dtype=np.int16)
    aware_week[existing] = 0
    favourite = segments.channel_preference.argmax(axis=1)[segment].astype(np.int8)
    own = propensity.astype(np.float32)
    repeat, spend = customer_traits(scenario, own, streams)
    breadth, home = channel_breadth(scenario, segment, segments, own, streams)
    if home is not None:
        favourite = home
    return People(
        segment=segment,
        propensity=own,
        aware_week=aware_week,
        existing=existing,
        favourite_channel=favourite,
        repeat_propensity=repeat,
        spend_level=spend,
        channel_breadth=breadth,
    )


_EDGE = 2.0**-25
"""Keeps uniforms of 24 bits and gamma CDF values off 0 and 1 before a normal quantile."""


def customer_traits(scenario: Scenario, propensity: NDArray[np.float32], streams: RandomStreams
                    ) -> tuple[NDArray[np.float32] | None, NDArray[np.float32] | None]:
    """Each person's propensity once a customer and their spending level (:class:`People`).

    Both are tied to the acquisition propensity by Gaussian copulas: with ``z`` the normal
    score of the person's propensity (its gamma CDF value through the normal quantile), the
    repeat propensity has score ``rho z + sqrt(1 - rho^2) e1`` (``rho`` =
    ``behaviour.repeat_propensity_correlation``) and a gamma distribution of mean 1 and CV
    ``behaviour.repeat_propensity_heterogeneity``; the spending level is
    ``exp(sigma s - sigma^2 / 2)`` with ``s = kappa z_r + sqrt(1 - kappa^2) e2`` (``sigma`` =
    ``behaviour.spend_heterogeneity``, ``kappa`` = ``behaviour.spend_propensity_correlation``,
    ``z_r`` the score of the propensity that drives repeat buying), so its mean is 1. ``e1``,
    ``e2`` are normal quantiles of one uniform per person each (pure functions of seed and
    person, so a small change of a parameter moves each person a little). At the neutral
    values (``rho`` = 1, ``sigma`` = 0) nothing is drawn and None is returned.
    """
    b = scenario.behaviour
    rho, sigma, kappa = b.repeat_propensity_correlation, b.spend_heterogeneity, b.spend_propensity_correlation
    if rho >= 1.0 and sigma <= 0:
        return None, None
    person = np.arange(propensity.size)
    score = _propensity_score(b.intent_heterogeneity, propensity)
    repeat = None
    if rho < 1.0:
        fresh = _normal(streams, Draw.REPEAT_PROPENSITY, person)
        score = rho * score + np.sqrt(1.0 - rho**2) * fresh
        repeat_cv = b.repeat_propensity_heterogeneity
        if repeat_cv > 0:
            repeat_shape = 1.0 / repeat_cv**2
            repeat = (gammaincinv(repeat_shape, ndtr(score)) / repeat_shape).astype(np.float32)
        else:
            repeat = np.ones(propensity.size, dtype=np.float32)
    spend = None
    if sigma > 0:
        level = kappa * score + np.sqrt(1.0 - kappa**2) * _normal(streams, Draw.SPEND_LEVEL, person)
        spend = np.exp(sigma * level - sigma**2 / 2).astype(np.float32)
    return repeat, spend


def channel_breadth(scenario: Scenario, segment: NDArray[np.int8], segments: SegmentTable,
                    propensity: NDArray[np.float32], streams: RandomStreams
                    ) -> tuple[NDArray[np.float32] | None, NDArray[np.int8] | None]:
    """Each person's channel breadth (share 0-1) and home channel, a trait of the person.

    The breadth is Beta distributed with mean ``behaviour.channel_breadth_mean`` and a + b =
    ``behaviour.channel_breadth_concentration``, tied to the propensity to shop by a Gaussian
    copula: its normal score is ``r z + sqrt(1 - r^2) e`` (``r`` =
    ``behaviour.channel_breadth_activity_correlation``, ``z`` the propensity's normal score as in
    :func:`customer_traits`, ``e`` a fixed normal per person). The home channel is drawn once from
    the segment's preferences, so the segment's channel mix is kept on average. At the neutral
    mean of 1 nothing is drawn and (None, None) is returned.
    """
    b = scenario.behaviour
    mean, c = b.channel_breadth_mean, b.channel_breadth_concentration
    r = b.channel_breadth_activity_correlation
    if mean >= 1.0:
        return None, None
    person = np.arange(propensity.size)
    score = _propensity_score(b.intent_heterogeneity, propensity)
    score = r * score + np.sqrt(1.0 - r**2) * _normal(streams, Draw.CHANNEL_BREADTH, person)
    breadth = betaincinv(mean * c, (1.0 - mean) * c, ndtr(score)).astype(np.float32)
    cdf = np.cumsum(segments.channel_preference, axis=1)
    cdf[:, -1] = np.inf
    u = streams.uniform(Draw.HOME_CHANNEL, 0, 0, person)
    home = np.argmax(u[:, None] < cdf.take(segment, axis=0), axis=1).astype(np.int8)
    return breadth, home


def _propensity_score(cv: float, propensity: NDArray[np.float32]) -> NDArray[np.float64]:
    """The normal score of each propensity (0 for everyone when ``cv`` is 0).

    Its gamma (mean 1, CV ``cv``) CDF value through the normal quantile.
    """
    if cv <= 0:
        return np.zeros(propensity.size)
    shape = 1.0 / cv**2
    return ndtri(np.clip(gammainc(shape, shape * propensity.astype(np.float64)), _EDGE, 1 - _EDGE))  # type: ignore[no-any-return]


def _normal(streams: RandomStreams, kind: Draw, person: NDArray[np.int64]) -> NDArray[np.float64]:
    """One standard normal per person: the normal quantile of a fixed uniform."""
    u = streams.uniform(kind, 0, 0, person).astype(np.float64) + _EDGE
    return ndtri(np.clip(u, _EDGE, 1 - _EDGE))  # type: ignore[no-any-return]


def churn_hazard(world: World, segment: NDArray[np.integer], satisfaction: NDArray[np.floating],
                 purchases: NDArray[np.integer]) -> NDArray[np.float64]:
    """Weekly churn hazard from satisfaction and loyalty (the engine's formula, in float64).

    hazard = segment hazard x exp(-elasticity x (satisfaction - baseline))
             x (loyal multiplier if purchases >= loyalty threshold)
    """
    b = world.scenario.behaviour
    hazard = world.segments.weekly_churn_hazard[segment] * np.exp(
        -b.satisfaction_churn_elasticity * (satisfaction.astype(np.float64) - b.baseline_satisfaction))
    loyal = purchases >= b.loyalty_threshold_purchases
    return np.where(loyal, hazard * b.loyal_hazard_multiplier, hazard)  # type: ignore[no-any-return]


def standard_plans(scenario: Scenario) -> dict[str, CapabilityLevels]:
    """Multichannel (all 0), omnichannel (all 1) and the scenario's custom plan."""
    return {s.value: scenario.plan(s) for s in Plan}


def build_world(scenario: Scenario, streams: RandomStreams,
                plans: Mapping[str, CapabilityLevels] | None = None) -> World:
    """Everything the engine needs that does not change during a run.

    ``plans`` maps a name to capability levels; the first is the baseline that NPV gains, ROI
    and payback are measured against. Defaults to :func:`standard_plans`.
    """
    plans = dict(plans) if plans is not None else standard_plans(scenario)
    if not plans:
        raise ValueError("at least one plan is needed")
    segments = segment_table(scenario)
    levels = np.array([[plan.of(c) for c in Capability] for plan in plans.values()])
    ramps = np.array([scenario.capability_costs.of(c).ramp_weeks for c in Capability], dtype=float)
    existing = np.array([scenario.existing_capabilities.of(c) for c in Capability])
    return World(
        scenario=scenario,
        channels=channel_table(scenario),
        segments=segments,
        people=draw_people(scenario, segments, streams),
        plan_names=tuple(plans),
        levels=levels,
        existing_capabilities=existing,
        ramp_weeks=ramps,
        delay_weeks=scenario.implementation_risk.delay_weeks,
    )
