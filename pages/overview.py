"""Overview: the verdict first, then the headline KPIs of the three plans."""

import streamlit as st

from explorer import report_view, state, ui, verdict_view
from simulation.display import charts, summary
from simulation.display.labels import all_capabilities, capability_count
from simulation.display.text import text

ui.page_header(text("app.title"), text("app.question"))
results = state.results()

verdict, stage, analysis = verdict_view.panel_with_analysis(results)
report_view.buttons(results, analysis, verdict_view.request_of(stage), key="overview_report")

st.markdown(summary.headline(results))
ui.kpi_cards(results)
ui.run_facts(results)

ui.chart(charts.kpi_change_figure(results), charts.kpi_change_data(results),
         name="change_vs_multichannel", results=results)
st.caption(text("overview.caption", capabilities=all_capabilities(), count=capability_count()))
