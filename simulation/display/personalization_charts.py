"""Charts of what data silos cost and of customer segments (results in, plotly figure out)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simulation.core.personalization import personalization_summary
from simulation.core.results import Results
from simulation.display import format as fmt
from simulation.display import theme
from simulation.display.labels import plan_name, segment_name
from simulation.display.text import text


def _finish(fig: go.Figure, title: str, *, height: int = 440) -> go.Figure:
    return theme.finish(fig, title, height=height)


def _empty(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _finish(fig, title, height=300)


def data_silos_data(results: Results) -> pd.DataFrame:
    """Per strategy: model AUC (mean over trained rounds) and what offers earned."""
    report = results.extras.get("personalization")
    if report is None or report.empty:
        return pd.DataFrame()
    return personalization_summary(report, results.kpis).reset_index()


def data_silos_figure(results: Results) -> go.Figure:
    """What data silos cost: how well each plan's offer model ranks buyers, and what offers earn.

    Top: held-out AUC by training week per plan. Middle, when offers were ranked by uplift: the
    Qini coefficient of the uplift ranking and of the purchase ranking on the held-out offer
    experiment (share of the best possible incremental purchases captured). Bottom: incremental
    margin from offers, net of what the offers cost (currency). A placeholder when the scenario
    makes no targeted offers.
    """
    title = text("chart.silos_title")
    report = results.extras.get("personalization")
    if report is None or report.empty:
        return _empty(title, text("chart.silos_empty"))
    trained = report[report["regime"] != "none"]
    summary = personalization_summary(report, results.kpis)
    has_qini = bool(summary["qini"].notna().any())
    margin_row = 3 if has_qini else 2
    # Stacked, not side by side: two columns of titles collided on a phone.
    titles = [text("chart.silos_auc")]
    if has_qini:
        titles.append(text("chart.silos_qini"))
    titles.append(text("chart.silos_margin"))
    fig = make_subplots(
        # room between the plots for an x title and a subplot title on two lines (theme.finish)
        rows=margin_row, cols=1, vertical_spacing=0.26 if not has_qini else 0.16,
        row_heights=[0.6, 0.4] if not has_qini else [0.4, 0.3, 0.3], subplot_titles=titles,
    )
    for strategy in summary.index:
        rows = trained[trained["strategy"] == strategy]
        colour = theme.plan_colour(strategy)
        fig.add_trace(go.Scatter(
            x=rows["week"], y=rows["auc"], mode="lines+markers", name=theme.plan_label(strategy),
            line={"color": colour, "dash": theme.STRATEGY_DASHES.get(strategy, "solid")},
            customdata=np.stack([rows["regime"], rows["linked_share"].fillna(0)], axis=1),
            hovertemplate=text("chart.silos_auc_hover", week="%{x}", auc="%{y:.3f}",
                               regime="%{customdata[0]}", linked="%{customdata[1]:.0%}")
                          + "<extra></extra>",
        ), row=1, col=1)
        if has_qini:
            fig.add_trace(go.Bar(
                y=[text("chart.silos_by_uplift", plan=theme.plan_label(strategy)),
                   text("chart.silos_by_purchase", plan=theme.plan_label(strategy))],
                x=[summary.loc[strategy, "qini"], summary.loc[strategy, "qini_purchase"]],
                orientation="h", marker_color=colour, showlegend=False,
                marker_pattern_shape=["", "/"],
                hovertemplate="%{y}: " + text("chart.silos_qini_hover", qini="%{x:.4f}")
                              + "<extra></extra>",
            ), row=2, col=1)
        fig.add_trace(go.Bar(
            y=[theme.plan_label(strategy)], x=[summary.loc[strategy, "incremental_contribution"]],
            orientation="h", marker_color=colour, showlegend=False,
            customdata=[[summary.loc[strategy, "incremental_margin"], summary.loc[strategy, "offer_cost"],
                         summary.loc[strategy, "incremental_margin_per_offer"]]],
            hovertemplate=text("chart.silos_margin_hover", margin="%{customdata[0]:,.0f}",
                               cost="%{customdata[1]:,.0f}", net="%{x:,.0f}",
                               per_offer="%{customdata[2]:.2f}") + "<extra></extra>",
        ), row=margin_row, col=1)
    fig.add_hline(y=0.5, line_dash="dot", line_color=theme.NEUTRAL_COLOUR, row=1, col=1,
                  annotation_text=text("chart.silos_chance"), annotation_position="bottom right")
    fig.update_xaxes(title_text=text("chart.silos_week"), row=1, col=1)
    fig.update_yaxes(title_text="AUC", row=1, col=1)
    if has_qini:
        fig.update_xaxes(title_text=text("chart.silos_qini_axis"), row=2, col=1)
        fig.update_yaxes(autorange="reversed", row=2, col=1)
    fig.update_xaxes(title_text=results.scenario.market.currency, row=margin_row, col=1)
    fig.update_yaxes(autorange="reversed", row=margin_row, col=1)
    fig.update_annotations(font_size=13)
    return _finish(fig, title, height=820 if has_qini else 640)


def segments_data(results: Results) -> pd.DataFrame:
    """The KMeans segments of each plan, their role keys worded (the CSV download)."""
    segments = results.extras.get("segments", pd.DataFrame())
    if segments.empty:
        return segments
    return segments.assign(segment=segments["segment"].map(segment_name))


def segments_figure(results: Results) -> go.Figure:
    """Each plan's customer segments: share of customers (bar) and spend per customer (label)."""
    title = f"{text('chart.segments_title')}<br><sup>{text('chart.segments_subtitle')}</sup>"
    segments = segments_data(results)
    if segments.empty:
        return _empty(title, text("chart.segments_too_few"))
    strategies = list(dict.fromkeys(segments["strategy"]))
    currency = results.scenario.market.currency
    # One plan per row (not per column): side by side, segment names and spend labels collided
    # on narrow screens.
    fig = make_subplots(rows=len(strategies), cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=[theme.plan_label(s) for s in strategies])
    for row_number, strategy in enumerate(strategies, start=1):
        rows = segments[segments["strategy"] == strategy].iloc[::-1]
        fig.add_trace(go.Bar(
            y=rows["segment"], x=rows["share_of_customers"], orientation="h",
            marker_color=theme.plan_colour(strategy), showlegend=False,
            text=[fmt.money(v, currency) for v in rows["spend"]], textposition="outside",
            cliponaxis=False,
            customdata=np.stack([rows["customers"], rows["purchases"], rows["recency_weeks"],
                                 rows["channels_bought"]], axis=1),
            hovertemplate="<b>%{y}</b><br>" + text(
                "chart.segments_hover", customers="%{customdata[0]:,.0f}", share="%{x:.0%}",
                purchases="%{customdata[1]:.1f}", spend="%{text}", weeks="%{customdata[2]:.0f}",
                channels="%{customdata[3]:.1f}") + "<extra></extra>",
        ), row=row_number, col=1)
        fig.update_xaxes(tickformat=".0%", row=row_number, col=1)
    fig.update_xaxes(title_text=text("chart.segments_axis"), row=len(strategies), col=1)
    top = float(segments["share_of_customers"].max()) if len(segments) else 1.0
    fig.update_xaxes(range=[0, top * 1.35])
    return _finish(fig, title, height=170 * len(strategies) + 160)


