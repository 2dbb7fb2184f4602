"""The calibrate page driven by AppTest: an orders-only export (CDNOW, one online channel), the
multi-channel sample log and typed KPIs each calibrate end to end, with the holdout check shown
and the targets the data cannot give skipped with a note."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from simulation import Scenario

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 240


def _calibrate_page() -> AppTest:
    small = Scenario.preset("benchmark_retailer").replace(market__population=3000)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["s"] = small.to_url_token()
    at.run()
    return at.switch_page("pages/calibrate.py").run()


def _texts(at: AppTest) -> str:
    return " ".join(str(e.value) for kind in (at.info, at.warning, at.success, at.error,
                                              at.markdown, at.caption, at.subheader) for e in kind)


def test_an_orders_only_single_channel_export_calibrates_with_a_holdout_check() -> None:
    at = _calibrate_page()
    at.checkbox(key="calib_cdnow").check().run()
    assert not at.exception and not at.error
    text = _texts(at)
    assert "(an orders export)" in text and "every row is 'web'" in text
    segments = next(d.value for d in at.dataframe if "label" in d.value.columns)
    labels = " ".join(segments["label"].astype(str))
    assert "occasional" in labels and "online-led, frequent (1.2" not in labels
    at.slider(key="calib_split").set_value(39)
    at.button(key="calib_log_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    text = _texts(at)
    assert "Holdout check: predicted vs actual" in text
    assert "share of purchases made online: skipped" in text
    holdout = next(d.value for d in at.dataframe if "In the holdout" in d.value.columns)
    assert list(holdout["In the holdout"])[:1] == ["purchases per customer in the holdout"]
    assert "Projection from your current state" in text


def test_the_multi_channel_sample_log_and_typed_kpis_calibrate() -> None:
    at = _calibrate_page()
    at.checkbox(key="calib_sample").check().run()
    at.button(key="calib_log_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Holdout check: predicted vs actual" in _texts(at)
    at.button(key="calib_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Target vs fitted" in _texts(at)
