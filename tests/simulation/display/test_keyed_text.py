"""Text made below the display layer, said in the reader's language: progress messages of runs
and analyses, an orders file's drop reasons and notes, the command line's ``--help``, the
calibration targets' names and the evidence rows.

Each test makes the text the way the app or the CLI does, says it in Thai, Vietnamese and
Malay, and checks that no English sentence of the catalog is left in it.
"""

from __future__ import annotations

import pickle
import re

import pandas as pd
import pytest

from simulation import Scenario
from simulation.analysis.parallel import Task, run_tasks
from simulation.calibration import cohorts
from simulation.calibration.eventlog import validate_events
from simulation.calibration.fitting import KPI_SPECS
from simulation.calibration.holdout import HOLDOUT_METRICS
from simulation.cli.main import main
from simulation.core.api import simulate
from simulation.display import calibration_charts as cc
from simulation.display import evidence_view
from simulation.display import format as fmt
from simulation.display.text import ENGLISH, LANGUAGE_NAMES, catalog, placeholders, say, use_language
from simulation.inputs.problems import Progress, duration

OTHERS = tuple(code for code in LANGUAGE_NAMES if code != ENGLISH)
THAI = re.compile("[\u0e00-\u0e7f]")


def english_fragments(prefixes: tuple[str, ...], lang: str, words: int = 3) -> dict[str, str]:
    """Key -> the longest literal fragment (``words`` words or more) of each English entry
    under ``prefixes`` that ``lang`` translates differently."""
    english, translated = catalog(ENGLISH), catalog(lang)
    out = {}
    for key, value in english.items():
        if not key.startswith(prefixes) or translated.get(key, value) == value:
            continue
        pieces = re.split(r"\{[^}]*\}|%\([a-z_]+\)[rs]|%s", value) if placeholders(value) or "%" in value \
            else [value]
        longest = max((p.strip(" .,;:()*'") for p in pieces), key=len)
        if len(longest.split()) >= words:
            out[key] = longest
    return out


def leaked(shown: str, prefixes: tuple[str, ...], lang: str) -> dict[str, str]:
    return {k: s for k, s in english_fragments(prefixes, lang).items() if s in shown}


def _square(x: int) -> int:
    return x * x


def test_progress_messages_are_keyed_and_survive_a_process_boundary():
    message = Progress("progress.runs_left", label=Progress("progress.label.tornado"), done=3, runs=10,
                       left=duration(82))
    assert message == "tornado: 3 of 10 runs, about 1 min 22 s left"
    back = pickle.loads(pickle.dumps(message))
    assert type(back) is Progress and back.key == message.key
    with use_language("th"):
        assert say(back) == "กราฟทอร์นาโด: เสร็จ 3 จาก 10 การรัน เหลืออีกราว 1 นาที 22 วินาที"


@pytest.mark.parametrize("lang", OTHERS)
def test_a_run_and_an_analysis_report_progress_in_the_reader_language(lang: str):
    messages: list[str] = []
    scenario = Scenario.preset("benchmark_retailer").replace(market__population=300, market__horizon_weeks=12)
    simulate(scenario, progress=lambda _f, m: messages.append(m))
    run_tasks(_square, [Task(i) for i in range(4)], n_jobs=1, progress=lambda _f, m: messages.append(m))
    assert messages and all(isinstance(m, Progress) for m in messages)
    with use_language(lang):
        said = "\n".join(say(m) for m in messages)
    assert not leaked(said, ("progress.",), lang), said
    for english in ("week", "runs", "simulating", "worker"):
        assert english not in said.split(), (english, said)


@pytest.mark.parametrize(("lang", "expected"), [("en", "1 min 22 s"), ("th", "1 นาที 22 วินาที"),
                                                ("vi", "1 phút 22 giây"), ("ms", "1 min 22 saat")])
def test_durations_follow_the_language(lang: str, expected: str):
    with use_language(lang):
        assert fmt.duration(82.4) == expected
        assert fmt.duration(41.6).startswith("42 ")


BAD_ORDERS = b"""customer_id,timestamp,channel,event_type,amount
a,2024-01-03,web,purchase,10
a,2024-03-03,store,purchase,12
b,1980-01-03,web,purchase,10
,2024-01-03,web,purchase,10
c,2024-01-05,store,purchase,nan
d,2024-01-05,store,purchase,-3
e,2024-01-05,store,visitx,3
f,2024-01-05,,purchase,3
g,2024-01-05,store,purchase,3,4
h,31/12/2024,store,purchase,3
"""


@pytest.mark.parametrize("lang", OTHERS)
def test_an_orders_file_says_why_rows_were_dropped_in_the_reader_language(lang: str):
    log = validate_events(BAD_ORDERS)
    assert len(log.problems) == 8  # every reason once, each a keyed problem
    assert log.problems[0].startswith("more fields than the header's 5")
    with use_language(lang):
        said = "\n".join(say(line) for line in [*log.problems, *log.notes])
        table = cc.dropped_table(log.dropped).to_csv()
    assert not leaked(said, ("problem.log.",), lang), said
    assert not leaked(table, ("problem.log.",), lang), table
    assert "1990" in said and "ISO 8601" in said  # the facts stay


@pytest.mark.parametrize("lang", OTHERS)
@pytest.mark.parametrize("command", [[], ["run"], ["uncertainty"], ["bestplan"], ["calibrate"],
                                     ["evidence"], ["report"]])