def segment_value_data(results: Results) -> pd.DataFrame:
    """Spend per person of each hidden behavioural segment, and its change against the first plan."""
    value = results.extras.get("segment_value", pd.DataFrame())
    if value.empty:
        return value
    base_plan = str(results.kpis.index[0])
    base = value[value["strategy"] == base_plan].set_index("behavioural_segment")["spend_per_person"]
    out = value.copy()
    reference = out["behavioural_segment"].map(base)
    out["spend_change"] = np.where(reference > 0, out["spend_per_person"] / reference - 1, np.nan)
    return out


def segment_value_figure(results: Results) -> go.Figure:
    """Who gains: change in spend per person by behavioural segment, against the first plan."""
    title = text("chart.segment_value_title")
    value = segment_value_data(results)
    if value.empty:
        return _empty(title, text("chart.segment_value_empty"))
    base_plan = str(results.kpis.index[0])
    fig = go.Figure()
    for strategy, rows in value.groupby("strategy", sort=False):
        if strategy == base_plan:
            continue
        fig.add_trace(go.Bar(
            x=rows["behavioural_segment"], y=rows["spend_change"],
            name=theme.plan_label(str(strategy)), marker_color=theme.plan_colour(str(strategy)),
            customdata=np.stack([rows["spend_per_person"], rows["multi_channel_buyer_share"]], axis=1),
            hovertemplate="%{x}: " + text("chart.segment_value_hover", change="%{y:+.0%}",
                                          spend="%{customdata[0]:,.0f}", share="%{customdata[1]:.0%}")
                          + "<extra></extra>",
        ))
    fig.update_yaxes(title_text=text("chart.segment_value_axis", baseline=theme.plan_label(base_plan)),
                     tickformat="+.0%")
    fig.update_layout(barmode="group")
    return _finish(fig, title, height=400)


