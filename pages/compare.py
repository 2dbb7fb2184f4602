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
    st.text_input(text("compare.name"), scenario.name, key=compare.NAME, help=text("compare.name_help"))
    st.button(text("compare.save"), key="compare_save", icon=":material/bookmark_add:",
              on_click=compare.save_current)
    if saved_as := compare.just_saved():
        st.success(text("compare.saved", name=fmt.escaped(saved_as)))
with right:
    files = st.file_uploader(text("compare.upload"), type=["json"], accept_multiple_files=True,
                             key="compare_upload")
    for file in files or []:
        try:
            loaded = Scenario.from_json(file.getvalue())
        except ScenarioError as error:
            st.error(text("compare.not_added", file=fmt.escaped(file.name),
                          error=fmt.escaped(error.one_line())))
            continue
        compare.save(file.name.removesuffix(".json"), loaded)

if linked:
    st.session_state[compare.PICK] = linked
if not store:
    st.info(text("compare.empty"), icon=":material/info:")
    st.stop()

picked = st.multiselect(text("compare.pick"), list(store), key=compare.PICK,
                        max_selections=compare.MAX_COMPARED)
compare.write_link(picked)
with st.expander(text("compare.files")):
    for saved_name, saved_scenario in store.items():
        st.download_button(text("compare.file", name=saved_name), saved_scenario.to_json(),
                           key=f"compare_dl_{saved_name}",
                           file_name=f"{saved_name}.json", mime="application/json", on_click="ignore",
                           icon=":material/download:")
if len(picked) < 2:
    st.info(text("compare.pick_two"), icon=":material/info:")
    st.stop()

items = compare.compared(store, picked)
table, differs = compare.comparison_table(items)
ui.static_table(table, key="compare_table", marked=differs)  # fits a phone's width
st.caption(text("compare.caption", first=fmt.escaped(picked[0])))
if any(background.get(verdict_view.full_key(i.results.scenario)) for i in items):
    verdict_view.poll_many([i.results.scenario.canonical_key() for i in items])
if any(i.stage != "full" for i in items) and st.button(
        text("compare.refine"), key="compare_refine", icon=":material/hourglass_top:",
        help=text("compare.refine_help")):
    for item in items:
        verdict_view.start(item.results.scenario)
    st.rerun()
