"""Plain-language sentences from results (no Streamlit), for the overview and reports."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from simulation import Capability, Plan
from simulation.core.kpis import KPI_BY_KEY, Kind
from simulation.core.results import Results
from simulation.display import format as fmt
from simulation.display import theme
from simulation.display.labels import kpi_label, npv_label
from simulation.display.text import text


def _plan_sentence(results: Results, strategy: str) -> str:
    kpis = results.kpis.loc[strategy]
    currency = results.scenario.market.currency
    gain = float(kpis["npv_gain"])
    plan = theme.plan_label(strategy)
    if same_as_multichannel(results, strategy):
        return text("headline.same", plan=plan)
    cost = fmt.money(float(kpis["integration_cost"]), currency)
    payback = float(kpis["payback_week"])
    if math.isnan(payback):
        pays = text("headline.no_payback")
    elif payback == 0:
        pays = text("headline.ahead")
    else:
        pays = text("headline.pays_back", week=fmt.week(payback))
    return text("headline.more" if gain >= 0 else "headline.less", plan=plan,
                amount=fmt.money(abs(gain), currency), cost=cost, pays=pays)


def same_as_multichannel(results: Results, strategy: str) -> bool:
    """True for a plan with every capability at 0 (it equals multichannel bit for bit)."""
    if strategy == Plan.MULTICHANNEL.value:
        return True
    if strategy == Plan.CUSTOM.value:
        plan = results.scenario.custom_plan
        return all(plan.of(c) == 0 for c in Capability)
    return False


def headline(results: Results) -> str:
    """One or two sentences: what each plan is worth against multichannel, and when it pays."""
    horizon = results.scenario.market.horizon_weeks
    plans = [s for s in results.kpis.index if s != Plan.MULTICHANNEL.value]
    parts = [_plan_sentence(results, str(s)) for s in plans]
    return text("headline.over", weeks=horizon, years=fmt.decimal(horizon / 52, 1),
                plans="; ".join(parts))


def kpi_table(results: Results, keys: Sequence[str]) -> pd.DataFrame:
    """KPIs ``keys`` (rows) of each plan (columns), labelled and formatted from the KPI registry.

    Costs are shown as negative amounts, and the baseline's own gain, ROI and payback as
    "baseline" or "n/a".
    """
    currency = results.scenario.market.currency
    baseline = str(results.kpis.index[0])
    columns = {}
    for strategy, row in results.kpis.iterrows():
        cells = {}
        for key in keys:
            spec = KPI_BY_KEY[key]
            label = npv_label(results) if key == "npv" else kpi_label(key, baseline=baseline)
            value = float(row[key])
            if spec.vs_baseline and strategy == baseline and spec.kind is not Kind.COUNT:
                cells[label] = text("kpis.baseline") if key == "npv_gain" else fmt.not_available()
                continue
            cost = spec.kind is Kind.MONEY and spec.higher_is_better is False
            cells[label] = fmt.kpi(key, -value if cost else value, currency, signed=key == "npv_gain",
                                   exact=spec.kind is Kind.WEEKS)
        columns[theme.plan_label(str(strategy))] = cells
    return pd.DataFrame(columns)
