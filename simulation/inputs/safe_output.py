"""What goes back out: CSV cells a spreadsheet would run as formulas are neutralised.

OWASP's advice for CSV injection: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is prefixed with a single quote, so Excel, LibreOffice and Google Sheets show
it as text instead of evaluating it. Only text cells are touched: numbers written as numbers
(a negative amount) stay numbers. Names a person typed (scenario, channel and segment names,
customer ids) reach CSV files through text columns, so every CSV the app and the command line
write goes through :func:`safe_frame`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""First characters a spreadsheet may evaluate (with their full-width forms)."""


def neutralise_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` if it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell and column name neutralised (a copy where needed)."""
    text_columns = [c for c in frame.columns
                    if pd.api.types.is_object_dtype(frame[c]) or pd.api.types.is_string_dtype(frame[c])
                    or isinstance(frame[c].dtype, pd.CategoricalDtype)]
    renamed = {c: neutralise_cell(c) for c in frame.columns if neutralise_cell(c) != c}
    if not text_columns and not renamed:
        return frame
    out = frame.copy()
    for column in text_columns:
        values = out[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        out[column] = values.map(neutralise_cell)
    return out.rename(columns=renamed)


def write_safe_csv(frame: pd.DataFrame, path: str | Path, **options: Any) -> None:
    """Write ``frame`` as CSV to ``path`` with formula cells neutralised (``index=False``)."""
    safe_frame(frame).to_csv(path, index=False, **options)


def safe_csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as UTF-8 CSV bytes with formula cells neutralised (for downloads)."""
    return safe_frame(frame).to_csv(index=False).encode("utf-8")
