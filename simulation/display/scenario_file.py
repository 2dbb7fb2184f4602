"""A saved scenario file: the scenario, plus the reader's display preferences beside it.

The file is the scenario's canonical JSON with one more top-level table, ``"display"``
(``{"lang": "th"}``). The language is how the numbers are *shown*, not a model parameter, so it
is kept out of :class:`~simulation.core.scenario.Scenario` (its canonical key, caches and
numbers do not depend on it). Files without the table (saved before it existed) load as before;
an unknown or malformed language is ignored rather than refusing the scenario.
"""

from __future__ import annotations

import json
from pathlib import Path

from simulation.core.scenario import Scenario
from simulation.display.text import supported
from simulation.inputs.problems import MAX_SCENARIO_BYTES

DISPLAY = "display"


def dumps(scenario: Scenario, lang: str) -> str:
    """The file's text: ``scenario``'s canonical JSON with ``"display": {"lang": lang}``."""
    data = json.loads(scenario.to_json())
    data[DISPLAY] = {"lang": supported(lang) or "en"}
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)


def _split(raw: str | bytes) -> tuple[str | bytes, str | None]:
    """The scenario's own JSON and the language kept beside it (None when absent or unknown).

    Text that is not a JSON object is returned unchanged, so :meth:`Scenario.from_json` reports
    the problem in its usual words.
    """
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return raw, None
    if not isinstance(data, dict) or DISPLAY not in data:
        return raw, None
    display = data.pop(DISPLAY)
    lang = supported(display.get("lang")) if isinstance(display, dict) else None
    return json.dumps(data), lang


def loads(raw: str | bytes) -> tuple[Scenario, str | None]:
    """A scenario and its saved language from a file's text or bytes.

    Raises
    ------
    ScenarioError
        As :meth:`Scenario.from_json` (not JSON, too large, an invalid scenario).
    """
    if len(raw) > MAX_SCENARIO_BYTES:  # the input boundary refuses it in its own words
        return Scenario.from_json(raw), None
    scenario_json, lang = _split(raw)
    return Scenario.from_json(scenario_json), lang


def load(path: str | Path) -> tuple[Scenario, str | None]:
    """:func:`loads` of a file (only a regular file within the input boundary's size limit)."""
    path = Path(path)
    try:
        readable = path.is_file() and path.stat().st_size <= MAX_SCENARIO_BYTES
        raw = path.read_bytes() if readable else b""
    except OSError:
        readable = False
    if not readable:
        return Scenario.from_file(path), None  # refuses it, naming the file
    scenario_json, lang = _split(raw)
    if scenario_json is raw:  # no display table: the usual reader, errors name the file
        return Scenario.from_file(path), None
    return Scenario.from_json(scenario_json), lang


__all__ = ["DISPLAY", "dumps", "load", "loads"]
