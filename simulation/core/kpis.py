"""The KPIs a run reports, declared once: key, kind of value, direction, baseline comparison.

``Results.kpis`` has one column per :data:`KPIS` entry, in this order. Each entry says what kind
of number the column holds (so one formatter, :func:`simulation.display.format.kpi`, shows it),
whether more is better, and whether it is measured against the baseline plan (NaN for the
baseline itself where it is a ratio or a week). What a KPI is *called* and its help text are
display text: ``kpi.<key>.label`` and ``kpi.<key>.help`` in the text catalog
(``simulation/display/catalogs/en.toml``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Kind(StrEnum):
    """What kind of number a KPI holds, which decides how it is shown."""

    SHARE = "share"
    """A fraction 0-1, shown as a percentage; differences in percentage points."""
    MONEY = "money"
    """An amount in the scenario's currency."""
    COUNT = "count"
    """People, purchases or journeys in the real market."""
    WEEKS = "weeks"
    """A week number of the horizon (NaN: not within it)."""
    RATIO = "ratio"
    """A return, 1 = 100%."""
    NUMBER = "number"
    """A plain rate such as purchases per customer-year."""
    SCORE = "score"
    """A 0-1 score (satisfaction)."""


@dataclass(frozen=True)
class Kpi:
    """One output column of ``Results.kpis``.

    Attributes
    ----------
    key:
        The column name.
    kind:
        How the value is read and shown (:class:`Kind`).
    higher_is_better:
        True when more is better, False when less is (a cost, the payback week), None when
        neither (sales that moved between channels).
    vs_baseline:
        True for a column measured against the baseline plan (the first plan simulated):
        ``npv_gain``, ``roi``, ``payback_week`` and the migration split.
    """

    key: str
    kind: Kind
    higher_is_better: bool | None = True
    vs_baseline: bool = False


_S, _M, _C, _W = Kind.SHARE, Kind.MONEY, Kind.COUNT, Kind.WEEKS

KPIS: tuple[Kpi, ...] = (
    Kpi("conversion_rate", _S),
    Kpi("journey_conversion", _S),
    Kpi("retention_12m", _S),
    Kpi("repeat_rate", _S),
    Kpi("repeat_12m", _S),
    Kpi("loyal_share", _S),
    Kpi("aov", _M),
    Kpi("purchases_per_customer_year", Kind.NUMBER),
    Kpi("revenue", _M),
    Kpi("gross_margin", _M),
    Kpi("marketing_cost", _M, higher_is_better=False),
    Kpi("returns_cost", _M, higher_is_better=False),
    Kpi("fulfilment_cost", _M, higher_is_better=False),
    Kpi("service_cost", _M, higher_is_better=False),
    Kpi("harmonisation_cost", _M, higher_is_better=False),
    Kpi("integration_cost", _M, higher_is_better=False),
    Kpi("net_contribution", _M),
    Kpi("clv", _M),
    Kpi("clv_horizon", _M),
    Kpi("terminal_value", _M),
    Kpi("npv", _M),
    Kpi("npv_gain", _M, vs_baseline=True),
    Kpi("roi", Kind.RATIO, vs_baseline=True),
    Kpi("payback_week", _W, higher_is_better=False, vs_baseline=True),
    Kpi("migrated_purchases", _C, higher_is_better=None, vs_baseline=True),
    Kpi("incremental_purchases", _C, vs_baseline=True),
    Kpi("migrated_revenue", _M, higher_is_better=None, vs_baseline=True),
    Kpi("incremental_revenue", _M, vs_baseline=True),
    Kpi("customers", _C),
    Kpi("active_customers_end", _C),
    Kpi("mean_satisfaction", Kind.SCORE),
    Kpi("first_contact_resolution", _S),
)
"""Every KPI column, in the order of ``Results.kpis``."""

KPI_BY_KEY: Mapping[str, Kpi] = MappingProxyType({k.key: k for k in KPIS})
KPI_COLUMNS: tuple[str, ...] = tuple(k.key for k in KPIS)

HEADLINE: tuple[str, ...] = ("conversion_rate", "retention_12m", "clv", "npv")
"""The four KPIs the overview's cards and change chart lead with."""
SUMMARY: tuple[str, ...] = ("conversion_rate", "retention_12m", "repeat_rate", "aov",
                            "purchases_per_customer_year", "revenue", "integration_cost",
                            "net_contribution", "clv", "npv", "npv_gain", "payback_week")
"""The KPIs of the command line's comparison table."""
INTERVALS: tuple[str, ...] = ("npv_gain", "npv", "clv", "conversion_rate", "retention_12m",
                              "revenue", "payback_week", "roi")
"""The KPIs the uncertainty analysis reports intervals for, in table order."""


def kpi(key: str) -> Kpi:
    """The registry entry of column ``key`` (``KeyError`` for a column that is not a KPI)."""
    return KPI_BY_KEY[key]


__all__ = ["HEADLINE", "INTERVALS", "KPIS", "KPI_BY_KEY", "KPI_COLUMNS", "SUMMARY", "Kind", "Kpi", "kpi"]
