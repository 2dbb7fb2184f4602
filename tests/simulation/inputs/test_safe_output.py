"""What goes back out: cells a spreadsheet would run as formulas come out neutralised (OWASP),
numbers stay numbers, and every CSV writer goes through the same function."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from simulation.inputs.safe_output import (
    FORMULA_STARTS,
    neutralise_cell,
    safe_csv_bytes,
    safe_frame,
    write_safe_csv,
)

FORMULAS = ['=HYPERLINK("http://x.example","click")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1",
            "\r=1", "\uff1d1+1", "=cmd|' /C calc'!A0"]


@pytest.mark.parametrize("cell", FORMULAS)
def test_formula_leading_text_gets_a_leading_quote(cell: str):
    assert neutralise_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["store", "a=b", "C0012345", "", " =1", "'=already", "1-2"])
def test_other_text_is_left_alone(cell: str):
    assert neutralise_cell(cell) == cell


@pytest.mark.parametrize("value", [-3.5, -1, 0, None, float("nan"), pd.Timestamp("2024-01-01")])
def test_non_text_values_are_left_alone(value: object):
    out = neutralise_cell(value)
    assert out is value


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "channel": ["=1+1", "web", "@x"],
        "segment": pd.Categorical(["-a", "b", "-a"]),
        "amount": [-3.5, 2.0, -0.0],
        "count": [1, -2, 3],
        "=evil": ["ok", "+1", "x"],
    })


def test_safe_frame_neutralises_text_categorical_cells_and_column_names_only():
    original = _frame()
    out = safe_frame(original)
    assert out["channel"].tolist() == ["'=1+1", "web", "'@x"]
    assert out["segment"].tolist() == ["'-a", "b", "'-a"]
    assert out["amount"].tolist() == [-3.5, 2.0, -0.0]  # negative numbers stay numbers
    assert out["count"].tolist() == [1, -2, 3]
    assert "'=evil" in out.columns and out["'=evil"].tolist() == ["ok", "'+1", "x"]
    pd.testing.assert_frame_equal(original, _frame())  # the caller's frame is not changed


def test_a_frame_without_text_is_returned_as_is():
    numbers = pd.DataFrame({"a": [-1.0, 2.0], "b": [1, -1]})
    assert safe_frame(numbers) is numbers


def test_string_dtype_columns_are_neutralised():
    frame = pd.DataFrame({"id": pd.array(["=1", "C1"], dtype="string")})
    assert safe_frame(frame)["id"].tolist() == ["'=1", "C1"]


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _assert_no_formula_cell(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_STARTS):
                float(cell)  # only a number may start with - or +


def test_csv_bytes_and_files_carry_no_formula_cell(tmp_path: Path):
    frame = _frame()
    rows = _cells(safe_csv_bytes(frame).decode("utf-8"))
    _assert_no_formula_cell(rows)
    assert rows[1][0] == "'=1+1" and rows[1][2] == "-3.5"
    path = tmp_path / "out.csv"
    write_safe_csv(frame, path)
    assert _cells(path.read_text(encoding="utf-8")) == rows  # the same cells, no index column


def test_write_safe_csv_passes_options_through(tmp_path: Path):
    path = tmp_path / "out.csv"
    write_safe_csv(_frame(), path, sep=";")
    assert path.read_text().splitlines()[0] == "channel;segment;amount;count;'=evil"
