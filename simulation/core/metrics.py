"""Pure functions from a finished run to tidy pandas frames.

Counts and money are scaled from the simulated population to the real market
(``scenario.scale`` real people per simulated person) unless a column says ``per customer``.
CLV is per customer and not scaled. Money is in the scenario's currency.

Lifetime value (docs/MODEL.md "Lifetime value"): ``clv`` is the expected discounted
contribution over each customer's remaining lifetime, from the acquisition week: what they
contributed within the horizon (``clv_horizon``) plus, for customers still active at the
horizon, a geometric tail: their weekly contribution rate and their churn hazard at the horizon
carried forward for ever, ``rate / (1 - (1 - hazard) / (1 + d))`` discounted back from the
horizon. The rate is the customer's own repeat contribution per discounted week as a customer,
credibility-weighted towards the pooled rate of their segment in the plan
(:data:`CREDIBILITY_WEEKS`); the tail is summed over at most :data:`TAIL_WEEKS`. In the
closed-form limit (constant purchase chance p, value m, margin g, hazard h) this is the
infinite series ``p m g (1 + d) / (d + h)`` (to the ten-year cap).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from simulation.core.blocks import add_bincount, blocks
from simulation.core.capabilities import MECHANISMS, Capability
from simulation.core.kpis import KPI_COLUMNS
from simulation.core.state import PlanState, RunOutput
from simulation.core.tallies import JOURNEY_LOSSES, LOSS_PREFIX, JourneyEnd, LossCause, Tally
from simulation.core.valuation import integration_cost_schedule, stock_saving_schedule
from simulation.core.world import CHANNELS_IN_MASK, NEVER, churn_hazard

FLOW_LOSSES = {
    int(code): f"{LOSS_PREFIX}{cause.value}" for code, cause, _count, _value in JOURNEY_LOSSES
}
"""Journey end code -> the flows frame's ``destination`` key of that loss (``lost:stock_out``)."""

CREDIBILITY_WEEKS = 26.0
"""Weight, in discounted weeks as a customer, of the segment's pooled contribution rate in a
customer's own rate for the lifetime-CLV tail (a customer with 26 weeks of history counts half
their own rate and half their segment's)."""

TAIL_WEEKS = 520
"""The lifetime tail is summed over at most ten years past the horizon: finite even for a
customer who never churns at a zero discount rate, and within 0.01% of the infinite series for
any weekly hazard above 0.02 at the default 8% a year."""

_CONSISTENCY = list(Capability).index(Capability.CONSISTENCY)
_INVENTORY = list(Capability).index(Capability.INVENTORY)


def _plan_index(run: RunOutput) -> pd.Index:
    return pd.Index(list(run.world.plan_names), name="strategy")


def plan_margin(run: RunOutput, s: int) -> float:
    """Gross margin of plan ``s`` after harmonising prices (share of revenue).

    The scenario's gross margin minus consistency level x conflict rate x margin cost of
    harmonisation. Offers differ between siloed channels on the ``conflict_rate`` share of
    occasions; a plan that aligns them (``consistency``) gives up margin on that share, from week
    0 (a pricing decision needs no ramp-up; the conflicts it removes phase in with the
    capability). A single channel has no other channel's offer to differ from, so nothing to
    harmonise.
    """
    scenario = run.world.scenario
    if len(scenario.channels) < 2:
        return scenario.economics.gross_margin
    level = float(run.world.levels[s, _CONSISTENCY])
    return scenario.economics.gross_margin - level * scenario.behaviour.conflict_rate * (
        scenario.economics.harmonisation_margin_cost)


def serve_cost_per_order(run: RunOutput, s: int) -> NDArray[np.float64]:
    """(C,) cost to serve an order in each channel under plan ``s``.

    A remote (digital) order is picked and delivered at its channel's ``fulfilment_cost``,
    except the share a plan with shared inventory has collected in a store instead
    (``economics.click_collect_share`` x the plan's inventory level), which costs
    ``economics.click_collect_cost`` to hand over. Like harmonised prices, it applies at the
    plan's level from week 0.
    """
    scenario = run.world.scenario
    economics = scenario.economics
    cost = np.array([c.fulfilment_cost for c in scenario.channels])
    remote = np.array([c.kind.value == "digital" for c in scenario.channels])
    if not any(c.kind.value == "physical" for c in scenario.channels):
        return cost  # no store to collect from
    collected = economics.click_collect_share * float(run.world.levels[s, _INVENTORY])
    return np.where(remote, cost * (1 - collected) + economics.click_collect_cost * collected, cost)


def pickup_addon_factor(run: RunOutput, s: int) -> float:
    """Add-on sales at click-and-collect pickups under plan ``s``, per unit of digital net revenue.

    A plan with shared inventory has ``economics.click_collect_share`` x its inventory level of
    remote orders collected in a store (as :func:`serve_cost_per_order` prices them); a share
    ``economics.pickup_addon_share`` of pickups brings an add-on purchase worth
    ``economics.pickup_addon_value`` x the order. The expected add-on is valued here, after the
    run, because nothing a simulated person does depends on it (no satisfaction, purchase count
    or return follows from it). 0 without a store to collect from.
    """
    scenario = run.world.scenario
    if not any(c.kind.value == "physical" for c in scenario.channels):
        return 0.0
    e = scenario.economics
    return (e.click_collect_share * float(run.world.levels[s, _INVENTORY])
            * e.pickup_addon_share * e.pickup_addon_value)


