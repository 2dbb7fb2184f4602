"""The scenario: one typed, validated, immutable tree holding every parameter.

Defaults describe the ``benchmark_retailer`` preset: a mid-sized retailer with a store network,
a website, an app, social commerce and messaging. Each field states its unit, range, meaning and
source; "assumption" marks a modelling choice to be tested with the sensitivity tools rather
than a published figure. Money is in the scenario's currency; rates are per week unless named
otherwise.
"""

from __future__ import annotations

import functools
import json
import weakref
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from simulation.core import currency as fx
from simulation.core import presets
from simulation.core.capabilities import CAPABILITIES, Capability, spec
from simulation.core.parameters import (
    CurrencyCode,
    Description,
    FrozenModel,
    Name,
    ScenarioError,
    Title,
    field_bounds,
    field_info,
    param,
    problems_from,
)
from simulation.inputs import InputError, json_input
from simulation.inputs.problems import Problem, Problems, at

APP_VERSION = "0.2.0"


class Plan(StrEnum):
    """The three plans simulated in lockstep."""

    MULTICHANNEL = "multichannel"
    OMNICHANNEL = "omnichannel"
    CUSTOM = "custom"


#: The name of :class:`Plan` before 1.0, kept so code written against it keeps working.
Strategy = Plan


class ChannelKind(StrEnum):
    """Whether a channel is physical (a store) or digital."""

    PHYSICAL = "physical"
    DIGITAL = "digital"


_ASSUMPTION = "assumption (see sensitivity)"


class Channel(FrozenModel):
    """One sales or marketing channel."""

    name: Name
    kind: ChannelKind = ChannelKind.DIGITAL
    conversion: float = param(
        0.1, ge=0, le=1, unit="probability", step=0.01,
        meaning="chance that a touchpoint in this channel ends in a purchase decision",
        source="Baymard: ~70% of online carts abandoned; stores convert visits more often",
    )
    order_value_multiplier: float = param(
        1.0, gt=0, le=5, unit="x segment order value", step=0.05,
        meaning="order value in this channel relative to the segment's typical order",
        source=_ASSUMPTION,
    )
    contact_frequency_weekly: float = param(
        0.5, ge=0, le=14, unit="contacts/week", step=0.1,
        meaning="messages this channel sends each person it knows, when it runs on its own",
        source=_ASSUMPTION,
    )
    contact_cost: float = param(
        0.02, ge=0, le=50, unit="currency/contact", step=0.01,
        meaning="cost of one contact (mail, push, ad impression bundle, SMS)",
        source=_ASSUMPTION,
    )
    stock_availability: float = param(
        0.95, ge=0, le=1, unit="probability", step=0.01,
        meaning="chance the wanted item is in this channel's own stock",
        source="GMA/Gruen et al. 2002: 8.3% of items out of stock in store",
    )
    return_rate: float = param(
        0.15, ge=0, le=1, unit="share of orders", step=0.01,
        meaning="share of orders bought here that are returned",
        source="NRF/Appriss 2023: 17.6% online, 10% in store",
    )
    fulfilment_cost: float = param(
        0.0, ge=0, le=1000, unit="currency/order", step=0.5,
        meaning="cost to serve one order bought here beyond the product: picking, packing and "
        "delivery for remote orders, handling at the till for store sales (valuation only)",
        source="assumption, range 0-15: 3PL pick and pack about 1.2-1.8 EUR an order plus a "
        "parcel of about 4-6 (fastfulfill.ro public price grid 2026); store service sits in "
        "the gross margin",
    )
    return_carriage_cost: float = param(
        0.0, ge=0, le=1000, unit="currency/return", step=0.5,
        meaning="carriage of an order bought here and returned by post (a prepaid return "
        "parcel), on top of behaviour.return_processing_cost; not paid when the return is "
        "taken back in a store (service lets returns be made anywhere); 0 for stores",
        source="assumption, range 0-12: a parcel of about 4-6 (fastfulfill.ro public price "
        "grid 2026), as for the outbound order",
    )


class Segment(FrozenModel):
    """A group of people who shop alike."""

    name: Name
    share: float = param(
        0.33, ge=0, le=1, unit="share of market", step=0.01,
        meaning="share of the addressable market in this segment", source=_ASSUMPTION,
    )
    channel_preference: dict[str, float] = Field(default_factory=dict)
    switch_probability: float = param(
        0.2, ge=0, le=1, unit="probability/touchpoint", step=0.01,
        meaning="chance of moving to another channel between two touchpoints of a journey",
        source="HBR 2017: 73% of customers use several channels",
    )
    intent_rate_weekly: float = param(
        0.06, ge=0, le=1, unit="journeys/week", step=0.005,
        meaning="chance an aware person starts a shopping journey in a given week",
        source=_ASSUMPTION,
    )
    order_value: float = param(
        60.0, gt=0, le=100_000, unit="currency", step=1.0,
        meaning="median order value", source=_ASSUMPTION,
    )
    order_value_dispersion: float = param(
        0.5, ge=0, le=2, unit="lognormal sigma", step=0.05,
        meaning="spread of order values around the median", source=_ASSUMPTION,
    )
    weekly_churn_hazard: float = param(
        0.01, ge=0, le=1, unit="probability/week", step=0.001,
        meaning="chance an average-satisfied customer lapses in a given week",
        source="RJMetrics 2015: 32% of first-time buyers buy again within 12 months",
    )
    conflict_sensitivity: float = param(
        0.4, ge=0, le=1, unit="probability", step=0.05,
        meaning="chance a customer who meets conflicting prices or offers walks away",
        source="Accenture 2014: 82% expect the same price online and in store",
    )
    contact_tolerance_weekly: float = param(
        2.0, ge=0, le=20, unit="contacts/week", step=0.1,
        meaning="contacts per week above which messages annoy instead of remind",
        source="MarketingSherpa 2017: 45% of unsubscribes blame too many emails",
    )

    @field_validator("channel_preference")
    @classmethod
    def _weights_non_negative(cls, weights: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in weights.items() if not v >= 0}
        if bad:
            raise ValueError(Problem("problem.scenario.negative_weights", weights=str(bad)))
        if weights and sum(weights.values()) <= 0:
            raise ValueError(Problem("problem.scenario.no_positive_weight"))
        return weights


