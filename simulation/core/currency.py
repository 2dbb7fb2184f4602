"""Money and exchange rates: which scenario fields are money, and converting them.

Every money parameter is declared with a unit starting ``currency`` (``currency``,
``currency/order``, ``currency/week``...). Switching a scenario's currency multiplies exactly
those fields by one dated exchange rate from ``data/exchange_rates.toml``; nothing else
changes, so every money result scales by the same rate and every share or count stays put.
Values are not rounded when converted (float multiplication only; formatting rounds for
display), so converting there and back returns the original values to within float rounding
(a relative error of a few 1e-16).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from simulation.core.parameters import ScenarioError
from simulation.inputs.problems import Problem, at

RATES_FILE = Path(__file__).resolve().parents[2] / "data" / "exchange_rates.toml"
BASE = "USD"


@dataclass(frozen=True)
class ExchangeRate:
    """Units of ``code`` for one US dollar, with the day it applies to and where it comes from."""

    code: str
    per_usd: float
    date: str
    kind: str
    source: str


class UnknownCurrency(ScenarioError):
    """A currency code with no exchange rate in ``data/exchange_rates.toml``."""

    def __init__(self, code: str, where: str = "market.currency"):
        super().__init__([at(where, Problem("problem.scenario.unknown_currency", code=repr(code),
                                            known=", ".join(known())))])
        self.code = code


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, ExchangeRate]:
    data = tomllib.loads(RATES_FILE.read_text(encoding="utf-8"))
    table = {code: ExchangeRate(code=code, per_usd=float(row["per_usd"]), date=str(row["date"]),
                                kind=str(row["kind"]), source=str(row["source"]))
             for code, row in data.items()}
    bad = [code for code, row in table.items() if not row.per_usd > 0]
    if BASE not in table or table[BASE].per_usd != 1.0 or bad:
        raise ValueError(f"{RATES_FILE}: USD must be 1 and every rate positive (bad: {bad})")
    return table


def known() -> tuple[str, ...]:
    """Codes with an exchange rate, sorted."""
    return tuple(sorted(_table()))


def exchange_rate(code: str) -> ExchangeRate:
    """The stored rate of ``code``; :class:`UnknownCurrency` when there is none."""
    try:
        return _table()[code]
    except KeyError:
        raise UnknownCurrency(code) from None


def rate(source: str, target: str) -> float:
    """Units of ``target`` for one unit of ``source`` (a cross rate through the US dollar)."""
    if source == target:
        exchange_rate(source)  # still reject an unknown code
        return 1.0
    return exchange_rate(target).per_usd / exchange_rate(source).per_usd


def is_money(model: type[BaseModel], name: str) -> bool:
    """Whether field ``name`` of ``model`` is declared in a currency unit."""
    extra = model.model_fields[name].json_schema_extra
    return isinstance(extra, dict) and str(extra.get("unit", "")).startswith("currency")


@functools.lru_cache(maxsize=256)
def _fields_of(model: type[BaseModel]) -> tuple[tuple[str, bool], ...]:
    """Each field of ``model`` and whether it is money (:func:`is_money`), in declared order."""
    return tuple((name, is_money(model, name)) for name in model.model_fields)


def money_fields(model: BaseModel, path: str = "") -> Iterator[tuple[BaseModel, str, str]]:
    """Every money field under ``model``: (the part holding it, field name, dotted path)."""
    for name, money in _fields_of(type(model)):
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from money_fields(value, f"{path}.{name}" if path else name)
        elif isinstance(value, tuple):
            here = f"{path}.{name}" if path else name
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from money_fields(item, f"{here}[{i}]")
        elif money:
            yield model, name, f"{path}.{name}" if path else name


def scaled_money(model: BaseModel, factor: float) -> dict[str, Any]:
    """``model`` as plain data with every money field multiplied by ``factor``."""
    data = model.model_dump(mode="python")
    return _scale(model, data, factor)


def _scale(model: BaseModel, data: dict[str, Any], factor: float) -> dict[str, Any]:
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            data[name] = _scale(value, data[name], factor)
        elif isinstance(value, tuple) and value and isinstance(value[0], BaseModel):
            data[name] = [_scale(item, part, factor) for item, part in zip(value, data[name], strict=True)]
        elif is_money(type(model), name) and value is not None:
            data[name] = float(value) * factor
    return data
