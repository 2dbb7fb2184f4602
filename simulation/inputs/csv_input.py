"""Delimited tables (event logs, order exports) read in chunks, whatever their dialect.

Exports from shop systems and spreadsheets differ in encoding, delimiter (comma, semicolon,
tab, pipe, space) and decimal separator (``10.50`` or ``10,50``, ``1,234.56`` or
``1.234,56``). :func:`open_table` finds all three from the file itself (or takes them as
given), reports what it found, and refuses with the reason what stays ambiguous. Rows are then
read in chunks: memory is bounded by the chunk, never by the file. A row with more fields than
the header is not parsed into wrong columns: it is set aside with its line number for the
caller to report.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from simulation.inputs.problems import InputError, Problem, at, quoted
from simulation.inputs.text import ENCODING_NAMES, check_text, detect_encoding

DELIMITERS = (",", ";", "\t", "|", " ")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe", " ": "space"}
MAX_COLUMNS = 200
MAX_FIELD_CHARACTERS = 10_000
_SNIFF_BYTES = 256 * 1024
_SNIFF_LINES = 400
_BLOCK = 1 << 20

# Numbers as exports write them; the class each shape is evidence for.
_POINT = re.compile(r"^[-+]?(\d+\.\d{1,2}|\d+\.\d{4,}|\d{1,3}(,\d{3})+\.\d+|\d{1,3}(,\d{3}){2,})$")
_COMMA = re.compile(r"^[-+]?(\d+,\d{1,2}|\d+,\d{4,}|\d{1,3}(\.\d{3})+,\d+|\d{1,3}(\.\d{3}){2,})$")
_AMBIGUOUS = re.compile(r"^[-+]?\d{1,3}[.,]\d{3}$")
_CURRENCY = re.compile(r"^\s*(?:[A-Z]{2,3}\.?|[$€£¥฿₫])?\s*(.*?)\s*(?:[A-Z]{2,3}|[$€£¥฿₫đ])?\s*$")
_SPACES = re.compile(r"[\s\u00a0\u202f']")


@dataclass(frozen=True)
class TableFormat:
    """How a table file is written."""

    encoding: str
    delimiter: str
    decimal: str
    sniffed: bool = True

    def describe(self) -> str:
        """E.g. ``UTF-8, semicolon-separated, decimal comma`` (a keyed :class:`Problem`)."""
        name = DELIMITER_NAMES.get(self.delimiter)
        return Problem("problem.log.table_format", encoding=ENCODING_NAMES.get(self.encoding, self.encoding),
                       delimiter=Problem(f"problem.log.delimiter.{name}") if name else repr(self.delimiter),
                       decimal=Problem("problem.log.decimal_comma" if self.decimal == "," else
                                       "problem.log.decimal_point"))


@dataclass
class TableChunk:
    """Rows of one chunk as text columns, with each row's line number in the file."""

    frame: pd.DataFrame
    lines: NDArray[np.int64]
    wrong_width: list[int] = field(default_factory=list)
    """Line numbers of rows with more fields than the header (not in ``frame``)."""


class TableReader:
    """An open table: its format, header and a chunk iterator (use :func:`open_table`)."""

    def __init__(self, lines: Iterator[str], table_format: TableFormat, header: list[str],
                 first_line: int) -> None:
        self.format = table_format
        self.header = header
        self._lines = lines
        self._first_line = first_line

    def chunks(self, rows: int = 100_000) -> Iterator[TableChunk]:
        """The data rows, ``rows`` at a time.

        Raises
        ------
        InputError
            A line the CSV parser cannot read, or bytes not valid in the file's encoding.
        """
        width = len(self.header)
        reader = csv.reader(self._lines, delimiter=self.format.delimiter,
                            skipinitialspace=True)
        batch: list[list[str]] = []
        lines: list[int] = []
        wrong: list[int] = []
        while True:
            try:
                row = next(reader, None)
            except csv.Error as error:
                raise InputError([Problem("problem.csv.unreadable_line",
                                          line=str(reader.line_num + self._first_line),
                                          reason=str(error))]) from None
            except UnicodeDecodeError:
                raise InputError([Problem(
                    "problem.csv.bad_bytes_after", line=str(reader.line_num + self._first_line),
                    encoding=ENCODING_NAMES.get(self.format.encoding, self.format.encoding))]) from None
            if row is None:
                break
            line = reader.line_num + self._first_line
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) > width:
                if any(cell.strip() for cell in row[width:]):
                    wrong.append(line)
                    continue
                row = row[:width]
            elif len(row) < width:
                row = row + [""] * (width - len(row))
            batch.append(row)
            lines.append(line)
            if len(batch) >= rows:
                yield self._chunk(batch, lines, wrong)
                batch, lines, wrong = [], [], []
        if batch or wrong:
            yield self._chunk(batch, lines, wrong)

    def _chunk(self, batch: list[list[str]], lines: list[int], wrong: list[int]) -> TableChunk:
        columns = list(zip(*batch, strict=True)) if batch else [() for _ in self.header]
        frame = pd.DataFrame({i: pd.Series(col, dtype=object) for i, col in enumerate(columns)})
        frame.columns = self.header
        return TableChunk(frame=frame, lines=np.asarray(lines, dtype=np.int64), wrong_width=wrong)


