"""Plausible ranges of the assumptions, as data: which parameters move, and how far.

A range is declared by a parameter path and, optionally, its low and high values. Without
explicit values the range is the scenario's value plus or minus :data:`DEFAULT_RELATIVE_RANGE`
(25%), clipped to the bounds the parameter declares in :mod:`simulation.core.scenario` (read with
:func:`~simulation.core.parameters.field_info`, never copied). 25% is a conventional one-at-a-time band
for assumptions that have no published spread; give explicit values where evidence has one.

Paths use the scenario's own names: ``behaviour.conflict_rate``, ``channels[0].conversion``;
``segments[*].weekly_churn_hazard`` moves the field of every segment together, and
``capability_costs.*.one_off_cost`` the field of every capability, each element within its own
range (perfectly correlated: one draw moves them all).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel

from simulation.core.currency import exchange_rate
from simulation.core.parameters import ScenarioError, field_info
from simulation.core.scenario import Scenario

DEFAULT_RELATIVE_RANGE = 0.25
"""Default half-width of a range, as a share of the scenario's value (+-25%)."""


@dataclass(frozen=True)
class RangeSpec:
    """One row of the range table.

    Attributes
    ----------
    path:
        Parameter path, with ``[*]`` or ``*`` to move every element together.
    low, high:
        Explicit end points in the parameter's unit (only for a path naming one field).
    relative:
        Half-width as a share of the value when ``low``/``high`` are not given.
    """

    path: str
    low: float | None = None
    high: float | None = None
    relative: float = DEFAULT_RELATIVE_RANGE


MAIN_ASSUMPTIONS: tuple[RangeSpec, ...] = (
    RangeSpec("behaviour.siloed_context_kept"),
    RangeSpec("behaviour.lost_context_abandon_share"),
    RangeSpec("behaviour.conflict_rate"),
    RangeSpec("segments[*].conflict_sensitivity"),
    RangeSpec("behaviour.network_fill_rate"),
    RangeSpec("behaviour.store_shift_share"),
    RangeSpec("behaviour.stockout_lost_share"),
    RangeSpec("behaviour.cross_channel_return_share"),
    RangeSpec("behaviour.contact_cap_weekly"),
    RangeSpec("behaviour.satisfaction_churn_elasticity"),
    RangeSpec("segments[*].switch_probability"),
    RangeSpec("economics.gross_margin"),
    RangeSpec("capability_costs.*.one_off_cost"),
)
"""The assumptions the omnichannel gain rests on: one or two per capability's mechanism, the
satisfaction-to-churn link, how much customers hop between channels, margin and project cost."""


def main_assumptions(scenario: Scenario, relative: float = DEFAULT_RELATIVE_RANGE
                     ) -> tuple[RangeSpec, ...]:
    """:data:`MAIN_ASSUMPTIONS` at +-``relative``, then the implementation risk's ranges.

    The implementation risk is the one-off overrun and the delay (weeks) over the ranges the
    scenario states (``implementation_risk``), so the uncertainty analysis and the tornado draw
    integration that overruns and starts late.
    """
    risk = scenario.implementation_risk
    return (*(RangeSpec(s.path, relative=relative) for s in MAIN_ASSUMPTIONS),
            RangeSpec("implementation_risk.one_off_overrun", risk.overrun_low, risk.overrun_high),
            RangeSpec("implementation_risk.delay_weeks", risk.delay_low_weeks, risk.delay_high_weeks))


@dataclass(frozen=True)
class ParameterRange:
    """A resolved range: the concrete fields it moves and each one's low, base and high value.

    Attributes
    ----------
    spec_path:
        The path as declared (may contain ``*``).
    label, unit, meaning:
        From the parameter's declaration; ``label`` says "(all segments)" for a wildcard.
    fields:
        Concrete paths (``segments[1].switch_probability``).
    base, low, high:
        Values of each field, in ``unit``.
    integer:
        Whether the field holds whole numbers (sampled values are rounded).
    """

    spec_path: str
    label: str
    unit: str
    meaning: str
    fields: tuple[str, ...]
    base: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    integer: bool

    @property
    def width(self) -> float:
        """Largest high - low over the fields (0 = the range moves nothing)."""
        return float(max(h - lo for lo, h in zip(self.low, self.high, strict=True)))

    def values_at(self, u: float) -> tuple[float, ...]:
        """Values at position ``u`` in [0, 1] of the range (0 = low, 1 = high)."""
        out = [lo + u * (h - lo) for lo, h in zip(self.low, self.high, strict=True)]
        return tuple(float(round(x)) if self.integer else float(x) for x in out)

    def describe(self) -> str:
        """``0.3 - 0.5 probability`` or, for several fields, ``each -25% to +25%``."""
        if len(self.fields) == 1:
            return f"{_fmt(self.low[0])} to {_fmt(self.high[0])} {self.unit}".strip()
        shares = [(lo / b - 1, h / b - 1) for lo, b, h in zip(self.low, self.base, self.high, strict=True)
                  if b != 0]
        if shares:
            lo_share = min(s[0] for s in shares)
            hi_share = max(s[1] for s in shares)
            return f"each {lo_share:+.0%} to {hi_share:+.0%}"
        return "each 0 to 0"


def _fmt(x: float) -> str:
    return f"{x:,.4g}"


