"""Downloads beside every chart: standalone interactive HTML and the chart's data as CSV.

The PNG comes from plotly's own toolbar (camera icon) at presentation resolution, rendered by
the browser. HTML and CSV are produced only when clicked (deferred callables) and the click
does not rerun the page, so large files never sit in server memory for every session.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from simulation.inputs import safe_csv_bytes

PNG_SCALE = 3
PNG_SIZE = (1200, 675)
"""16:9 at 1200x675 CSS pixels, times 3: a 3600x2025 image, sharp on a projector or in print."""


def file_stem(scenario_name: str, chart: str, seed: int) -> str:
    """``benchmark_retailer-funnel-seed20261125``: scenario, chart and seed in the file name."""
    def slug(text: str) -> str:
        kept = "".join(ch if ch.isalnum() else "_" for ch in text.lower())
        return "_".join(filter(None, kept.split("_"))) or "scenario"
    return f"{slug(scenario_name)}-{slug(chart)}-seed{seed}"


def plotly_config(stem: str) -> dict[str, object]:
    """Toolbar configuration: PNG export named ``stem`` at presentation resolution."""
    width, height = PNG_SIZE
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": stem, "scale": PNG_SCALE,
                                 "width": width, "height": height},
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    }


def figure_html(fig: go.Figure) -> str:
    """The chart as one self-contained interactive HTML page (plotly.js embedded, works offline)."""
    return fig.to_html(include_plotlyjs=True, full_html=True,
                       config={"displaylogo": False, "responsive": True})


def data_csv(data: pd.DataFrame) -> bytes:
    """``data`` as UTF-8 CSV, text cells that a spreadsheet would run as formulas neutralised."""
    return safe_csv_bytes(data)


def chart_downloads(fig: go.Figure, data: pd.DataFrame, *, stem: str, key: str) -> None:
    """Two small buttons: the chart as HTML and its data as CSV."""
    row = st.container(horizontal=True, gap="small", key=f"downloads_{key}")
    row.download_button(
        "Chart (HTML)", lambda: figure_html(fig), file_name=f"{stem}.html", mime="text/html",
        key=f"html_{key}", on_click="ignore", icon=":material/download:",
        help="Interactive chart as a standalone web page; the camera icon on the chart saves a PNG.",
    )
    row.download_button(
        "Data (CSV)", lambda: data_csv(data), file_name=f"{stem}.csv", mime="text/csv",
        key=f"csv_{key}", on_click="ignore", icon=":material/download:",
        help="The numbers behind this chart.",
    )
