"""The boundary's one exception type, its messages and its limits.

Each problem is a :class:`Problem`: English text (a ``str``, so logs, the API and tests read it
as before) that also carries its catalog key and fields, so the app and the command line can
say it in the reader's language (``simulation.display.text.say``). The English templates are
the ``[problem]`` tables of the display catalog ``simulation/display/catalogs/en.toml``, read
here as data: this layer sits below the display layer and cannot import it, and a second copy
of the English would drift.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

MAX_SCENARIO_BYTES = 1_000_000
"""Largest scenario file or upload (a full scenario is about 8 KB of JSON)."""
MAX_LINK_CHARACTERS = 64_000
"""Longest share-link payload accepted (a full scenario packs into about 2,000 characters)."""
MAX_JSON_DEPTH = 16
"""Deepest nesting of objects and lists in a scenario (a scenario nests four levels)."""
MAX_MESSAGE_CHARACTERS = 120
"""Quoted user text is cut to this length in a message."""


ENGLISH_CATALOG = Path(__file__).resolve().parents[1] / "display" / "catalogs" / "en.toml"
"""The English display catalog; its ``[problem]`` tables hold every boundary message."""
PROBLEM_SECTION = "problem"
PROGRESS_SECTION = "progress"
KEYED_SECTIONS = (PROBLEM_SECTION, PROGRESS_SECTION, "evidence_note", "calibration_kpi")
"""Catalog tables read here: boundary problems, the progress messages of long work, the
Evidence page's notes on how the model measured each published figure, and the calibration
targets' names and the fit's notes."""


@functools.cache
def english_problems() -> Mapping[str, str]:
    """Key -> English template of every entry of the :data:`KEYED_SECTIONS` of the English catalog."""
    tables = tomllib.loads(ENGLISH_CATALOG.read_text(encoding="utf-8"))
    out: dict[str, str] = {}

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for name, value in node.items():
            if isinstance(value, Mapping):
                walk(value, f"{prefix}.{name}")
            else:
                out[f"{prefix}.{name}"] = str(value)

    for section in KEYED_SECTIONS:
        walk(tables.get(section, {}), section)
    return out


def english_field(value: object) -> str:
    """A field as English text: 1,000,000 with commas, 0.25 as ``0.25``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    return repr(value)


class Problem(str):
    """One problem with an input: its English text, and the key and fields to translate it.

    ``Problem("problem.json.empty")`` is the ``str`` "the scenario is empty"; ``key`` and
    ``fields`` let a display say it in another language. A field may itself be a
    :class:`Problem` (a location before a reason), translated in turn.
    """

    key: str
    fields: Mapping[str, object]

    def __new__(cls, key: str, /, **fields: object) -> Problem:
        """The problem ``key`` with its ``{placeholders}`` filled from ``fields``."""
        template = english_problems()[key]
        english = template.format(**{k: english_field(v) for k, v in fields.items()})
        self = super().__new__(cls, english)
        self.key = key
        self.fields = dict(fields)
        return self

    def __reduce__(self) -> tuple[Callable[..., Problem], tuple[Any, ...]]:
        """Pickled as key and fields (problems cross to and from the worker processes)."""
        return _rebuilt, (self.key, dict(self.fields), type(self))

    def say(self, lookup: Callable[..., str], number: Callable[[float], str] = english_field) -> str:
        """The problem said through ``lookup(key, **fields)`` (a catalog in another language).

        Fields that are problems are said the same way; numbers go through ``number``.
        """
        shown = {name: value.say(lookup, number) if isinstance(value, Problem)
                 else number(value) if isinstance(value, (int, float)) and not isinstance(value, bool)
                 else value for name, value in self.fields.items()}
        return lookup(self.key, **shown)


def _rebuilt(key: str, fields: dict[str, object], kind: type[Problem] | None = None) -> Problem:
    return (kind or Problem)(key, **fields)


class Progress(Problem):
    """A progress message of long work (a run's week, an analysis's runs and time left).

    The same keyed English text as a :class:`Problem`, from the catalog's ``[progress]``
    table: ``Progress("progress.week", week=3, weeks=52)`` is the ``str`` "week 3 of 52", and a
    progress bar says it in the reader's language (``simulation.display.text.say``).
    """


def duration(seconds: float) -> Progress:
    """``42 s``, ``3 min 5 s`` as a :class:`Progress` field (said in the reader's language)."""
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return Progress("progress.duration.seconds", seconds=round(seconds))
    minutes, rest = divmod(round(seconds), 60)
    return Progress("progress.duration.minutes", minutes=minutes, seconds=rest)


def at(where: object, why: str) -> Problem:
    """``where: why``: a problem's location before its reason (both may be problems)."""
    return Problem("problem.at", where=where, why=why)


def unchanged(text: str) -> str:
    """``text`` as it is (the default of :meth:`InputError.one_line`: no translation)."""
    return text


class InputError(ValueError):
    """Bad input: ``problems`` lists each one as ``where: why`` in plain words.

    Every boundary of :mod:`simulation.inputs` raises this (or a subclass, such as
    :class:`~simulation.core.parameters.ScenarioError` and
    :class:`~simulation.calibration.eventlog.EventLogError`), so callers catch one type.
    """

    def __init__(self, problems: list[str] | str) -> None:
        if isinstance(problems, str):  # unpickled: the joined message of the original
            problems = problems.split("\n")
        self.problems: list[str] = [p if isinstance(p, str) else str(p) for p in problems] or [
            Problem("problem.unusable")]
        super().__init__("\n".join(self.problems))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled with its problems (keys and fields kept), not only their English."""
        return _error_rebuilt, (type(self), self.problems, dict(self.__dict__))

    def one_line(self, say: Callable[[str], str] = unchanged) -> str:
        """The problems joined on one line, for a CLI exit message or a UI banner.

        ``say`` puts the line into the reader's language (default: English). Without it the line
        is itself a :class:`Problem` (the problems joined by ``problem.joined``), so a display
        that translates problems translates it too.
        """
        return say(joined(self.problems))


def joined(problems: list[str]) -> str:
    """``a; b; c`` as one problem (a plain ``str`` when one of them is plain text)."""
    if not problems:
        return ""
    if not all(isinstance(p, Problem) for p in problems):
        return "; ".join(problems)
    line: str = problems[-1]
    for problem in reversed(problems[:-1]):
        line = Problem("problem.joined", first=problem, rest=line)
    return line


def _error_rebuilt(kind: type[InputError], problems: list[str], state: dict[str, Any]) -> InputError:
    error = kind.__new__(kind)
    InputError.__init__(error, problems)
    error.__dict__.update(state)
    return error


class Problems(ValueError):
    """Several problems found by one check inside a model (pydantic keeps the exception)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def quoted(text: str, limit: int = MAX_MESSAGE_CHARACTERS) -> str:
    """``text`` made safe to quote in a message: control characters shown escaped, cut short."""
    shown = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text[: limit + 1])
    return repr(shown[:limit] + ("..." if len(shown) > limit else ""))
