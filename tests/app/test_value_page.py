"""The Retention and value page's selection vs causation view, driven by AppTest: the sentence
quotes the same figures as the API for the scenario the page shows."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from simulation import Scenario, simulate
from simulation.display import selection_charts

APP = str(Path(__file__).resolve().parents[2] / "app.py")
SMALL = Scenario.preset("benchmark_retailer").replace(market__population=2000, market__horizon_weeks=104)


@pytest.fixture(scope="module")
def value_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["s"] = SMALL.to_url_token()
    at.run()
    return at.switch_page("pages/value.py").run()


def test_the_view_states_the_gap_and_the_effect_of_the_apis_frame(value_page: AppTest):
    assert not value_page.exception, [e.value for e in value_page.exception]
    frame = selection_charts.selection_data(simulate(SMALL)).set_index("measure")
    said = " ".join(m.value for m in value_page.markdown).replace("\\", "")
    assert "who they are" in said
    for measure in ("gap_raw", "effect_single", "effect_multi"):
        assert f"{frame.loc[measure, 'relative'] * 100:+,.0f}%" in said
    assert any(s.value == selection_charts.text("selection.heading") for s in value_page.subheader)
    shown = {getattr(element, "key", None) for element in value_page.main}
    assert {"chart_selection", "csv_selection", "html_selection"} <= shown


def _titles(at: AppTest) -> str:
    return " ".join(chart.proto.spec for chart in at.get("plotly_chart"))


def test_the_winners_and_losers_chart_follows_the_chosen_plan(value_page: AppTest):
    from simulation.display.labels import plan_name

    radio = value_page.radio(key="value_segment_plan")
    assert radio.options == [plan_name("omnichannel"), plan_name("custom")]
    assert f"Winners and losers: {plan_name('omnichannel')} against" in _titles(value_page)
    radio.set_value("custom").run()
    assert not value_page.exception
    assert f"Winners and losers: {plan_name('custom')} against" in _titles(value_page)
