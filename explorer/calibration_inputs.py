"""The Calibrate page's inputs: the KPI route's optional targets and how an uploaded file is written."""

from __future__ import annotations

from typing import Any

import streamlit as st

from simulation.calibration.fitting import KPI_ROUTE_TARGETS, KPI_SPECS
from simulation.core.scenario import Scenario
from simulation.display.calibration_charts import KPI_DEFAULTS


def kpi_targets(scenario: Scenario) -> tuple[dict[str, float], float]:
    """The KPIs the user chose to fit (observable definitions, each optional) and the margin."""
    st.caption("Enter the KPIs you know, defined as a log would count them; leave out the rest.")
    chosen = st.multiselect("KPIs to fit", KPI_ROUTE_TARGETS, ["aov", "repeat_52w", "purchases_52w"],
                            format_func=lambda k: KPI_SPECS[k].label, key="calib_chosen")
    cols = st.columns(3)
    targets = {}
    for i, k in enumerate(chosen):
        spec = KPI_SPECS[k]
        unit = "%" if spec.rate else (scenario.market.currency if k == "aov" else "per customer")
        value = cols[i % 3].number_input(f"{spec.label}, {unit}", 0.0, 100_000.0, KPI_DEFAULTS[k],
                                         key=f"calib_{k}")
        targets[k] = value / 100 if spec.rate else value
    margin = cols[len(chosen) % 3].number_input(
        "Gross margin, %", 0.0, 100.0, scenario.economics.gross_margin * 100, key="calib_margin") / 100
    return targets, margin


_DELIMITERS = {"found from the file": None, "comma": ",", "semicolon": ";", "tab": "\t",
               "pipe": "|", "space": " "}
_DECIMALS = {"found from the file": None, "point (10.50)": ".", "comma (10,50)": ","}
_DATE_ORDERS = {"found from the file": None, "day first (31/03/2024)": True,
                "month first (03/31/2024)": False}


def file_format() -> tuple[tuple[str, Any], ...]:
    """How the uploaded file is written, where the reader cannot tell.

    Returns
    -------
    tuple of (str, object)
        Delimiter, decimal separator and date order (each 'found from the file', None, unless
        chosen), as keyword arguments of :func:`simulation.calibration.eventlog.validate_events`.
    """
    a, b, c = st.columns(3)
    delimiter = a.selectbox("Delimiter", list(_DELIMITERS), key="calib_delimiter")
    decimal = b.selectbox("Decimal separator", list(_DECIMALS), key="calib_decimal")
    order = c.selectbox("Dates like 03/04/2024", list(_DATE_ORDERS), key="calib_date_order")
    return (("delimiter", _DELIMITERS[delimiter]), ("decimal", _DECIMALS[decimal]),
            ("day_first", _DATE_ORDERS[order]))