class Market(FrozenModel):
    """Size, horizon, money and how the market learns about the business."""

    population: int = param(
        20_000, ge=100, le=20_000_000, unit="simulated people", step=1000,
        meaning="people simulated; more is slower but tighter", source="engine sizing",
    )
    market_size: int = param(
        500_000, ge=100, le=1_000_000_000, unit="people", step=10_000,
        meaning="real addressable market that money figures are scaled to",
        source=_ASSUMPTION,
    )
    horizon_weeks: int = param(
        156, ge=8, le=520, unit="weeks", step=4,
        meaning="how long the plans are simulated",
        source=("setting; three years by default, long enough for integration to ramp up and pay "
                "back (docs/MODEL.md section 2)"),
    )
    discount_rate_annual: float = param(
        0.08, ge=0, le=0.5, unit="per year", step=0.01,
        meaning="cost of capital used to discount cash flows, applied weekly",
        source=_ASSUMPTION,
    )
    existing_customer_share: float = param(
        0.05, ge=0, le=1, unit="share of market", step=0.01,
        meaning="people who are already active customers at week 0",
        source=_ASSUMPTION,
    )
    weekly_reach_rate: float = param(
        0.02, ge=0, le=1, unit="probability/week", step=0.005,
        meaning="chance an unaware person is reached by marketing in a given week",
        source=_ASSUMPTION,
    )
    reach_cost: float = param(
        1.5, ge=0, le=1000, unit="currency/person reached", step=0.1,
        meaning="media cost of making one person aware", source=_ASSUMPTION,
    )
    prospect_dropout_weekly: float = param(
        0.01, ge=0, le=1, unit="probability/week", step=0.001,
        meaning="chance an aware person who has never bought loses interest for good",
        source=_ASSUMPTION,
    )
    currency: CurrencyCode = "USD"


