"""Method and assumptions: the model in plain language, every parameter, the limits."""

from pathlib import Path

import streamlit as st

from explorer import downloads, state, tables, ui
from simulation import APP_VERSION
from simulation.display import format as fmt
from simulation.display.labels import capability_count
from simulation.display.text import ENGLISH, language, text

ui.page_header(text("nav.method"), text("question.method"))
scenario = state.current_scenario()
market = scenario.market

st.subheader(text("method.how"))
steps = ("reach", "messages", "journeys", "orders", "satisfaction")
st.markdown("\n\n".join([
    text("method.intro", population=fmt.count(market.population, exact=True),
         market=fmt.count(market.market_size, exact=True), weeks=market.horizon_weeks),
    "\n".join(f"{i}. {text(f'method.step_{step}')}" for i, step in enumerate(steps, 1)),
    text("method.plans", count=capability_count()),
    text("method.costs", stores=fmt.count(scenario.business.stores, exact=True)),
    text("method.reproducibility", seed=scenario.seed, version=APP_VERSION),
]))

model_doc = Path(__file__).resolve().parents[1] / "docs" / "MODEL.md"
if language() == ENGLISH:
    with st.expander(text("method.full_model")):
        st.markdown(model_doc.read_text(encoding="utf-8"))
elif st.toggle(text("method.full_model"), key="method_full_model"):  # English only: shown on request
    st.markdown(model_doc.read_text(encoding="utf-8"))

st.subheader(text("method.parameters"))
table = tables.parameter_table(scenario)
# Each group in its expander, a parameter a line: every meaning and source is read whole at any
# width (a grid cut them off, and a table of five columns scrolled sideways on a phone).
for group, lines in tables.parameter_lines(table):
    with st.expander(group):
        st.markdown(lines)
st.download_button(
    text("method.parameters_csv"), lambda: downloads.data_csv(table), key="csv_parameters",
    file_name=downloads.file_stem(scenario.name, "parameters", scenario.seed) + ".csv",
    mime="text/csv", on_click="ignore", icon=":material/download:",
)
st.caption(text("method.assumption_note"))

st.subheader(text("method.glossary"))
# A static table: each meaning is read whole (the grid cut it off, at 390 px after a few words).
ui.static_table(tables.glossary_table(), key="glossary", hide_index=True)

st.subheader(text("method.limits"))
limits = ("model", "draw", "left_out", "levels", "costs", "scaling")
st.markdown("\n".join(f"- {text(f'method.limit_{limit}')}" for limit in limits))
