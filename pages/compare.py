"""Compare scenarios: save named scenarios, pick two to four, see KPIs and verdicts side by side."""

import streamlit as st

from explorer import background, compare, state, ui, verdict_view
from simulation import Scenario, ScenarioError
from simulation.display import format as fmt
from simulation.display.text import text

ui.page_header(text("nav.compare"), text("question.compare"))
scenario = state.current_scenario()
linked = compare.read_link()
store = compare.saved()

left, right = st.columns([3, 2])
with left:
    name = st.text_input("Name for the current scenario", scenario.name, key="compare_name",
                         help="Saved in this session; download it below to keep it as a file.")
    if st.button("Save the current scenario", key="compare_save", icon=":material/bookmark_add:"):
        saved_as = compare.save(name, scenario)
        st.session_state["compare_pick"] = [*st.session_state.get("compare_pick", []), saved_as][
            -compare.MAX_COMPARED:]
        st.success(f"Saved as **{fmt.escaped(saved_as)}**.")
with right:
    files = st.file_uploader("Add saved scenario files (JSON)", type=["json"], accept_multiple_files=True,
                             key="compare_upload")
    for file in files or []:
        try:
            loaded = Scenario.from_json(file.getvalue())
        except ScenarioError as error:
            st.error(f"{fmt.escaped(file.name)} was not added: {fmt.escaped(error.one_line())}")
            continue
        compare.save(file.name.removesuffix(".json"), loaded)

if linked:
    st.session_state["compare_pick"] = linked
if not store:
    st.info("No saved scenarios yet: save the current one, change a preset or a slider, save "
            "again, then compare. Saved scenario files can be added on the right.",
            icon=":material/info:")
    st.stop()

picked = st.multiselect("Scenarios to compare (two to four)", list(store), key="compare_pick",
                        max_selections=compare.MAX_COMPARED)
compare.write_link(picked)
with st.expander("Saved scenarios as files"):
    for saved_name, saved_scenario in store.items():
        st.download_button(f"{saved_name} (JSON)", saved_scenario.to_json(), key=f"compare_dl_{saved_name}",
                           file_name=f"{saved_name}.json", mime="application/json", on_click="ignore",
                           icon=":material/download:")
if len(picked) < 2:
    st.info("Pick at least two scenarios.", icon=":material/info:")
    st.stop()

items = compare.compared(store, picked)
table, differs = compare.comparison_table(items)
st.dataframe(
    table.style.apply(lambda col: ["background-color: #FFF3C4; font-weight: 600" if d else ""
                                   for d in differs[col.name]], axis=0),
    width="stretch", height=560, key="compare_table",
)
st.caption(f"Highlighted: differs from **{fmt.escaped(picked[0])}** (the first picked); brackets give the "
           "difference. Each scenario is simulated with its own seed and people. The link in the "
           "address bar carries this comparison.")
if any(background.get(verdict_view.full_key(i.results.scenario)) for i in items):
    verdict_view.poll_many([i.results.scenario.canonical_key() for i in items])
if any(i.stage != "full" for i in items) and st.button(
        "Work out how sure each verdict is", key="compare_refine", icon=":material/hourglass_top:",
        help="Runs the analyses behind each verdict in the background (once per scenario)."):
    for item in items:
        verdict_view.start(item.results.scenario)
    st.rerun()
