"""The Compare page: save two scenarios, compare them side by side, the link carries it."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

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
    table = at.dataframe[0].value
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