def serve_costs_of(run: RunOutput, s: int, who: NDArray[np.int64]) -> NDArray[np.float64]:
    """(len(who),) cost to serve of people ``who`` under plan ``s``, discounted to week 0.

    Channel fulfilment + network fulfilment + service contacts
    (``economics.service_contact_cost`` each).
    """
    scenario = run.world.scenario
    state = run.states[s]
    per_order = serve_cost_per_order(run, s).astype(np.float32)
    records = state.records
    cost = (per_order @ records.select("orders_discounted", who)).astype(np.float64)
    cost = cost + scenario.economics.network_fulfilment_cost * records.select("network_discounted", who)
    contact_cost = scenario.economics.service_contact_cost
    if contact_cost > 0:
        cost = cost + contact_cost * records.select("service_contacts_discounted", who).astype(np.float64)
    return cost  # type: ignore[no-any-return]


def serve_costs(run: RunOutput, s: int) -> NDArray[np.float64]:
    """(N,) cost to serve each person's orders under plan ``s``.

    Channel fulfilment + network fulfilment + service contacts, discounted to week 0, simulated
    currency.
    """
    out = np.empty(run.world.n_people)
    for block in blocks(out.size):
        out[block] = serve_costs_of(run, s, np.arange(block.start, block.stop))
    return out


@dataclass(frozen=True)
class CustomerValues:
    """Per-customer values of one plan (arrays over the plan's customers, ``who``)."""

    who: NDArray[np.int64]
    """Indices of the people who are customers."""
    horizon: NDArray[np.float64]
    """Value within the horizon, at the acquisition week."""
    tail: NDArray[np.float64]
    """Expected value after the horizon, at the acquisition week (0 for lapsed customers)."""
    terminal: float
    """Sum of the tails discounted to week 0 (simulated people, not scaled)."""

    def per_person(self, n: int, values: NDArray[np.float64]) -> NDArray[np.float64]:
        """``values`` (one per customer, in ``who`` order) spread over ``n`` people, NaN for non-customers."""
        out = np.full(n, np.nan)
        out[self.who] = values
        return out


def customer_values(run: RunOutput, s: int) -> CustomerValues:
    """Value within the horizon and the lifetime tail of plan ``s``'s customers.

    Within the horizon: margin after harmonised prices x revenue - contact, offer and return
    costs - cost to serve, accumulated discounted to week 0 by the engine and re-based to the
    acquisition week by ``(1 + d) ** customer_since``. The tail (module docstring): the
    customer's repeat contribution per discounted week, credibility-weighted with the segment's
    pooled rate, carried forward with their churn hazard at the horizon.

    Computed a block of customers at a time (:mod:`simulation.core.blocks`): the same numbers as
    over every customer at once, with few temporaries over all customers.
    """
    state, world = run.states[s], run.world
    scenario = world.scenario
    horizon = scenario.market.horizon_weeks
    d = scenario.weekly_discount_rate
    v = 1.0 / (1.0 + d)
    who = np.flatnonzero(state.customer_since >= 0)
    margin = plan_margin(run, s)
    addon = pickup_addon_factor(run, s)
    records = state.records
    n_seg = len(world.segments.names)
    value, repeat, exposure = np.empty(who.size), np.empty(who.size), np.empty(who.size)
    pooled_value, pooled_weeks = np.zeros(n_seg), np.zeros(n_seg)
    for block in blocks(who.size):
        people = who[block]
        since = state.customer_since[people].astype(np.float64)
        rebase = (1.0 + d) ** since
        revenue = (records.select("revenue_discounted", people).astype(np.float64) + addon
                   * records.select("remote_revenue_discounted", people).astype(np.float64)) * rebase
        serve = serve_costs_of(run, s, people) * rebase
        costs = state.cost_discounted[people].astype(np.float64) * rebase
        value[block] = margin * revenue - costs - serve
        # Repeat contribution: a new customer's first week holds the purchase that made them
        # one, so their repeat share of revenue is (n - 1) / n of n purchases; existing
        # customers had no forced purchase. Exposure: discounted weeks as a customer after that
        # first week.
        existing = world.people.existing[people]
        bought = state.purchases[people].astype(np.float64) - existing
        repeat_share = np.where(existing, 1.0, np.divide(bought - 1, bought, out=np.zeros_like(bought),
                                                         where=bought > 0))
        repeat[block] = repeat_share * (margin * revenue - serve) - costs
        lapse = state.lapse_week[people]
        weeks = np.maximum(np.where(lapse >= 0, lapse + 1, horizon) - since, 0.0)
        first = np.where(existing, 0.0, 1.0)
        exposure[block] = ((v**first - v**weeks) / (1.0 - v) if v < 1.0 else weeks - first).clip(min=0.0)
        segment = world.people.segment[people]
        add_bincount(pooled_value, segment, repeat[block])
        add_bincount(pooled_weeks, segment, exposure[block])
    pooled = np.divide(pooled_value, pooled_weeks, out=np.zeros(n_seg), where=pooled_weeks > 0)
    k = CREDIBILITY_WEEKS
    tail = np.empty(who.size)
    at_week0 = repeat  # each block of repeat is read before the block's discounted tail replaces it
    for block in blocks(who.size):
        people = who[block]
        since = state.customer_since[people].astype(np.float64)
        segment = world.people.segment[people]
        rate = (repeat[block] + k * pooled[segment]) / (exposure[block] + k)
        hazard = churn_hazard(world, segment, state.satisfaction[people], state.purchases[people])
        q = (1.0 - hazard) * v  # survival and discount of one more week
        annuity = np.divide(-np.expm1(TAIL_WEEKS * np.log(np.maximum(q, 1e-300))), 1.0 - q,
                            out=np.full(q.shape, float(TAIL_WEEKS)), where=q < 1.0)
        at_horizon = np.where(state.lapse_week[people] < 0, rate * annuity, 0.0)
        tail[block] = at_horizon * v ** (horizon - since)
        at_week0[block] = at_horizon * v**horizon
    del exposure
    return CustomerValues(who=who, horizon=value, tail=tail, terminal=float(at_week0.sum()))