class Behaviour(FrozenModel):
    """How journeys, trust, contacts and satisfaction work; shared by every plan."""

    touchpoints_per_journey: int = param(
        3, ge=1, le=8, unit="touchpoints", step=1,
        meaning="most touchpoints one shopping journey takes before it is abandoned",
        source=_ASSUMPTION,
    )
    recognised_without_identity: float = param(
        0.5, ge=0, le=1, unit="share of people", step=0.05,
        meaning="share of people the business recognises across channels without an identity "
        "programme (loyalty card, login); orchestration, context carry-over, returns anywhere "
        "and unified targeting reach a share r0 + (1 - r0) x identity of people and act only "
        "on them",
        source="assumption, range 0.2-0.8, anchored on grocery: 58% of US consumers carry a "
        "supermarket loyalty card and 82% of them use it on every trip (WSL Strategic Retail, "
        "via Chief Marketer), about 0.48 of shoppers; other sectors have no such figure",
    )
    siloed_context_kept: float = param(
        0.4, ge=0, le=1, unit="probability", step=0.05,
        meaning="chance a channel switch loses nothing even in silos (the customer knows "
        "what they want); integration raises the rest by the context level",
        source=_ASSUMPTION,
    )
    lost_context_abandon_share: float = param(
        0.5, ge=0, le=1, unit="probability", step=0.05,
        meaning="when a channel switch loses the cart and history, chance of giving up "
        "rather than starting over", source=_ASSUMPTION,
    )
    conflict_rate: float = param(
        0.25, ge=0, le=1, unit="probability", step=0.01,
        meaning="chance that a siloed channel shows a different price, promotion or message "
        "than the one the customer saw before; the same share of revenue is what "
        "harmonising offers reprices (economics.harmonisation_margin_cost)",
        source="Cavallo 2017 (AER): online and store prices of 56 multichannel retailers "
        "identical 72% of the time, so about 28% differ; plausible range 0.1-0.4",
    )
    stockout_lost_share: float = param(
        0.40, ge=0, le=1, unit="share of stock-outs", step=0.01,
        meaning="stock-outs that end the journey (buy elsewhere or not at all)",
        source="GMA/Gruen et al. 2002: 31% buy elsewhere + 9% do not buy",
    )
    network_fill_rate: float = param(
        0.80, ge=0, le=1, unit="probability", step=0.01,
        meaning="chance the rest of the network has the item and its stock record is right "
        "(what shared inventory can offer)",
        source="DeHoratius and Raman 2008: 65% of store stock records are wrong",
    )
    store_shift_share: float = param(
        0.10, ge=0, le=0.5, unit="share of online purchases", step=0.01,
        meaning="share of purchases by journeys that stayed online which, once store stock is "
        "visible online, the customer completes in a store instead (research online, buy "
        "offline), x the inventory level; the same purchase moves channel, none is added",
        source="assumption, range 0.03-0.25: Gallino and Moreno 2014 (Management Science): when "
        "a retailer made store stock verifiable online (buy online, pick up in store), online "
        "sales fell and store sales and traffic rose, a shift of online customers to the "
        "store; their effect sizes were not retrievable here, so the size is assumed",
    )
    cross_channel_return_share: float = param(
        0.30, ge=0, le=1, unit="share of returns", step=0.01,
        meaning="returns customers want to make in another channel than the one they bought in",
        source=_ASSUMPTION,
    )
    return_exchange_share: float = param(
        0.28, ge=0, le=1, unit="share of in-store returns", step=0.01,
        meaning="when service lets an online order be returned in a store, share of those "
        "returns that bring an exchange or another purchase there",
        source="assumption, range 0.1-0.4: 70% of US shoppers who returned an online order in a "
        "store bought something else, against 42% of those returning online (UPS Pulse of the "
        "Online Shopper 2014, comScore, self-reported); the default is the 28-point difference",
    )
    return_exchange_value: float = param(
        0.5, ge=0, le=2, unit="share of the returned order", step=0.05,
        meaning="value of that exchange or purchase, as a share of the returned order's value",
        source="assumption, range 0.25-1: an exchange replaces the item (about 1), another "
        "purchase is often smaller; no published figure found",
    )
    returns_policy_uplift: float = param(
        0.02, ge=0, le=0.5, unit="x conversion", step=0.005,
        meaning="rise in the chance a touchpoint ends in a purchase decision when service lets "
        "returns be made in any channel (x the service level)",
        source="assumption, range 0-0.05: Janakiraman, Syrdal and Freling 2016 (Journal of "
        "Retailing, meta-analysis of 21 papers): lenient return policies raise purchase more "
        "than returns, effort leniency raising purchase; no effect size usable directly",
    )
    return_processing_cost: float = param(
        8.0, ge=0, le=1000, unit="currency/return", step=0.5,
        meaning="handling cost of one return", source=_ASSUMPTION,
    )
    service_request_rate: float = param(
        0.05, ge=0, le=1, unit="requests/order", step=0.01,
        meaning="service requests an order brings after the purchase (where is my order, change "
        "or cancel, warranty or repair, price adjustment); 0 = no service requests",
        source="assumption, range 0.02-0.15: Gorgias's benchmark of Shopify brands counts 6.7 "
        "support tickets per 100 orders (4-7% median, 10-15% in high-defect categories), and "
        "an issue takes 1.2-1.5 contacts on average (SQM Group), so about 0.05 requests an order",
    )
    service_request_elsewhere_share: float = param(
        0.25, ge=0, le=1, unit="share of requests", step=0.01,
        meaning="service requests made in another channel than the one the order was bought in "
        "(calling or visiting the store about an online order, asking the app about a store "
        "purchase); none with a single channel",
        source="assumption, range 0.1-0.5: 20% of call-centre customers used two or more "
        "channels for one issue (SQM Group) and nearly three quarters of service journeys span "
        "two or more channels, self-service included (Gartner 2023)",
    )
    first_contact_resolution: float = param(
        0.70, ge=0, le=1, unit="share of requests", step=0.01,
        meaning="chance a service request is resolved at the first contact when the channel "
        "contacted sees the order's record (the channel it was bought in, or any channel when "
        "service shares records with a recognised customer)",
        source="SQM Group call-centre benchmarks: first call resolution 70% (67-72% across "
        "years; 80% world class); range 0.6-0.8",
    )
    unseen_first_contact_resolution: float = param(
        0.25, ge=0, le=1, unit="share of requests", step=0.01,
        meaning="chance a service request made in another channel is resolved at the first "
        "contact when that channel cannot see the order (siloed records): it can answer general "
        "questions but not find, change or refund the order",
        source="assumption, range 0.1-0.5: no study measures it; a channel without the record "
        "can still answer policy questions, and only 9% of customers resolve an issue in "
        "self-service channels, which lack the agent's tools (Gartner 2019)",
    )
    service_request_abandon_share: float = param(
        0.20, ge=0, le=1, unit="share of unresolved requests", step=0.01,
        meaning="requests not resolved at the first contact that the customer gives up on, "
        "left unresolved; the others are resolved at a second contact in a channel that sees "
        "the order",
        source="assumption, range 0.1-0.4: SQM Group counts 25% of customers calling about an "
        "unresolved issue as ready to leave; no abandonment rate is published",
    )
    repeat_contact_satisfaction_loss: float = param(
        0.04, ge=0, le=1, unit="score", step=0.01,
        meaning="satisfaction lost when a service request needs a second contact to be resolved",
        source="assumption, range 0.02-0.1, scaled on SQM Group's defection intent: 5% after a "
        "first-contact resolution, 9% after two or more contacts, 25% when unresolved (4 and 20 "
        "points above; the unresolved loss is 0.20 as other friction events)",
    )
    unresolved_request_satisfaction_loss: float = param(
        0.20, ge=0, le=1, unit="score", step=0.01,
        meaning="satisfaction lost when a service request is left unresolved (given up on after "
        "a first contact that could not resolve it)",
        source="assumption, range 0.1-0.3: as return_friction_satisfaction_loss; five times the "
        "repeat-contact loss, as SQM Group's defection intent (20 against 4 points)",
    )
    contact_cap_weekly: float = param(
        1.5, ge=0, le=14, unit="contacts/week", step=0.1,
        meaning="contacts per person per week an orchestrated contact policy allows",
        source=_ASSUMPTION,
    )
    reminder_max_uplift: float = param(
        0.6, ge=0, le=5, unit="x intent", step=0.05,
        meaning="largest rise in journey intent that reminders can cause",
        source=_ASSUMPTION,
    )
    reminder_half_saturation: float = param(
        1.0, gt=0, le=20, unit="contacts/week", step=0.1,
        meaning="contacts per week that give about 63% of the largest reminder effect",
        source=_ASSUMPTION,
    )
    unsubscribe_per_excess_contact: float = param(
        0.01, ge=0, le=1, unit="probability/contact", step=0.005,
        meaning="chance per contact above tolerance that the person unsubscribes",
        source="MarketingSherpa 2017",
    )
    churn_per_excess_contact: float = param(
        0.002, ge=0, le=0.1, unit="probability/contact/week", step=0.0005,
        meaning="weekly churn hazard added per contact above the person's tolerance",
        source=_ASSUMPTION,
    )
    intent_heterogeneity: float = param(
        1.0, ge=0, le=5, unit="coefficient of variation", step=0.1,
        meaning="spread of hidden purchase propensity between people (0 = all alike)",
        source=_ASSUMPTION,
    )
    dropout_after_purchase: float = param(
        0.0, ge=0, le=0.9, unit="probability/purchase", step=0.01,
        meaning="chance that a customer becomes inactive for good right after a purchase "
                "(BG/NBD drop-out; 0 = lapses come only from the weekly churn hazard)",
        source="Fader, Hardie & Lee 2005 (BG/NBD): CDNOW fit E[p] = a/(a+b) = 0.79/3.22 = 0.25; "
               "0 by default (the presets model lapse by the weekly hazard); fitted by calibration",
    )
    dropout_after_purchase_concentration: float = param(
        3.2, ge=0.5, le=10_000, unit="Beta a + b", step=0.1,
        meaning="how alike customers' drop-out chances are: each customer's chance is Beta "
                "distributed around dropout_after_purchase with this a + b (large = all alike)",
        source="Fader, Hardie & Lee 2005 (BG/NBD), CDNOW: a = 0.79, b = 2.43, a + b = 3.2",
    )
    repeat_propensity_correlation: float = param(
        1.0, ge=0, le=1, unit="correlation (Gaussian copula)", step=0.05,
        meaning="how closely a customer's propensity to buy again follows the propensity that "
                "brought them to their first purchase (1 = one trait, as the presets; 0 = drawn "
                "afresh at the first purchase, spread by repeat_propensity_heterogeneity)",
        source="assumption, range 0-1: 1 in the presets; buy-till-you-die models (Schmittlein, "
               "Morrison & Colombo 1987; Fader, Hardie & Lee 2005) describe repeat buying "
               "conditional on the first purchase, whatever drove it (0); fitted by calibration",
    )
    repeat_propensity_heterogeneity: float = param(
        1.0, ge=0, le=5, unit="coefficient of variation", step=0.1,
        meaning="spread of customers' propensity to buy again when it is drawn afresh at the "
                "first purchase (used only when repeat_propensity_correlation is below 1; "
                "intent_heterogeneity then spreads the propensity to make a first purchase)",
        source="Fader, Hardie & Lee 2005 (BG/NBD), CDNOW: gamma shape r = 0.24, CV 1/sqrt(r) "
               "= 2.0 (our fit of weeks 1-39: r = 0.28, CV 1.9); 1 here as intent_heterogeneity; "
               "fitted by calibration",
    )
    new_customer_intent_boost: float = param(
        0.0, ge=0, le=5, unit="x journey intent", step=0.05,
        meaning="extra shopping intent of a new customer right after their first purchase, "
                "fading with new_customer_boost_half_life (0 = none, as the presets)",
        source="assumption, range 0-5: 0 in the presets; CDNOW shows more repeat buying in the "
               "13 weeks after a first purchase than BG/NBD's steady rates give (0.49 against "
               "0.45 per customer; Fader, Hardie & Lee 2005 fit); fitted by calibration",
    )
    new_customer_boost_half_life: float = param(
        4.0, gt=0, le=52, unit="weeks", step=0.5,
        meaning="weeks after the first purchase in which new_customer_intent_boost halves",
        source="assumption, range 1-13 weeks (a welcome period of one to three months)",
    )
    satisfaction_half_life_weeks: float = param(
        52.0, ge=0, le=520, unit="weeks", step=1,
        meaning="weeks in which the gap between a person's satisfaction and baseline_satisfaction "
                "halves when nothing happens to them (0 = never drifts back)",
        source="assumption, range 13-104 weeks (a quarter to two years); Gijsenberg, van Heerde & "
               "Verhoef 2015 show service losses fading slowly, without a half-life to take over",
    )
    max_journeys_per_week: int = param(
        7, ge=1, le=7, unit="journeys/week", step=1,
        meaning="most shopping journeys one person opens in a week; a weekly intent above 1 "
                "opens that many journeys on average (1 = at most one a week)",
        source="assumption, range 1-7 (at most one a day); a cap of 1 held every weekly intent "
               "above 1 to one journey, so the most active customers were understated",
    )
    channel_breadth_mean: float = param(
        1.0, ge=0.01, le=1, unit="share of journeys", step=0.05,
        meaning="average share of a person's journeys that start in a channel chosen afresh by "
                "the segment's preferences; the others start in the person's home channel "
                "(1 = everyone chooses afresh each time)",
        source="assumption, range 0.3-1; Sopadjieva, Dholakia & Benjamin 2017 (HBR, 46,000 "
               "US shoppers over 14 months): 73% used several channels, 20% stores only, 7% "
               "online only; 1 by default: at 0.5 the benchmark's online spend premium of "
               "several-channel shoppers falls below that study's range",
    )
    channel_breadth_concentration: float = param(
        2.0, ge=0.5, le=1000, unit="Beta a + b", step=0.5,
        meaning="how alike people's channel breadth is: each person's share is Beta distributed "
                "around channel_breadth_mean with this a + b (large = all alike)",
        source="assumption, range 1-10: the survey's split into one-channel and several-channel "
               "shoppers implies a wide spread",
    )
    channel_breadth_activity_correlation: float = param(
        0.3, ge=-1, le=1, unit="correlation (Gaussian copula)", step=0.05,
        meaning="how closely a person's channel breadth follows their propensity to shop (0 = "
                "unrelated, 1 = one trait)",
        source="assumption, range 0-0.6: several-channel shoppers visit stores 23% more often "
               "(Sopadjieva, Dholakia & Benjamin 2017), a link, not one trait",
    )
    spend_heterogeneity: float = param(
        0.0, ge=0, le=2, unit="lognormal sigma", step=0.05,
        meaning="spread of customers' own spending levels: each person's order values are "
                "multiplied by a lognormal level with mean 1 and this sigma (0 = all alike)",
        source="Fader & Hardie 2013 (Gamma-Gamma spend model): average spend varies between "
               "customers around their own mean; 0 in the presets; fitted by calibration "
               "(CDNOW, weeks 1-39: between-customer CV of mean spend about 1, within 0.5)",
    )
    spend_propensity_correlation: float = param(
        0.0, ge=-1, le=1, unit="correlation (Gaussian copula)", step=0.05,
        meaning="how a customer's spending level goes with their propensity to buy again "
                "(0 = independent, as the Gamma-Gamma model assumes; above 0 = frequent "
                "buyers spend more per order)",
        source="assumption, range -1 to 1: 0 in the presets (Fader & Hardie 2013 assume "
               "independence); CDNOW weeks 1-39: first orders of customers who went on to buy "
               "10+ times average $62 against $31 for those who never came back; fitted by "
               "calibration",
    )
    loyalty_threshold_purchases: int = param(
        4, ge=2, le=100, unit="purchases", step=1,
        meaning="purchases that make a customer loyal", source=_ASSUMPTION,
    )
    loyal_hazard_multiplier: float = param(
        0.6, gt=0, le=1, unit="x churn hazard", step=0.05,
        meaning="churn hazard of loyal customers relative to others", source=_ASSUMPTION,
    )
    baseline_satisfaction: float = param(
        0.7, ge=0, le=1, unit="score 0-1", step=0.05,
        meaning="satisfaction of a customer with nothing to complain about",
        source=_ASSUMPTION,
    )
    satisfaction_smoothing: float = param(
        0.3, ge=0, le=1, unit="weight", step=0.05,
        meaning="weight of this week's experience in the running satisfaction score",
        source=_ASSUMPTION,
    )
    satisfaction_churn_elasticity: float = param(
        3.0, ge=0, le=20, unit="per satisfaction point", step=0.25,
        meaning="churn hazard is multiplied by exp(-elasticity x (satisfaction - baseline))",
        source=_ASSUMPTION,
    )
    purchase_satisfaction_gain: float = param(
        0.05, ge=0, le=1, unit="score", step=0.01,
        meaning="satisfaction gained by a smooth purchase", source=_ASSUMPTION,
    )
    conflict_satisfaction_loss: float = param(
        0.15, ge=0, le=1, unit="score", step=0.01,
        meaning="satisfaction lost on meeting conflicting prices or messages",
        source=_ASSUMPTION,
    )
    lost_context_satisfaction_loss: float = param(
        0.10, ge=0, le=1, unit="score", step=0.01,
        meaning="satisfaction lost when a channel switch loses the cart and history",
        source=_ASSUMPTION,
    )
    stockout_satisfaction_loss: float = param(
        0.10, ge=0, le=1, unit="score", step=0.01,
        meaning="satisfaction lost on a stock-out", source=_ASSUMPTION,
    )
    return_friction_satisfaction_loss: float = param(
        0.20, ge=0, le=1, unit="score", step=0.01,
        meaning="satisfaction lost when a return is refused or redirected because it was made "
        "in another channel", source=_ASSUMPTION,
    )
    overmessaging_satisfaction_loss: float = param(
        0.03, ge=0, le=1, unit="score/contact", step=0.005,
        meaning="satisfaction lost per contact above the person's tolerance in a week",
        source=_ASSUMPTION,
    )


