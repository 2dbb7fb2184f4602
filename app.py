"""Omnichannel Strategy Explorer: ``streamlit run app.py``.

Declares the pages (one line each; add yours to ``PAGES``), draws the shared sidebar, keeps
the scenario in the address bar and runs the selected page.
"""

import streamlit as st

from explorer import sidebar, state, ui

st.set_page_config(page_title="Omnichannel Strategy Explorer", page_icon=":material/hub:",
                   layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/journey.py", title="Journey and funnel", icon=":material/route:"),
    st.Page("pages/value.py", title="Retention and value", icon=":material/favorite:"),
    st.Page("pages/investment.py", title="Investment", icon=":material/payments:"),
    st.Page("pages/decisions.py", title="Decisions", icon=":material/insights:"),
    st.Page("pages/compare.py", title="Compare scenarios", icon=":material/compare_arrows:"),
    st.Page("pages/calibrate.py", title="Calibrate to your business", icon=":material/tune:"),
    st.Page("pages/evidence.py", title="Evidence", icon=":material/fact_check:"),
    st.Page("pages/method.py", title="Method and assumptions", icon=":material/menu_book:"),
]

page = st.navigation(PAGES)
ui.phone_layout()
scenario = sidebar.render()
state.show_messages()
state.sync_link(scenario)
page.run()