def open_table(source: str | Path | bytes | IO[Any], *, delimiter: str | None = None,
               decimal: str | None = None, numeric_columns: Sequence[str] = (),
               expected_columns: Sequence[str] = ()) -> TableReader:
    """Open a delimited table, finding its encoding, delimiter and decimal separator.

    Parameters
    ----------
    source:
        A path, the file's bytes, or a binary or text file-like object.
    delimiter, decimal:
        Given by the user (skip sniffing), or None to find them from the file.
    numeric_columns:
        Header names whose values decide the decimal separator.
    expected_columns:
        Header names the caller looks for: they break a tie between delimiters.

    Raises
    ------
    InputError
        Unreadable, empty, binary, or a delimiter or decimal separator that stays ambiguous.
    """
    if delimiter is not None and delimiter not in DELIMITERS:
        raise InputError([Problem("problem.csv.bad_delimiter", delimiter=quoted(delimiter))])
    if decimal is not None and decimal not in (".", ","):
        raise InputError([Problem("problem.csv.bad_decimal", decimal=quoted(decimal))])
    stream, encoding = _text_stream(source)
    try:
        head = stream.read(_SNIFF_BYTES)
    except UnicodeDecodeError as error:  # e.g. a UTF-16/32 byte-order mark, then other bytes
        raise InputError([Problem("problem.csv.bad_start", encoding=ENCODING_NAMES.get(encoding, encoding),
                                  reason=error.reason)]) from None
    check_text(head)
    if not head.strip():
        raise InputError([Problem("problem.file.empty")])
    head_lines = _complete_lines(head)
    found = delimiter or sniff_delimiter(head_lines, expected_columns)
    sample = [row for row in csv.reader(_aligned(head_lines, found), delimiter=found,
                                        skipinitialspace=True) if row]
    header = [cell.strip().lstrip("\ufeff") for cell in sample[0]] if sample else []
    if len(header) > MAX_COLUMNS:
        raise InputError([Problem("problem.csv.too_many_columns", count=str(len(header)),
                                  limit=str(MAX_COLUMNS))])
    blank = [i + 1 for i, name in enumerate(header) if not name]
    if blank and len(header) > 1:
        raise InputError([Problem("problem.csv.unnamed_column", column=str(blank[0]))])
    wanted = [header.index(c) for c in numeric_columns if c in header]
    values = [row[i].strip() for row in sample[1:] for i in wanted if i < len(row)]
    found_decimal = decimal or sniff_decimal(values, found)
    text_format = TableFormat(encoding=encoding, delimiter=found, decimal=found_decimal,
                              sniffed=delimiter is None or decimal is None)
    lines = _rejoined(head, stream)
    if found == " ":  # columns aligned with runs of spaces: leading spaces are not a field
        lines = (line.lstrip(" ") for line in lines)
    reader = csv.reader(lines, delimiter=found, skipinitialspace=True)
    try:
        first = next(reader, None)
        while first is not None and not any(cell.strip() for cell in first):
            first = next(reader, None)
    except csv.Error as error:
        raise InputError([Problem("problem.csv.unreadable_line", line="1", reason=str(error))]) from None
    except UnicodeDecodeError:
        raise InputError([Problem("problem.csv.bad_bytes_line", line="1",
                                  encoding=ENCODING_NAMES.get(encoding, encoding))]) from None
    return TableReader(lines, text_format, header, first_line=reader.line_num)


def _rejoined(head: str, stream: IO[str]) -> Iterator[str]:
    """The lines of ``head`` (already read) followed by the rest of ``stream``.

    The line cut by the end of ``head`` is joined again.
    """
    cut = max(head.rfind("\n"), head.rfind("\r")) + 1
    yield from io.StringIO(head[:cut], newline="")
    rest = head[cut:] + stream.readline()
    if rest:
        yield rest
    yield from stream