def horizon_values(run: RunOutput, s: int) -> NDArray[np.float64]:
    """Per-person value within the horizon (``clv_horizon``; NaN for non-customers)."""
    values = customer_values(run, s)
    return values.per_person(run.world.n_people, values.horizon)


def lifetime_values(run: RunOutput, s: int) -> NDArray[np.float64]:
    """Per-person lifetime CLV from the acquisition week (NaN for non-customers).

    Value within the horizon plus the geometric tail of customers still active at the horizon.
    """
    values = customer_values(run, s)
    return values.per_person(run.world.n_people, values.horizon + values.tail)


def terminal_value(run: RunOutput, s: int) -> float:
    """Value after the horizon of plan ``s``'s active customers, discounted to week 0.

    Scaled to the market: what NPV adds at ``economics.terminal_value_share`` = 1.
    """
    return customer_values(run, s).terminal * run.world.scenario.scale


def weekly_frame(run: RunOutput) -> pd.DataFrame:
    """One row per strategy and week; counts and money scaled to the real market."""
    scenario = run.world.scenario
    scale = scenario.scale
    horizon = run.weekly.shape[1]
    frames = []
    discount = 1.0 / (1.0 + scenario.weekly_discount_rate) ** np.arange(horizon)
    integration_cost = integration_cost_schedule(run.world, run.weekly)
    stock_saving = stock_saving_schedule(run.world, run.weekly[:, :, Tally.NET_REVENUE] * scale)
    economics = scenario.economics
    names = run.world.channels.names
    network_cost = economics.network_fulfilment_cost
    remote = ~run.world.channels.physical
    for s, strategy in enumerate(run.world.plan_names):
        w = run.weekly[s]
        addon_factor = pickup_addon_factor(run, s)
        data = {}
        for t in Tally:
            data[t.name.lower()] = w[:, t] * scale
            if t is Tally.NET_REVENUE:  # the margin is applied here, after the run
                data["pickup_addon_revenue"] = addon_factor * scale * (
                    run.channel_weekly[s, :, 1] @ remote.astype(np.float64))
                data["gross_margin"] = ((data["net_revenue"] + data["pickup_addon_revenue"])
                                        * scenario.economics.gross_margin)
        active = w[:, Tally.ACTIVE_CUSTOMERS]
        data["mean_satisfaction"] = np.divide(
            w[:, Tally.SATISFACTION_SUM], active, out=np.full(horizon, np.nan), where=active > 0
        )
        del data["satisfaction_sum"]
        marketing = (w[:, Tally.REACH_COST] + w[:, Tally.CONTACT_COST] + w[:, Tally.OFFER_COST]
                     + w[:, Tally.OFFER_DISCOUNT]) * scale
        data["marketing_cost"] = marketing
        orders, revenue = run.channel_weekly[s, :, 0], run.channel_weekly[s, :, 1]
        for c, name in enumerate(names):
            data[f"orders[{name}]"] = orders[:, c] * scale
            data[f"net_revenue[{name}]"] = revenue[:, c] * scale
        data["fulfilment_cost"] = (orders @ serve_cost_per_order(run, s)
                                   + network_cost * w[:, Tally.NETWORK_FULFILLED]) * scale
        data["service_cost"] = w[:, Tally.SERVICE_CONTACTS] * (economics.service_contact_cost * scale)
        data["harmonisation_cost"] = data["net_revenue"] * (economics.gross_margin - plan_margin(run, s))
        data["integration_cost"] = integration_cost[s]
        data["stock_holding_saving"] = stock_saving[s]
        net = (data["gross_margin"] - data["harmonisation_cost"] - marketing - data["returns_cost"]
               - data["fulfilment_cost"] - data["service_cost"] - integration_cost[s] + stock_saving[s])
        data["net_contribution"] = net
        data["cumulative_net_contribution"] = np.cumsum(net)
        data["discounted_net_contribution"] = net * discount
        terminal = np.zeros(horizon)
        if economics.terminal_value_share > 0:
            terminal[-1] = economics.terminal_value_share * terminal_value(run, s)
        data["discounted_terminal_value"] = terminal
        frame = pd.DataFrame(data)
        frame.insert(0, "week", np.arange(horizon))
        frame.insert(0, "strategy", strategy)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def kaplan_meier(duration: NDArray[np.int64], event: NDArray[np.bool_], horizon: int) -> tuple[
    NDArray[np.float64], NDArray[np.float64]
]:
    """Discrete-time Kaplan-Meier survival S(t) for t = 0..horizon and the number at risk.

    ``duration`` is the number of weeks a customer was active (>= 1 for events); ``event`` is
    False for customers still active at the horizon (censored).
    """
    d = np.bincount(duration[event], minlength=horizon + 1)[: horizon + 1].astype(float)
    c = np.bincount(duration, minlength=horizon + 2)[: horizon + 2].astype(float)
    at_risk = c[::-1].cumsum()[::-1][1 : horizon + 1]  # n_t = #(duration >= t), t = 1..horizon
    hazard = np.divide(d[1:], at_risk, out=np.zeros(horizon), where=at_risk > 0)
    survival = np.concatenate([[1.0], np.cumprod(1.0 - hazard)])
    return survival, np.concatenate([[float(duration.size)], at_risk])


