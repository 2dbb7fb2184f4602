"""The Compare page: save two scenarios, compare them side by side, the link carries it."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.local_script_runner import LocalScriptRunner

from simulation import Scenario
from simulation.display.labels import kpi_label

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def test_two_saved_scenarios_side_by_side_with_differences_marked_and_linked():
    small = Scenario.preset("benchmark_retailer").replace(market__population=1000, market__horizon_weeks=52)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["s"] = small.to_url_token()
    at.run()
    at.switch_page("pages/compare.py").run()
    assert not at.exception
    at.text_input(key="compare_name").set_value("Plan A").run()
    at.button(key="compare_save").click().run()
    at.select_slider(key="integration_cost_total").set_value(4_000_000.0).run()
    at.text_input(key="compare_name").set_value("Plan B, dearer").run()
    at.button(key="compare_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="compare_pick").value == ["Plan A", "Plan B, dearer"]
    table = at.table[0].value.map(lambda cell: cell.replace("\\", ""))  # a static table: escaped Markdown
    assert list(table.columns) == ["Plan A", "Plan B, dearer"]
    # Dearer integration: same simulated behaviour, a smaller NPV gain, marked with the difference.
    npv, gain = f"{kpi_label('npv')}, multichannel", f"{kpi_label('npv_gain')}, omnichannel"
    assert table.loc[npv, "Plan A"] == table.loc[npv, "Plan B, dearer"]
    assert "(-$" in table.loc[gain, "Plan B, dearer"]
    link = at.query_params["c"]
    link = link[0] if isinstance(link, list) else link
    assert len(link.split(".")) == 2

    fresh = AppTest.from_file(APP, default_timeout=120)
    fresh.query_params["s"] = small.to_url_token()
    fresh.query_params["c"] = link
    fresh.run()
    fresh.switch_page("pages/compare.py").run()
    assert not fresh.exception
    assert len(fresh.multiselect(key="compare_pick").value) == 2


def test_uploaded_scenario_files_are_added_and_a_bad_one_is_refused_by_name():
    small = Scenario.preset("benchmark_retailer").replace(market__population=1000, market__horizon_weeks=52)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["s"] = small.to_url_token()
    at.run()
    at.switch_page("pages/compare.py").run()
    assert any("No saved scenarios yet" in i.value for i in at.info)
    other = small.replace(seed=8)
    at.file_uploader(key="compare_upload").set_value([
        ("seed 8.json", other.to_json().encode(), "application/json"),
        ("broken.json", b'{"market": {"population": 5}}', "application/json"),
    ]).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = " ".join(e.value for e in at.error).replace("\\", "")
    assert "broken.json was not added" in errors and "market.population: 5 is below 100" in errors
    assert at.multiselect(key="compare_pick").options == ["seed 8"]
    assert at.session_state["saved_scenarios"] == {"seed 8": other}
    assert at.session_state["scenario"] == small  # an upload here never replaces the scenario


def test_the_link_carries_a_saved_scenario_before_saved_as_is_shown(monkeypatch):
    """The address bar's ``c=`` reaches the browser before the "Saved as" note: a link copied as
    soon as the note shows holds the new scenario. Written after the note (in the page's script),
    the browser test, reopening the link under load, compared only the next scenario it saved."""
    sent: list[ForwardMsg] = []
    forward_msgs = LocalScriptRunner.forward_msgs

    def recorded(runner: LocalScriptRunner) -> list[ForwardMsg]:
        sent[:] = forward_msgs(runner)
        return sent

    monkeypatch.setattr(LocalScriptRunner, "forward_msgs", recorded)
    small = Scenario.preset("benchmark_retailer").replace(market__population=1000, market__horizon_weeks=52)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["s"] = small.to_url_token()
    at.run()
    at.switch_page("pages/compare.py").run()
    for name in ("Plan A", "Plan A", "Plan B"):  # saving the same scenario twice picks it once
        at.text_input(key="compare_name").set_value(name).run()
        at.button(key="compare_save").click().run()
        assert not at.exception, [e.value for e in at.exception]
        link = next(i for i, m in enumerate(sent) if m.WhichOneof("type") == "page_info_changed"
                    and "c=" in m.page_info_changed.query_string)
        note = next(i for i, m in enumerate(sent) if m.WhichOneof("type") == "delta"
                    and f"Saved as **{name}**" in str(m.delta.new_element.alert.body))
        assert link < note
    assert at.multiselect(key="compare_pick").value == ["Plan A", "Plan B"]
    link = at.query_params["c"]
    assert len((link[0] if isinstance(link, list) else link).split(".")) == 2
