"""Omnichannel Strategy Explorer: ``streamlit run app.py``.

Builds the navigation from the page list (:data:`explorer.page_list.PAGES`: add a page there),
draws the shared sidebar, keeps the scenario in the address bar and runs the selected page.
"""

import streamlit as st

from explorer import heap, language, page_list, sidebar, state, ui
from simulation.core.kernels import threads
from simulation.display.text import text

# The server's sessions are threads and its runs go to the worker pool: any kernel that does run
# in this process stays on one thread (never two parallel launches from two sessions at once).
threads.one_thread()
language.activate()  # before any text is looked up
st.set_page_config(page_title=text("app.title"), page_icon=":material/hub:", layout="wide")

page = st.navigation({
    text(page_list.SECTION_KEYS[section]): [
        st.Page(p.path, title=text(p.key), icon=p.icon, url_path=p.url_path, default=p.default)
        for p in pages]
    for section, pages in page_list.sections().items()
})
ui.phone_layout()
scenario = sidebar.render()
state.show_messages()
state.sync_link(scenario)
language.sync_link()
try:
    page.run()
finally:  # also when the page stops or reruns early
    heap.after_run()  # freeze new imports; a full collection at most every few seconds