_TOKEN = re.compile(r"^(?P<name>[A-Za-z_*][A-Za-z0-9_]*)(?:\[(?P<index>\*|\d+)\])?$")


def _expand(model: BaseModel, tokens: Sequence[str], prefix: str) -> list[tuple[BaseModel, str, str]]:
    """(parent model, field name, concrete path) of every field a path names."""
    head, *rest = tokens
    match = _TOKEN.match(head)
    if match is None:
        raise ScenarioError([f"{prefix}{head}: is not a parameter path"])
    name, index = match["name"], match["index"]
    names = list(type(model).model_fields) if name == "*" else [name]
    out: list[tuple[BaseModel, str, str]] = []
    for field in names:
        if field not in type(model).model_fields:
            raise ScenarioError([f"{prefix}{field}: is not a known parameter"])
        value = getattr(model, field)
        here = f"{prefix}{field}"
        if index is not None:
            if not isinstance(value, tuple):
                raise ScenarioError([f"{here}: is not a list"])
            picks = range(len(value)) if index == "*" else [int(index)]
            for i in picks:
                if i >= len(value):
                    raise ScenarioError([f"{here}[{i}]: there are only {len(value)}"])
                if not rest:
                    raise ScenarioError([f"{here}[{i}]: name a field of it"])
                out += _expand(value[i], rest, f"{here}[{i}].")
        elif rest:
            if not isinstance(value, BaseModel):
                raise ScenarioError([f"{here}: has no fields"])
            out += _expand(value, rest, f"{here}.")
        else:
            if name == "*" and not isinstance(value, (int, float)):
                continue
            out.append((model, field, here))
    return out


def resolve_range(scenario: Scenario, spec: RangeSpec) -> ParameterRange:
    """The fields ``spec`` moves in ``scenario`` and their low/base/high values.

    Raises
    ------
    ScenarioError
        For an unknown path, a non-numeric field, or explicit end points outside the bounds.
    """
    fields = _expand(scenario, spec.path.split("."), "")
    if not fields:
        raise ScenarioError([f"{spec.path}: names no numeric parameter"])
    if (spec.low is None) != (spec.high is None):
        raise ScenarioError([f"{spec.path}: give both low and high, or neither"])
    if spec.low is not None and len(fields) > 1:
        raise ScenarioError([f"{spec.path}: explicit low/high need a path naming one field"])
    if not 0 <= spec.relative <= 1:
        raise ScenarioError([f"{spec.path}: relative range {spec.relative} is not within 0 to 1"])
    base, low, high = [], [], []
    per_usd = exchange_rate(scenario.market.currency).per_usd  # money bounds are declared in USD
    info = None
    integer = False
    for model, name, path in fields:
        info = field_info(model, name, path, per_usd=per_usd)
        value = info.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ScenarioError([f"{path}: is not numeric"])
        integer = isinstance(value, int)
        lo_bound = -np.inf if info.minimum is None else info.minimum
        hi_bound = np.inf if info.maximum is None else info.maximum
        if spec.low is not None and spec.high is not None:
            lo, hi = float(spec.low), float(spec.high)
            if not lo_bound <= lo <= hi <= hi_bound:
                raise ScenarioError([f"{path}: range {lo:g} to {hi:g} is not within its bounds "
                                     f"{lo_bound:g} to {hi_bound:g} (low <= high)"])
        else:
            half = abs(float(value)) * spec.relative
            lo = float(np.clip(value - half, lo_bound, hi_bound))
            hi = float(np.clip(value + half, lo_bound, hi_bound))
        base.append(float(value))
        low.append(lo)
        high.append(hi)
    assert info is not None  # fields is not empty
    first_model, first_name, _ = fields[0]
    label = info.label
    if len(fields) > 1:
        container = spec.path.split(".")[0].split("[")[0].replace("_", " ")
        label = f"{field_info(first_model, first_name, '').label} (all {container})"
    return ParameterRange(
        spec_path=spec.path, label=label, unit=info.unit, meaning=info.meaning,
        fields=tuple(p for _, _, p in fields), base=tuple(base), low=tuple(low),
        high=tuple(high), integer=integer,
    )


def resolve_ranges(scenario: Scenario, specs: Iterable[RangeSpec] = MAIN_ASSUMPTIONS
                   ) -> tuple[ParameterRange, ...]:
    """Every spec resolved against ``scenario`` (see :func:`resolve_range`)."""
    return tuple(resolve_range(scenario, s) for s in specs)


def _set(data: Any, path: str, value: float) -> None:
    parts = re.findall(r"[A-Za-z_][A-Za-z0-9_]*|\[\d+\]", path)
    target = data
    for part in parts[:-1]:
        target = target[int(part[1:-1])] if part.startswith("[") else target[part]
    target[parts[-1]] = value


def with_values(scenario: Scenario, changes: Iterable[tuple[ParameterRange, float]]) -> Scenario:
    """A copy of ``scenario`` with each range set to position ``u`` in [0, 1] (0 = low).

    Parameters
    ----------
    scenario:
        The scenario to change (its other values, seed included, are kept).
    changes:
        ``(range, u)`` pairs.
    """
    data = json.loads(scenario.canonical_key())
    for parameter_range, u in changes:
        for path, value in zip(parameter_range.fields, parameter_range.values_at(u), strict=True):
            _set(data, path, value)
    return Scenario.validated(data)
