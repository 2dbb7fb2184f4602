"""A message queued for the top of the page (an upload refused, a link broken) stays through the
reruns the app starts itself (a better verdict landed) and goes at the reader's next action.

Under CI load the quick estimate once landed between a refused upload and the end of the page's
run: the page reran on its own and the upload's error was gone."""

from __future__ import annotations

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest


def _page() -> None:
    import streamlit as st

    from explorer import state

    if st.session_state.pop("upload_now", False):
        state.tell("error", "File bad.json was not loaded: the scenario is unchanged.", ["not valid JSON"])
    state.show_messages()
    st.write("runs:", st.session_state.setdefault("runs", 0))
    st.session_state["runs"] += 1
    if st.session_state.pop("verdict_lands", False):
        state.rerun_page()


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_a_rerun_the_app_starts_keeps_the_message():
    at = AppTest.from_function(_page)
    at.session_state["upload_now"] = True
    at.session_state["verdict_lands"] = True
    at.run()
    assert at.session_state["runs"] == 2  # the page did rerun on its own
    assert len(_errors(at)) == 1
    assert "bad.json" in _errors(at)[0] and "not valid JSON" in _errors(at)[0]


def test_the_readers_next_run_clears_the_message():
    at = AppTest.from_function(_page)
    at.session_state["upload_now"] = True
    at.run()
    assert len(_errors(at)) == 1
    at.run()  # the reader moved a slider
    assert _errors(at) == []
    at.session_state["verdict_lands"] = True
    at.run()  # a verdict landing later does not bring back an old message
    assert _errors(at) == []