CHANGE_MEASURES = ("value", "active_customers", "spend", "cost_to_serve")
"""Columns of the ``segment_change`` frame the winners-and-losers chart shows, top to bottom."""
_COSTS = {"cost_to_serve"}
"""Measures where an increase is a loss to the business."""


def segment_change_data(results: Results) -> pd.DataFrame:
    """Each fixed segment under each plan, worded, with its change against the baseline.

    ``<measure>_change`` against the first plan (the baseline the segments were defined on),
    for every measure of the frame.
    """
    change = results.extras.get("segment_change", pd.DataFrame())
    if change.empty:
        return change
    base_plan = str(results.kpis.index[0])
    base = change[change["strategy"] == base_plan].set_index("segment")
    out = change.copy()
    for column in ("customers", "active_customers", "spend", "cost_to_serve", "value"):
        out[f"{column}_change"] = out[column] - out["segment"].map(base[column])
    return out.assign(segment=out["segment"].map(segment_name))


def segment_change_figure(results: Results, plan: str = "omnichannel") -> go.Figure:
    """Winners and losers: per fixed segment, the change under ``plan`` against the baseline.

    Value, active customers, spend and cost to serve; a change that costs the business is a red
    bar, segments sorted by the change in value (biggest loser at the bottom).
    """
    base_plan = str(results.kpis.index[0])
    title = (f"{text('segment_change.title', plan=plan_name(plan), baseline=plan_name(base_plan))}"
             f"<br><sup>{text('segment_change.subtitle')}</sup>")
    data = segment_change_data(results)
    rows = data[data["strategy"] == plan] if not data.empty else data
    if rows.empty or plan == base_plan:
        return _empty(title, text("segment_change.empty"))
    rows = rows.sort_values("value_change")
    currency = results.scenario.market.currency
    fig = make_subplots(rows=len(CHANGE_MEASURES), cols=1, shared_yaxes=True, vertical_spacing=0.09,
                        subplot_titles=[text(f"segment_change.measure.{m}", currency=currency)
                                        for m in CHANGE_MEASURES])
    for row_number, measure in enumerate(CHANGE_MEASURES, start=1):
        change = rows[f"{measure}_change"].to_numpy(float)
        bad = change > 0 if measure in _COSTS else change < 0
        shown = ([fmt.count(v, exact=False) for v in change] if measure == "active_customers"
                 else [fmt.money(v, currency, signed=True) for v in change])
        if measure == "active_customers":
            shown = [("+" if v > 0 else "") + t for v, t in zip(change, shown, strict=True)]
        fig.add_trace(go.Bar(
            y=rows["segment"], x=change, orientation="h", showlegend=False,
            marker_color=[theme.LOSS_COLOUR if b else theme.plan_colour(plan) for b in bad],
            text=shown, textposition="none",
            customdata=np.stack([rows[measure], rows[measure] - change], axis=1),
            hovertemplate="<b>%{y}</b><br>%{text}<br>"
                          + text("segment_change.hover", plan=plan_name(plan), baseline=plan_name(base_plan),
                                 now="%{customdata[0]:,.0f}", before="%{customdata[1]:,.0f}")
                          + "<extra></extra>",
        ), row=row_number, col=1)
        theme.signed_bar_labels(fig, list(rows["segment"]), change, shown, row=row_number, col=1)
        low, high = min(0.0, float(change.min())), max(0.0, float(change.max()))
        span = high - low or 1.0
        fig.update_xaxes(range=[low - (0.05 * span if low < 0 else 0), high + 0.45 * span],
                         row=row_number, col=1)
        fig.add_vline(x=0, line_color=theme.NEUTRAL_COLOUR, row=row_number, col=1)
    fig.update_annotations(font_size=13)
    return _finish(fig, title, height=220 * len(CHANGE_MEASURES) + 120)


__all__ = [
    "data_silos_data",
    "data_silos_figure",
    "segment_change_data",
    "segment_change_figure",
    "segment_value_data",
    "segment_value_figure",
    "segments_data",
    "segments_figure",
]