class Economics(FrozenModel):
    """Margins and offer economics."""

    gross_margin: float = param(
        0.35, ge=0, le=1, unit="share of revenue", step=0.01,
        meaning="gross margin on net revenue", source=_ASSUMPTION,
    )
    offers_per_week_share: float = param(
        0.02, ge=0, le=1, unit="share of known people/week", step=0.005,
        meaning="weekly budget of targeted offers, as a share of the people the business knows",
        source=_ASSUMPTION,
    )
    offer_cost: float = param(
        1.0, ge=0, le=1000, unit="currency/offer", step=0.1,
        meaning="cost of one targeted offer (discount budget and delivery)",
        source=_ASSUMPTION,
    )
    offer_uplift: float = param(
        1.0, ge=0, le=20, unit="x intent", step=0.1,
        meaning="rise in the chance of a journey that week for a person who responds to offers",
        source="McKinsey 2021: personalization lifts revenue 5-25%",
    )
    offer_response_intent_elasticity: float = param(
        0.0, ge=0, le=3, unit="elasticity", step=0.1,
        meaning="how much less an offer moves people who shop often anyway: a person of "
        "propensity p gets the uplift offer_uplift x p^(-elasticity) (0 = everyone responds "
        "alike, so ranking by purchase chance is ranking by response; above 1 the offer's "
        "extra purchases fall with intent)",
        source="assumption, range 0-2: Ascarza 2018 (JMR) found the customers most at risk "
        "are not those who respond most to a retention offer; no effect size transfers",
    )
    offer_discount_share: float = param(
        0.0, ge=0, le=0.9, unit="share of order value", step=0.01,
        meaning="discount an offered person redeems on a purchase in the week of the offer, "
        "charged on every such purchase, including those that would have happened anyway "
        "(on top of offer_cost per offer sent)",
        source="assumption, range 0-0.3: typical coupon depths of 5-30% off; 0 keeps the "
        "discount inside offer_cost as before",
    )
    network_fulfilment_cost: float = param(
        3.0, ge=0, le=1000, unit="currency/order", step=0.5,
        meaning="extra cost of an order served from another location's stock (ship-from-store "
        "picking and transfer, click-and-collect handling) on top of the channel's own cost "
        "to serve (valuation only)",
        source="assumption, range 1-8: store picking is slower than a warehouse's; "
        "pick and pack 1.2-1.8 EUR plus a transfer or parcel (fastfulfill.ro 2026)",
    )
    click_collect_share: float = param(
        0.25, ge=0, le=1, unit="share of remote orders", step=0.05,
        meaning="share of remote orders customers collect in a store instead of having them "
        "delivered, once shared inventory offers it (x the plan's inventory level; valuation "
        "only); Gallino and Moreno 2014: buy-online-pick-up-in-store moved sales into stores",
        source="assumption, range 0-0.5: 68% of UK shoppers used click and collect in 2024 "
        "(helmwms.com glossary), a minority of their orders",
    )
    click_collect_cost: float = param(
        2.0, ge=0, le=1000, unit="currency/order", step=0.5,
        meaning="cost of handing over a collected order in store (instead of the channel's "
        "delivery cost; valuation only)",
        source="assumption, range 1-4: store staff time to stage and hand over a parcel",
    )
    pickup_addon_share: float = param(
        0.45, ge=0, le=1, unit="share of collected orders", step=0.05,
        meaning="share of click-and-collect orders whose pickup in a store brings an add-on "
        "purchase (valuation only)",
        source="assumption, range 0.1-0.6, anchored on self-reported surveys: 45% (2014) and 46% "
        "(2015) of US online shoppers who shipped to a store bought more at pickup (UPS Pulse of "
        "the Online Shopper, comScore, about 5,000 shoppers); 59% in Bell and Howell 2017 (530 "
        "consumers). Self-reports, and some add-ons replace a later trip, so the low end allows "
        "for little incremental buying",
    )
    pickup_addon_value: float = param(
        0.20, ge=0, le=2, unit="share of the order", step=0.05,
        meaning="value of an add-on purchase at pickup, as a share of the collected order's net "
        "value (valuation only)",
        source="assumption, range 0.1-0.3: 20% of the pickup order at one US home-improvement "
        "retailer (Adweek 2019, Adobe Analytics case; data/evidence.csv bopis_addon_per_order)",
    )
    stock_cover_weeks: float = param(
        5.6, ge=0, le=52, unit="weeks of sales", step=0.5,
        meaning="stock the stores hold, at cost, in weeks of net sales (what pooled stock's "
        "safety-stock saving is a share of; valuation only)",
        source="assumption, range 3-10: US Census Bureau retail inventories-to-sales ratio about "
        "1.3 months (5.6 weeks) in 2023-2024; grocery lower, apparel and furniture higher",
    )
    safety_stock_share: float = param(
        0.30, ge=0, le=1, unit="share of stock", step=0.05,
        meaning="share of store stock held as safety stock against uncertain demand (the part "
        "pooling can shrink; valuation only)",
        source="assumption, range 0.2-0.4: no published cross-retailer figure found",
    )
    holding_cost_yearly: float = param(
        0.25, ge=0, le=1, unit="share of stock value/year", step=0.01,
        meaning="cost of holding stock for a year (capital, space, shrink, obsolescence) as a "
        "share of its value (valuation only)",
        source="assumption, range 0.15-0.35: textbook carrying-cost rates of 20-30% a year",
    )
    pooling_realised_share: float = param(
        0.5, ge=0, le=1, unit="share", step=0.05,
        meaning="share of the square-root-law saving realised: the law assumes independent "
        "demand and instant transfers between locations; correlated demand and transfer times "
        "shrink it (valuation only)",
        source="assumption, range 0.2-1: Eppen 1979 (Management Science), the saving falls with "
        "the correlation of demand between locations; 1 = the law's upper bound",
    )
    service_contact_cost: float = param(
        8.0, ge=0, le=1000, unit="currency/contact", step=0.5,
        meaning="cost of one assisted service contact (agent or store staff time, tools); a "
        "request resolved at the first contact costs one, one resolved at a second contact two "
        "(cost to serve; valuation only)",
        source="Gartner 2019 Customer Service and Support Leader poll: live channels cost $8.01 "
        "a contact, self-service $0.10; range 3-15 (ContactBabel 2017: phone $5.25, email "
        "$4.42, chat $3.82; phone $8-15 in vendor benchmarks)",
    )
    harmonisation_margin_cost: float = param(
        0.02, ge=0, le=0.5, unit="share of revenue", step=0.005,
        meaning="gross margin given up on revenue whose offers differed across channels, when "
        "consistency harmonises prices and promotions to one (lower) offer; applied at the "
        "plan's consistency level x conflict rate (valuation only)",
        source="assumption, range 0-0.05: where online and store prices differ the gap is a "
        "few per cent (Cavallo 2017); matching the lower price gives up about half of it; "
        "Kireyev, Kumar and Ofek 2017 on self-matching",
    )
    terminal_value_share: float = param(
        0.0, ge=0, le=1, unit="share", step=0.5,
        meaning="share of the customer base's value after the horizon counted in NPV (0 = off, "
        "the default; 1 = every customer active at the horizon valued with the lifetime-CLV "
        "tail; outputs that use it say so)",
        source="setting; the tail method is docs/MODEL.md 'Lifetime value'",
    )
    retrain_every_weeks: int = param(
        13, ge=1, le=104, unit="weeks", step=1,
        meaning="how often the targeting model is retrained",
        source="setting (docs/MODEL.md section 3, step 7)",
    )


