"""The app's three input entry points take the bad-inputs corpus (tests/data/bad_inputs): the
sidebar's scenario upload and the share link (every scenario and link file), and the calibrate
page's log upload (every log file). A refused file shows a message naming the problem, raises
nothing, and leaves the scenario and its KPIs as they were; an accepted one is used, with what
the reader found said on the page."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import zlib
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from explorer.downloads import data_csv
from simulation import Scenario, simulate
from simulation.inputs.json_input import link_token
from simulation.inputs.problems import InputError
from simulation.inputs.safe_output import FORMULA_STARTS
from simulation.inputs.text import decode_bytes

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
CORPUS = ROOT / "tests" / "data" / "bad_inputs"
CASES: list[dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
TIMEOUT = 60
LINK_PHRASES = {"binary.json": "damaged", "random_bytes.json": "damaged", "too_large.json": "inflates"}
"""A scenario file packed into a link meets the link's own limits first."""


def _of(*kinds: str) -> list[Any]:
    return [pytest.param(c, id=c["file"]) for c in CASES if c["kind"] in kinds]


@pytest.fixture(scope="module")
def small() -> Scenario:
    return Scenario.preset("benchmark_retailer").replace(market__population=2000, market__horizon_weeks=52)


def _open(scenario: Scenario) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["s"] = scenario.to_url_token()
    return at.run()


def _text(elements: Any) -> str:
    return " ".join(e.value for e in elements).replace("\\", "")  # Markdown escapes removed


def _kpis(at: AppTest) -> list[str]:
    """The KPI cards' values (the verdict above them refines in the background on its own time)."""
    return [m.value for plan in ("multichannel", "omnichannel", "custom")
            for m in at.get_by_key(f"kpis-{plan}").metric]


def _shown(at: AppTest) -> list[str]:
    """Every text the page renders as Markdown (where unescaped HTML would take effect)."""
    kinds = ("markdown", "success", "info", "warning", "error", "caption", "title", "header", "subheader")
    return [e.value for kind in kinds for e in at.get(kind)]


USER_HTML = re.compile(r"(?<!\\)<(script>alert|b>bold|img src=x)")
"""HTML the corpus puts in names: it must reach the page escaped (``\\<``), never as markup."""


def _no_raw_html(at: AppTest) -> None:
    for value in _shown(at):
        assert not USER_HTML.search(value), value


@pytest.mark.parametrize("case", _of("scenario", "link"))
def test_scenario_upload_of_every_corpus_file(case: dict[str, Any], small: Scenario):
    at = _open(small)
    before = _kpis(at)
    content = (CORPUS / case["file"]).read_bytes()
    name = Path(case["file"]).stem + ".json"  # the uploader takes .json only: a token saved as one
    at.file_uploader(key="upload_scenario").set_value((name, content, "application/json"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    _no_raw_html(at)
    if case["outcome"] == "accepted" and case["kind"] == "scenario":
        expected = Scenario.from_file(CORPUS / case["file"])
        assert at.session_state["scenario"] == expected
        assert "Restored scenario" in _text(at.success) + _text(at.warning)
        if "<" in expected.name:  # shown, and shown as typed
            assert any("\\<script\\>" in value for value in _shown(at))
        return
    errors = _text(at.error)
    phrase = "not valid JSON" if case["kind"] == "link" else case["phrase"]
    assert name in errors and phrase in errors and "unchanged" in errors
    assert at.session_state["scenario"] == small
    assert _kpis(at) == before


def _link_for(case: dict[str, Any]) -> str:
    raw = (CORPUS / case["file"]).read_bytes()
    if case["kind"] == "link":
        return raw.decode("ascii")
    try:
        return link_token(decode_bytes(raw).text)  # the file's scenario, as a link would carry it
    except InputError:
        return base64.urlsafe_b64encode(zlib.compress(raw)).decode().rstrip("=")


@pytest.mark.parametrize("case", _of("scenario", "link"))
def test_share_link_of_every_corpus_file(case: dict[str, Any]):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["s"] = _link_for(case)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    _no_raw_html(at)
    if case["outcome"] == "accepted":
        assert at.session_state["scenario"] == Scenario.from_file(CORPUS / case["file"])
        assert not at.error
        return
    errors = _text(at.error)
    assert "could not be opened" in errors
    assert LINK_PHRASES.get(case["file"], case["phrase"]) in errors
    assert at.session_state["scenario"] == Scenario.preset("benchmark_retailer")
    assert len(at.metric) >= 15  # the default preset's KPI cards are drawn


@pytest.fixture(scope="module")
def calibrate(small: Scenario) -> AppTest:
    at = _open(small)
    at.switch_page("pages/calibrate.py").run()
    assert not at.exception
    return at


@pytest.mark.parametrize("case", _of("log"))
def test_calibrate_page_log_upload_of_every_corpus_file(case: dict[str, Any], calibrate: AppTest,
                                                        small: Scenario):
    at = calibrate  # one session takes every file in turn, as a person trying exports would
    content = (CORPUS / case["file"]).read_bytes()
    at.file_uploader(key="calib_upload").set_value((case["file"], content, "text/csv"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["scenario"] == small
    _no_raw_html(at)
    said = _text(at.info) + " " + _text(at.warning)
    if case["outcome"] == "refused":
        errors = _text(at.error)
        assert "cannot be used" in errors and "unchanged" in errors
        assert case["phrase"] in errors, errors
        assert not at.get("dataframe")  # nothing drawn from a refused file
        return
    assert not at.error, _text(at.error)
    assert case["phrase"] in said, said
    assert "What the log shows" in _text(at.subheader)


def test_the_apps_csv_downloads_neutralise_formula_names():
    scenario = Scenario.from_file(CORPUS / "formula_channel_name.json")
    frames = simulate(scenario).frames()
    seen = set()
    for frame in frames.values():
        for row in csv.reader(io.StringIO(data_csv(frame).decode("utf-8"))):
            for cell in row:
                seen.add(cell)
                if cell.startswith(FORMULA_STARTS):
                    float(cell)  # only numbers may start with - or +
    assert "'=HYPERLINK(\"http://x.example\",\"y\")" in seen and "'=SUM(A1:A9)" in seen


def test_a_person_states_what_the_reader_cannot_tell_and_the_log_is_then_read(small: Scenario):
    """Dates like 03/04/2024 throughout are refused with the reason; choosing the date order on
    the page (as --day-first does in the CLI) reads the same file."""
    at = _open(small)
    at.switch_page("pages/calibrate.py").run()
    lines = ["customer_id;timestamp;channel;event_type;amount"] + [
        f"C{i};0{1 + i % 9}/0{1 + i % 8}/2024;web;purchase;{10 + i},50" for i in range(40)]
    at.file_uploader(key="calib_upload").set_value(("ambiguous.csv", "\n".join(lines).encode(), "text/csv"))
    at.run()
    assert "day-first or month-first" in _text(at.error)
    at.selectbox(key="calib_date_order").set_value("day first (31/03/2024)").run()
    assert not at.exception and not at.error, _text(at.error)
    assert "dates as day/month/year" in _text(at.info)
    assert at.session_state["scenario"] == small
