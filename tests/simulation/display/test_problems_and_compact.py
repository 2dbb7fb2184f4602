"""Input problems in every language, and compact numbers as each language's business press writes them."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest

from simulation import Scenario, ScenarioError
from simulation.display import format as fmt
from simulation.display.text import say, use_language
from simulation.inputs.problems import Problem


def _refusal() -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        Scenario().replace(market__population=5)
    return caught.value


def test_a_problem_is_its_english_text_and_says_itself_in_each_language():
    error = _refusal()
    assert "market.population: 5 is below 100" in error.problems  # English unchanged
    with use_language("th"):
        assert error.one_line(say) == "สถานการณ์จำลองไม่ถูกต้อง: market.population: 5 ต่ำกว่า 100"
    with use_language("vi"):
        assert "5 thấp hơn 100" in error.one_line(say)
    with use_language("ms"):
        assert "5 di bawah 100" in error.one_line(say)


def test_problems_survive_pickling_with_their_keys():
    error = pickle.loads(pickle.dumps(_refusal()))
    assert isinstance(error, ScenarioError)
    assert isinstance(error.problems[0], Problem)
    with use_language("vi"):
        assert "thấp hơn" in say(error.problems[0])


def test_a_damaged_link_is_refused_in_the_readers_language():
    with pytest.raises(ScenarioError) as caught:
        Scenario.from_url_token("not-a-token!")
    with use_language("th"):
        assert say(caught.value.problems[0]) == "สถานการณ์จำลองในลิงก์ที่แชร์เสียหายหรือถูกตัดขาด"
    assert caught.value.problems[0] == "the shared link's scenario is damaged or truncated"


@pytest.mark.parametrize(("lang", "million", "billion", "thousand"), [
    ("en", "1.23M", "2.50bn", "250k"),
    ("vi", "1,23\u00a0tr", "2,50\u00a0tỷ", "250\u00a0nghìn"),
    ("ms", "1.23\u00a0j", "2.50\u00a0bil", "250\u00a0ribu"),
    ("th", "1.23M", "2.50bn", "250k"),
])
def test_compact_numbers_use_each_languages_scale_words(lang, million, billion, thousand):
    with use_language(lang):
        assert fmt.compact(1_234_567) == million
        assert fmt.compact(2.5e9) == billion
        assert fmt.compact(250_000) == thousand
        assert fmt.compact(950) == "950"


def test_money_in_dong_and_ringgit_reads_as_local_press_writes_it():
    with use_language("vi"):
        assert fmt.money(1.2e9, "VND") == "1,20\u00a0tỷ\u00a0₫"
    with use_language("ms"):
        assert fmt.money(17.7e6, "MYR") == "RM 17.7\u00a0j"


def test_the_cli_prints_thai_and_a_thai_error_with_exit_code_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"market": {"population": 5}}')
    done = subprocess.run([sys.executable, "-m", "simulation", "--lang", "th", "run", "--scenario",
                           str(bad)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0].startswith("ข้อผิดพลาด: สถานการณ์จำลองไม่ถูกต้อง: ")
    assert "5 ต่ำกว่า 100" in lines[0]
    ok = subprocess.run([sys.executable, "-m", "simulation", "--lang", "th", "run", "--population",
                         "500", "--quiet"], capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0
    assert "ผู้คนจำลอง 500 คน" in ok.stdout


def test_a_bad_upload_is_refused_specifically_in_malay():
    from simulation.display import scenario_file

    with pytest.raises(ScenarioError) as caught:
        scenario_file.loads(b'{"market": {"population": "many"}, "seed": 1, "seed": 2}')
    with use_language("ms"):
        shown = [fmt.escaped(p) for p in caught.value.problems]
    assert shown == ["JSON tidak sah\\: kunci 'seed' muncul dua kali dalam satu objek"]  # Markdown-escaped
    with pytest.raises(ScenarioError) as caught:
        scenario_file.loads(b'{"market": {"population": "many"}}')
    with use_language("ms"):
        line = fmt.escaped(caught.value.one_line())
    assert "market.population\\: 'many'\\: mesti integer" in line
    assert line.startswith("senario tidak sah")
