"""The bad-inputs corpus (tests/data/bad_inputs) through the command line and the API: every
refused file exits 2 with exactly one ``error:`` line naming the problem (no traceback) and
raises the boundary's one exception type with its problems; every accepted file is read right.
The app's entry points take the same corpus in tests/app/test_input_boundary.py."""

from __future__ import annotations

import csv
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from simulation.calibration.eventlog import EventLogError, summarise_log, validate_events
from simulation.cli.main import main
from simulation.core.parameters import ScenarioError
from simulation.core.scenario import Scenario
from simulation.inputs.problems import InputError
from simulation.inputs.safe_output import FORMULA_STARTS

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "data" / "bad_inputs"
CASES: list[dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
UNFIXED: dict[str, str] = {}
"""Corpus files whose expected outcome the code does not meet yet (strict xfail, with why)."""


def _cases(*kinds: str, outcome: str | None = None) -> list[Any]:
    chosen = [c for c in CASES if c["kind"] in kinds and outcome in (None, c["outcome"])]
    return [pytest.param(c, id=c["file"], marks=[pytest.mark.xfail(strict=True, reason=UNFIXED[c["file"]])]
                         if c["file"] in UNFIXED else []) for c in chosen]


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


def test_the_corpus_is_what_make_corpus_writes(tmp_path: Path):
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_corpus"] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["make_corpus"]
    module.write(tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(p.name for p in CORPUS.iterdir() if p.name != "make_corpus.py"
                             and not p.name.startswith("."))
    for name in written:
        assert (tmp_path / name).read_bytes() == (CORPUS / name).read_bytes(), name


def test_every_class_of_the_issue_has_a_file():
    names = {c["file"] for c in CASES}
    for needed in ("link_etc_passwd.txt", "link_relative_path.txt", "link_file_url.txt",
                   "link_dev_zero.txt", "link_token_of_path.txt", "link_bomb_2mb.txt",
                   "link_bomb_45mb.txt", "deep.json", "binary.json", "empty.json",
                   "html_scenario_name.json", "html_channel_name.json", "formula_channel_name.json",
                   "bom.json", "utf16.json", "nan.json", "log_extra_fields.csv", "log_latin1.csv",
                   "log_utf16.csv", "log_inf_amount.csv", "log_dates_1800_2999.csv",
                   "log_formula_ids.csv", "log_decimal_comma.csv", "log_semicolon_thousands.csv",
                   "log_bom.csv", "log_xlsx.csv", "log_semicolon.csv", "log_empty.csv",
                   "log_unknown_channel.csv", "log_ambiguous_dates.csv"):
        assert needed in names
    assert all((CORPUS / n).is_file() for n in names)


# Scenarios and links ------------------------------------------------------------------------

@pytest.mark.parametrize("case", _cases("scenario", outcome="refused"))
def test_refused_scenario_files_exit_2_with_one_specific_line(case: dict[str, Any], capsys):
    code, out, err = _cli(capsys, "run", "--scenario", str(CORPUS / case["file"]), "--quiet")
    assert code == 2 and out == ""
    assert case["phrase"] in _one_error_line(err)


@pytest.mark.parametrize("case", _cases("link"))
def test_a_link_token_given_as_a_scenario_file_is_refused_in_one_line(case: dict[str, Any], capsys):
    code, _, err = _cli(capsys, "run", "--scenario", str(CORPUS / case["file"]), "--quiet")
    assert code == 2
    assert "not valid JSON" in _one_error_line(err)


@pytest.mark.parametrize("case", _cases("scenario", outcome="refused"))
def test_refused_scenario_files_raise_scenario_error_with_the_problem(case: dict[str, Any]):
    path = CORPUS / case["file"]
    for call, arg in ((Scenario.from_file, path), (Scenario.from_json, path.read_bytes()),
                      (Scenario.from_json, path)):
        with pytest.raises(ScenarioError) as caught:
            call(arg)
        assert isinstance(caught.value, InputError)
        assert caught.value.problems and case["phrase"] in caught.value.one_line()


@pytest.mark.parametrize("case", _cases("link"))
def test_refused_link_tokens_raise_scenario_error_with_the_problem(case: dict[str, Any]):
    with pytest.raises(ScenarioError) as caught:
        Scenario.from_url_token((CORPUS / case["file"]).read_text(encoding="ascii"))
    assert caught.value.problems and case["phrase"] in caught.value.one_line()


@pytest.mark.parametrize("case", _cases("scenario", outcome="accepted"))
def test_accepted_scenario_files_load_alike_by_every_route_and_run(case: dict[str, Any], capsys,
                                                                   tmp_path: Path):
    path = CORPUS / case["file"]
    scenario = Scenario.from_file(path)
    assert Scenario.from_json(path.read_bytes()) == scenario == Scenario.from_json(path)
    assert Scenario.from_url_token(scenario.to_url_token()) == scenario
    code, out, err = _cli(capsys, "run", "--scenario", str(path), "--population", "200", "--quiet",
                          "--no-customers", "--out", str(tmp_path))
    assert code == 0, err
    assert f"Scenario {scenario.name!r}" in out and "Traceback" not in err
    _assert_no_formula_cells(tmp_path)


def _assert_no_formula_cells(folder: Path) -> None:
    for path in folder.glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    if cell.startswith(FORMULA_STARTS):
                        float(cell)  # only numbers may start with - or +


def test_formula_names_come_out_neutralised_in_every_csv_the_cli_writes(capsys, tmp_path: Path):
    path = CORPUS / "formula_channel_name.json"
    code, _, err = _cli(capsys, "run", "--scenario", str(path), "--quiet", "--out", str(tmp_path))
    assert code == 0, err
    _assert_no_formula_cells(tmp_path)
    cells = {cell for p in tmp_path.glob("*.csv") for row in csv.reader(p.open(encoding="utf-8"))
             for cell in row}
    assert "'=HYPERLINK(\"http://x.example\",\"y\")" in cells
    assert any(cell.startswith("'=SUM(A1:A9)") for cell in cells)


def test_encodings_of_one_scenario_read_the_same_values():
    names = {f: Scenario.from_file(CORPUS / f).name for f in
             ("bom.json", "utf16.json", "utf16le_nobom.json", "cp1252.json")}
    assert names == {"bom.json": "with BOM", "utf16.json": "UTF-16 café",
                     "utf16le_nobom.json": "UTF-16 LE", "cp1252.json": "Café Ñandú"}


def test_deep_json_through_a_real_process_prints_one_line_and_no_traceback():
    done = subprocess.run([sys.executable, "-m", "simulation", "run", "--scenario",
                           str(CORPUS / "deep.json")], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert "levels deep" in _one_error_line(done.stderr)


@pytest.mark.parametrize("path", ["/dev/zero", "/nonexistent/scenario.json", "/etc", "/proc/self/mem"])
def test_devices_folders_and_missing_scenario_files_exit_2_in_one_line(path: str, capsys):
    code, _, err = _cli(capsys, "run", "--scenario", path, "--quiet")
    assert code == 2
    assert path in _one_error_line(err)


# Event logs ---------------------------------------------------------------------------------

@pytest.mark.parametrize("case", _cases("log", outcome="refused"))
def test_refused_logs_exit_2_with_one_specific_line(case: dict[str, Any], capsys):
    code, _, err = _cli(capsys, "calibrate", "--events", str(CORPUS / case["file"]), "--quiet",
                        "--population", "200")
    assert code == 2
    assert case["phrase"] in _one_error_line(err)


@pytest.mark.parametrize("case", _cases("log", outcome="refused"))
def test_refused_logs_raise_event_log_error_with_the_problem(case: dict[str, Any]):
    path = CORPUS / case["file"]
    for source in (path, str(path), path.read_bytes()):
        with pytest.raises(EventLogError) as caught:
            validate_events(source)
        assert isinstance(caught.value, InputError)
        assert caught.value.problems and case["phrase"] in caught.value.one_line()


@pytest.mark.parametrize("case", _cases("log", outcome="accepted"))
def test_accepted_logs_validate_and_say_what_they_must(case: dict[str, Any]):
    path = CORPUS / case["file"]
    log = validate_events(path)
    said = [*log.notes, *log.problems]
    summary = summarise_log(log, scenario=Scenario.from_file(CORPUS / "bom.json"))
    said += list(getattr(summary, "notes", []))
    assert case["phrase"] in " | ".join(said), said
    assert len(log.events) > 0


def _good() -> pd.DataFrame:
    return validate_events(CORPUS / "log_good.csv").events


@pytest.mark.parametrize("name", ["log_bom.csv", "log_utf16.csv", "log_utf16le_nobom.csv",
                                  "log_semicolon.csv", "log_pipe.csv", "log_decimal_comma.csv"])
def test_the_same_log_in_another_dialect_gives_the_same_events(name: str):
    pd.testing.assert_frame_equal(validate_events(CORPUS / name).events, _good())


def test_latin1_accents_survive_and_other_cells_match():
    events = validate_events(CORPUS / "log_latin1.csv").events
    good = _good()
    assert "boutique café" in set(events["channel"])
    pd.testing.assert_frame_equal(events.drop(columns="channel"), good.drop(columns="channel"))


def test_thousands_with_a_decimal_comma_are_read_as_thousands():
    text = (CORPUS / "log_semicolon_thousands.csv").read_text()
    events = validate_events(CORPUS / "log_semicolon_thousands.csv").events
    good = _good()
    assert "1.1" in text and len(events) == len(good)
    big = events["amount"] > 1000
    assert big.any()
    assert events.loc[~big, "amount"].to_numpy() == pytest.approx(good.loc[~big, "amount"].to_numpy())
    assert events.loc[big, "amount"].to_numpy() == pytest.approx(good.loc[big, "amount"].to_numpy() + 1000)


def test_bad_rows_are_dropped_and_counted_not_read_into_wrong_columns():
    good = _good()
    wide = validate_events(CORPUS / "log_extra_fields.csv")
    pd.testing.assert_frame_equal(wide.events, good)
    assert wide.rows_read == len(good) + 1
    for name in ("log_inf_amount.csv", "log_dates_1800_2999.csv"):
        log = validate_events(CORPUS / name)
        pd.testing.assert_frame_equal(log.events, good)
        assert int(log.dropped["rows"].sum()) == 2


def test_formula_customer_ids_are_kept_as_text_and_neutralised_on_the_way_out(tmp_path: Path):
    from simulation.inputs import write_safe_csv

    log = validate_events(CORPUS / "log_formula_ids.csv")
    assert log.problems == []
    ids = log.events["customer_id"]
    assert ids.str.startswith(("=", "+", "-", "@")).sum() > 50
    write_safe_csv(log.events, tmp_path / "events.csv")
    _assert_no_formula_cells(tmp_path)


def test_what_sniffing_cannot_decide_is_accepted_once_the_user_says(capsys):
    dates = validate_events(CORPUS / "log_ambiguous_dates.csv", day_first=True)
    assert "day/month/year" in dates.notes[0]
    amounts = validate_events(CORPUS / "log_ambiguous_amounts.csv", decimal=",")
    assert set(amounts.events.loc[amounts.events["event_type"] == "purchase", "amount"]) == {1.25}
    mapped = validate_events(CORPUS / "log_missing_columns.csv", mapping={
        "customer_id": "cust", "timestamp": "time", "channel": "chan", "event_type": "type",
        "amount": "value"})
    pd.testing.assert_frame_equal(mapped.events, _good())


@pytest.mark.parametrize("path", ["/dev/zero", "/nonexistent/events.csv", "/etc"])
def test_devices_folders_and_missing_logs_exit_2_in_one_line(path: str, capsys):
    code, _, err = _cli(capsys, "calibrate", "--events", path, "--quiet")
    assert code == 2
    assert path in _one_error_line(err)
