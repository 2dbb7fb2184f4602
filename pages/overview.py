"""Overview: the verdict first, then the headline KPIs of the three plans."""

import streamlit as st

from explorer import report_view, state, ui, verdict_view
from simulation.display import charts, summary
from simulation.display.labels import all_capabilities, capability_count

ui.page_header(
    "Omnichannel Strategy Explorer",
    "Is integrating our sales and marketing channels worth it, and how much of it should we do?",
)
results = state.results()

verdict, stage, analysis = verdict_view.panel_with_analysis(results)
report_view.buttons(results, analysis, verdict_view.request_of(stage), key="overview_report")

st.markdown(summary.headline(results))
ui.kpi_cards(results)
ui.run_facts(results)

ui.chart(charts.kpi_change_figure(results), charts.kpi_change_data(results),
         name="change_vs_multichannel", results=results)
st.caption(
    f"Multichannel: every channel runs on its own ({all_capabilities()} at 0%). Omnichannel: all "
    f"{capability_count()} integrated (100%). Your custom plan: the levels in the sidebar. All three are "
    "simulated on the same people with the same random draws, so differences come from "
    "integration alone. Money is scaled to the market size; CLV is per customer."
)
