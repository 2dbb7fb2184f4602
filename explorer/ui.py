"""Small Streamlit drawing helpers shared by the pages: headers, KPI cards, charts."""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from explorer import downloads
from simulation import Plan, Scenario
from simulation.core.currency import exchange_rate
from simulation.core.kpis import HEADLINE, KPI_BY_KEY, Kind
from simulation.core.results import Results
from simulation.display import format as fmt
from simulation.display import summary, theme
from simulation.display.labels import kpi_help, kpi_label, npv_label, plan_blurb, plan_name
from simulation.display.text import text


def require_entrypoint() -> None:
    """Make sure the page runs inside ``app.py`` (its sidebar, state and navigation).

    Streamlit chooses between legacy multipage mode (run a ``pages/`` script on its own) and
    ``st.navigation`` per process: until a run has executed ``app.py``, a ``pages/`` folder
    beside it means legacy mode. So the first request to a fresh server that opens a page URL
    (a shared link), and every AppTest run, would run the page alone. Here the page then
    switches legacy mode off, runs ``app.py`` in its place (which runs this page through
    ``st.navigation``) and stops. No rerun, so a button click in this run is not lost.
    ``PagesManager`` and the run context are internal: checked against streamlit 1.67.0.
    """
    import types

    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    if not PagesManager.uses_pages_directory or ctx is None:
        return
    PagesManager.uses_pages_directory = False
    main = str(ctx.pages_manager.main_script_path)
    module = types.ModuleType("__main__")
    module.__dict__["__file__"] = main
    with ctx.run_with_active_hash(ctx.pages_manager.main_script_hash):
        exec(ctx.pages_manager.get_page_script_byte_code(main), module.__dict__)
    st.stop()


def page_header(title: str, answers: str) -> None:
    """The page title and its one-line "what this answers" (call first on every page)."""
    require_entrypoint()
    st.title(title)
    st.markdown(f"**{text('app.what_this_answers')}** {answers}")


TABLE_ROW_PX = 35
"""Height of one row of ``st.dataframe`` (Streamlit's fixed row height), header included."""


def table_height(table: pd.DataFrame) -> int:
    """Pixels for ``st.dataframe`` to show every row of ``table`` without an inner scroll bar."""
    return TABLE_ROW_PX * (len(table) + 1) + 3


def static_table(table: pd.DataFrame, *, key: str, hide_index: bool = False,
                 marked: pd.DataFrame | None = None) -> None:
    """``table`` (text cells) as a static table whose cells and column heads wrap.

    At phone width (390 px) it fits the screen; the scrolling grid of ``st.dataframe`` hid every
    column past the first there. Cells are Markdown in ``st.table``, so they are escaped
    (``$`` would start a formula). ``marked`` (same shape, booleans) highlights cells. The
    container's key names the table in the browser tests.
    """
    shown = table.rename(columns=fmt.escaped).map(fmt.escaped)
    if not hide_index:
        shown = shown.rename(index=fmt.escaped)
    with st.container(key=key):
        if marked is None:
            st.table(shown, hide_index=hide_index)
        else:
            styles = pd.DataFrame(np.where(marked.to_numpy(bool), MARKED_CELL, ""),
                                  index=shown.index, columns=shown.columns)
            st.table(shown.style.apply(lambda _: styles, axis=None), hide_index=hide_index)


MARKED_CELL = "background-color: #FFF3C4; font-weight: 600"
"""A highlighted table cell (a difference on the Compare page)."""


def plan_badge(strategy: str) -> str:
    """Markdown/HTML: a colour swatch and the strategy's name, as used in every chart."""
    colour = theme.plan_colour(strategy)
    return (f'<span style="display:inline-block;width:0.9em;height:0.9em;border-radius:2px;'
            f'background:{colour};margin-right:0.4em;vertical-align:-0.1em"></span>'
            f"<b>{html.escape(theme.plan_label(strategy))}</b>")


def chart(fig: go.Figure, data: pd.DataFrame, *, name: str, results: Results | None = None,
          scenario: Scenario | None = None, stem: str | None = None) -> None:
    """Draw a chart with its PNG toolbar export, and HTML, image and CSV downloads below it.

    Every page draws its charts through this one function.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        The chart, from a builder of :mod:`simulation.display`.
    data : pandas.DataFrame
        The numbers behind it (the CSV download).
    name : str
        The chart's short name: its widget keys (``chart_<name>``, ``csv_<name>``, ...) and
        part of its file names.
    results : Results or None
        The results it shows; their scenario names the files and stamps the images.
    scenario : Scenario or None
        The scenario it shows, when there are no results (an analysis's chart).
    stem : str or None
        The file name stem for a chart that shows no single scenario (the Evidence page's
        presets); otherwise ``<scenario>-<name>-seed<seed>``.

    Raises
    ------
    ValueError
        When neither ``results``, ``scenario`` nor ``stem`` is given.
    """
    scenario = scenario or (results.scenario if results is not None else None)
    if scenario is None:
        if stem is None:
            raise ValueError("ui.chart needs the results or the scenario it shows, or a file stem")
    elif stem is None:
        stem = downloads.file_stem(scenario.name, name, scenario.seed)
    st.plotly_chart(fig, theme=None, key=f"chart_{name}", config=downloads.plotly_config(stem))
    downloads.chart_downloads(fig, data, stem=stem, key=name, scenario=scenario)


def _delta(column: str, value: float, base: float, currency: str) -> str | None:
    change = fmt.kpi_change(column, value, base, currency)
    if change is not None and KPI_BY_KEY[column].kind is Kind.SHARE:
        return text("kpis.points_delta", points=change, baseline=plan_name(Plan.MULTICHANNEL.value).lower())
    return change


