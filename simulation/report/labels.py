"""Plain names for what the app and the reports show: capabilities, plans and table columns.

Declared once here and used by the sidebar, the charts, the reports, the CSV exports and the
glossary, so a capability is called the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from simulation.scenario import Capability

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