class CapabilityCost(FrozenModel):
    """What one integration capability costs at full level and how long it takes.

    Cost = fixed + per store (location) + per order or per active customer profile, each
    multiplied by the plan's level of the capability. One-off parts are spread over the project
    (implementation delay plus ramp-up); running parts are paid every week from week 0.
    """

    one_off_cost: float = param(
        250_000.0, ge=0, le=1e10, unit="currency", step=10_000,
        meaning="fixed one-off project cost at full level (licences, integration, change), "
        "spread over the delay and ramp-up",
        source=_ASSUMPTION,
    )
    one_off_per_store: float = param(
        0.0, ge=0, le=1e8, unit="currency/store", step=500,
        meaning="one-off cost per physical location at full level (devices, fitting, training)",
        source=_ASSUMPTION,
    )
    running_cost_weekly: float = param(
        2_000.0, ge=0, le=1e8, unit="currency/week", step=100,
        meaning="fixed running cost per week at full level once the project starts",
        source=_ASSUMPTION,
    )
    running_per_store_weekly: float = param(
        0.0, ge=0, le=1e6, unit="currency/store/week", step=5,
        meaning="running cost per physical location per week at full level (per-location "
        "licences such as a POS add-on, store staff time)",
        source=_ASSUMPTION,
    )
    cost_per_order: float = param(
        0.0, ge=0, le=100, unit="currency/order", step=0.01,
        meaning="running cost per order of any channel at full level (usage-priced order "
        "management, payment or routing fees)",
        source=_ASSUMPTION,
    )
    cost_per_profile_yearly: float = param(
        0.0, ge=0, le=100, unit="currency/active customer/year", step=0.01,
        meaning="running cost per active customer profile per year at full level "
        "(profile-priced customer data platforms and messaging tools)",
        source=_ASSUMPTION,
    )
    ramp_weeks: int = param(
        26, ge=0, le=260, unit="weeks", step=1,
        meaning="weeks until the capability works at full effect (linear phase-in)",
        source=_ASSUMPTION,
    )


