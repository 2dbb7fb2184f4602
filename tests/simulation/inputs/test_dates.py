"""Dates: the format is decided once from a sample and applied to every row; day-first and
month-first are told apart by a day above 12, else given, else refused."""

from __future__ import annotations

import pandas as pd
import pytest

from simulation.inputs.dates import EARLIEST, DateFormat, infer_date_format, latest_plausible
from simulation.inputs.problems import InputError

T = pd.Timestamp


@pytest.mark.parametrize(("values", "kind"), [
    (["2024-03-05", "2024-12-31"], "iso"),
    (["2024-03-05 14:22:10", "2024-03-05T14:22"], "iso"),
    (["20240305", "20241231"], "compact"),
    (["20240305142210"], "compact"),
    (["31/03/2024", "01/04/2024"], "day_first"),
    (["31.03.2024 10:15", "1.4.2024"], "day_first"),
    (["03/31/2024", "04/01/2024"], "month_first"),
    (["12-25-2024"], "month_first"),
])
def test_the_format_is_inferred_from_the_sample(values: list[str], kind: str):
    assert infer_date_format(pd.Series(values)).kind == kind


@pytest.mark.parametrize(("kind", "text", "expected"), [
    ("iso", "2024-03-05 14:22:10", T("2024-03-05 14:22:10")),
    ("iso", "2024-03-05T14:22:10+07:00", T("2024-03-05 07:22:10")),  # offsets converted to UTC
    ("iso", "2024-03-05", T("2024-03-05")),
    ("compact", "20240305", T("2024-03-05")),
    ("compact", "20240305142210", T("2024-03-05 14:22:10")),
    ("day_first", "05/03/2024", T("2024-03-05")),
    ("day_first", "5.3.2024 14:22", T("2024-03-05 14:22")),
    ("day_first", "05-03-2024 14:22:10", T("2024-03-05 14:22:10")),
    ("month_first", "03/05/2024", T("2024-03-05")),
    ("month_first", "3/5/2024 9:05", T("2024-03-05 09:05")),
])
def test_each_format_reads_its_dates(kind: str, text: str, expected: pd.Timestamp):
    assert DateFormat(kind).parse(pd.Series([text])).iloc[0] == expected


@pytest.mark.parametrize(("kind", "bad"), [
    ("iso", "yesterday"), ("iso", "2024-13-01"), ("iso", "2024-02-30"), ("compact", "2024030"),
    ("compact", "20241301"), ("day_first", "31/02/2024"), ("day_first", "2024-03-05"),
    ("month_first", "13/01/2024"), ("day_first", ""), ("iso", "nan"),
])
def test_a_value_that_does_not_parse_in_the_files_format_is_nat(kind: str, bad: str):
    assert pd.isna(DateFormat(kind).parse(pd.Series([bad])).iloc[0])


def test_one_format_applies_to_every_row_so_the_same_text_means_the_same_day():
    values = pd.Series(["13/01/2024", "03/04/2024"])
    fmt = infer_date_format(values)
    assert fmt.kind == "day_first"
    assert fmt.parse(values).tolist() == [T("2024-01-13"), T("2024-04-03")]


def test_dates_no_day_above_12_decides_are_refused_unless_the_order_is_given():
    values = pd.Series(["03/04/2024", "05/06/2024"])
    with pytest.raises(InputError, match="could be day-first or month-first"):
        infer_date_format(values)
    assert infer_date_format(values, day_first=True).kind == "day_first"
    assert infer_date_format(values, day_first=False).kind == "month_first"


def test_a_sample_mixing_both_orders_is_refused():
    with pytest.raises(InputError, match="mix day-first and month-first"):
        infer_date_format(pd.Series(["31/01/2024", "01/31/2024"]))


def test_a_column_of_no_known_format_is_refused_quoting_an_example():
    with pytest.raises(InputError, match="'March 5th'"):
        infer_date_format(pd.Series(["March 5th", "April 1st", "2024-01-01"]))


def test_an_empty_sample_defaults_to_iso():
    assert infer_date_format(pd.Series(["", " "])).kind == "iso"


def test_descriptions_name_the_format_for_people():
    assert DateFormat("day_first").description == "day/month/year"
    assert "ISO" in DateFormat("iso").description


def test_plausible_range_runs_from_1990_to_a_year_from_now():
    assert T("1990-01-01") == EARLIEST
    latest = latest_plausible()
    assert pd.Timestamp.now() + pd.Timedelta(days=360) < latest < pd.Timestamp.now() + pd.Timedelta(days=368)
