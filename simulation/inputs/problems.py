"""The boundary's one exception type and its limits."""

from __future__ import annotations

MAX_SCENARIO_BYTES = 1_000_000
"""Largest scenario file or upload (a full scenario is about 8 KB of JSON)."""
MAX_LINK_CHARACTERS = 64_000
"""Longest share-link payload accepted (a full scenario packs into about 2,000 characters)."""
MAX_JSON_DEPTH = 16
"""Deepest nesting of objects and lists in a scenario (a scenario nests four levels)."""
MAX_MESSAGE_CHARACTERS = 120
"""Quoted user text is cut to this length in a message."""


class InputError(ValueError):
    """Bad input: ``problems`` lists each one as ``where: why`` in plain words.

    Every boundary of :mod:`simulation.inputs` raises this (or a subclass, such as
    :class:`~simulation.core.parameters.ScenarioError` and
    :class:`~simulation.calibration.eventlog.EventLogError`), so callers catch one type.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = [str(p) for p in problems] or ["the input could not be used"]
        super().__init__("\n".join(self.problems))

    def one_line(self) -> str:
        """The problems joined on one line, for a CLI exit message or a UI banner."""
        return "; ".join(self.problems)


def quoted(text: str, limit: int = MAX_MESSAGE_CHARACTERS) -> str:
    """``text`` made safe to quote in a message: control characters shown escaped, cut short."""
    shown = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text[: limit + 1])
    return repr(shown[:limit] + ("..." if len(shown) > limit else ""))
