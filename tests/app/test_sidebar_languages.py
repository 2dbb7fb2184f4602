"""The sidebar in Thai, Vietnamese and Malay: no English label, unit, group or preset name, and a
broken link's specific problem said in the reader's language while the session keeps working."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from simulation import Scenario
from simulation.display.params import parameters
from simulation.display.text import LANGUAGE_NAMES, use_language

APP = str(Path(__file__).resolve().parents[2] / "app.py")
OTHERS = tuple(code for code in LANGUAGE_NAMES if code != "en")
SAME_IN_EVERY_LANGUAGE = {"Beta a + b", "tab", "digital", "integer"}
"""Words a translation may keep: a formula, a key's name, a loan word Malay uses as is."""


def _labels(lang: str) -> list[tuple[str, str, str, str]]:
    with use_language(lang):
        return [(p.info.label, p.info.unit, p.group, p.help.split(".")[0])
                for p in parameters(Scenario())]


@pytest.mark.parametrize("lang", OTHERS)
def test_every_parameter_label_unit_and_group_is_translated(lang: str):
    english, shown = _labels("en"), _labels(lang)
    untranslated = {e[0] for e, s in zip(english, shown, strict=True)
                    if e[0] == s[0] and e[0] not in SAME_IN_EVERY_LANGUAGE}
    assert not untranslated
    units = {e[1] for e, s in zip(english, shown, strict=True)
             if e[1] and e[1] == s[1] and e[1] not in SAME_IN_EVERY_LANGUAGE}
    assert not units
    groups = {e[2] for e, s in zip(english, shown, strict=True) if e[2] == s[2]}
    assert not groups


def _open(lang: str, token: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    small = Scenario.preset("benchmark_retailer").replace(market__population=2000,
                                                          market__horizon_weeks=104)
    at.query_params["s"] = token if token is not None else small.to_url_token()
    at.query_params["lang"] = lang
    at.run()
    return at


@pytest.mark.parametrize("lang", OTHERS)
def test_the_sidebar_shows_no_english_widget_label(lang: str):
    english, shown = _open("en"), _open(lang)
    assert not shown.exception

    def labels(at: AppTest) -> list[str]:
        widgets = [*at.sidebar.selectbox, *at.sidebar.slider, *at.sidebar.select_slider,
                   *at.sidebar.number_input]
        return [w.label for w in widgets if w.key != "lang"]

    same = [a for a, b in zip(labels(english), labels(shown), strict=True) if a == b]
    assert not same
    preset = next(b for b in shown.sidebar.selectbox if b.key in ("preset", "preset_custom"))
    with use_language(lang):
        assert preset.format_func(preset.value) != "Benchmark retailer"
        assert "Market" not in [e.label for e in shown.sidebar.expander]


def test_a_broken_link_says_its_problem_in_thai_and_the_session_goes_on():
    at = _open("th", token="this-is-not-a-scenario!")
    assert not at.exception
    message = at.error[0].value
    assert "สถานการณ์จำลองในลิงก์ที่แชร์เสียหายหรือถูกตัดขาด" in message
    assert "damaged" not in message
    at.sidebar.selectbox(key="preset").set_value("fashion").run()  # the session still works
    assert not at.exception
