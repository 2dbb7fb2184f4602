"""Plain names for what the app and the reports show: capabilities, plans and table columns.

Declared once here and used by the sidebar, the charts, the reports, the CSV exports and the
glossary, so a capability is called the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from simulation.core.scenario import Capability

CAPABILITY_NAMES: dict[str, str] = {
    Capability.IDENTITY.value: "Unified customer ID",
    Capability.CONTEXT.value: "Cart and journey continuity",
    Capability.CONSISTENCY.value: "Same prices and messages everywhere",
    Capability.ORCHESTRATION.value: "One contact policy",
    Capability.INVENTORY.value: "Shared inventory",
    Capability.SERVICE.value: "Returns and service in any channel",
}
PLAN_NAMES = {"multichannel": "Multichannel", "omnichannel": "Omnichannel",
              "custom": "Your custom plan"}


def capability_name(capability: str | Capability) -> str:
    """``"Shared inventory"`` for ``"inventory"``; unknown names are returned tidied."""
    key = capability.value if isinstance(capability, Capability) else str(capability)
    return CAPABILITY_NAMES.get(key, key.replace("_", " ").capitalize())


def plan_name(strategy: str) -> str:
    return PLAN_NAMES.get(strategy, strategy.replace("_", " ").capitalize())


def levels_description(levels: Sequence[float]) -> str:
    """``"Shared inventory 100%, One contact policy 50%"``; ``"nothing integrated"`` if all 0."""
    parts = [f"{capability_name(c)} {x:.0%}" for c, x in zip(Capability, levels, strict=True) if x > 0]
    return ", ".join(parts) if parts else "nothing integrated (multichannel)"


# Columns of the exported tables: plain name and unit. "share" columns hold fractions 0-1.
COLUMN_LABELS: dict[str, str] = {
    "strategy": "Plan",
    "kpi": "KPI",
    "week": "Week",
    "conversion_rate": "Conversion of newly reached people (share 0-1)",
    "journey_conversion": "Journeys ending in a purchase (share 0-1)",
    "retention_12m": "12-month retention (share 0-1)",
    "repeat_rate": "Repeat-purchase rate (share 0-1)",
    "repeat_12m": "Second purchase within 12 months (share 0-1)",
    "loyal_share": "Loyal customers (share 0-1)",
    "aov": "Average order value (currency)",
    "purchases_per_customer_year": "Purchases per customer-year",
    "revenue": "Net revenue (currency)",
    "net_revenue": "Net revenue (currency)",
    "gross_margin": "Gross margin (currency)",
    "marketing_cost": "Marketing cost (currency)",
    "returns_cost": "Returns cost (currency)",
    "integration_cost": "Integration cost, one-off and running (currency)",
    "net_contribution": "Net cash flow (currency)",
    "cumulative_net_contribution": "Cumulative net cash flow (currency)",
    "discounted_net_contribution": "Discounted net cash flow (currency)",
    "clv": "Customer lifetime value per customer (currency)",
    "npv": "NPV (currency)",
    "npv_gain": "NPV gain vs multichannel (currency)",
    "roi": "ROI on integration (share, 1 = 100%)",
    "payback_week": "Payback week (week number)",
    "active_customers": "Active customers (people)",
    "new_customers": "New customers (people)",
    "lapses": "Customers lapsed (people)",
    "people": "People (market)",
    "share_of_reached": "Share of people reached (share 0-1)",
    "stage": "Stage",
    "stage_label": "Stage (plain)",
    "value": "Value",
    "multichannel_value": "Multichannel value",
    "change_vs_multichannel": "Change vs multichannel (share, 0.1 = +10%)",
    "cumulative_gain_vs_multichannel": "Cumulative extra cash vs multichannel (currency)",
    "capability": "Capability",
    "level_on": "Level when switched on (0-1)",
    "npv_value": "Shapley value: NPV added (currency)",
    "clv_value": "Shapley value: CLV added per customer (currency)",
    "share_of_gain": "Share of the NPV gain (share 0-1)",
    "alone": "NPV gain on its own (currency)",
    "last_in": "NPV lost if dropped last (currency)",
    "rank": "Rank",
    "point": "Point result",
    "mean": "Mean over runs",
    "sd": "Standard deviation over runs",
    "ci_low": "90% interval of the mean, low",
    "ci_high": "90% interval of the mean, high",
    "p05": "5th percentile of runs",
    "p95": "95th percentile of runs",
    "replications": "Runs",
    "budget": "One-off budget (currency)",
    "factor": "Multiple of today's one-off costs",
    "one_off_cost": "One-off cost (currency)",
    "probability": "Probability (share 0-1)",
    "label": "Assumption",
    "unit": "Unit",
    "range": "Range tested",
    "low": "Low end",
    "high": "High end",
    "npv_gain_low": "NPV gain at the low end (currency)",
    "npv_gain_high": "NPV gain at the high end (currency)",
    "clv_gain_low": "CLV gain per customer at the low end (currency)",
    "clv_gain_high": "CLV gain per customer at the high end (currency)",
    "npv_swing": "Swing of the NPV gain (currency)",
    "clv_swing": "Swing of the CLV gain per customer (currency)",
    "parameter": "Parameter path",
    "plan": "Plan",
    "step": "Search step",
    "best": "Best plan",
    "lost_value": "Value of lost sales (currency)",
    "lost": "Lost (count)",
    "cause": "Cause",
    "survival": "Still active (share 0-1)",
    "weeks_since_first_purchase": "Weeks since first purchase",
    "at_risk": "Customers observed (people)",
    "journeys": "Journeys",
    "start_channel": "Channel the journey starts in",
    "destination": "Where the journey ends",
    "purchase": "Ended in a purchase",
    "customers": "Customers",
    "share_of_customers": "Share of customers (share 0-1)",
    "clv_from": "CLV from (currency)",
    "clv_to": "CLV to (currency)",
}
_QUANTILES = {f"q{q:02d}": f"{q}th percentile of runs" for q in (5, 25, 50, 75, 95)}


def column_label(column: str, currency: str | None = None) -> str:
    """Readable column name with its unit (``currency`` replaces the word "currency")."""
    label = COLUMN_LABELS.get(column) or _QUANTILES.get(column)
    if label is None:
        label = column.replace("_", " ").capitalize()
        if column in CAPABILITY_NAMES:
            label = f"{CAPABILITY_NAMES[column]} (level 0-1)"
    return label.replace("(currency)", f"({currency})") if currency else label


def readable_columns(frame: pd.DataFrame, currency: str | None = None) -> pd.DataFrame:
    """``frame`` with readable column names (duplicates kept distinct with the raw name) and
    plan names in the plan column."""
    out = frame.copy()
    labels: list[str] = []
    for column in out.columns:
        label = column_label(str(column), currency)
        labels.append(label if label not in labels else f"{label} [{column}]")
    if "strategy" in out.columns:
        out["strategy"] = out["strategy"].map(lambda s: plan_name(str(s)))
    if "capability" in out.columns:
        out["capability"] = out["capability"].map(lambda c: capability_name(str(c)))
    out.columns = pd.Index(labels)
    return out


def join_names(names: Iterable[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def plain_capabilities(text: str) -> str:
    """``text`` with every capability's code name (``inventory``) replaced by its plain name."""
    import re

    for code, name in CAPABILITY_NAMES.items():
        text = re.sub(rf"\b{code}\b", name, text)
    return text


