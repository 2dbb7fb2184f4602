"""The verdict on the Overview, its agreement with the Decisions page, and the board report."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from explorer import background, verdict_view
from simulation import Scenario

APP = str(Path(__file__).resolve().parents[2] / "app.py")
VERDICT_LABELS = ["P(omnichannel beats multichannel on NPV)", "NPV gain, 90% of runs", "Fund first",
                  "Largest one-off budget that pays back"]


@pytest.fixture(scope="module")
def tiny() -> Scenario:
    return Scenario.preset("fashion").replace(market__population=1000, market__horizon_weeks=52, seed=4242)


def _open(scenario: Scenario) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["s"] = scenario.to_url_token()
    return at.run()


def _verdict(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric if m.label in VERDICT_LABELS}


def _wait_for_full(scenario: Scenario, seconds: float = 420) -> None:
    deadline = time.monotonic() + seconds
    while background.finished(verdict_view.full_key(scenario)) is None:
        job = background.get(verdict_view.full_key(scenario))
        assert job is None or job.error is None, job.error
        assert time.monotonic() < deadline, "the background analysis did not finish"
        time.sleep(0.5)


def test_overview_shows_the_verdict_at_once_and_refines_it(tiny: Scenario):
    at = _open(tiny)
    assert not at.exception
    first = _verdict(at)
    assert list(first) == VERDICT_LABELS
    sentence = at.get("markdown")
    assert any("multichannel" in m.value and m.value.startswith("####") for m in sentence)
    assert first["Largest one-off budget that pays back"].startswith("$")
    _wait_for_full(tiny)
    at.run()
    final = _verdict(at)
    assert final["P(omnichannel beats multichannel on NPV)"].endswith("%")
    assert not final["Fund first"].startswith("…") and final["Fund first"]
    assert any("Final:" in c.value for c in at.caption)


def test_overview_and_decisions_agree(tiny: Scenario):
    at = _open(tiny)
    _wait_for_full(tiny)
    at.run()
    overview = _verdict(at)
    overview_sentence = next(m.value for m in at.markdown if m.value.startswith("####"))
    gain_card = [m.value for m in at.metric if m.label == "NPV after all costs"]
    at.switch_page("pages/decisions.py").run()
    assert not at.exception
    assert not at.button(key="dec_run") if "dec_run" in [b.key for b in at.button] else True
    assert _verdict(at) == overview
    assert overview_sentence in [m.value for m in at.markdown]
    assert any("same analysis as the Overview" in c.value for c in at.caption)
    assert gain_card  # the Overview's KPI cards were drawn from the same scenario


def test_report_downloads_from_the_overview(tiny: Scenario):
    pypdf = pytest.importorskip("pypdf")
    from explorer import report_view
    from simulation.report.pdf import chromium_path

    at = _open(tiny)
    _wait_for_full(tiny)
    at.run()
    keys = [b.key for b in at.get("download_button")]
    assert {"overview_report_pdf", "overview_report_html", "overview_report_bundle"} <= set(keys)
    if chromium_path() is None:
        pytest.skip("Chromium is not installed: the PDF cannot be printed")
    import io

    from simulation.core.api import simulate
    from simulation.report.document import ReportInputs
    from simulation.report.verdict import full_request

    analysis = background.finished(verdict_view.full_key(tiny))
    inputs = ReportInputs(scenario=tiny, results=simulate(tiny), analysis=analysis,
                          request=full_request(), analysed=tiny)
    pdf = report_view.report_pdf(inputs)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert 2 <= len(reader.pages) <= 4
    text = " ".join(p.extract_text() for p in reader.pages)
    overview_p = _verdict(at)["P(omnichannel beats multichannel on NPV)"]
    assert overview_p in text
    assert "The verdict" in text and "Caveats" in text


def test_two_sessions_on_the_same_scenario_share_one_job(tiny: Scenario):
    from explorer import state

    shared = tiny.replace(seed=5151)
    first = _open(shared)
    assert not first.exception
    workers = state.pool()
    key = background.pool_key(verdict_view.full_key(shared))
    job = workers.running(key)
    second = _open(shared)  # another session (or this one reloaded)
    assert not second.exception
    if job is not None and not job.done():
        assert workers.running(key) is job
    _wait_for_full(shared)
    third = _open(shared)
    assert any("Final:" in c.value for c in third.caption)
    assert workers.running(key) is None  # nothing analysed again
    assert workers.running(background.pool_key(verdict_view._quick_key(shared))) is None


def test_a_crashed_analysis_is_a_clear_message_and_the_session_keeps_its_state(
        tiny: Scenario, monkeypatch: pytest.MonkeyPatch):
    from tests.explorer import background_work

    monkeypatch.setattr(verdict_view, "ANALYSE", background_work.crash_analysis)
    crashing = tiny.replace(seed=6161)
    at = _open(crashing)
    deadline = time.monotonic() + 180
    while not [e for e in at.error if "worker stopped" in e.value]:
        assert time.monotonic() < deadline, "no message about the crashed analysis"
        time.sleep(1.0)
        at.run()
    assert not at.exception
    assert at.session_state["scenario"].canonical_key() == crashing.canonical_key()
    assert _verdict(at)["Largest one-off budget that pays back"].startswith("$")


def test_an_analysis_run_on_the_decisions_page_is_the_overviews_final_verdict(tiny: Scenario):
    own = tiny.replace(seed=7171)
    at = AppTest.from_file(APP, default_timeout=420)
    at.query_params["s"] = own.to_url_token()
    at.switch_page("pages/decisions.py").run()  # straight to Decisions: no verdict job yet
    assert not at.exception
    assert background.get(verdict_view.full_key(own)) is None
    at.button(key="dec_run").click().run()  # the page's own run, waited for
    assert not at.exception
    assert background.finished(verdict_view.full_key(own)) is not None
    decisions = _verdict(at)
    overview = _open(own)  # a fresh session on the Overview
    assert any("Final:" in c.value for c in overview.caption)
    assert _verdict(overview) == decisions


def test_report_overview_and_decisions_show_the_same_numbers(tiny: Scenario):
    """The report quotes the Overview's verdict and the Decisions page's believe thresholds."""
    from explorer import report_view
    from simulation.core.api import simulate
    from simulation.report.document import ReportInputs, report_html, threshold_cell
    from simulation.report.verdict import full_request

    at = _open(tiny)
    _wait_for_full(tiny)
    at.run()
    overview = _verdict(at)
    at.switch_page("pages/decisions.py").run()
    assert _verdict(at) == overview
    at.button(key="dec_believe").click().run()
    assert not at.exception, at.exception
    shown = next(t.value for t in at.table if "Stops paying at" in t.value.columns)
    shown = shown.map(lambda cell: cell.replace("\\", ""))  # a static table's Markdown escapes
    beliefs = report_view.beliefs_of(tiny)  # what the report button hands the report
    assert beliefs is not None
    inputs = ReportInputs(scenario=tiny, results=simulate(tiny),
                          analysis=background.finished(verdict_view.full_key(tiny)),
                          request=full_request(), analysed=tiny, beliefs=beliefs)
    page = report_html(inputs, svgs={})
    for value in overview.values():
        assert value in page, value
    omni = shown[shown["Plan"] == "Omnichannel"]
    rows = beliefs.thresholds[beliefs.thresholds["plan"] == "omnichannel"]
    assert len(omni) == len(rows) > 0
    for (_, row), threshold in zip(rows.iterrows(), omni["Stops paying at"], strict=True):
        cell = threshold_cell(row)
        assert cell in page
        if threshold == "never in range":
            assert "not reached" in cell
        else:
            assert threshold in cell  # the Decisions page's number, as the report prints it