def _default_cost(capability: Capability) -> CapabilityCost:
    """The registry's default cost of ``capability`` (simulation.core.capabilities)."""
    return CapabilityCost.model_validate(dict(spec(capability).default_cost))


class CapabilityCosts(FrozenModel):
    """Cost and ramp-up of each capability (IT, data, process change).

    One field per entry of :data:`~simulation.core.capabilities.CAPABILITIES`, written out for
    pydantic (a test checks they match); the default figures are the registry's (mid-market
    tools for a chain of about a dozen stores, sourced in data/presets/benchmark_retailer.toml).
    """

    identity: CapabilityCost = _default_cost(Capability.IDENTITY)
    context: CapabilityCost = _default_cost(Capability.CONTEXT)
    consistency: CapabilityCost = _default_cost(Capability.CONSISTENCY)
    orchestration: CapabilityCost = _default_cost(Capability.ORCHESTRATION)
    inventory: CapabilityCost = _default_cost(Capability.INVENTORY)
    service: CapabilityCost = _default_cost(Capability.SERVICE)

    def of(self, capability: Capability) -> CapabilityCost:
        """The costs of ``capability``."""
        return getattr(self, capability.value)  # type: ignore[no-any-return]


class Business(FrozenModel):
    """The size of the business the scenario describes, as its owner would state it.

    ``stores`` prices the per-location costs; revenue and orders are what the business reports
    today, and the multichannel plan's simulated figures are checked against them (a preset
    whose market size does not reproduce its stated size fails its test).
    """

    stores: int = param(
        12, ge=0, le=100_000, unit="locations", step=1,
        meaning="physical stores (locations) that per-store costs are paid for (valuation only)",
        source="stated by the business (preset)",
    )
    annual_revenue: float = param(
        10_900_000.0, ge=0, le=1e12, unit="currency/year", step=100_000,
        meaning="net revenue a year the business reports today, siloed (multichannel)",
        source="stated by the business (preset)",
    )
    orders_per_year: float = param(
        175_000.0, ge=0, le=1e10, unit="orders/year", step=1000,
        meaning="orders a year the business reports today, all channels",
        source="stated by the business (preset)",
    )


class ImplementationRisk(FrozenModel):
    """How far an integration programme overruns its budget and time.

    The point plan is on budget and on time unless set otherwise; the uncertainty analysis draws
    both from their ranges (one overrun and one delay for the whole programme).
    """

    one_off_overrun: float = param(
        0.0, ge=0, le=5, unit="share of one-off cost", step=0.05,
        meaning="extra one-off spend over the quoted cost (0.3 = 30% over budget)",
        source="Budzier and Flyvbjerg 2011: 8 in 10 IT projects miss their cost estimate by "
        "over 10%; Flyvbjerg and Gardner 2023: 18% overrun by over 50%",
    )
    overrun_low: float = param(
        0.0, ge=0, le=5, unit="share of one-off cost", step=0.05,
        meaning="low end of the overrun range the uncertainty analysis draws from",
        source="on budget",
    )
    overrun_high: float = param(
        0.6, ge=0, le=5, unit="share of one-off cost", step=0.05,
        meaning="high end of the overrun range (uniform draws; mean 30%, near the 27% "
        "average IT overrun reported by Flyvbjerg and Budzier 2011, HBR)",
        source="Flyvbjerg and Budzier 2011 (HBR, 1,471 IT projects): average overrun 27%",
    )
    delay_weeks: int = param(
        0, ge=0, le=104, unit="weeks", step=1,
        meaning="weeks every capability starts late: its effect phases in after the delay, "
        "and its one-off cost is spread over the delay and the ramp",
        source=_ASSUMPTION,
    )
    delay_low_weeks: int = param(
        0, ge=0, le=104, unit="weeks", step=1,
        meaning="low end of the delay range the uncertainty analysis draws from",
        source="on time",
    )
    delay_high_weeks: int = param(
        26, ge=0, le=104, unit="weeks", step=1,
        meaning="high end of the delay range (uniform draws)",
        source="assumption: half a year late; schedule overruns of IT projects are common "
        "(Budzier and Flyvbjerg 2011)",
    )

    @model_validator(mode="after")
    def _ordered(self) -> ImplementationRisk:
        problems: list[str] = []
        if self.overrun_low > self.overrun_high:
            problems.append(Problem("problem.scenario.overrun_order"))
        if self.delay_low_weeks > self.delay_high_weeks:
            problems.append(Problem("problem.scenario.delay_order"))
        if problems:
            raise Problems(problems)
        return self


def _level(capability: Capability) -> Any:
    return param(0.5, ge=0, le=1, unit="level 0-1", step=0.05,
                 meaning=f"integration level of the {capability.value} capability",
                 source="your choice")


class CapabilityLevels(FrozenModel):
    """Integration level of each capability, 0 = siloed, 1 = fully integrated.

    One field per entry of :data:`~simulation.core.capabilities.CAPABILITIES` (a test checks
    they match); what each capability means is display text (``capability.<key>.meaning``).
    """

    identity: float = _level(Capability.IDENTITY)
    context: float = _level(Capability.CONTEXT)
    consistency: float = _level(Capability.CONSISTENCY)
    orchestration: float = _level(Capability.ORCHESTRATION)
    inventory: float = _level(Capability.INVENTORY)
    service: float = _level(Capability.SERVICE)

    @classmethod
    def uniform(cls, level: float) -> CapabilityLevels:
        """Every capability at ``level`` (0-1)."""
        return cls(**{c.key.value: level for c in CAPABILITIES})

    def of(self, capability: Capability) -> float:
        """The level of ``capability`` (0-1)."""
        return float(getattr(self, capability.value))