GLOSSARY: dict[str, str] = {
    "Multichannel": "Every channel (store, web, app, ...) runs on its own: all six capabilities at 0%. "
                    "The baseline every gain is measured against.",
    "Omnichannel": "All six capabilities fully integrated (100%).",
    "Your custom plan": "The integration level of each capability set in the sidebar (a hybrid).",
    **{name: meaning for name, meaning in (
        ("Unified customer ID", "Customer records linked across channels, so offers and service "
                                "use everything a person did."),
        ("Cart and journey continuity", "A journey that switches channel keeps its cart and "
                                        "context instead of starting again."),
        ("Same prices and messages everywhere", "Prices, promotions and messages agree across "
                                                "channels, so customers do not meet conflicting offers."),
        ("One contact policy", "One plan caps and de-duplicates the messages all channels send."),
        ("Shared inventory", "Any channel can sell stock held anywhere (click-and-collect, "
                             "ship-from-store), so fewer sales are lost to stock-outs."),
        ("Returns and service in any channel", "Returns, exchanges and support accepted wherever "
                                               "the customer turns up."),
    )},
    "NPV (net present value)": "All future net cash flows of the horizon, discounted to today at the "
                               "scenario's annual rate, after marketing, returns and integration costs.",
    "CLV (customer lifetime value)": "A customer's discounted net contribution from the first "
                                     "purchase to the end of the horizon.",
    "Conversion (newly reached)": "Share of the people marketing newly reached who bought at least "
                                  "once; existing customers are not counted.",
    "12-month retention": "Share of customers still active 12 months after their first purchase.",
    "Payback week": "The week after which a plan's cumulative extra cash over multichannel stays "
                    "above zero.",
    "ROI on integration": "NPV gain divided by the discounted integration cost.",
    "Integration cost": "One-off project cost (spread over the ramp-up) plus running cost per week. "
                        "Budgets are one-off only; totals over the horizon include running costs.",
    "Break-even budget": "The largest one-off integration budget at which the NPV gain is still "
                         "zero or more within the horizon.",
    "Run (replication)": "One simulation with its own seed and, for the intervals, its own draw of "
                         "the uncertain assumptions.",
    "90% range of runs": "5th to 95th percentile of a result over the runs: the range to plan for.",
    "Interval of the mean": "How precisely the runs pin down the average; it narrows with more runs.",
    "P(omnichannel beats multichannel)": "Share of the runs in which omnichannel's NPV is higher.",
    "Sensitivity (tornado)": "Each assumption moved alone to the low and high end of its range, "
                             "to see which moves the gain most.",
    "Shapley value": "A fair split of a joint gain: each capability's extra value, averaged over "
                     "every order in which the capabilities could be added.",
    "Common random numbers": "All plans meet the same simulated people and random draws, so "
                             "differences between them come from integration, not luck.",
    "Seed": "The number that fixes every random draw: the same scenario and seed give the same numbers.",
    "Latin hypercube": "A way of drawing the uncertain assumptions so that a few runs still cover "
                       "each assumption's whole range evenly.",
    "Kaplan-Meier": "The standard estimate of how many customers are still active after so many "
                    "weeks, counting customers who joined late only while they were observed.",
    "KMeans": "A clustering method: it groups customers with similar behaviour (recency, "
              "frequency, spend, channel mix) into segments.",
    "ROC AUC": "How well a model ranks who will buy: 0.5 is chance, 1.0 is perfect.",
    "Network fill rate": "Share of out-of-stock requests that shared inventory can fill from "
                         "elsewhere in the network.",
    "Satisfaction churn elasticity": "How strongly a drop in satisfaction raises the chance that "
                                     "a customer lapses.",
}
"""Plain explanations of the terms the app and the report cannot avoid (Method page)."""


def explain(terms: Iterable[str]) -> str:
    """One sentence per glossary term among ``terms`` (matched case-insensitively at the start,
    so "Network fill rate" explains "Network fill rate (all segments)"); empty if none."""
    found: list[tuple[str, str]] = []
    for term in terms:
        for name, meaning in GLOSSARY.items():
            if str(term).lower().startswith(name.lower()) and name not in [f[0] for f in found]:
                found.append((name, meaning))
    return " ".join(f"*{name}*: {meaning[:1].lower()}{meaning[1:]}" for name, meaning in found)
