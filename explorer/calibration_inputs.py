"""The Calibrate page's inputs: the KPI route's optional targets and how an uploaded file is written."""

from __future__ import annotations

from typing import Any

import streamlit as st

from simulation.calibration.fitting import KPI_ROUTE_TARGETS, KPI_SPECS
from simulation.core.scenario import Scenario
from simulation.display.calibration_charts import KPI_DEFAULTS, kpi_name
from simulation.display.text import text


def kpi_targets(scenario: Scenario) -> tuple[dict[str, float], float]:
    """The KPIs the user chose to fit (observable definitions, each optional) and the margin."""
    st.caption(text("calibrate.kpi_caption"))
    chosen = st.multiselect(text("calibrate.kpis"), KPI_ROUTE_TARGETS, ["aov", "repeat_52w", "purchases_52w"],
                            format_func=kpi_name, key="calib_chosen")
    cols = st.columns(3)
    targets = {}
    for i, k in enumerate(chosen):
        spec = KPI_SPECS[k]
        unit = "%" if spec.rate else (scenario.market.currency if k == "aov"
                                      else text("calibrate.per_customer"))
        value = cols[i % 3].number_input(text("calibrate.kpi_input", label=kpi_name(k), unit=unit),
                                         0.0, 100_000.0, KPI_DEFAULTS[k],
                                         key=f"calib_{k}")
        targets[k] = value / 100 if spec.rate else value
    margin = cols[len(chosen) % 3].number_input(
        text("calibrate.margin"), 0.0, 100.0, scenario.economics.gross_margin * 100, key="calib_margin") / 100
    return targets, margin


_DELIMITERS = {"found": None, "comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|", "space": " "}
_DECIMALS = {"found": None, "point_decimal": ".", "comma_decimal": ","}
_DATE_ORDERS = {"found": None, "day_first": True, "month_first": False}
"""Each choice's key under ``calibrate`` (its words) -> the reader's keyword value."""


def _words(key: str) -> str:
    return text(f"calibrate.{key}")


def file_format() -> tuple[tuple[str, Any], ...]:
    """How the uploaded file is written, where the reader cannot tell.

    Returns
    -------
    tuple of (str, object)
        Delimiter, decimal separator and date order (each 'found from the file', None, unless
        chosen), as keyword arguments of :func:`simulation.calibration.eventlog.validate_events`.
    """
    a, b, c = st.columns(3)
    delimiter = a.selectbox(text("calibrate.delimiter"), list(_DELIMITERS), key="calib_delimiter",
                            format_func=_words)
    decimal = b.selectbox(text("calibrate.decimal"), list(_DECIMALS), key="calib_decimal", format_func=_words)
    order = c.selectbox(text("calibrate.date_order"), list(_DATE_ORDERS), key="calib_date_order",
                        format_func=_words)
    return (("delimiter", _DELIMITERS[delimiter]), ("decimal", _DECIMALS[decimal]),
            ("day_first", _DATE_ORDERS[order]))