def default_channels() -> tuple[Channel, ...]:
    """The default channels: store (physical), web, app, social and messaging."""
    physical = ChannelKind.PHYSICAL
    return (
        Channel(name="store", kind=physical, conversion=0.35, order_value_multiplier=1.0,
                contact_frequency_weekly=0.2, contact_cost=0.40, stock_availability=0.917,
                return_rate=0.10, fulfilment_cost=0.0),
        Channel(name="web", conversion=0.12, order_value_multiplier=1.10,
                contact_frequency_weekly=0.7, contact_cost=0.01, stock_availability=0.95,
                return_rate=0.176, fulfilment_cost=7.0, return_carriage_cost=5.0),
        Channel(name="app", conversion=0.16, order_value_multiplier=1.05,
                contact_frequency_weekly=0.8, contact_cost=0.005, stock_availability=0.95,
                return_rate=0.176, fulfilment_cost=7.0, return_carriage_cost=5.0),
        Channel(name="social", conversion=0.06, order_value_multiplier=0.85,
                contact_frequency_weekly=1.0, contact_cost=0.05, stock_availability=0.90,
                return_rate=0.176, fulfilment_cost=7.0, return_carriage_cost=5.0),
        Channel(name="messaging", conversion=0.08, order_value_multiplier=0.90,
                contact_frequency_weekly=1.0, contact_cost=0.02, stock_availability=0.95,
                return_rate=0.176, fulfilment_cost=7.0, return_carriage_cost=5.0),
    )


def default_segments() -> tuple[Segment, ...]:
    """The default segments: store-first (45%), digital-first (30%), channel hoppers (25%)."""
    return (
        Segment(name="store-first", share=0.45, switch_probability=0.10,
                channel_preference={"store": 0.75, "web": 0.10, "app": 0.05, "social": 0.05,
                                    "messaging": 0.05},
                intent_rate_weekly=0.05, order_value=60.0, weekly_churn_hazard=0.008,
                conflict_sensitivity=0.3, contact_tolerance_weekly=1.5),
        Segment(name="digital-first", share=0.30, switch_probability=0.25,
                channel_preference={"store": 0.10, "web": 0.45, "app": 0.25, "social": 0.10,
                                    "messaging": 0.10},
                intent_rate_weekly=0.06, order_value=55.0, weekly_churn_hazard=0.012,
                conflict_sensitivity=0.4, contact_tolerance_weekly=3.0),
        Segment(name="channel hoppers", share=0.25, switch_probability=0.55,
                channel_preference={"store": 0.30, "web": 0.25, "app": 0.20, "social": 0.15,
                                    "messaging": 0.10},
                intent_rate_weekly=0.08, order_value=70.0, weekly_churn_hazard=0.010,
                conflict_sensitivity=0.5, contact_tolerance_weekly=2.5),
    )