def customer_durations(state: PlanState, horizon: int) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Weeks active and lapse flag of every customer (purchase before churn in a week)."""
    customers = state.customer_since >= 0
    since = state.customer_since[customers].astype(np.int64)
    lapse = state.lapse_week[customers].astype(np.int64)
    event = lapse >= 0
    duration = np.where(event, lapse - since + 1, horizon - since)
    return duration, event


def survival_frame(run: RunOutput) -> pd.DataFrame:
    """Cohort survival of customers since they became customers, censored at the horizon."""
    horizon = run.world.scenario.market.horizon_weeks
    rows = []
    for strategy, state in zip(run.world.plan_names, run.states, strict=True):
        duration, event = customer_durations(state, horizon)
        survival, at_risk = kaplan_meier(duration, event, horizon)
        rows.append(pd.DataFrame({
            "strategy": strategy,
            "weeks_since_first_purchase": np.arange(horizon + 1),
            "survival": survival,
            "at_risk": at_risk,
        }))
    return pd.concat(rows, ignore_index=True)


def funnel_frame(run: RunOutput) -> pd.DataFrame:
    """People at each of the five lifecycle stages at the horizon, scaled to the market."""
    scenario = run.world.scenario
    horizon = scenario.market.horizon_weeks
    threshold = scenario.behaviour.loyalty_threshold_purchases
    reached = run.world.people.aware_week < horizon
    rows = []
    for strategy, state in zip(run.world.plan_names, run.states, strict=True):
        customer = state.customer_since >= 0
        active = customer & (state.lapse_week < 0)
        counts: dict[str, int] = {
            "reach": int(np.count_nonzero(reached)),
            "acquisition": int(np.count_nonzero(state.engaged)),
            "conversion": int(np.count_nonzero(customer)),
            "retention": int(np.count_nonzero(active)),
            "loyalty": int(np.count_nonzero(active & (state.purchases >= threshold))),
        }
        for stage, count in counts.items():
            rows.append({
                "strategy": strategy, "stage": stage, "people": count * scenario.scale,
                "share_of_reached": count / max(counts["reach"], 1),
            })
    return pd.DataFrame(rows)


def flows_frame(run: RunOutput) -> pd.DataFrame:
    """Journeys by start channel and where they ended (a purchase channel or a loss)."""
    names = run.world.channels.names
    destinations = list(names) + [
        FLOW_LOSSES[code] for code in range(JourneyEnd.LOST_CONTEXT, JourneyEnd.ABANDONED + 1)
    ]
    rows = []
    for s, strategy in enumerate(run.world.plan_names):
        for i, start in enumerate(names):
            for j, dest in enumerate(destinations):
                rows.append({
                    "strategy": strategy, "start_channel": start, "destination": dest,
                    "purchase": j < len(names),
                    "journeys": run.flows[s, i, j] * run.world.scenario.scale,
                })
    return pd.DataFrame(rows)


def losses_frame(run: RunOutput) -> pd.DataFrame:
    """Lost sales by cause: journeys lost (and their expected value) and over-messaging churn."""
    scale = run.world.scenario.scale
    rows = []
    for s, strategy in enumerate(run.world.plan_names):
        total = run.weekly[s].sum(axis=0)
        journeys = max(total[Tally.JOURNEYS], 1.0)
        for _code, cause, count_tally, value_tally in JOURNEY_LOSSES:
            rows.append({
                "strategy": strategy, "cause": cause.value, "unit": "journeys",
                "lost": total[count_tally] * scale, "lost_value": total[value_tally] * scale,
                "per_1000_journeys": 1000 * total[count_tally] / journeys,
            })
        rows.append({
            "strategy": strategy, "cause": LossCause.OVER_MESSAGING_CHURN.value,
            "unit": "customers", "lost": total[Tally.LOST_OVERMESSAGING_CHURN] * scale,
            "lost_value": np.nan,
            "per_1000_journeys": 1000 * total[Tally.LOST_OVERMESSAGING_CHURN] / journeys,
        })
    return pd.DataFrame(rows)


def mechanisms_frame(run: RunOutput) -> pd.DataFrame:
    """Per strategy and mechanism: opportunities, events and their rate (unscaled counts).

    ``mechanism`` and ``opportunity`` hold keys (:data:`~simulation.core.capabilities.MECHANISMS`;
    the opportunity is the weekly frame's column of its tally).
    """
    rows = []
    for s, strategy in enumerate(run.world.plan_names):
        total = run.weekly[s].sum(axis=0)
        for mechanism in MECHANISMS:
            chances, events = total[mechanism.opportunity], total[mechanism.event]
            rows.append({
                "strategy": strategy, "mechanism": mechanism.key,
                "opportunity": mechanism.opportunity_key,
                "opportunities": chances, "events": events,
                "rate": events / chances if chances > 0 else np.nan,
            })
    return pd.DataFrame(rows)


MIX_GROUPS = ("store only", "online only", "multi-channel")
COUNT_GROUPS = ("1", "2", "3+")


def usage_groups(mask: NDArray[np.uint8], physical_bits: int) -> tuple[NDArray[np.int8], NDArray[np.int8]]:
    """Codes into :data:`MIX_GROUPS` and :data:`COUNT_GROUPS` for channel bit masks."""
    count = CHANNELS_IN_MASK[mask]
    mix = np.where(count >= 2, 2, np.where((mask & physical_bits) > 0, 0, 1)).astype(np.int8)
    return mix, (np.minimum(count, 3) - 1).astype(np.int8)


def channel_usage_frame(run: RunOutput) -> pd.DataFrame:
    """Customers by mix and number of channels, and their spend per shopping occasion.

    ``basis`` = ``used``: channels with any touchpoint (HBR 2017's definition);
    ``bought``: channels with a purchase (Criteo's). Rows with ``channel`` = ``all`` sum over
    channels; ``spend_per_occasion`` = net spend / purchases in that channel. Only people with a
    purchase during the horizon count. Counts and money are scaled to the market.
    """
    names = run.world.channels.names
    physical_bits = int(sum(1 << i for i, p in enumerate(run.world.channels.physical) if p))
    horizon_years = run.world.scenario.market.horizon_weeks / 52
    scale = run.world.scenario.scale
    rows = []
    for strategy, state in zip(run.world.plan_names, run.states, strict=True):
        buyers = np.flatnonzero(state.channels_bought)
        groupings = [(basis, kind, labels) for basis in ("used", "bought")
                     for kind, labels in (("mix", MIX_GROUPS), ("channels", COUNT_GROUPS))]
        counted = {(basis, kind): np.zeros(len(labels), dtype=np.int64)
                   for basis, kind, labels in groupings}
        bought_sums = {(basis, kind): np.zeros((len(names), len(labels)))
                       for basis, kind, labels in groupings}
        spent_sums = {(basis, kind): np.zeros((len(names), len(labels)))
                      for basis, kind, labels in groupings}
        for block in blocks(buyers.size):
            who = buyers[block]
            # The buyers' purchases and spend by channel, taken once for the four groupings (as
            # the float64 that np.bincount converts its weights to); per-group totals continue
            # from block to block in np.bincount's order (simulation.core.blocks).
            bought = state.records.select("purchases_by_channel", who).astype(np.float64)
            spent = state.records.select("spend_by_channel", who).astype(np.float64)
            for basis, mask in (("used", state.channels_used[who]), ("bought", state.channels_bought[who])):
                for kind, labels, codes in zip(("mix", "channels"), (MIX_GROUPS, COUNT_GROUPS),
                                               usage_groups(mask, physical_bits), strict=True):
                    n_groups = len(labels)
                    counted[basis, kind] += np.bincount(codes, minlength=n_groups)
                    # Channel c's groups are bins c x groups + code: one bincount adds each
                    # (channel, group) bin's weights in the same order as one per channel.
                    bins = (np.arange(len(names))[:, None] * n_groups + codes).ravel()
                    add_bincount(bought_sums[basis, kind].reshape(-1), bins, bought.ravel())
                    add_bincount(spent_sums[basis, kind].reshape(-1), bins, spent.ravel())
        for basis, kind, labels in groupings:
            customers = counted[basis, kind]
            purchases, spend = bought_sums[basis, kind], spent_sums[basis, kind]
            for g, group in enumerate(labels):
                if customers[g] == 0:
                    continue
                for c, channel in enumerate(("all", *names)):
                    p = purchases[:, g].sum() if c == 0 else purchases[c - 1, g]
                    m = spend[:, g].sum() if c == 0 else spend[c - 1, g]
                    rows.append({
                        "strategy": strategy, "basis": basis, "grouping": kind,
                        "group": group, "channel": channel, "customers": customers[g] * scale,
                        "share": customers[g] / max(buyers.size, 1), "purchases": p * scale,
                        "spend": m * scale,
                        "spend_per_occasion": m / p if p > 0 else np.nan,
                        "annual_spend_per_customer": m / customers[g] / horizon_years
                        if c == 0 else np.nan,
                    })
    return pd.DataFrame(rows)


def kpi_frame(run: RunOutput, weekly: pd.DataFrame) -> pd.DataFrame:
    """The headline KPIs, one row per strategy (see :data:`KPI_COLUMNS`)."""
    scenario = run.world.scenario
    horizon = scenario.market.horizon_weeks
    people = run.world.people
    threshold = scenario.behaviour.loyalty_threshold_purchases
    reached_new = (people.aware_week < horizon) & ~people.existing
    rows = {}
    strategies = weekly["strategy"].to_numpy()
    for s, (strategy, state) in enumerate(zip(run.world.plan_names, run.states, strict=True)):
        w = _column_total(weekly, np.flatnonzero(strategies == strategy))
        total = run.weekly[s].sum(axis=0)
        customer = state.customer_since >= 0
        new_customer = customer & ~people.existing
        observed = customer & (state.customer_since <= horizon - 52)
        retained = observed & ((state.lapse_week < 0) | (state.lapse_week >= state.customer_since + 52))
        new_observed = new_customer & (state.customer_since <= horizon - 52)
        second_in_year = new_observed & (state.second_purchase_week >= 0) & (
            state.second_purchase_week < state.customer_since + 52
        )
        customer_weeks = total[Tally.ACTIVE_CUSTOMERS]
        values = customer_values(run, s)
        n_customers = np.count_nonzero(customer)
        rows[strategy] = {
            "conversion_rate": _ratio(np.count_nonzero(new_customer & reached_new),
                                      np.count_nonzero(reached_new)),
            "journey_conversion": _ratio(total[Tally.PURCHASES], total[Tally.JOURNEYS]),
            "retention_12m": _ratio(np.count_nonzero(retained), np.count_nonzero(observed)),
            "repeat_rate": _ratio(np.count_nonzero(customer & (state.purchases >= 2)), n_customers),
            "repeat_12m": _ratio(np.count_nonzero(second_in_year), np.count_nonzero(new_observed)),
            "loyal_share": _ratio(np.count_nonzero(customer & (state.purchases >= threshold)), n_customers),
            "aov": _ratio(total[Tally.GROSS_SALES], total[Tally.PURCHASES]),
            "purchases_per_customer_year": _ratio(total[Tally.PURCHASES] * 52, customer_weeks),
            "revenue": float(w("net_revenue")),
            "gross_margin": float(w("gross_margin")),
            "marketing_cost": float(w("marketing_cost")),
            "returns_cost": float(w("returns_cost")),
            "fulfilment_cost": float(w("fulfilment_cost")),
            "service_cost": float(w("service_cost")),
            "first_contact_resolution": 1.0 - _ratio(total[Tally.SERVICE_UNRESOLVED_FIRST_CONTACT],
                                                     total[Tally.SERVICE_REQUESTS]),
            "harmonisation_cost": float(w("harmonisation_cost")),
            "integration_cost": float(w("integration_cost")),
            "net_contribution": float(w("net_contribution")),
            "clv": float(np.mean(values.horizon + values.tail)) if customer.any() else np.nan,
            "clv_horizon": float(np.mean(values.horizon)) if customer.any() else np.nan,
            "terminal_value": values.terminal * scenario.scale,
            "npv": float(w("discounted_net_contribution") + w("discounted_terminal_value")),
            "customers": np.count_nonzero(customer) * scenario.scale,
            "active_customers_end": np.count_nonzero(customer & (state.lapse_week < 0)) * scenario.scale,
            "mean_satisfaction": float(state.satisfaction[customer & (state.lapse_week < 0)].mean())
            if (customer & (state.lapse_week < 0)).any() else np.nan,
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    relative = baseline_comparison(weekly, baseline=run.world.plan_names[0],
                                   weekly_discount_rate=scenario.weekly_discount_rate)
    frame = frame.join(relative)[list(KPI_COLUMNS)]
    moved = plan_migration(run.world.plan_names, run.states, scenario.scale)
    frame.loc[moved.index, moved.columns] = moved
    frame.index.name = "strategy"
    return frame


def person_migration(plan: NDArray[np.number], baseline: NDArray[np.number],
                     people: NDArray[np.int64] | None = None, n_people: int = 0) -> float:
    """Sales that moved between channels, person by person (unscaled).

    Parameters
    ----------
    plan, baseline : ndarray, shape (channels, people)
        Each person's purchases (count) or spend (money) in each channel over the horizon under
        the plan and under the baseline, the same people in the same order (common random
        numbers make person ``i`` the same person under both).
    people, n_people:
        When given, ``plan`` and ``baseline`` hold only these of ``n_people`` people (the others
        bought in neither): the same sum, over every person's term (0 for the others).

    Returns
    -------
    float
        ``sum_i (sum_c |delta_ic| - |sum_c delta_ic|) / 2``: for each person, the part of their
        change that went down in some channels and up in others. The rest of the change,
        ``sum_ic delta_ic``, is incremental. A move between weeks within one channel is not
        counted; a move between channels at any time is.
    """
    terms = _migration_terms(plan, baseline)
    if people is not None:
        terms, some = np.zeros(n_people), terms
        terms[people] = some
    return float(terms.sum())


def _migration_terms(plan: NDArray[np.number], baseline: NDArray[np.number]) -> NDArray[np.float64]:
    """Each person's term of :func:`person_migration` (arrays (C, people) as there)."""
    # Channel by channel (temporaries of N, not C x N): the same sums, row after row.
    net = plan[0].astype(np.float64) - baseline[0].astype(np.float64)
    moved = np.abs(net)
    for c in range(1, plan.shape[0]):
        delta = plan[c].astype(np.float64) - baseline[c].astype(np.float64)
        net += delta
        moved += np.abs(delta)
    return (moved - np.abs(net)) / 2  # type: ignore[no-any-return]


def plan_migration(names: Sequence[str], states: Sequence[PlanState], scale: float) -> pd.DataFrame:
    """:func:`person_migration` of each plan against the first (the baseline), in the real market.

    ``states`` may come from separate runs of the same scenario and seed: common random numbers
    make person ``i`` the same person in each.

    Returns
    -------
    DataFrame
        Index ``strategy``; ``migrated_purchases`` (purchases) and ``migrated_revenue`` (money).
    """
    base = states[0].records
    rows = {}
    for name, state in zip(names, states, strict=True):
        # Only people with purchase records in either plan can have moved (separate runs have
        # their own buyer slots, so both are read by person).
        people = np.flatnonzero((state.records.slot > 0) | (base.slot > 0))
        row = {}
        for record, source in (("migrated_purchases", "purchases_by_channel"),
                               ("migrated_revenue", "spend_by_channel")):
            # person_migration of these people, a block at a time; the one sum over everyone
            terms = np.zeros(base.n_people)
            for block in blocks(people.size):
                some = people[block]
                terms[some] = _migration_terms(state.records.take(source, some), base.take(source, some))
            row[record] = float(terms.sum()) * scale
        rows[name] = row
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "strategy"
    return frame


def customers_frame(run: RunOutput) -> pd.DataFrame:
    """One row per simulated person and strategy (unscaled), for download and analysis."""
    people = run.world.people
    names = run.world.channels.names
    segments = np.array(run.world.segments.names, dtype=object)
    horizon = run.world.scenario.market.horizon_weeks
    threshold = run.world.scenario.behaviour.loyalty_threshold_purchases
    frames = []
    for s, (strategy, state) in enumerate(zip(run.world.plan_names, run.states, strict=True)):
        values = customer_values(run, s)
        customer = state.customer_since >= 0
        active = customer & (state.lapse_week < 0)
        stage = np.select(
            [active & (state.purchases >= threshold), active, customer, state.engaged,
             people.aware_week < horizon],
            ["loyalty", "retention", "conversion", "acquisition", "reach"], default="not_reached",
        )
        lapse_cause = np.where(
            state.lapse_week < 0, "",
            np.where(~customer, "prospect_dropout",
                     np.where(state.lapse_overmessaging, "over_messaging", "churn")),
        )
        data: dict[str, object] = {
            "strategy": strategy,
            "person": np.arange(people.segment.size),
            "segment": segments[people.segment],
            "existing_customer": people.existing,
            "propensity": people.propensity,
            "reach_week": np.where(people.aware_week < horizon, people.aware_week, -1),
            "stage": stage,
            "purchases": state.purchases.astype(np.int64) - people.existing,
            "first_purchase_week": state.customer_since,
            "second_purchase_week": state.second_purchase_week,
            "lapse_week": state.lapse_week,
            "lapse_cause": lapse_cause,
            "satisfaction": state.satisfaction,
            "clv": values.per_person(people.segment.size, values.horizon + values.tail),
            "clv_horizon": values.per_person(people.segment.size, values.horizon),
        }
        for c, name in enumerate(names):
            # uint16 whatever the engine's counter type (count_dtype), so the frame is the same.
            data[f"purchases_{name}"] = state.purchases_by_channel[c].astype(np.uint16)
            data[f"spend_{name}"] = state.spend_by_channel[c]
        frames.append(pd.DataFrame(data))
    out = pd.concat(frames, ignore_index=True)
    out.loc[out["reach_week"] == NEVER, "reach_week"] = -1
    return out


def _column_total(weekly: pd.DataFrame, rows: NDArray[np.int64]) -> Callable[[str], np.float64]:
    """``total(column)``: the sum of ``column`` over ``rows`` of ``weekly``.

    Summed as pandas sums a column (NaN counted as 0), without building the rows' frame.
    """

    def total(column: str) -> np.float64:
        return np.nansum(weekly[column].to_numpy()[rows])  # type: ignore[no-any-return]

    return total


def _ratio(numerator: float | np.number, denominator: float | np.number) -> float:
    return float(numerator) / float(denominator) if denominator > 0 else float("nan")


def baseline_comparison(weekly: pd.DataFrame, *, baseline: str, weekly_discount_rate: float) -> pd.DataFrame:
    """NPV gain, ROI and payback week of every strategy in ``weekly`` against ``baseline``.

    The same definitions as :func:`kpi_frame` (NPV gain = NPV - baseline NPV; ROI = NPV gain /
    discounted integration cost; payback = first week after which the cumulative extra cash
    never falls below zero again), computed from weekly frames alone, so plans simulated in
    separate runs on the same seed (common random numbers) can be compared afterwards.

    Computed on the frame's columns as arrays (the app joins its per-plan parts with it at
    every slider move); the sums are the ones pandas takes (NaN counted as 0), so the figures
    do not depend on how the frame is laid out.
    """
    strategies = weekly["strategy"].to_numpy()
    weeks = weekly["week"].to_numpy()
    names = list(dict.fromkeys(strategies.tolist()))
    rows_of = {}
    for name in names:
        rows = np.flatnonzero(strategies == name)
        rows_of[name] = rows[np.argsort(weeks[rows], kind="stable")]
    channels = [c[7:-1] for c in weekly.columns if c.startswith("orders[") and c.endswith("]")]
    columns = ["net_contribution", "integration_cost", "discounted_net_contribution",
               *(f"orders[{c}]" for c in channels), *(f"net_revenue[{c}]" for c in channels)]
    if "discounted_terminal_value" in weekly:
        columns.append("discounted_terminal_value")
    values = {column: weekly[column].to_numpy() for column in columns}

    def plan(name: str) -> dict[str, NDArray[np.float64]]:
        return {column: array[rows_of[name]] for column, array in values.items()}

    base = plan(baseline)
    base_cash = base["net_contribution"]
    base_npv = _npv(base)
    horizon = base_cash.size
    discount = 1.0 / (1.0 + weekly_discount_rate) ** np.arange(horizon)
    table = {}
    for name in names:
        w = base if name == baseline else plan(name)
        npv = _npv(w)
        paid_back = np.flatnonzero(np.cumsum(w["net_contribution"] - base_cash) < 0)
        invested = float((w["integration_cost"] * discount).sum())
        orders = _migration(w, base, [f"orders[{c}]" for c in channels])
        revenue = _migration(w, base, [f"net_revenue[{c}]" for c in channels])
        table[name] = {
            "migrated_purchases": orders[0], "incremental_purchases": orders[1],
            "migrated_revenue": revenue[0], "incremental_revenue": revenue[1],
            "npv_gain": npv - base_npv,
            "roi": (npv - base_npv) / invested if invested > 0 and name != baseline else np.nan,
            "payback_week": np.nan if name == baseline
            else float(paid_back[-1] + 1) if paid_back.size and paid_back[-1] + 1 < horizon
            else (0.0 if not paid_back.size else np.nan),
        }
    frame = pd.DataFrame.from_dict(table, orient="index")
    frame.index.name = "strategy"
    return frame


def _npv(weekly: dict[str, NDArray[np.float64]]) -> float:
    """Discounted net contribution plus the terminal value counted (0 unless the setting is on)."""
    terminal = (np.nansum(weekly["discounted_terminal_value"])
                if "discounted_terminal_value" in weekly else 0.0)
    return float(np.nansum(weekly["discounted_net_contribution"]) + terminal)


def _migration(plan: dict[str, NDArray[np.float64]], base: dict[str, NDArray[np.float64]],
               columns: list[str]) -> tuple[float, float]:
    """(migrated, incremental) purchases or revenue of ``plan`` against ``base`` (real market).

    Week by week and channel by channel, a plan's change against the baseline splits into a net
    change (incremental: sales that would not have happened) and the part of the gross
    movements that cancels out (migrated: sales that moved from one channel to another),
    ``migrated = (sum |delta_c| - |sum delta_c|) / 2``. The split is measured on channel totals
    with common random numbers, so it is a lower bound of the moves individual customers make.
    """
    if not columns:
        return float("nan"), float("nan")
    # (weeks, channels) laid out channel by channel, as a frame's block of these columns is: the
    # sums over channels then add in the same order (and round the same) as on the frame.
    delta = (np.array([plan[c] for c in columns]).T - np.array([base[c] for c in columns]).T)
    net = delta.sum(axis=1)
    migrated = (np.abs(delta).sum(axis=1) - np.abs(net)) / 2
    return float(migrated.sum()), float(net.sum())
