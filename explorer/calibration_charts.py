"""Calibration page helpers: plain functions, results in, tables and plotly figures out."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from explorer import format as fmt
from explorer import theme
from simulation.calibration import KPI_SPECS, Calibration
from simulation.results import Results

PROJECTION_KPIS = {
    "conversion_rate": "Conversion",
    "retention_12m": "12-month retention",
    "aov": "Average order value",
    "purchases_per_customer_year": "Purchases per customer-year",
    "clv": "Customer lifetime value",
    "npv": "NPV after all costs",
}


def _value(kpi: str, value: float) -> str:
    spec = KPI_SPECS.get(kpi)
    if spec is not None and spec.rate:
        return fmt.percent(value)
    return f"{value:,.2f}"


def target_table(calibration: Calibration) -> pd.DataFrame:
    """Target vs fitted with the error, formatted for display."""
    t = calibration.table
    return pd.DataFrame({
        "KPI": t["label"],
        "Target": [_value(k, v) for k, v in zip(t["kpi"], t["target"], strict=True)],
        "Fitted": [_value(k, v) for k, v in zip(t["kpi"], t["fitted"], strict=True)],
        "Error": [_value(k, v) if KPI_SPECS[k].rate else f"{v:+,.2f}"
                  for k, v in zip(t["kpi"], t["error"], strict=True)],
        "Relative error": [fmt.percent(v, signed=True) for v in t["relative_error"]],
        "Within tolerance": ["yes" if w else "no" for w in t["within"]],
    })


def target_figure(calibration: Calibration) -> go.Figure:
    """Fitted as a share of target per KPI, with each KPI's tolerance as an error bar."""
    t = calibration.table
    ratio = t["fitted"] / t["target"]
    tol = t["tolerance"] / t["target"]
    fig = go.Figure()
    fig.add_bar(x=t["label"], y=[1.0] * len(t), name="Target", marker_color=theme.NEUTRAL_COLOUR,
                error_y={"type": "data", "array": tol, "visible": True})
    fig.add_bar(x=t["label"], y=ratio, name="Fitted (current plan, simulated)",
                marker_color=theme.PURCHASE_COLOUR)
    fig.update_layout(template=theme.template(), barmode="group", height=380,
                      title="Fitted KPIs relative to your targets (bar on the target: tolerance)",
                      yaxis={"tickformat": ".0%", "title": "share of target"})
    return fig


def projection_data(results: Results) -> pd.DataFrame:
    k = results.kpis[list(PROJECTION_KPIS)].copy()
    k.index.name = "plan"
    return k.reset_index()


def projection_table(results: Results) -> pd.DataFrame:
    currency = results.scenario.market.currency
    rows = {}
    for plan, row in results.kpis.iterrows():
        rows[theme.strategy_label(str(plan))] = {
            "Conversion": fmt.percent(row["conversion_rate"]),
            "12-month retention": fmt.percent(row["retention_12m"]),
            "Average order value": fmt.money(row["aov"], currency, exact=True),
            "Purchases per customer-year": f"{row['purchases_per_customer_year']:.2f}",
            "Customer lifetime value": fmt.money(row["clv"], currency),
            "NPV after all costs": fmt.money(row["npv"], currency),
            "NPV gain vs. current": fmt.money(row["npv_gain"], currency, signed=True),
        }
    return pd.DataFrame(rows)


def projection_figure(results: Results) -> go.Figure:
    """Conversion, retention and CLV of each plan relative to the current plan."""
    k = results.kpis
    base = k.iloc[0]
    fig = go.Figure()
    for plan in k.index:
        rel = [k.loc[plan, c] / base[c] - 1 for c in ("conversion_rate", "retention_12m", "clv")]
        fig.add_bar(x=["Conversion", "12-month retention", "Customer lifetime value"], y=rel,
                    name=theme.strategy_label(str(plan)), marker_color=theme.strategy_colour(str(plan)))
    fig.update_layout(template=theme.template(), barmode="group", height=400,
                      title="Each plan against your calibrated current state",
                      yaxis={"tickformat": "+.0%", "title": "change vs. current"})
    return fig


def mix_table(mix: pd.DataFrame) -> pd.DataFrame:
    wide = mix.pivot(index="group", columns="basis", values="share")
    return wide.rename(columns={"used": "by channels used", "bought": "by channels bought"}).reset_index()


def log_kpi_table(kpis: dict[str, float]) -> pd.DataFrame:
    """The event log's KPIs with their definitions."""
    from simulation.eventlog import EVENT_KPIS

    return pd.DataFrame({
        "KPI": list(kpis),
        "Value": [_value(k, v) if k in KPI_SPECS else fmt.percent(v) for k, v in kpis.items()],
        "Definition": [EVENT_KPIS[k] for k in kpis],
    })
