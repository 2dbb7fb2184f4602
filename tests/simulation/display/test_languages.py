"""The shipped translations and the language setting: complete catalogs, numbers and dates per
locale, the language kept beside a saved scenario, the command line's ``--lang``."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from simulation import Scenario, ScenarioError
from simulation.cli.main import main
from simulation.display import format as fmt
from simulation.display import scenario_file, text
from simulation.display.text import LANGUAGE_NAMES, catalog, catalog_keys, use_language

TRANSLATED = tuple(code for code in LANGUAGE_NAMES if code != "en")


def test_the_four_languages_have_catalogs():
    assert set(text.languages()) == set(LANGUAGE_NAMES)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_catalog_is_complete_with_placeholders_intact_and_nothing_stale(lang: str):
    assert text.missing(lang) == []
    assert text.broken_placeholders(lang) == []
    assert text.stale(lang) == []
    with (text.CATALOG_DIR / f"{lang}.po").open("rb") as handle:
        po = read_po(handle, locale=lang)
    entries = [m for m in po if m.id]
    assert not [m.context for m in entries if m.fuzzy or not m.string]
    assert not [m.context for m in entries if m.context not in catalog_keys()]  # no leftovers


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_are_translations_not_copies(lang: str):
    """Only names, codes and bare citations may stay as in English (KPI, ROI, 'Omnichannel')."""
    citations = {"param.Behaviour.dropout_after_purchase_concentration.source"}  # authors, a, b
    english, own = catalog_keys(), catalog(lang)
    copied = [k for k, v in english.items()
              if own[k] == v and len(v.split()) >= 3 and k not in citations]
    assert copied == [], copied


def test_thai_sentences_carry_thai_script():
    thai = catalog("th")
    assert all(any("\u0e00" <= ch <= "\u0e7f" for ch in thai[key])
               for key in ("app.title", "verdict.omnichannel", "kpi.clv.help", "nav.overview"))


def test_update_keeps_translations_and_marks_changed_english_fuzzy(tmp_path, monkeypatch):
    for name in ("en.toml", "th.po"):
        shutil.copy(text.CATALOG_DIR / name, tmp_path / name)
    english = (tmp_path / "en.toml").read_text(encoding="utf-8")
    (tmp_path / "en.toml").write_text(
        english.replace('name = "Shared inventory"', 'name = "Inventory shared across channels"')
        + '\n[extra]\nnew = "A brand new message"\n', encoding="utf-8")
    monkeypatch.setattr(text, "CATALOG_DIR", tmp_path)
    text.catalog.cache_clear()
    text._entries.cache_clear()
    try:
        left = text.update_catalogs(tmp_path / "messages.pot")
        assert left == {"th": 2}
        assert text.missing("th") == ["capability.inventory.name", "extra.new"]
        assert text.catalog("th")["capability.identity.name"] == "รหัสลูกค้าเดียวทุกช่องทาง"
        assert any(line == "th: untranslated: extra.new" for line in text.check(("th",)))
    finally:
        text.catalog.cache_clear()
        text._entries.cache_clear()


# Numbers and dates ---------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", ("17,722,470", "55.7%", "+2.8 pp", "278k", "week 86 (1.7 years)", "Nov 30, 2026")),
    ("th", ("17,722,470", "55.7%", "+2.8 จุด", "278k", "สัปดาห์ที่ 86 (1.7 ปี)", "30 พ.ย. 2026")),
    ("vi", ("17.722.470", "55,7%", "+2,8 điểm %", "278\u00a0nghìn", "tuần 86 (1,7 năm)", "30 thg 11, 2026")),
    ("ms", ("17,722,470", "55.7%", "+2.8 mata peratusan", "278\u00a0ribu", "minggu 86 (1.7 tahun)",
            "30 Nov 2026")),
])
def test_numbers_and_dates_follow_the_locale(lang: str, expected: tuple[str, ...]):
    with use_language(lang):
        shown = (fmt.count(17_722_470, exact=True), fmt.percent(0.557), fmt.points(0.028),
                 fmt.count(278_325), fmt.week(86), fmt.date(dt.date(2026, 11, 30)))
    assert shown == expected


def test_vietnamese_groups_with_points_and_writes_decimals_with_commas():
    with use_language("vi"):
        assert fmt.decimal(1234567.891, 2) == "1.234.567,89"
        assert fmt.compact(17_722_470) == "17,7\u00a0tr"  # the press's "tr" (triệu), as money
        assert fmt.percent(-0.0123, digits=2, signed=True) == "-1,23%"
        assert fmt.kpi("roi", float("nan"), "USD") == "không có"
        assert fmt.axis_scale([12e6]) == (1e6, "triệu")


def test_rounding_to_zero_drops_the_sign_in_every_locale():
    for lang in LANGUAGE_NAMES:
        with use_language(lang):
            assert fmt.percent(-0.00001, signed=True) in ("0.0%", "0,0%")


def test_english_output_is_unchanged_by_the_locale_machinery():
    assert fmt.money(17_722_470, "USD") == "$17.7M"
    assert fmt.money(85.82, "USD") == "$85.82"
    assert fmt.money(-250_000, "USD") == "-$250k"
    assert fmt.count(278_325, exact=True) == "278,325"
    assert fmt.week_short(float("nan")) == "beyond horizon"


# The language beside a saved scenario and in the command line --------------------------


def test_a_saved_file_keeps_the_language_and_old_files_still_load():
    scenario = Scenario.preset("benchmark_retailer")
    saved = scenario_file.dumps(scenario, "th")
    assert json.loads(saved)["display"] == {"lang": "th"}
    assert scenario_file.loads(saved) == (scenario, "th")
    assert scenario_file.loads(saved.encode("utf-8")) == (scenario, "th")
    assert scenario_file.loads(scenario.to_json()) == (scenario, None)  # saved before languages
    odd = json.loads(saved)
    odd["display"] = {"lang": "klingon"}
    assert scenario_file.loads(json.dumps(odd)) == (scenario, None)  # ignored, not refused


def test_a_saved_file_with_a_bad_scenario_is_still_refused():
    data = json.loads(scenario_file.dumps(Scenario.preset("benchmark_retailer"), "vi"))
    data["market"]["population"] = -5
    with pytest.raises(ScenarioError, match="population"):
        scenario_file.loads(json.dumps(data))
    with pytest.raises(ScenarioError):
        scenario_file.loads("{not json")


def test_the_command_line_speaks_the_chosen_language(tmp_path: Path, capsys):
    scenario = Scenario.preset("benchmark_retailer").replace(
        market__population=1000, market__horizon_weeks=52)
    path = tmp_path / "s.json"
    path.write_text(scenario_file.dumps(scenario, "vi"), encoding="utf-8")
    assert main(["run", "--scenario", str(path), "--quiet", "--no-customers"]) == 0
    from_file = capsys.readouterr().out
    assert "Giá trị vòng đời khách hàng (CLV)" in from_file  # the file's language
    assert main(["run", "--scenario", str(path), "--quiet", "--no-customers", "--lang", "th"]) == 0
    assert "มูลค่าตลอดช่วงเวลาการเป็นลูกค้า (CLV)" in capsys.readouterr().out  # --lang wins
    assert main(["--lang", "en", "run", "--scenario", str(path), "--quiet", "--no-customers"]) == 0
    assert "Customer lifetime value" in capsys.readouterr().out
    assert text.language() == "en"  # nothing leaks out of a command


def test_an_unknown_language_on_the_command_line_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["presets", "--lang", "xx"])
    assert stop.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
