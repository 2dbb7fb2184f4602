"""Downloads beside every chart: standalone interactive HTML and the chart's data as CSV.

PNG and SVG are rendered by kaleido with the scenario, date and source line on the image
(:func:`simulation.report.figures.stamped`). plotly's own toolbar camera would save the chart as
drawn on screen, without that line, so it is removed where the stamped PNG can be made; only a
server without Chromium keeps it (the one PNG it can offer). HTML and CSV are produced only when
clicked (deferred callables) and the click does not rerun the page, so large files never sit in
server memory for every session.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from simulation import Scenario
from simulation.display.labels import readable_columns
from simulation.display.text import language, text, use_language
from simulation.inputs import safe_csv_bytes
from simulation.report import figures
from simulation.report.pdf import chromium_path

PNG_SCALE = 3
PNG_SIZE = (1200, 675)
"""16:9 at 1200x675 CSS pixels, times 3: a 3600x2025 image, sharp on a projector or in print."""


def file_stem(scenario_name: str, chart: str, seed: int) -> str:
    """``benchmark_retailer-funnel-seed20261125``: scenario, chart and seed in the file name."""
    def slug(text: str) -> str:
        kept = "".join(ch if ch.isalnum() else "_" for ch in text.lower())
        return "_".join(filter(None, kept.split("_"))) or "scenario"
    return f"{slug(scenario_name)}-{slug(chart)}-seed{seed}"


def plotly_config(stem: str, *, camera: bool | None = None) -> dict[str, object]:
    """Toolbar configuration.

    Parameters
    ----------
    stem : str
        File name of the toolbar's PNG, when it has one.
    camera : bool or None
        Keep plotly's camera (PNG without the provenance line); default: only when the server
        cannot make the stamped PNG (no Chromium).
    """
    width, height = PNG_SIZE
    keep = chromium_path() is None if camera is None else camera
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": stem, "scale": PNG_SCALE,
                                 "width": width, "height": height},
        "modeBarButtonsToRemove": ["lasso2d", "select2d"] + ([] if keep else ["toImage"]),
    }


def figure_html(fig: go.Figure, title: str = "Omnichannel Strategy Explorer chart") -> str:
    """The chart as one self-contained interactive HTML page titled ``title``.

    plotly.js is embedded, so the page works offline.
    """
    return figures.page_html(fig, title)


def data_csv(data: pd.DataFrame, currency: str | None = None) -> bytes:
    """The table as UTF-8 CSV, readable and safe to open in a spreadsheet.

    Column names carry their units, plans and capabilities their display names (money in
    ``currency``), and text cells a spreadsheet would run as formulas are neutralised.
    """
    return safe_csv_bytes(readable_columns(data, currency))


def _image(fig: go.Figure, fmt: str) -> bytes:
    try:
        with figures.exporting():
            return figures.image(fig, fmt, size=PNG_SIZE)
    except figures.ExportError as error:
        return str(error).encode()


def _stamped(fig: go.Figure, scenario: Scenario | None, lang: str) -> go.Figure:
    if scenario is None:
        return fig
    with use_language(lang):
        return figures.stamped(fig, scenario)


def _image_of(figure: Callable[[], go.Figure], fmt: str) -> bytes:
    return _image(figure(), fmt)


def chart_downloads(fig: go.Figure, data: pd.DataFrame, *, stem: str, key: str,
                    scenario: Scenario | None = None) -> None:
    """Draw small buttons: the chart as HTML, PNG and SVG, and its data as CSV.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        The chart.
    data : pandas.DataFrame
        The numbers behind it.
    stem : str
        File name without its extension.
    key : str
        The buttons' keys are ``html_<key>``, ``png_<key>``, ``svg_<key>`` and ``csv_<key>``.
    scenario : Scenario or None
        Stamped on the images (scenario, date and source) and sets the CSV's currency.
    """
    row = st.container(horizontal=True, gap="small", key=f"downloads_{key}")
    # Stamped only when a file is asked for (copying a figure costs a few ms of the server's
    # one core at every run of every session; few runs end with a click), in the language of
    # this run (the click is served outside it).
    shown = functools.cache(functools.partial(_stamped, fig, scenario, language()))
    title = stem.replace("-", " ").replace("_", " ")
    row.download_button(
        text("chart_export.html"), lambda: figure_html(shown(), title), file_name=f"{stem}.html",
        mime="text/html", key=f"html_{key}", on_click="ignore", icon=":material/download:",
        help=text("chart_export.html_help"),
    )
    images = chromium_path() is not None
    for kind, mime in (("png", "image/png"), ("svg", "image/svg+xml")):
        row.download_button(
            f"{kind.upper()}", functools.partial(_image_of, shown, kind), file_name=f"{stem}.{kind}",
            mime=mime, key=f"{kind}_{key}", on_click="ignore", icon=":material/image:",
            disabled=not images,
            help=text("chart_export.image_help", kind=kind.upper()) if images
            else text("chart_export.no_chromium_help"),
        )
    currency = scenario.market.currency if scenario is not None else None
    row.download_button(
        text("chart_export.csv"), lambda: data_csv(data, currency), file_name=f"{stem}.csv",
        mime="text/csv", key=f"csv_{key}", on_click="ignore", icon=":material/download:",
        help=text("chart_export.csv_help"),
    )
