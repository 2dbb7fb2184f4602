"""Presets: TOML files in ``data/presets/``, read as plain data.

:meth:`simulation.core.scenario.Scenario.preset` lays one over the default scenario. A preset
states only what differs from the defaults, with the source or reasoning of each value as a
comment beside it. Lists (``channels``, ``segments``) are replaced whole when a preset gives
them; tables are merged key by key.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Any

from simulation.core.parameters import ScenarioError
from simulation.inputs.problems import Problem

PRESET_DIR = Path(__file__).resolve().parents[2] / "data" / "presets"
DEFAULT_PRESET = "benchmark_retailer"


def preset_names() -> list[str]:
    """Names of the shipped presets, the default first."""
    names = sorted(p.stem for p in PRESET_DIR.glob("*.toml"))
    if DEFAULT_PRESET in names:
        names.remove(DEFAULT_PRESET)
        names.insert(0, DEFAULT_PRESET)
    return names


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """``overlay`` laid over ``base``: nested dicts merged, everything else replaced."""
    out = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def preset_data(name: str) -> dict[str, Any]:
    """The raw TOML content of a preset (no defaults applied)."""
    path = PRESET_DIR / f"{name}.toml"
    if not path.is_file():
        raise ScenarioError([Problem("problem.scenario.no_preset", name=repr(name),
                                     names=str(preset_names()))])
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError([Problem("problem.scenario.preset_unreadable", name=repr(name),
                                     reason=str(error))]) from None


def preset_descriptions() -> dict[str, str]:
    """Preset name -> its one-paragraph description."""
    return dict(_descriptions())


@functools.lru_cache(maxsize=1)
def _descriptions() -> tuple[tuple[str, str], ...]:
    return tuple((name, str(preset_data(name).get("description", ""))) for name in preset_names())
