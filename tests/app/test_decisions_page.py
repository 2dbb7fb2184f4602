"""The decisions page driven by AppTest: estimate before the run, results and downloads after."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from explorer import decision_runs
from simulation import Scenario
from simulation.analysis import DecisionRequest, SwitchedOn

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def test_decisions_page_estimates_then_runs_and_offers_downloads():
    small = Scenario.preset("benchmark_retailer").replace(
        market__population=2000, market__horizon_weeks=52)
    at = AppTest.from_file(APP, default_timeout=240)
    at.query_params["s"] = small.to_url_token()
    at.run()
    at.switch_page("pages/decisions.py").run()
    assert not at.exception
    # Other settings than the Overview's verdict (which runs in the background): an estimate
    # and a Run button.
    at.slider(key="dec_replications").set_value(5)
    at.selectbox(key="dec_population").set_value(2000)
    at.run()
    assert "about" in at.info[0].value
    at.button(key="dec_run").click().run()
    assert not at.exception, at.exception
    # The estimate, Run and Cancel are gone once the results are in.
    assert {"dec_run", "cancel_analyses"}.isdisjoint({b.key for b in at.button})
    assert not any("about" in i.value for i in at.info)
    labels = [m.label for m in at.metric]
    assert "P(omnichannel beats multichannel on NPV)" in labels
    assert "Fund first" in labels
    download_keys = {b.key for b in at.get("download_button")}
    assert {"html_tornado_npv", "csv_tornado_npv", "html_shapley", "csv_shapley",
            "html_payback_vs_budget", "csv_intervals"} <= download_keys
    # What you would have to believe: thresholds and the break-even map over business size.
    at.button(key="dec_believe").click().run()
    assert not at.exception, at.exception
    assert any("Best hybrid at today's values" in m.value for m in at.markdown)
    download_keys = {b.key for b in at.get("download_button")}
    assert {"html_break_even_map", "csv_break_even_map"} <= download_keys
    # A static table (fits a phone): escaped Markdown cells, the plain column heads.
    assert any("Stops paying at" in t.value.columns for t in at.table)


def test_the_settings_widgets_make_the_request_that_runs():
    """Seeds only, a narrower range, the custom plan replicated and split: the analysis that
    runs (and is kept for every session) is exactly the one the widgets describe."""
    small = Scenario.preset("fashion").replace(market__population=1000, market__horizon_weeks=52, seed=77)
    at = AppTest.from_file(APP, default_timeout=240)
    at.query_params["s"] = small.to_url_token()
    at.run()
    at.switch_page("pages/decisions.py").run()
    population = at.selectbox(key="dec_population")
    assert population.value == 1000
    assert population.format_func(1000) == "1,000 (as on the Overview)"
    at.slider(key="dec_replications").set_value(5)
    at.toggle(key="dec_uncertain").set_value(False)
    at.toggle(key="dec_custom").set_value(True)
    at.slider(key="dec_range").set_value(10)
    at.radio(key="dec_split").set_value("custom")
    at.run()
    at.button(key="dec_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    wanted = DecisionRequest(replications=5, parameter_uncertainty=False, replicate_custom=True,
                             relative_range=0.1, switched_on=SwitchedOn.CUSTOM)
    assert decision_runs.known((small.canonical_key(), wanted))
    assert any("Settings differ from the Overview's verdict" in c.value for c in at.caption)
    # a static table (fits a phone's width): its cells are escaped Markdown
    intervals = next(t.value for t in at.table if "90% interval of the mean" in t.value.columns)
    assert "Your custom plan" in set(intervals["Plan"])