def _text_stream(source: str | Path | bytes | IO[Any]) -> tuple[IO[str], str]:
    """A text stream over ``source`` and the encoding found (see :mod:`simulation.inputs.text`)."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            reason = Problem("problem.file.missing" if not path.exists() else "problem.file.not_regular")
            raise InputError([at(str(path), reason)])
        try:
            binary: IO[bytes] = path.open("rb")
        except OSError as error:
            raise InputError([at(str(path), Problem("problem.file.unreadable",
                                               reason=error.strerror or str(error)))]) from None
    elif isinstance(source, (bytes, bytearray)):
        binary = io.BytesIO(bytes(source))
    elif isinstance(source, io.TextIOBase):
        return source, "utf-8"
    else:
        binary = source if source.seekable() else io.BytesIO(source.read())
    encoding = _stream_encoding(binary)
    return io.TextIOWrapper(binary, encoding=encoding, newline=""), encoding  # type: ignore[arg-type]


def _stream_encoding(binary: IO[bytes]) -> str:
    """The encoding of a seekable binary stream; leaves the stream at position 0.

    The codec is detected from its first 64 KiB; if that says UTF-8, a streaming check that the
    whole file is valid UTF-8, else Windows-1252, else Latin-1 decides.
    """
    codec = detect_encoding(binary.read(65536))
    binary.seek(0)
    if codec != "utf-8":
        return codec
    for candidate in ("utf-8", "cp1252"):
        decoder = codecs.getincrementaldecoder(candidate)()
        try:
            while block := binary.read(_BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            binary.seek(0)
        return candidate
    return "latin-1"


def _aligned(lines: list[str], delimiter: str) -> list[str]:
    """``lines`` as the parser sees them.

    A space-delimited file may align its columns with runs of spaces, so leading spaces are
    not an empty first field.
    """
    return [line.lstrip(" ") for line in lines] if delimiter == " " else lines


def _complete_lines(head: str) -> list[str]:
    lines = head.splitlines()
    if len(lines) > 1 and not head.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line may be cut by the sample's end
    return [line for line in lines[:_SNIFF_LINES] if line.strip()]


def sniff_delimiter(lines: list[str], expected_columns: Sequence[str] = ()) -> str:
    """The delimiter that splits every sampled line into as many fields as the header.

    Raises
    ------
    InputError
        No candidate splits the lines evenly, or two do and the header does not decide.
    """
    if not lines:
        raise InputError([Problem("problem.file.no_rows")])
    fits: list[tuple[int, int, str]] = []
    for candidate in DELIMITERS:
        rows = [row for row in csv.reader(_aligned(lines, candidate), delimiter=candidate,
                                          skipinitialspace=True) if row]
        width = len(rows[0])
        if width < 2:
            continue
        # Rows may be short (a visit without an amount) or carry a stray extra field; nearly
        # all must split into about the header's width, most into exactly that.
        near = sum(width - 1 <= len(row) <= width + 2 for row in rows) / len(rows)
        exact = sum(len(row) == width for row in rows) / len(rows)
        if near >= 0.9 and exact >= 0.5:
            named = sum(cell.strip() in expected_columns for cell in rows[0])
            fits.append((named, width, candidate))
    if not fits:
        raise InputError([Problem("problem.csv.no_delimiter")])
    fits.sort(reverse=True)
    if len(fits) > 1 and fits[0][:2] == fits[1][:2]:
        first, second = (Problem(f"problem.delimiter.{DELIMITER_NAMES[f[2]]}") for f in fits[:2])
        raise InputError([Problem("problem.csv.ambiguous_delimiter", first=first, second=second)])
    return fits[0][2]


def sniff_decimal(values: Sequence[str], delimiter: str) -> str:
    """``'.'`` or ``','``: the decimal separator the numbers in ``values`` use.

    Raises
    ------
    InputError
        Some numbers use a decimal point and others a decimal comma, or every number could be
        read either way (``1,234``) and the delimiter does not decide.
    """
    point = comma = ambiguous = None
    for value in values:
        bare = _bare_number(value)
        if _POINT.match(bare):
            point = point or value
        elif _COMMA.match(bare):
            comma = comma or value
        elif _AMBIGUOUS.match(bare):
            ambiguous = ambiguous or value
    if point and comma:
        raise InputError([Problem("problem.csv.mixed_decimal", point=quoted(point), comma=quoted(comma))])
    if comma:
        return ","
    if point or not ambiguous or delimiter == ",":
        return "."
    raise InputError([Problem("problem.csv.ambiguous_decimal", example=quoted(ambiguous))])


def _bare_number(value: str) -> str:
    match = _CURRENCY.match(value)
    inner = match.group(1) if match else value
    return _SPACES.sub("", inner)


def to_numbers(values: pd.Series, decimal: str) -> pd.Series:
    """Text amounts as floats (NaN where not a finite number).

    Thousands separators, spaces and a currency symbol or code around the number are removed;
    ``decimal`` (``"."`` or ``","``) is the decimal mark.
    """
    text = values.astype(str).str.strip().str.extract(_CURRENCY, expand=False).fillna("")
    text = text.str.replace(_SPACES, "", regex=True)
    if decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        text = text.str.replace(",", "", regex=False)
    numbers = pd.to_numeric(text, errors="coerce")
    return numbers.where(np.isfinite(numbers))
