"""Every scenario parameter as a flat list, read from the scenario's own declarations.

The sidebar's "all assumptions" widgets and the method page's table are both generated from
:func:`parameters`, which walks the scenario tree and asks :func:`simulation.core.parameters.field_info`
for label, unit, range, meaning and source. Nothing here restates a bound or a unit.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from typing import Any

from babel.numbers import format_decimal
from pydantic import BaseModel

from simulation import Capability, Scenario
from simulation.core.currency import exchange_rate, known
from simulation.core.parameters import ParameterInfo, ScenarioError, field_info
from simulation.core.scenario import CapabilityLevels, ChannelKind
from simulation.display.labels import capability_meaning, capability_name
from simulation.display.text import language, param_text, text, unit_text

Keys = tuple[str | int, ...]


@dataclass(frozen=True)
class Param:
    """One editable scenario value: where it lives, which group it belongs to, its metadata."""

    keys: Keys
    """Location in ``scenario.model_dump(mode="json")``, e.g. ``("channels", 1, "conversion")``."""
    group: str
    info: ParameterInfo
    integer: bool = False
    options: tuple[str, ...] = ()
    """Allowed values of a choice (e.g. channel kind); empty for numbers and free text."""
    text: bool = False

    @property
    def widget_key(self) -> str:
        """A unique, CSS-safe widget key, e.g. ``p__channels__1__conversion``."""
        parts = [re.sub(r"[^a-z0-9]+", "_", str(k).lower()) for k in self.keys]
        return "p__" + "__".join(parts)

    @property
    def help(self) -> str:
        """Help text: meaning, unit, range and source."""
        info = self.info
        bounds = ""
        if info.minimum is not None or info.maximum is not None:
            lo = "" if info.minimum is None else _bound(info.minimum)
            hi = "" if info.maximum is None else _bound(info.maximum)
            bounds = " " + (text("param_help.range", low=lo, high=hi) if hi
                            else text("param_help.at_least", low=lo))
        unit = " " + text("param_help.unit", unit=info.unit) if info.unit else ""
        source = "\n\n" + text("param_help.source", source=info.source) if info.source else ""
        return f"{info.meaning[:1].upper()}{info.meaning[1:]}.{unit}{bounds}{source}"


def _bound(value: float) -> str:
    """A range's end as the reader writes numbers ("1e+09" stays short)."""
    shown = f"{value:g}"
    if "e" in shown:
        return shown
    return format_decimal(float(shown), format="#,##0.######", locale=language())


def _fields(model: BaseModel, keys: Keys, group: str, path: str, per_usd: float = 1.0) -> list[Param]:
    out = []
    for name, field in type(model).model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if "unit" not in extra:
            continue
        info = _described(model, name, field_info(model, name, f"{path}.{name}" if path else name,
                                                  per_usd=per_usd))
        integer = field.annotation is int
        out.append(Param(keys=(*keys, name), group=group, info=info, integer=integer))
    return out


def _described(model: BaseModel, name: str, info: ParameterInfo) -> ParameterInfo:
    """``info`` with its meaning and source from the text lookup (the declaration in English).

    A capability level is labelled with the capability's name and explained by its meaning.
    """
    kind = type(model)
    meaning = param_text(kind, name, "meaning", info.meaning)
    source = param_text(kind, name, "source", info.source)
    label = param_text(kind, name, "label", info.label)
    if isinstance(model, CapabilityLevels):
        label, meaning = capability_name(name), capability_meaning(name).rstrip(".")
    return dataclasses.replace(info, label=label, meaning=meaning, source=source,
                               unit=unit_text(info.unit))


def _plain(path: str, label: str, value: Any, unit: str, meaning: str, source: str,
           minimum: float | None = None, step: float | None = None) -> ParameterInfo:
    return ParameterInfo(path=path, label=label, value=value, default=None, unit=unit,
                         meaning=meaning, source=source, minimum=minimum, maximum=None, step=step)


