"""Evidence: published figures beside the model's, each measured the way its study measured it."""

import streamlit as st

from explorer import evidence_runs, ui
from explorer.downloads import data_csv
from simulation.calibration.evidence import targets_missed
from simulation.display import evidence_view as ev
from simulation.display.text import text

ui.page_header(text("nav.evidence"), text("question.evidence"))

evidence = evidence_runs.table()
missed = targets_missed(evidence)
targets = evidence[evidence["kind"] == "target"]
if missed.empty:
    st.success(f"All {len(targets)} target figures are reproduced within their tolerance by the "
               "shipped presets (a test keeps it so).")
else:
    st.warning(f"{len(missed)} of {len(targets)} target figures are outside their tolerance: "
               + ", ".join(missed["id"]))

st.markdown(
    "- **target**: the preset is tuned to reproduce it; **range check**: an emergent figure "
    "that should land in a range; **input**: a parameter is set from it; **display only**: "
    "shown beside what the model says, with why it is not a target.\n"
    "- Most studies are **correlational**: customers who use several channels may simply be "
    "the loyal, frequent ones. Reproducing them checks the model's *description* of shoppers, "
    "not the *effect* of integration; that effect comes only from the mechanisms.")

ui.chart(ev.comparison_figure(evidence), evidence, name="evidence", stem="evidence-published_vs_model")

kinds = st.multiselect("Show", ev.KIND_ORDER, default=list(ev.KIND_ORDER), key="evidence_kinds")
shown = ev.display_table(evidence[evidence["kind"].isin(kinds)])
st.dataframe(shown, hide_index=True, width="stretch",
             column_config={"Link": st.column_config.LinkColumn("Link", display_text="source")})
st.download_button("Evidence table (CSV)", data_csv(evidence), file_name="evidence.csv",
                   key="evidence_csv", on_click="ignore", icon=":material/download:")

st.subheader("Figures that are not targets, and why")
for row in evidence[evidence["kind"] == "display only"].itertuples():
    with st.container(border=True):
        st.markdown(f"**{row.metric}**: published {row.published} ({row.source}, {row.year}; "
                    f"grade {row.grade}, causal: {row.causal})")
        st.markdown(f"{row.model_note}")
        st.caption(f"Shows: {row.shows}. Does not show: {row.does_not_show}.")

st.caption("Measured on the multichannel plan (retailers as the studies observed them) with "
           "each preset's own population and seed: the 14-month HBR window and one-year Criteo "
           "and McKinsey windows are separate runs of that length. Tuning notes are in "
           "data/presets/benchmark_retailer.toml and data/presets/fashion.toml.")
