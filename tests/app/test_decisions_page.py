"""The decisions page driven by AppTest: estimate before the run, results and downloads after."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from simulation import Scenario

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
    assert any("Stops paying at" in d.value.columns for d in at.dataframe)