def parameters(scenario: Scenario) -> list[Param]:
    """Every parameter of ``scenario`` in display order, grouped for the sidebar and tables."""
    out: list[Param] = []
    per_usd = exchange_rate(scenario.market.currency).per_usd
    fields = functools.partial(_fields, per_usd=per_usd)
    group = {name: text(f"param_group.{name}") for name in (
        "reproducibility", "market", "business", "economics", "custom_plan", "existing", "risk",
        "behaviour")}
    out += _fields(scenario, (), group["reproducibility"], "")
    out += fields(scenario.market, ("market",), group["market"], "market")
    out.append(Param(keys=("market", "currency"), group=group["market"], options=known(), info=_plain(
        "market.currency", text("param_extra.currency"), scenario.market.currency,
        text("param_extra.currency_unit"), text("param_extra.currency_meaning"),
        text("param_extra.currency_source"))))
    out += fields(scenario.business, ("business",), group["business"], "business")
    out += fields(scenario.economics, ("economics",), group["economics"], "economics")
    out += fields(scenario.custom_plan, ("custom_plan",), group["custom_plan"], "custom_plan")
    out += fields(scenario.existing_capabilities, ("existing_capabilities",),
                   group["existing"], "existing_capabilities")
    for cap in Capability:
        out += fields(scenario.capability_costs.of(cap), ("capability_costs", cap.value),
                       text("capabilities.cost_group", name=capability_name(cap)),
                       f"capability_costs.{cap.value}")
    out += fields(scenario.implementation_risk, ("implementation_risk",), group["risk"],
                   "implementation_risk")
    for i, channel in enumerate(scenario.channels):
        where = text("param_group.channel", name=channel.name)
        out.append(Param(keys=("channels", i, "kind"), group=where,
                         options=tuple(k.value for k in ChannelKind), info=_plain(
                             f"channels[{i}].kind", text("param_extra.kind"), channel.kind.value, "",
                             text("param_extra.kind_meaning"), text("param_extra.kind_source"))))
        out += fields(channel, ("channels", i), where, f"channels[{i}]")
    for i, segment in enumerate(scenario.segments):
        where = text("param_group.segment", name=segment.name)
        out += fields(segment, ("segments", i), where, f"segments[{i}]")
        for channel in scenario.channels:
            weight = segment.channel_preference.get(channel.name, 0.0)
            out.append(Param(
                keys=("segments", i, "channel_preference", channel.name), group=where,
                info=_plain(f"segments[{i}].channel_preference.{channel.name}",
                            text("param_extra.preference", channel=channel.name), weight,
                            text("param_extra.preference_unit"), text("param_extra.preference_meaning"),
                            text("param_extra.preference_source"), 0.0, 0.05)))
    out += fields(scenario.behaviour, ("behaviour",), group["behaviour"], "behaviour")
    return out


CURRENCY_KEYS: Keys = ("market", "currency")


def with_values(scenario: Scenario, values: dict[Keys, Any]) -> Scenario:
    """``scenario`` with the values at the given locations; raises :class:`ScenarioError`.

    A new ``market.currency`` converts every money parameter first (:meth:`Scenario.in_currency`);
    the other values are then taken as they are, in the new currency.
    """
    if not values:
        return scenario
    values = dict(values)
    code = values.pop(CURRENCY_KEYS, scenario.market.currency)
    if code != scenario.market.currency:
        scenario = scenario.in_currency(str(code))  # converts; a relabel would be wrong
    data = scenario.model_dump(mode="json")
    for keys, value in values.items():
        target: Any = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return Scenario.validated(data)


def value_at(scenario: Scenario, keys: Keys) -> Any:
    """The current value at ``keys`` in JSON form (enums as strings; a missing weight is 0)."""
    target: Any = scenario.model_dump(mode="json")
    for key in keys:
        if isinstance(target, dict) and key not in target:
            return 0.0
        target = target[key]
    return target


__all__ = ["Param", "ScenarioError", "parameters", "value_at", "with_values"]