def kpi_cards(results: Results) -> None:
    """One bordered column per strategy: conversion, retention, CLV, NPV, payback, with deltas."""
    kpis = results.kpis
    currency = results.scenario.market.currency
    base = kpis.loc[Plan.MULTICHANNEL.value]
    columns = st.columns(len(kpis.index))
    for column, strategy in zip(columns, kpis.index, strict=True):
        row = kpis.loc[strategy]
        is_base = strategy == Plan.MULTICHANNEL.value
        same = summary.same_as_multichannel(results, str(strategy))
        with column.container(border=True, key=f"kpis-{strategy}"):
            st.markdown(plan_badge(strategy), unsafe_allow_html=True)
            st.caption(text("overview.same_as_multichannel") if same and not is_base
                       else plan_blurb(str(strategy)))
            for key in HEADLINE:
                label = npv_label(results) if key == "npv" else kpi_label(key)
                value = fmt.kpi(key, float(row[key]), currency)
                delta = None if is_base else _delta(key, float(row[key]), float(base[key]), currency)
                no_delta = text("kpis.baseline" if is_base else "kpis.no_change")
                st.metric(label, value, delta if delta else no_delta,
                          delta_color="normal" if delta else "off",
                          delta_arrow="auto" if delta else "off", help=kpi_help(key))
            payback_help = kpi_help("payback_week")
            if is_base or same:
                st.metric(text("kpis.payback"), fmt.not_available(),
                          text("kpis.baseline" if is_base else "kpis.nothing_invested"),
                          delta_color="off", delta_arrow="off", help=payback_help)
            else:
                roi, payback = float(row["roi"]), float(row["payback_week"])
                st.metric(text("kpis.payback"), fmt.kpi("payback_week", payback, currency),
                          None if math.isnan(roi) else text("kpis.roi_delta", roi=fmt.kpi(
                              "roi", roi, currency, signed=True)),
                          help=payback_help + " " + text("kpis.here", payback=fmt.kpi(
                              "payback_week", payback, currency, exact=True)))


def _rate_fact(currency: str) -> str:
    """The conversion rate behind a non-dollar scenario, with its kind and date."""
    if currency == "USD":
        return ""
    rate = exchange_rate(currency)
    return (f" (switching currency converts at 1 USD = {rate.per_usd:,.6g} {currency}, "
            f"{fmt.escaped(rate.kind)}, rate of {rate.date})")


def run_facts(results: Results) -> None:
    """One line that says what was simulated and how to reproduce it."""
    scenario = results.scenario
    market = scenario.market
    st.caption(text(
        "overview.run_facts", name=fmt.escaped(scenario.name),
        population=fmt.count(market.population, exact=True),
        market=fmt.count(market.market_size, exact=True), weeks=market.horizon_weeks,
        currency=market.currency + _rate_fact(market.currency), seed=scenario.seed,
        version=scenario.app_version))


PHONE_CSS = """
<style>
/* The verdict's four numbers (a range of money, a capability's name) wrap instead of being cut
   with an ellipsis, on the Overview and the Decisions page: a board reads them whole. */
:is(.st-key-verdict, .st-key-decisions_verdict) [data-testid="stMetricValue"] *,
:is(.st-key-verdict, .st-key-decisions_verdict) [data-testid="stMetricLabel"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
:is(.st-key-verdict, .st-key-decisions_verdict) [data-testid="stMetricLabel"] {
  height: auto !important; min-height: 2.6em; align-items: flex-start; }
:is(.st-key-verdict, .st-key-decisions_verdict) [data-testid="stMetricValue"] {
  font-size: 1.6rem; line-height: 1.25; overflow-wrap: anywhere; }
@media (max-width: 640px) {
  /* The open sliders' drawer takes the upper half of the screen (it scrolls on its own), so
     the results it moves stay visible below it instead of being covered. */
  section[data-testid="stSidebar"][data-collapsed="false"] { height: 50vh !important;
    width: 100vw !important; min-width: 100vw !important; max-width: 100vw !important;
    box-shadow: 0 4px 12px rgba(0,0,0,0.2); }
  [data-testid="stMain"] { padding-bottom: 4rem; }
  /* Chart titles, subplot titles and labels at phone size; the toolbar only on touch. */
  .js-plotly-plot .gtitle { font-size: 13px !important; }
  .js-plotly-plot .annotation-text { font-size: 10px !important; }
  .js-plotly-plot :is([class$="tick"], .bartext) text, .js-plotly-plot text.bartext {
    font-size: 10px !important; }
  .js-plotly-plot .legendtext { font-size: 11px !important; }
  /* Axis and colour-bar titles are centred on a plot that is narrow here (long category names
     take its left side): at full size they ran past the screen's edges. */
  .js-plotly-plot :is([class^="g-x"], [class^="g-y"]) text, .js-plotly-plot .cbtitle text {
    font-size: 11px !important; }
  .js-plotly-plot .modebar-container { top: auto !important; bottom: 0 !important; }
  [data-testid="stMetricValue"] { font-size: 1.4rem; }
  /* Static tables (ui.static_table) fit the screen: smaller text, tighter cells. */
  [data-testid="stTable"] :is(th, td) { font-size: 12px !important; padding: 4px 5px !important;
    overflow-wrap: anywhere; }
}
</style>
"""


def phone_layout() -> None:
    """Styles for screens up to 640 px wide (a phone held upright is 390 px)."""
    st.html(PHONE_CSS)
