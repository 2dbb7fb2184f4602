"""Retention and value: cohort survival, CLV distribution, revenue and customers over time."""

import streamlit as st

from explorer import state, ui
from simulation.display import charts, personalization_charts, selection_charts
from simulation.display import format as fmt
from simulation.display.labels import plan_name
from simulation.display.text import text

ui.page_header(text("nav.value"), text("question.value"))
results = state.results(details=True)

left, right = st.columns(2)
with left:
    ui.chart(charts.survival_figure(results), charts.survival_data(results),
             name="cohort_survival", results=results)
    st.caption(text("chart.survival_caption"))
with right:
    ui.chart(charts.clv_distribution_figure(results), charts.clv_distribution_data(results),
             name="clv_distribution", results=results)
    st.caption(text("chart.clv_caption"))

left, right = st.columns(2)
with left:
    ui.chart(charts.revenue_figure(results),
             charts.weekly_data(results, ("net_revenue", "gross_margin")),
             name="revenue_over_time", results=results)
with right:
    ui.chart(charts.active_customers_figure(results),
             charts.weekly_data(results, ("active_customers", "new_customers", "lapses")),
             name="active_customers", results=results)
st.caption(text("chart.over_time_caption"))

st.subheader(text("selection.heading"))
selection = selection_charts.selection_data(results)
st.markdown(fmt.escaped(selection_charts.selection_sentence(results, selection)))
ui.chart(selection_charts.selection_figure(results, selection), selection, name="selection", results=results)
st.caption(text("selection.caption"))

st.subheader(text("chart.silos_heading"))
ui.chart(personalization_charts.data_silos_figure(results),
         personalization_charts.data_silos_data(results), name="data_silos", results=results)
st.caption(text("chart.silos_caption"))

st.subheader(text("chart.segments_heading"))
ui.chart(personalization_charts.segments_figure(results),
         personalization_charts.segments_data(results), name="segments", results=results)
others = [str(p) for p in results.kpis.index[1:]]
compared = st.radio(text("segment_change.plan_pick"), others, format_func=plan_name, horizontal=True,
                    key="value_segment_plan")
ui.chart(personalization_charts.segment_change_figure(results, compared or others[0]),
         personalization_charts.segment_change_data(results), name="segment_change", results=results)
st.caption(text("segment_change.caption"))
ui.chart(personalization_charts.segment_value_figure(results),
         personalization_charts.segment_value_data(results), name="segment_value", results=results)
st.caption(text("segment_change.hidden_caption"))
