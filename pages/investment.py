"""Investment: cumulative cash, NPV, ROI and payback of each strategy."""

import streamlit as st

from explorer import state, ui
from simulation.display import charts, summary
from simulation.display import format as fmt
from simulation.display.text import text

ui.page_header(text("nav.investment"), text("question.investment"))
results = state.results()
currency = results.scenario.market.currency

table = summary.kpi_table(results, (
    "revenue", "gross_margin", "harmonisation_cost", "marketing_cost", "returns_cost",
    "fulfilment_cost", "service_cost", "integration_cost", "net_contribution", "npv", "terminal_value",
    "migrated_purchases", "incremental_purchases", "npv_gain", "roi", "payback_week"))
st.subheader(text("investment.totals", weeks=results.scenario.market.horizon_weeks))
ui.static_table(table, key="investment_totals")  # fits a phone's width (no sideways scroll)
st.caption(text("investment.totals_caption", currency=currency,
                rate=fmt.percent(results.scenario.market.discount_rate_annual, digits=0)))

ui.chart(charts.cumulative_cash_figure(results), charts.weekly_data(
    results, ("net_contribution", "cumulative_net_contribution", "integration_cost")),
    name="cumulative_cash_flow", results=results)

left, right = st.columns(2)
with left:
    ui.chart(charts.cash_gain_figure(results), charts.cash_gain_data(results),
             name="payback", results=results)
with right:
    ui.chart(charts.npv_figure(results), charts.npv_data(results), name="npv", results=results)
st.caption(text("investment.payback_caption"))
