"""Investment: cumulative cash, NPV, ROI and payback of each strategy."""

import pandas as pd
import streamlit as st

from explorer import state, ui
from simulation.display import charts, theme
from simulation.display import format as fmt

ui.page_header(
    "Investment",
    "What does integration cost, when does it pay back, and what is it worth after cost?",
)
results = state.results()
currency = results.scenario.market.currency
kpis = results.kpis

table = pd.DataFrame({
    theme.plan_label(s): {
        "Net revenue": fmt.money(row["revenue"], currency),
        "Gross margin": fmt.money(row["gross_margin"], currency),
        "Margin given up by harmonised prices": fmt.money(-row["harmonisation_cost"], currency),
        "Marketing cost (reach, contacts, offers)": fmt.money(-row["marketing_cost"], currency),
        "Returns cost": fmt.money(-row["returns_cost"], currency),
        "Cost to serve (picking, delivery, ship-from-store)": fmt.money(-row["fulfilment_cost"], currency),
        "Integration cost (one-off and running)": fmt.money(-row["integration_cost"], currency),
        "Net cash flow": fmt.money(row["net_contribution"], currency),
        charts.npv_label(results): fmt.money(row["npv"], currency),
        "Terminal value of the customer base": fmt.money(row["terminal_value"], currency),
        "Purchases moved between channels": fmt.count(row["migrated_purchases"]),
        "Purchases that would not have happened": fmt.count(row["incremental_purchases"]),
        "NPV gain vs. multichannel": fmt.money(row["npv_gain"], currency, signed=True)
        if s != "multichannel" else "baseline",
        "ROI on integration": fmt.percent(row["roi"], digits=0) if s != "multichannel" else "n/a",
        "Payback": fmt.week(row["payback_week"]) if s != "multichannel" else "n/a",
    }
    for s, row in kpis.iterrows()
})
st.subheader(f"Totals over {results.scenario.market.horizon_weeks} weeks")
st.dataframe(table, width="stretch")
st.caption(f"Money in {currency}, scaled to the market size, not discounted except NPV and terminal "
           f"value ({fmt.percent(results.scenario.market.discount_rate_annual, digits=0)} a year). "
           "Terminal value: what the customers active at the horizon are still worth (lifetime CLV "
           "tail); NPV counts it only when the setting is on. Moved vs would not have happened: the "
           "change in purchases against multichannel, channel by channel and week by week.")

ui.chart(charts.cumulative_cash_figure(results), charts.weekly_data(
    results, ("net_contribution", "cumulative_net_contribution", "integration_cost")),
    name="cumulative_cash_flow", results=results)

left, right = st.columns(2)
with left:
    ui.chart(charts.cash_gain_figure(results), charts.cash_gain_data(results),
             name="payback", results=results)
with right:
    ui.chart(charts.npv_figure(results), charts.npv_data(results), name="npv", results=results)
st.caption("Payback week: the week after which the plan's cumulative extra cash over "
           "multichannel stays above zero. ROI: NPV gain divided by the discounted integration "
           "cost. Integration spending falls in the ramp-up weeks of each capability.")
