"""Journey and funnel: stages, channel flows and lost sales by cause."""

import streamlit as st

from explorer import state, tables, ui
from simulation.display import charts, theme
from simulation.display import format as fmt
from simulation.display.text import text

ui.page_header(text("nav.journey"), text("journey.question"))
results = state.results()
strategies = list(results.kpis.index)

st.subheader(text("journey.funnel"))
ui.chart(charts.funnel_figure(results), charts.funnel_data(results), name="funnel",
         results=results)
st.caption(text("journey.funnel_caption"))

st.subheader(text("journey.flows"))
tabs = st.tabs([theme.plan_label(s) for s in strategies])
for tab, strategy in zip(tabs, strategies, strict=True):
    with tab:
        ui.chart(charts.flows_figure(results, strategy), charts.flows_data(results, strategy),
                 name=f"channel_flows_{strategy}", results=results)
st.caption(text("journey.flows_caption"))

st.subheader(text("journey.losses"))
ui.chart(charts.losses_figure(results), charts.losses_data(results), name="lost_sales",
         results=results)
churn = tables.customers_lost_to_churn(results)
st.caption(text("journey.losses_caption", churn="; ".join(
    f"{theme.plan_label(s)} {fmt.count(churn.get(s))}" for s in strategies)))