def test_the_command_line_help_is_in_the_chosen_language(lang: str, command: list[str], capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--lang", lang, *command, "--help"])
    assert stop.value.code == 0
    shown = capsys.readouterr().out
    assert not leaked(shown, ("cli.help.", "cli.argparse."), lang), shown
    assert "usage:" not in shown and "options:" not in shown and "show this help" not in shown
    if lang == "th":
        assert THAI.search(shown)


def test_the_command_line_help_stays_english_without_a_language(capsys):
    with pytest.raises(SystemExit):
        main(["calibrate", "--help"])
    shown = capsys.readouterr().out
    assert shown.startswith("usage: ") and "dates like 03/04/2024 are 3 April" in " ".join(shown.split())


def test_argparse_errors_are_said_in_the_chosen_language(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--lang", "vi", "run", "--no-such-option"])
    assert stop.value.code == 2
    assert "lỗi: đối số không nhận ra: --no-such-option" in capsys.readouterr().err


@pytest.mark.parametrize("lang", OTHERS)
def test_every_calibration_target_has_a_name_in_every_language(lang: str):
    names = [*KPI_SPECS, "return_rate", "orders_per_purchase"]
    with use_language(ENGLISH):
        english = {k: cc.kpi_name(k) for k in names}
    # The English names are the declared labels (one meaning everywhere).
    assert all(english[k] == KPI_SPECS[k].label for k in KPI_SPECS)
    with use_language(lang):
        said = {k: cc.kpi_name(k) for k in names} | {m: cc.holdout_name(m) for m in HOLDOUT_METRICS}
    assert all(said[k] != english[k] for k in names), [k for k in names if said[k] == english[k]]
    assert all(said[m] != HOLDOUT_METRICS[m] for m in HOLDOUT_METRICS)
    assert str(cohorts.RECENT_WEEKS) in said["recent_repeat"]


def test_evidence_rows_are_translated_by_id_and_a_users_own_row_stays_as_written():
    rows = pd.read_csv("data/evidence.csv")
    own = rows.iloc[[0]].assign(id="my_study", metric="share of my customers who came back")
    edited = rows.iloc[[1]].assign(metric="an edited description")
    table = pd.concat([rows, own, edited]).rename(columns={"value": "published"})
    table["model_note"] = ""
    with use_language("th"):
        shown = evidence_view.translated(table)
    assert all(THAI.search(m) for m in shown["metric"].iloc[:len(rows)])
    assert shown["metric"].iloc[-2] == "share of my customers who came back"
    assert shown["metric"].iloc[-1] == "an edited description"
    for lang in OTHERS:
        with use_language(lang):
            said = evidence_view.translated(rows.rename(columns={"value": "published"}))
        text = said[["metric", "model_measure", "shows", "does_not_show"]].to_csv()
        assert not leaked(text, ("evidence_row.",), lang)


@pytest.mark.parametrize("lang", OTHERS)
def test_the_analyses_assumptions_are_named_in_the_reader_language(lang: str):
    from simulation.analysis.ranges import resolve_ranges
    from simulation.display.decision_charts import assumption_label

    ranges = resolve_ranges(Scenario.preset("fashion"))
    assert all(assumption_label(r.spec_path, r.label) == r.label for r in ranges)  # English as declared
    with use_language(lang):
        said = [assumption_label(r.spec_path, r.label) for r in ranges]
    assert all(s != r.label for s, r in zip(said, ranges, strict=True)), said
    assert not any("(all " in s for s in said)


@pytest.mark.parametrize("lang", OTHERS)
def test_assumption_ranges_are_said_in_the_reader_language(lang: str):
    from simulation.analysis.ranges import resolve_ranges
    from simulation.display.labels import assumption_range

    described = [r.describe() for r in resolve_ranges(Scenario.preset("fashion"))]
    assert all(assumption_range(d) == d for d in described)
    with use_language(lang):
        said = [assumption_range(d) for d in described]
    assert not [s for s in said if " to " in s or s.startswith("each ")], said


def test_parameter_values_and_assumption_ranges_take_the_readers_separators():
    from simulation.display import format as fmt
    from simulation.display.labels import assumption_range
    from simulation.display.text import use_language

    assert (fmt.plain(20_000.0), fmt.plain(0.35)) == ("20,000", "0.35")
    with use_language("vi"):
        values = (fmt.plain(20_000.0), fmt.plain(0.35), fmt.plain(250_000.5))
        assert values == ("20.000", "0,35", "250.000,50")
        assert assumption_range("0.3 to 0.5 probability").startswith("0,3 đến 0,5")
        assert "-25% đến +25%" in assumption_range("each -25% to +25%")


def test_fitted_parameters_are_worded_not_field_names():
    from types import SimpleNamespace

    from simulation.display import calibration_charts as cc
    from simulation.display.text import use_language

    rows = pd.DataFrame([
        {"part": "segment Loyal", "parameter": "intent_rate_weekly", "preset": 0.35, "calibrated": 0.3125},
        {"part": "channel store", "parameter": "conversion", "preset": 0.4, "calibrated": 0.41},
        {"part": "economics", "parameter": "gross_margin", "preset": 0.35, "calibrated": 0.35}])
    calibration = SimpleNamespace(parameters=rows)
    english = cc.fitted_parameters_table(calibration)  # type: ignore[arg-type]
    assert list(english.columns) == ["Part", "Parameter", "Preset", "Calibrated"]
    assert list(english["Part"]) == ["Segment Loyal", "Channel store", "Economics"]
    assert "intent_rate_weekly" not in english.to_string()
    with use_language("vi"):
        vietnamese = cc.fitted_parameters_table(calibration)  # type: ignore[arg-type]
    assert list(vietnamese.iloc[0, 2:]) == ["0,35", "0,3125"]
    assert vietnamese.iloc[0, 0] == "Phân khúc Loyal"
    assert "Intent" not in vietnamese.to_string()
