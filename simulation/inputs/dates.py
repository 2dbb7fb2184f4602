"""Dates as exports write them: ISO 8601, ``YYYYMMDD``, day-first or month-first.

The format is decided once, from a sample of the file, and then applied to every row, so
``03/04/2024`` means the same day on every line. Day-first and month-first are told apart by a
day above 12 in the sample; when the sample cannot tell, the user says which, else the file is
refused with the reason (a silent guess would move every event by weeks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from simulation.inputs.problems import InputError, Problem, quoted

EARLIEST = pd.Timestamp("1990-01-01")
"""Events before this are taken as typing or export errors (no transaction system is older)."""

_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([ T].*)?$")
_COMPACT = re.compile(r"^\d{8}(\d{6})?$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(\s.*)?$")


@dataclass(frozen=True)
class DateFormat:
    """How a file writes its dates."""

    kind: str
    """``iso``, ``compact``, ``day_first`` or ``month_first``."""

    @property
    def description(self) -> str:
        """The format in words for messages, e.g. ``"day/month/year"`` (a keyed :class:`Problem`)."""
        return Problem(f"problem.log.date_format.{self.kind}")

    def parse(self, text: pd.Series) -> pd.Series:
        """Naive timestamps of ``text``, NaT where a value does not parse in this format.

        Values are in the file's own clock; an offset, if given, is converted to UTC.
        """
        text = text.astype(str).str.strip()
        if self.kind == "iso":
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
            return parsed.dt.tz_localize(None)
        if self.kind == "compact":
            short = pd.to_datetime(text.where(text.str.len() == 8), format="%Y%m%d", errors="coerce")
            long = pd.to_datetime(text.where(text.str.len() == 14), format="%Y%m%d%H%M%S", errors="coerce")
            return short.fillna(long)
        unified = text.str.replace(r"^(\d{1,2})[.\-](\d{1,2})[.\-](\d{4})", r"\1/\2/\3", regex=True)
        day_first = self.kind == "day_first"
        parts = unified.str.extract(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
        day, month = (parts[0], parts[1]) if day_first else (parts[1], parts[0])
        frame = pd.DataFrame({"year": parts[2], "month": month, "day": day, "hour": parts[3],
                              "minute": parts[4], "second": parts[5]}).fillna("0")
        numbers = frame.apply(pd.to_numeric, errors="coerce")
        return pd.to_datetime(numbers, errors="coerce")


def infer_date_format(sample: pd.Series, *, day_first: bool | None = None) -> DateFormat:
    """The date format of a sample of a file's date column.

    Raises
    ------
    InputError
        No format reads most of the sample, or day-first and month-first cannot be told apart
        (and ``day_first`` was not given).
    """
    values = [v for v in sample.astype(str).str.strip() if v]
    if not values:
        return DateFormat("iso")
    share = {kind: sum(bool(rx.match(v)) for v in values) / len(values)
             for kind, rx in (("iso", _ISO), ("compact", _COMPACT), ("numeric", _NUMERIC))}
    kind = max(share, key=lambda k: share[k])
    if share[kind] < 0.5:
        raise InputError([Problem("problem.dates.unknown_format", example=quoted(values[0]))])
    if kind != "numeric":
        return DateFormat(kind)
    if day_first is not None:
        return DateFormat("day_first" if day_first else "month_first")
    matches = [m for m in map(_NUMERIC.match, values) if m]
    firsts = [int(m.group(1)) for m in matches]
    seconds = [int(m.group(2)) for m in matches]
    if any(f > 12 for f in firsts) and any(s > 12 for s in seconds):
        raise InputError([Problem("problem.dates.mixed_order")])
    if any(f > 12 for f in firsts):
        return DateFormat("day_first")
    if any(s > 12 for s in seconds):
        return DateFormat("month_first")
    example = next(m.group(0) for m in matches)
    raise InputError([Problem("problem.dates.ambiguous_order", example=quoted(example))])


def latest_plausible() -> pd.Timestamp:
    """A year after today: later events are typing or export errors."""
    return pd.Timestamp.now().normalize() + pd.Timedelta(days=366)
