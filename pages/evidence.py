"""Evidence: published figures beside the model's, each measured the way its study measured it."""

import streamlit as st

from explorer import evidence_runs, ui
from explorer.downloads import data_csv
from simulation.calibration.evidence import targets_missed
from simulation.display import evidence_view as ev
from simulation.display.text import text

ui.page_header(text("nav.evidence"), text("question.evidence"))

with st.spinner(text("evidence.simulating")):
    evidence = evidence_runs.table()
missed = targets_missed(evidence)
targets = evidence[evidence["kind"] == "target"]
if missed.empty:
    st.success(text("evidence.all_within", count=len(targets)))
else:
    st.warning(text("evidence.some_outside", missed=len(missed), count=len(targets),
                    ids=", ".join(missed["id"])))

st.markdown(text("evidence.legend"))

ui.chart(ev.comparison_figure(evidence), evidence, name="evidence", stem="evidence-published_vs_model")

kinds = st.multiselect(text("evidence.show"), ev.KIND_ORDER, default=list(ev.KIND_ORDER),
                       key="evidence_kinds",
                       format_func=ev.kind_name)
shown = ev.display_table(evidence[evidence["kind"].isin(kinds)])
st.dataframe(shown, hide_index=True, width="stretch",
             column_config={text("evidence.link"): st.column_config.LinkColumn(
                 text("evidence.link"), display_text=text("evidence.source_link"))})
st.download_button(text("evidence.csv"), data_csv(evidence), file_name="evidence.csv",
                   key="evidence_csv", on_click="ignore", icon=":material/download:")

st.subheader(text("evidence.not_targets"))
for row in ev.translated(evidence[evidence["kind"] == "display only"]).itertuples():
    with st.container(border=True):
        st.markdown(text("evidence.row", metric=row.metric, published=row.published, source=row.source,
                         year=row.year, grade=row.grade, causal=row.causal))
        st.markdown(f"{row.model_note}")
        st.caption(text("evidence.shows", shows=row.shows, does_not_show=row.does_not_show))

st.caption(text("evidence.caption"))
