"""Delimited tables: encoding, delimiter and decimal separator found from the file (or given),
what stays ambiguous refused with the reason, rows read in chunks with their line numbers, rows
wider than the header set aside."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.inputs.csv_input import (
    MAX_COLUMNS,
    open_table,
    sniff_decimal,
    sniff_delimiter,
    to_numbers,
)
from simulation.inputs.problems import InputError

HEADER = ["customer_id", "timestamp", "channel", "event_type", "amount"]
ROWS = [["C0012345", "2024-03-05", "store", "purchase", "59.90"],
        ["C0012346", "2024-03-06", "web", "visit", ""],
        ["C0012345", "2024-03-07", "app", "return", "12.50"]]


def _table(rows: list[list[str]], delimiter: str = ",", header: list[str] = HEADER) -> str:
    return "".join(delimiter.join(r) + "\n" for r in [header, *rows])


def _read(source, **kwargs) -> tuple[pd.DataFrame, list[int], list[int], object]:
    reader = open_table(source, numeric_columns=["amount"], expected_columns=HEADER, **kwargs)
    frames, lines, wrong = [], [], []
    for chunk in reader.chunks(2):
        frames.append(chunk.frame)
        lines.extend(chunk.lines.tolist())
        wrong.extend(chunk.wrong_width)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=reader.header)
    return frame, lines, wrong, reader.format


def _problem(call, *args, **kwargs) -> str:
    with pytest.raises(InputError) as caught:
        call(*args, **kwargs)
    assert caught.value.problems
    return caught.value.one_line()


@pytest.mark.parametrize(("delimiter", "name"), [(",", "comma"), (";", "semicolon"), ("\t", "tab"),
                                                 ("|", "pipe"), (" ", "space")])
def test_each_delimiter_is_sniffed_and_rows_come_back_as_written(delimiter: str, name: str):
    frame, lines, wrong, fmt = _read(_table(ROWS, delimiter).encode())
    assert fmt.delimiter == delimiter and fmt.sniffed
    assert f"{name}-separated" in fmt.describe()
    assert list(frame.columns) == HEADER
    assert frame.to_numpy().tolist() == ROWS
    assert lines == [2, 3, 4] and wrong == []


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be",
                                      "cp1252", "latin-1"])
def test_every_encoding_reads_the_same_cells(encoding: str):
    rows = [[*ROWS[0][:2], "boutique café", *ROWS[0][3:]], *ROWS[1:]]
    frame, _, _, fmt = _read(_table(rows).encode(encoding))
    assert frame.to_numpy().tolist() == rows
    assert list(frame.columns) == HEADER  # no BOM glued to the first column's name
    expected = {"latin-1": "cp1252"}.get(encoding, encoding)
    assert fmt.encoding == ("utf-16" if encoding == "utf-16" else expected)


def test_a_path_a_binary_stream_and_a_text_stream_read_alike(tmp_path: Path):
    text = _table(ROWS)
    path = tmp_path / "log.csv"
    path.write_text(text)
    by_path, *_ = _read(path)
    by_str, *_ = _read(str(path))
    by_stream, *_ = _read(io.BytesIO(text.encode()))
    by_text, *_ = _read(io.StringIO(text))
    for frame in (by_str, by_stream, by_text):
        pd.testing.assert_frame_equal(frame, by_path)


def test_a_non_seekable_stream_is_read():
    class OneWay(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            chunk = self._inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    frame, *_ = _read(io.BufferedReader(OneWay(_table(ROWS).encode("utf-16"))))
    assert frame.to_numpy().tolist() == ROWS


def test_rows_wider_than_the_header_are_set_aside_with_their_line_numbers():
    text = _table([ROWS[0], [*ROWS[1], "stray", "field"], ROWS[2], [*ROWS[0], "x"]])
    frame, lines, wrong, _ = _read(text.encode())
    assert wrong == [3, 5]
    assert lines == [2, 4]
    assert frame.to_numpy().tolist() == [ROWS[0], ROWS[2]]


def test_trailing_empty_fields_and_short_rows_are_kept_and_padded():
    text = ("customer_id,timestamp,channel,event_type,amount\n"
            "C1,2024-01-01,web,visit,,,\nC2,2024-01-02,web,visit\n")
    frame, lines, wrong, _ = _read(text.encode(), delimiter=",")
    assert wrong == [] and lines == [2, 3]
    assert frame.to_numpy().tolist() == [["C1", "2024-01-01", "web", "visit", ""],
                                         ["C2", "2024-01-02", "web", "visit", ""]]


def test_blank_lines_are_skipped_and_line_numbers_stay_those_of_the_file():
    text = ("customer_id,timestamp,channel,event_type,amount\n\n"
            "C1,2024-01-01,web,visit,\n\n\nC2,2024-01-02,web,purchase,5\n")
    _, lines, _, _ = _read(text.encode())
    assert lines == [3, 6]


def test_quoted_cells_with_delimiters_and_line_breaks_stay_whole():
    text = ('customer_id,timestamp,channel,event_type,amount\n'
            'C1,2024-01-01,"web, new\nsite",purchase,"10,50"\nC2,2024-01-02,web,purchase,"1,00"\n')
    frame, lines, _, fmt = _read(text.encode())
    assert frame["channel"].tolist() == ["web, new\nsite", "web"]
    assert fmt.decimal == ","
    assert lines == [3, 4]  # the line where each row ends


def test_a_file_longer_than_the_sniffed_head_loses_no_row_and_no_character():
    rows = [[f"C{i:07d}", "2024-03-05 14:22:10", "store", "purchase", f"{i % 997}.90"] for i in range(20_000)]
    text = _table(rows)
    assert len(text) > 600_000  # well past the 256 KB sniffed at the start
    reader = open_table(text.encode(), numeric_columns=["amount"])
    ids = [cid for chunk in reader.chunks(7_000) for cid in chunk.frame["customer_id"]]
    assert ids == [r[0] for r in rows]


def test_chunks_hold_at_most_the_rows_asked_for():
    rows = [[f"C{i}", "2024-01-01", "web", "visit", ""] for i in range(25)]
    sizes = [len(c.frame) for c in open_table(_table(rows).encode()).chunks(10)]
    assert sizes == [10, 10, 5]


@pytest.mark.parametrize(("values", "delimiter", "decimal"), [
    (["10.50", "3.99"], ",", "."), (["10,50", "3,99"], ";", ","), (["1.234,56", "7,00"], ";", ","),
    (["1,234.56", "7.00"], ",", "."), (["1.234.567"], ";", ","), (["1,234,567"], ",", "."),
    (["1,234"], ",", "."), (["12", "30"], ";", "."), ([], ";", "."), (["€ 10,50", "12,00 EUR"], ";", ","),
    (["$1,234.50"], ";", "."), (["1 234,56"], ";", ","), (["0.12345"], ";", "."),
])
def test_the_decimal_separator_is_sniffed_from_the_amounts(values: list[str], delimiter: str, decimal: str):
    assert sniff_decimal(values, delimiter) == decimal


def test_amounts_that_could_be_thousands_or_decimals_are_refused_unless_the_delimiter_decides():
    assert "could mean a thousand or a decimal" in _problem(sniff_decimal, ["1,250", "2,500"], ";")
    assert "could mean a thousand or a decimal" in _problem(sniff_decimal, ["1.250"], ";")
    assert sniff_decimal(["1,250"], ",") == "."  # a comma file cannot hold an unquoted decimal comma


def test_mixed_decimal_styles_are_refused_naming_one_of_each():
    message = _problem(sniff_decimal, ["10.50", "3.00", "7,25"], ";")
    assert "'10.50'" in message and "'7,25'" in message


def test_a_decimal_comma_file_is_read_as_such_and_given_separators_win():
    text = _table([[*ROWS[0][:4], "10,50"], [*ROWS[2][:4], "1.234,56"]], ";")
    _, _, _, fmt = _read(text.encode())
    assert fmt.decimal == "," and fmt.describe().endswith("decimal comma")
    ambiguous = _table([[*ROWS[0][:4], "1,250"]], ";")
    assert "thousand or a decimal" in _problem(_read, ambiguous.encode())
    _, _, _, given = _read(ambiguous.encode(), decimal=",")
    assert given.decimal == ","
    _, _, _, given = _read(_table(ROWS, "|").encode(), delimiter="|", decimal=".")
    assert not given.sniffed


@pytest.mark.parametrize(("text", "decimal", "expected"), [
    (["10.50", "1,234.56", "$ 59.90", "59.90 THB", "-3.5", "+2"], ".",
     [10.5, 1234.56, 59.9, 59.9, -3.5, 2.0]),
    (["10,50", "1.234,56", "1 234,56", "€12,00", "1\u00a0234,5", "7"], ",",
     [10.5, 1234.56, 1234.56, 12.0, 1234.5, 7.0]),
])
def test_amounts_become_the_numbers_they_mean(text: list[str], decimal: str, expected: list[float]):
    assert to_numbers(pd.Series(text), decimal).tolist() == pytest.approx(expected)


@pytest.mark.parametrize("bad", ["", "inf", "-inf", "Infinity", "nan", "1e400", "abc", "=1+1", "10.5.5x"])
def test_what_is_not_a_finite_number_becomes_nan(bad: str):
    assert np.isnan(to_numbers(pd.Series([bad]), ".").iloc[0])


def test_a_delimiter_that_two_candidates_share_is_refused_as_ambiguous():
    lines = ["a;b,c", "1;2,3", "4;5,6"]
    assert "ambiguous" in _problem(sniff_delimiter, lines)


def test_expected_column_names_break_a_tie_between_delimiters():
    lines = ["customer_id;timestamp,x", "1;2,3", "4;5,6"]
    assert sniff_delimiter(lines, ["customer_id", "timestamp"]) == ";"


def test_a_file_no_delimiter_splits_evenly_is_refused_with_the_candidates_named():
    message = _problem(sniff_delimiter, ["just one column", "a", "b c d e"])
    assert "comma, semicolon, tab, pipe, space" in message


def test_empty_and_blank_files_are_refused():
    assert "empty" in _problem(open_table, b"")
    assert "empty" in _problem(open_table, b"\n\n  \n")


def test_too_many_columns_and_unnamed_columns_are_refused():
    wide = ",".join(f"c{i}" for i in range(MAX_COLUMNS + 1)) + "\n" + ",".join("1" * (MAX_COLUMNS + 1)) + "\n"
    assert f"at most {MAX_COLUMNS}" in _problem(open_table, wide.encode())
    assert "column 2 has no name" in _problem(open_table, b"a,,c\n1,2,3\n4,5,6\n")


def test_unknown_delimiter_or_decimal_given_by_the_user_is_refused():
    assert "is not one of comma" in _problem(open_table, _table(ROWS).encode(), delimiter=":")
    assert "must be '.' or ','" in _problem(open_table, _table(ROWS).encode(), decimal="'")


def test_missing_paths_and_folders_are_refused(tmp_path: Path):
    assert "does not exist" in _problem(open_table, tmp_path / "none.csv")
    assert "not a regular file" in _problem(open_table, tmp_path)


def test_binary_content_is_refused_before_parsing():
    assert "Excel" in _problem(open_table, b"PK\x03\x04" + bytes(100))
    assert "binary" in _problem(open_table, bytes(range(256)) * 4)


def test_an_unterminated_quote_is_read_to_the_end_without_error_or_reported():
    text = 'customer_id,timestamp,channel,event_type,amount\nC1,2024-01-01,"web,visit,\n'
    try:
        frame, *_ = _read(text.encode())
    except InputError as error:
        assert error.problems
    else:
        assert len(frame) <= 1