class Scenario(FrozenModel):
    """Every parameter of one what-if, validated; the input of :func:`simulation.simulate`.

    Build one with :meth:`preset`, :meth:`from_json` or the constructor; derive variants with
    :meth:`replace`. Instances are immutable and round-trip exactly through :meth:`to_json`.
    """

    name: Title = "default"
    description: Description = ""
    seed: int = param(
        20261125, ge=0, le=2**63 - 1, unit="integer", step=1,
        meaning="random seed: the same scenario and seed give the same numbers",
        source="reproducibility",
    )
    app_version: str = APP_VERSION
    market: Market = Market()
    behaviour: Behaviour = Behaviour()
    economics: Economics = Economics()
    channels: tuple[Channel, ...] = default_channels()
    segments: tuple[Segment, ...] = default_segments()
    business: Business = Business()
    capability_costs: CapabilityCosts = CapabilityCosts()
    implementation_risk: ImplementationRisk = ImplementationRisk()
    custom_plan: CapabilityLevels = CapabilityLevels()
    existing_capabilities: CapabilityLevels = CapabilityLevels.uniform(0.0)
    """Integration already in place at week 0: every plan starts from these levels, ramps from
    them to its own, and pays one-off costs only for the part above them (0 = starting from
    silos, as the standard plans assume; calibration sets them to the current state)."""

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        problems: list[str] = []
        names = [c.name for c in self.channels]
        if not 1 <= len(names) <= 8:
            problems.append(at("channels", Problem("problem.scenario.channel_count", count=len(names))))
        if len(set(names)) != len(names):
            problems.append(at("channels", Problem("problem.scenario.channel_names", names=str(names))))
        if not self.segments:
            problems.append(at("segments", Problem("problem.scenario.no_segment")))
        total = sum(s.share for s in self.segments)
        if self.segments and abs(total - 1) > 1e-6:
            problems.append(at("segments", Problem("problem.scenario.shares", total=f"{total:.4g}")))
        for i, segment in enumerate(self.segments):
            unknown = sorted(set(segment.channel_preference) - set(names))
            where = f"segments[{i}].channel_preference"
            if unknown:
                problems.append(at(where, Problem("problem.scenario.unknown_channels",
                                                  channels=str(unknown))))
            elif sum(segment.channel_preference.get(n, 0.0) for n in names) <= 0:
                problems.append(at(where, Problem("problem.scenario.no_weight")))
        problems += _money_problems(self)
        if problems:
            raise Problems(problems)
        return self

    # Construction -----------------------------------------------------------------------

    @classmethod
    def validated(cls, data: dict[str, Any]) -> Scenario:
        """Build from plain data, raising :class:`ScenarioError` listing every problem."""
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            raise ScenarioError(_split_model_problems(problems_from(error))) from None

    @classmethod
    def preset(cls, name: str) -> Scenario:
        """A scenario from ``data/presets/<name>.toml`` (see :func:`preset_names`)."""
        return _preset(name)

    @classmethod
    def from_json(cls, text: str | bytes | Path) -> Scenario:
        """A scenario from JSON text (or its bytes, in any common encoding).

        Only data: a string is never taken as a path (pass a :class:`~pathlib.Path`, or use
        :meth:`from_file`, for a file). Size and nesting are limited (:mod:`simulation.inputs`);
        every problem is reported.

        Raises
        ------
        ScenarioError
            Not JSON, too large or too deep, or an invalid scenario (each bad field named).
        """
        if isinstance(text, Path):
            return cls.from_file(text)
        try:
            if isinstance(text, bytes):
                data = json_input.json_from_bytes(text)
            else:
                data = json_input.parse_json_object(text)
        except InputError as error:
            raise ScenarioError(_as_text_hint(error.problems, text)) from None
        return cls.validated(data)

    @classmethod
    def from_file(cls, path: str | Path) -> Scenario:
        """A scenario from a JSON file (as downloaded from the app).

        Only regular files up to :data:`~simulation.inputs.problems.MAX_SCENARIO_BYTES` are read; a
        bad file raises :class:`ScenarioError` with its problems prefixed by the file name.
        """
        try:
            data = json_input.json_from_file(path)
            return cls.validated(data)
        except InputError as error:
            name = Path(path).name
            raise ScenarioError([p if p.startswith(name) else at(name, p)
                                 for p in error.problems]) from None

    def to_json(self, path: str | Path | None = None) -> str:
        """Canonical JSON (sorted keys); also written to ``path`` when given."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, indent=2)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    def canonical_key(self) -> str:
        """Compact canonical JSON: equal scenarios give equal keys (used for caching).

        Remembered per instance (scenarios are frozen): the app asks for the key of the same
        scenario dozens of times per script run, and each dump is about 0.1 ms.
        """
        key = _KEYS.get(id(self))
        if key is None:
            key = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
            _KEYS[id(self)] = key
            # Forgotten when the scenario is collected (before its id can be reused).
            weakref.finalize(self, _KEYS.pop, id(self), None)
        return key

    def to_url_token(self) -> str:
        """The scenario packed into a URL-safe string (zlib + base64)."""
        return json_input.link_token(self.canonical_key())

    @classmethod
    def from_url_token(cls, token: str) -> Scenario:
        """Inverse of :meth:`to_url_token`.

        The token carries data only, never a path; its length and inflated size are limited. A bad
        token raises :class:`ScenarioError`.
        """
        try:
            data = json_input.json_from_link(token)
        except InputError as error:
            raise ScenarioError(error.problems) from None
        return cls.validated(data)

    def replace(self, **changes: Any) -> Scenario:
        """A copy with changes; nested fields by ``__``, e.g. ``market__population=5000``.

        A dict value is merged into the nested part (``custom_plan={"identity": 1}``).
        """
        data = self.model_dump(mode="python")
        for key, value in changes.items():
            target = data
            *parents, leaf = key.split("__")
            for part in parents:
                if part not in target or not isinstance(target[part], dict):
                    raise ScenarioError([at(key.replace("__", "."), Problem("problem.scenario.unknown"))])
                target = target[part]
            if isinstance(value, FrozenModel):
                value = value.model_dump(mode="python")
            if isinstance(value, dict) and isinstance(target.get(leaf), dict):
                target[leaf] = {**target[leaf], **value}
            else:
                target[leaf] = value
        return Scenario.validated(data)

    # Derived views ----------------------------------------------------------------------

    def in_currency(self, code: str) -> Scenario:
        """The same scenario with every money parameter converted to ``code``.

        Each field declared in a currency unit is multiplied by the dated rate of
        ``data/exchange_rates.toml`` (:func:`simulation.core.currency.rate`); shares, counts and
        the seed are unchanged, so money results scale by the rate and the rest stays equal.
        No rounding: converting back gives the original values within float rounding.

        Raises
        ------
        UnknownCurrency
            ``code`` (or the scenario's own currency) has no stored rate; a :class:`ScenarioError`.
        """
        code = code.strip().upper()
        factor = fx.rate(self.market.currency, code)
        if code == self.market.currency:
            return self
        data = fx.scaled_money(self, factor)
        data["market"]["currency"] = code
        return Scenario.validated(data)

    def plan(self, which: Plan) -> CapabilityLevels:
        """Capability levels of a standard plan: all 0, all 1, or the custom plan."""
        if which is Plan.MULTICHANNEL:
            return CapabilityLevels.uniform(0.0)
        if which is Plan.OMNICHANNEL:
            return CapabilityLevels.uniform(1.0)
        return self.custom_plan

    @property
    def weekly_discount_rate(self) -> float:
        """The weekly rate equivalent to ``market.discount_rate_annual`` (share per week)."""
        return float((1 + self.market.discount_rate_annual) ** (1 / 52) - 1)

    @property
    def scale(self) -> float:
        """Real people represented by one simulated person."""
        return self.market.market_size / self.market.population


_KEYS: dict[int, str] = {}
""":meth:`Scenario.canonical_key` of live scenarios by ``id`` (an entry goes with its scenario)."""


def _money_problems(scenario: Scenario) -> list[str]:
    """Problems of the scenario's money: a currency without a rate, fields above their bound.

    Each money field's upper bound is declared in US dollars and converted to the scenario's currency
    here.
    """
    code = scenario.market.currency
    try:
        per_usd = fx.exchange_rate(code).per_usd
    except fx.UnknownCurrency as error:
        return list(error.problems)
    problems: list[str] = []
    for model, name, path in fx.money_fields(scenario):
        value = getattr(model, name)
        maximum = _money_maximum(type(model), name, per_usd)
        if maximum is None or not value > maximum:
            continue  # within its bound: the full field metadata is only needed to report it
        info = field_info(model, name, path, per_usd=per_usd)
        if info.maximum is not None and value > info.maximum:
            usd = info.maximum / per_usd
            bound = f"{info.maximum:,.6g}"
            problems.append(at(path, Problem("problem.scenario.money_above", value=value, bound=bound,
                                             currency=code) if code == "USD" else Problem(
                "problem.scenario.money_above_usd", value=value, bound=bound, currency=code,
                usd=f"{usd:,.6g}")))
    return problems


@functools.lru_cache(maxsize=1024)
def _money_maximum(model: type[BaseModel], name: str, per_usd: float) -> float | None:
    """:func:`field_info`'s ``maximum`` of money field ``name`` of ``model`` at ``per_usd``.

    The same bound, computed once per field and currency: every scenario built (several per
    slider move) checks its money fields.
    """
    return field_bounds(model.model_fields[name], per_usd=per_usd)[1]


def _as_text_hint(problems: list[str], text: str | bytes) -> list[str]:
    """Point a caller who passed a path where JSON text is expected to :meth:`Scenario.from_file`."""
    stripped = text.strip() if isinstance(text, str) else ""
    if stripped and not stripped.startswith(("{", "[", "\ufeff")) and len(stripped) < 4096:
        return [*problems, Problem("problem.scenario.from_file_hint")]
    return problems


def _split_model_problems(problems: list[str]) -> list[str]:
    """Model-level checks join their findings with '; ': give each its own line."""
    out: list[str] = []
    for problem in problems:
        if isinstance(problem, Problem) and problem.key == "problem.at" and problem.fields[
                "where"] == "scenario" and isinstance(problem.fields["why"], Problem):
            out.append(problem.fields["why"])
            continue
        head, _, rest = problem.partition(": ")
        if head == "scenario" and "; " in rest:
            out.extend(part for part in rest.split("; "))
        else:
            out.append(problem if head != "scenario" else rest)
    return out


@functools.lru_cache(maxsize=32)
def _preset(name: str) -> Scenario:
    """The default scenario with preset ``name`` laid over it, validated.

    A preset in another currency than USD is laid over the default converted to that currency.
    Read once per process (cached): scenarios are immutable and the shipped files do not change
    while the app runs.
    """
    overlay = presets.preset_data(name)
    code = overlay.get("market", {}).get("currency", "USD")
    # A preset in a local currency states its money from local prices; a money field it leaves
    # out falls back to the default converted at the stored rate, never to the dollar figure
    # relabelled (the preset's comments say which fields those are).
    base = Scenario() if code == "USD" else Scenario().in_currency(str(code))
    data = presets.deep_merge(base.model_dump(mode="python"), overlay)
    data.setdefault("name", name)
    return Scenario.validated(data)
