"""Selection vs causation in plain words and one chart (results in, text or figure out)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from simulation.analysis.selection import EFFECTS, SelectionError, selection_frame
from simulation.core.results import Results
from simulation.display import format as fmt
from simulation.display import theme
from simulation.display.labels import plan_name
from simulation.display.text import text


def selection_data(results: Results, *, baseline: str = "multichannel",
                   integrated: str = "omnichannel") -> pd.DataFrame:
    """The frame of :func:`~simulation.analysis.selection.selection_vs_causation`, worded.

    A ``label`` column is added; empty when the results hold no per-person table or either plan.
    """
    try:
        frame = selection_frame(results, baseline=baseline, integrated=integrated)
    except (SelectionError, ValueError):
        return pd.DataFrame()
    return frame.assign(label=frame["measure"].map(lambda m: text(f"selection.measure.{m}")))


def _usable(frame: pd.DataFrame) -> bool:
    return not frame.empty and bool(np.isfinite(frame.set_index("measure").loc["gap_raw", "relative"]))


def selection_sentence(results: Results, frame: pd.DataFrame | None = None) -> str:
    """The view in plain words, with this run's figures.

    "Customers who use several channels are worth X more, but integrating makes the same
    customers worth Y more: the rest is who they are".
    """
    frame = selection_data(results) if frame is None else frame
    if not _usable(frame):
        return text("selection.too_few") if not frame.empty else text("selection.empty")
    row = frame.set_index("measure")
    currency = results.scenario.market.currency

    def pct(measure: str) -> str:
        return fmt.percent(row.loc[measure, "relative"], digits=0, signed=True)

    def money(measure: str) -> str:
        return fmt.money(row.loc[measure, "difference"], currency, signed=True)

    return text("selection.sentence", baseline=plan_name(str(row["baseline"].iloc[0])),
                integrated=plan_name(str(row["integrated"].iloc[0])),
                gap=pct("gap_raw"), gap_money=money("gap_raw"), stratified=pct("gap_stratified"),
                effect_single=pct("effect_single"), effect_single_money=money("effect_single"),
                effect_multi=pct("effect_multi"), same=pct("gap_same_purchases"))


def selection_figure(results: Results, frame: pd.DataFrame | None = None) -> go.Figure:
    """Horizontal bars, one per measure.

    The within-plan gaps in grey, the effects of integrating in the integrated plan's colour;
    the label on each bar is the difference per customer.
    """
    title = f"{text('selection.title')}<br><sup>{text('selection.subtitle')}</sup>"
    frame = selection_data(results) if frame is None else frame
    if not _usable(frame):
        fig = go.Figure()
        message = text("selection.too_few") if not frame.empty else text("selection.empty")
        fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return theme.finish(fig, title, height=300)
    currency = results.scenario.market.currency
    rows = frame.iloc[::-1]
    integrated = str(frame["integrated"].iloc[0])
    colours = [theme.plan_colour(integrated) if m in EFFECTS else theme.NEUTRAL_COLOUR
               for m in rows["measure"]]
    hover = [text("selection.hover", label=r.label, a=fmt.money(r.value_a, currency),
                  b=fmt.money(r.value_b, currency),
                  difference=fmt.money(r.difference, currency, signed=True),
                  people_a=fmt.count(r.people_a, exact=True), people_b=fmt.count(r.people_b, exact=True),
                  error=fmt.money(r.standard_error, currency))
             for r in rows.itertuples()]
    # Category names on two or three short lines leave a phone's narrow plot room for the bars.
    names = [theme.wrap_title(label, width=24) for label in rows["label"]]
    fig = go.Figure(go.Bar(
        y=names, x=rows["relative"], orientation="h", marker_color=colours,
        hovertext=hover, hoverinfo="text", showlegend=False,
    ))
    theme.signed_bar_labels(fig, names, rows["relative"].to_numpy(float),
                            [fmt.money(v, currency, signed=True) for v in rows["difference"]])
    fig.add_vline(x=0, line_color=theme.NEUTRAL_COLOUR)
    values = rows["relative"].to_numpy(float)
    low, high = min(0.0, float(np.nanmin(values))), max(0.0, float(np.nanmax(values)))
    pad = 0.45 * (high - low or 1.0)
    fig.update_xaxes(title_text=theme.wrap_title(text("selection.axis"), width=20), tickformat="+.0%",
                     range=[low - 0.05 * (high - low) if low < 0 else 0, high + pad])
    # Each bar's slot holds its name's lines (Thai names wrap to three).
    lines = max(name.count("<br>") + 1 for name in names)
    return theme.finish(fig, title, height=max(460, 150 + len(names) * (20 * lines + 22)))


__all__ = ["selection_data", "selection_figure", "selection_sentence"]
