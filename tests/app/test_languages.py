"""Every page in every language: renders without exception, and on a page shown in Thai,
Vietnamese or Malay none of the English catalog's translated sentences appears.

The scenario comes through the link (small, so each run is quick), the language through the
link's ``lang`` parameter, exactly as a shared link would carry them. The page's whole element
tree is searched (markdown, captions, metric labels and help, widget labels, chart JSON).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from explorer.page_list import PAGES, PageSpec
from simulation import Scenario
from simulation.display.text import ENGLISH, LANGUAGE_NAMES, catalog, placeholders, text, use_language

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 90
OTHERS = tuple(code for code in LANGUAGE_NAMES if code != ENGLISH)
MIN_WORDS = 4
"""An English fragment of at least this many words is a sentence nobody shares by chance."""
ANALYSIS_TIMEOUT = 600
"""Seconds the Decisions page may take to run its analyses (2,000 people, 5 replications)."""
DECISION_CHARTS = ("fan_", "tornado_npv", "tornado_clv", "shapley", "payback_vs_budget",
                   "break_even_map")
"""Charts the Decisions page must show once analysed (download keys ``html_<name>``)."""


def _page_param(page: PageSpec) -> Any:
    return pytest.param(page, id=page.url_path)


PAGE_PARAMS = [_page_param(page) for page in PAGES]


@pytest.fixture(scope="module")
def small() -> Scenario:
    return Scenario.preset("benchmark_retailer").replace(
        market__population=2000, market__horizon_weeks=104)


def _nodes(node: Any) -> Iterator[Any]:
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _nodes(child)


def page_text(at: AppTest) -> str:
    """Every string the page sends to the browser (protobuf text of each element)."""
    return "\n".join(str(node.proto) for node in _nodes(at._tree)
                     if getattr(node, "proto", None) is not None)


def english_sentences(lang: str) -> dict[str, str]:
    """Key -> the longest literal fragment of each English entry that ``lang`` translates
    differently, when it has at least :data:`MIN_WORDS` words."""
    english, translated = catalog(ENGLISH), catalog(lang)
    out = {}
    for key, value in english.items():
        if key not in translated or translated[key] == value:
            continue
        fragments = re.split(r"\{[^}]*\}", value) if placeholders(value) else [value]
        longest = max((f.strip(" .,;:()*") for f in fragments), key=len)
        if len(longest.split()) >= MIN_WORDS:
            out[key] = longest
    return out


def _open(scenario: Scenario, lang: str, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["s"] = scenario.to_url_token()
    at.query_params["lang"] = lang
    at.run()
    if page != "pages/overview.py":
        at.switch_page(page).run()
    if page == "pages/decisions.py":
        with use_language(lang):  # AppTest formats the widgets' options in this thread
            _analyse(at)
    return at


def _analyse(at: AppTest) -> None:
    """Run every analysis of the Decisions page, so its charts, tables and sentences are drawn.

    Without this the page shows the charts only when the shared store already holds the
    analysis (an earlier test's), and the check would depend on test order. Five replications
    keep it quick; a kept result (an earlier language's) is used as is.
    """
    at.slider(key="dec_replications").set_value(5).run(timeout=TIMEOUT)
    if any(b.key == "dec_run" for b in at.button):
        at.button(key="dec_run").click().run(timeout=ANALYSIS_TIMEOUT)
    for key in ("dec_best", "dec_believe"):
        at.button(key=key).click().run(timeout=ANALYSIS_TIMEOUT)
    shown = {b.key for b in at.get("download_button")}
    missing = [c for c in DECISION_CHARTS if not any(k.startswith(f"html_{c}") for k in shown)]
    assert not missing, f"the Decisions page did not draw {missing}"


def test_the_sentence_check_would_see_english():
    """The check below is not vacuous: each language translates hundreds of sentences."""
    for lang in OTHERS:
        assert len(english_sentences(lang)) > 150, lang


@pytest.mark.parametrize("lang", OTHERS)
@pytest.mark.parametrize("page", PAGE_PARAMS)
def test_every_page_renders_in_every_language_without_translated_english(
        small: Scenario, lang: str, page: PageSpec):
    at = _open(small, lang, page.path)
    assert not at.exception, [e.value for e in at.exception]
    with use_language(lang):
        assert at.title[0].value == text("app.title" if page.default else page.key)
    shown = page_text(at)
    leaked = {key: sentence for key, sentence in english_sentences(lang).items() if sentence in shown}
    assert not leaked, leaked


def test_english_pages_still_show_english(small: Scenario):
    at = _open(small, ENGLISH, "pages/journey.py")
    assert not at.exception
    assert at.title[0].value == "Journey and funnel"
    assert "Where do shopping journeys leak" in page_text(at)


def test_the_language_stays_in_the_link_and_the_switch_changes_it(small: Scenario):
    at = _open(small, "th", "pages/overview.py")
    assert at.query_params["lang"] in ("th", ["th"])
    assert at.title[0].value == "เครื่องมือวิเคราะห์กลยุทธ์ออมนิแชนแนล"
    at.sidebar.selectbox(key="lang").set_value("vi").run()
    assert not at.exception
    assert at.title[0].value == "Công cụ phân tích chiến lược Omnichannel"
    assert at.query_params["lang"] in ("vi", ["vi"])
    at.sidebar.selectbox(key="lang").set_value("en").run()
    assert at.title[0].value == "Omnichannel Strategy Explorer"
    assert "lang" not in at.query_params


def test_an_unknown_language_in_the_link_falls_back_to_english(small: Scenario):
    at = _open(small, "xx", "pages/overview.py")
    assert not at.exception
    assert at.title[0].value == "Omnichannel Strategy Explorer"


def test_the_calibrate_page_after_an_orders_file_speaks_the_reader_language(small: Scenario):
    """The orders file's notes and dropped-row reasons, the KPI names of its tables and the fit's
    tables come from the catalog: none of them is left in English on a Thai page."""
    at = _open(small, "th", "pages/calibrate.py")
    with use_language("th"):  # AppTest formats the widgets' options in this thread
        at.checkbox(key="calib_sample").check().run(timeout=ANALYSIS_TIMEOUT)
        at.button(key="calib_log_run").click().run(timeout=ANALYSIS_TIMEOUT)
    assert not at.exception and not at.error, [e.value for e in at.error]
    notes = [str(e.value) for e in at.info]
    assert notes and all(re.search("[\u0e00-\u0e7f]", note) for note in notes), notes
    with use_language("th"):
        kpi, holdout = text("calibration_chart.kpi"), text("calibration_chart.in_holdout")
    named = [d.value for d in at.dataframe if kpi in d.value.columns or holdout in d.value.columns]
    assert len(named) >= 2
    for frame in named:
        names = frame[kpi if kpi in frame.columns else holdout].astype(str)
        assert all(re.search("[\u0e00-\u0e7f]", name) for name in names), list(names)
    shown = page_text(at)
    leaked = {key: sentence for key, sentence in english_sentences("th").items() if sentence in shown}
    assert not leaked, leaked
