"""Journey and funnel: stages, channel flows and lost sales by cause."""

import streamlit as st

from explorer import state, tables, ui
from simulation.display import charts, theme
from simulation.display import format as fmt

ui.page_header(
    "Journey and funnel",
    "Where do shopping journeys leak, and which leaks does integration close?",
)
results = state.results()
strategies = list(results.kpis.index)

st.subheader("The five-stage funnel")
ui.chart(charts.funnel_figure(results), charts.funnel_data(results), name="funnel",
         results=results)
st.caption("Counts of people in the real market at the end of the horizon; percentages are "
           "shares of the people marketing reached. Integration cannot change reach (the same "
           "media plan runs in all three); it changes what happens after.")

st.subheader("Channel flows: where journeys start and where they buy")
tabs = st.tabs([theme.plan_label(s) for s in strategies])
for tab, strategy in zip(tabs, strategies, strict=True):
    with tab:
        ui.chart(charts.flows_figure(results, strategy), charts.flows_data(results, strategy),
                 name=f"channel_flows_{strategy}", results=results)
st.caption("Left: the channel a journey starts in. Right: the channel it ends with a purchase "
           "in, or why it was lost. Hover a band for the number of journeys.")

st.subheader("Lost sales by cause")
ui.chart(charts.losses_figure(results), charts.losses_data(results), name="lost_sales",
         results=results)
churn = tables.customers_lost_to_churn(results)
st.caption(
    "Value of the orders journeys would have led to. *Abandoned* journeys run out of "
    "touchpoints without buying; it can rise with integration because journeys that would "
    "have been lost earlier now stay open. Customers lost to over-messaging churn: "
    + "; ".join(f"{theme.plan_label(s)} {fmt.count(churn.get(s))}" for s in strategies) + "."
)
