"""Pure functions from a finished run to tidy pandas frames.

Counts and money are scaled from the simulated population to the real market
(``scenario.scale`` real people per simulated person) unless a column says ``per customer``.
CLV is per customer and not scaled. Money is in the scenario's currency.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from simulation.engine import RunOutput, StrategyState
from simulation.tallies import JOURNEY_LOSSES, JourneyEnd, LossCause, Tally
from simulation.world import CHANNELS_IN_MASK, NEVER

FLOW_LOSS_LABELS = {
    int(code): f"lost: {cause.value}" for code, cause, _count, _value in JOURNEY_LOSSES
}

KPI_COLUMNS = (
    "conversion_rate", "journey_conversion", "retention_12m", "repeat_rate", "repeat_12m",
    "loyal_share", "aov", "purchases_per_customer_year", "revenue", "gross_margin",
    "marketing_cost", "returns_cost", "integration_cost", "net_contribution", "clv", "npv",
    "npv_gain", "roi", "payback_week", "customers", "active_customers_end",
    "mean_satisfaction",
)


def _strategy_index(run: RunOutput) -> pd.Index:
    return pd.Index(list(run.world.strategies), name="strategy")


def customer_lifetime_values(run: RunOutput, state: StrategyState) -> NDArray[np.float64]:
    """Per-person CLV: discounted contribution from the week they became a customer.

    The engine accumulates revenue and costs discounted to week 0; contribution is gross margin
    x revenue - costs, and multiplying by ``(1 + d) ** customer_since`` re-bases it to the
    acquisition week. NaN for non-customers.
    """
    scenario = run.world.scenario
    d = scenario.weekly_discount_rate
    since = state.customer_since.astype(np.float64)
    contribution = (scenario.economics.gross_margin * state.revenue_discounted.astype(np.float64)
                    - state.cost_discounted)
    clv = contribution * (1.0 + d) ** np.maximum(since, 0)
    return np.where(since >= 0, clv, np.nan)


def weekly_frame(run: RunOutput) -> pd.DataFrame:
    """One row per strategy and week; counts and money scaled to the real market."""
    scenario = run.world.scenario
    scale = scenario.scale
    horizon = run.weekly.shape[1]
    frames = []
    discount = 1.0 / (1.0 + scenario.weekly_discount_rate) ** np.arange(horizon)
    integration_cost = run.integration_cost
    for s, strategy in enumerate(run.world.strategies):
        w = run.weekly[s]
        data = {}
        for t in Tally:
            data[t.name.lower()] = w[:, t] * scale
            if t is Tally.NET_REVENUE:  # the margin is applied here, after the run
                data["gross_margin"] = data["net_revenue"] * scenario.economics.gross_margin
        active = w[:, Tally.ACTIVE_CUSTOMERS]
        data["mean_satisfaction"] = np.divide(
            w[:, Tally.SATISFACTION_SUM], active, out=np.full(horizon, np.nan), where=active > 0
        )
        del data["satisfaction_sum"]
        marketing = (w[:, Tally.REACH_COST] + w[:, Tally.CONTACT_COST] + w[:, Tally.OFFER_COST]) * scale
        data["marketing_cost"] = marketing
        data["integration_cost"] = integration_cost[s]
        net = data["gross_margin"] - marketing - data["returns_cost"] - integration_cost[s]
        data["net_contribution"] = net
        data["cumulative_net_contribution"] = np.cumsum(net)
        data["discounted_net_contribution"] = net * discount
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


def customer_durations(state: StrategyState, horizon: int) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
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
    for strategy, state in zip(run.world.strategies, run.states, strict=True):
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
    for strategy, state in zip(run.world.strategies, run.states, strict=True):
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
        FLOW_LOSS_LABELS[code] for code in range(JourneyEnd.LOST_CONTEXT, JourneyEnd.ABANDONED + 1)
    ]
    rows = []
    for s, strategy in enumerate(run.world.strategies):
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
    for s, strategy in enumerate(run.world.strategies):
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


MECHANISMS = (
    ("lost context", "channel switches", Tally.SWITCHES, Tally.CONTEXT_LOSSES),
    ("conflict in journey", "touchpoints after a switch", Tally.JOURNEY_CONFLICT_CHANCES,
     Tally.JOURNEY_CONFLICTS),
    ("conflicting messages", "person-weeks contacted by 2+ channels",
     Tally.CONTACT_CONFLICT_CHANCES, Tally.CONTACT_CONFLICTS),
    ("stock-out", "purchase attempts", Tally.BUY_ATTEMPTS, Tally.STOCKOUTS),
    ("over-messaging", "contacts", Tally.CONTACTS, Tally.EXCESS_CONTACTS),
    ("return friction", "returns made in another channel", Tally.CROSS_CHANNEL_RETURNS,
     Tally.RETURN_FRICTIONS),
    ("offer response", "offers sent", Tally.OFFERS, Tally.OFFER_JOURNEYS),
)
"""Each mechanism's opportunities and events: their ratio is the mechanism's rate."""


def mechanisms_frame(run: RunOutput) -> pd.DataFrame:
    """Per strategy and mechanism: opportunities, events and their rate (unscaled counts)."""
    rows = []
    for s, strategy in enumerate(run.world.strategies):
        total = run.weekly[s].sum(axis=0)
        for name, opportunity, chances, events in MECHANISMS:
            rows.append({
                "strategy": strategy, "mechanism": name, "opportunity": opportunity,
                "opportunities": total[chances], "events": total[events],
                "rate": total[events] / total[chances] if total[chances] > 0 else np.nan,
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
    for strategy, state in zip(run.world.strategies, run.states, strict=True):
        buyers = np.flatnonzero(state.channels_bought)
        for basis, mask in (("used", state.channels_used[buyers]), ("bought", state.channels_bought[buyers])):
            for kind, labels, codes in zip(("mix", "channels"), (MIX_GROUPS, COUNT_GROUPS),
                                           usage_groups(mask, physical_bits), strict=True):
                n_groups = len(labels)
                customers = np.bincount(codes, minlength=n_groups)
                purchases = np.array([
                    np.bincount(codes, weights=state.purchases_by_channel[c, buyers], minlength=n_groups)
                    for c in range(len(names))
                ])
                spend = np.array([
                    np.bincount(codes, weights=state.spend_by_channel[c, buyers], minlength=n_groups)
                    for c in range(len(names))
                ])
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
    for s, (strategy, state) in enumerate(zip(run.world.strategies, run.states, strict=True)):
        w = weekly[weekly["strategy"] == strategy]
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
        clv = customer_lifetime_values(run, state)
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
            "revenue": float(w["net_revenue"].sum()),
            "gross_margin": float(w["gross_margin"].sum()),
            "marketing_cost": float(w["marketing_cost"].sum()),
            "returns_cost": float(w["returns_cost"].sum()),
            "integration_cost": float(w["integration_cost"].sum()),
            "net_contribution": float(w["net_contribution"].sum()),
            "clv": float(np.nanmean(clv)) if customer.any() else np.nan,
            "npv": float(w["discounted_net_contribution"].sum()),
            "customers": np.count_nonzero(customer) * scenario.scale,
            "active_customers_end": np.count_nonzero(customer & (state.lapse_week < 0)) * scenario.scale,
            "mean_satisfaction": float(state.satisfaction[customer & (state.lapse_week < 0)].mean())
            if (customer & (state.lapse_week < 0)).any() else np.nan,
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    relative = baseline_comparison(weekly, baseline=run.world.strategies[0],
                                   weekly_discount_rate=scenario.weekly_discount_rate)
    frame = frame.join(relative)[list(KPI_COLUMNS)]
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
    for strategy, state in zip(run.world.strategies, run.states, strict=True):
        customer = state.customer_since >= 0
        active = customer & (state.lapse_week < 0)
        stage = np.select(
            [active & (state.purchases >= threshold), active, customer, state.engaged,
             people.aware_week < horizon],
            ["loyalty", "retention", "conversion", "acquisition", "reach"], default="not reached",
        )
        lapse_cause = np.where(
            state.lapse_week < 0, "",
            np.where(~customer, "prospect lost interest",
                     np.where(state.lapse_overmessaging, "over-messaging", "churn")),
        )
        data: dict[str, object] = {
            "strategy": strategy,
            "person": np.arange(people.segment.size),
            "segment": segments[people.segment],
            "existing_customer": people.existing,
            "reach_week": np.where(people.aware_week < horizon, people.aware_week, -1),
            "stage": stage,
            "purchases": state.purchases.astype(np.int64) - people.existing,
            "first_purchase_week": state.customer_since,
            "second_purchase_week": state.second_purchase_week,
            "lapse_week": state.lapse_week,
            "lapse_cause": lapse_cause,
            "satisfaction": state.satisfaction,
            "clv": customer_lifetime_values(run, state),
        }
        for c, name in enumerate(names):
            data[f"purchases_{name}"] = state.purchases_by_channel[c]
            data[f"spend_{name}"] = state.spend_by_channel[c]
        frames.append(pd.DataFrame(data))
    out = pd.concat(frames, ignore_index=True)
    out.loc[out["reach_week"] == NEVER, "reach_week"] = -1
    return out


def _ratio(numerator: float | np.number, denominator: float | np.number) -> float:
    return float(numerator) / float(denominator) if denominator > 0 else float("nan")


def baseline_comparison(weekly: pd.DataFrame, *, baseline: str, weekly_discount_rate: float) -> pd.DataFrame:
    """NPV gain, ROI and payback week of every strategy in ``weekly`` against ``baseline``.

    The same definitions as :func:`kpi_frame` (NPV gain = NPV - baseline NPV; ROI = NPV gain /
    discounted integration cost; payback = first week after which the cumulative extra cash
    never falls below zero again), computed from weekly frames alone, so plans simulated in
    separate runs on the same seed (common random numbers) can be compared afterwards.
    """
    base = weekly[weekly["strategy"] == baseline].sort_values("week")
    base_cash = base["net_contribution"].to_numpy()
    base_npv = float(base["discounted_net_contribution"].sum())
    horizon = base_cash.size
    discount = 1.0 / (1.0 + weekly_discount_rate) ** np.arange(horizon)
    rows = {}
    for strategy, w in weekly.groupby("strategy", sort=False):
        w = w.sort_values("week")
        npv = float(w["discounted_net_contribution"].sum())
        paid_back = np.flatnonzero(np.cumsum(w["net_contribution"].to_numpy() - base_cash) < 0)
        invested = float((w["integration_cost"].to_numpy() * discount).sum())
        rows[strategy] = {
            "npv_gain": npv - base_npv,
            "roi": (npv - base_npv) / invested if invested > 0 else np.nan,
            "payback_week": float(paid_back[-1] + 1) if paid_back.size and paid_back[-1] + 1 < horizon
            else (0.0 if not paid_back.size else np.nan),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "strategy"
    frame.loc[baseline, ["roi", "payback_week"]] = np.nan
    return frame
