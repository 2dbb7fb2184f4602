"""Chart builders of the decisions page: analysis frames in, plotly figure out; no Streamlit.

Fan chart (replications over time), tornado (gain at each end of each assumption's range),
Shapley waterfall (the gain split across capabilities), payback and NPV gain against the one-off
budget, and the interval table. Each figure has a ``*_data`` companion (the CSV download) or takes
the tidy frame it draws; colours and template come from :mod:`simulation.display.theme`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from simulation.analysis.investment import BestPlan, BreakEven
from simulation.core.kpis import INTERVALS, KPI_BY_KEY, Kind
from simulation.core.scenario import Capability
from simulation.display import format as fmt
from simulation.display import theme
from simulation.display.labels import (
    all_capabilities,
    capability_name,
    kpi_header,
    kpi_label,
    levels_description,
    plan_name,
)
from simulation.display.text import text

FAN_TITLES = {metric: f"decision_chart.fan_{metric}"
              for metric in ("cumulative_gain", "cumulative_npv_gain", "active_customers")}
"""Fan metric -> catalog key of its title (:func:`fan_title`)."""


def fan_title(metric: str) -> str:
    """The fan chart's title for ``metric`` in the current language."""
    return text(FAN_TITLES[metric]) if metric in FAN_TITLES else metric


def _finish(fig: go.Figure, title: str, *, height: int = 440) -> go.Figure:
    return theme.finish(fig, title, height=height)


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def fan_data(fan: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Rows of one fan metric (strategies with a flat zero gain, the baseline, dropped)."""
    rows = fan[fan["metric"] == metric]
    if metric != "active_customers":
        flat = rows.groupby("strategy")["q95"].apply(lambda s: bool(np.allclose(s, 0)))
        rows = rows[~rows["strategy"].map(flat)]
    return rows.reset_index(drop=True)


def fan_figure(fan: pd.DataFrame, metric: str, currency: str) -> go.Figure:
    """Median and 50% / 90% bands over replications, one colour per strategy."""
    data = fan_data(fan, metric)
    money = metric != "active_customers"
    factor, word = fmt.axis_scale(list(data[["q05", "q95"]].to_numpy().ravel())) if money else (1.0, "")
    fig = go.Figure()
    for strategy, rows in data.groupby("strategy", sort=False):
        colour, label = theme.plan_colour(str(strategy)), theme.plan_label(str(strategy))
        for low, high, alpha, band in (("q05", "q95", 0.15, "90%"), ("q25", "q75", 0.3, "50%")):
            fig.add_scatter(x=rows["week"], y=rows[high] / factor, mode="lines", line={"width": 0},
                            showlegend=False, hoverinfo="skip", legendgroup=label)
            fig.add_scatter(x=rows["week"], y=rows[low] / factor, mode="lines", line={"width": 0},
                            fill="tonexty", fillcolor=_rgba(colour, alpha), legendgroup=label,
                            name=text("decision_chart.fan_band", plan=label, band=band),
                            hoverinfo="skip")
        fig.add_scatter(x=rows["week"], y=rows["q50"] / factor, mode="lines",
                        name=text("decision_chart.fan_median", plan=label),
                        legendgroup=label, line={"color": colour, "width": 2.5,
                                                 "dash": theme.STRATEGY_DASHES.get(str(strategy), "solid")},
                        hovertemplate=text("decision_chart.week") + " %{x}: %{y:,.2f}<extra>"
                        + label + "</extra>")
    title = fan_title(metric)
    # A short axis title (the unit): the chart title says what is drawn, and a long vertical
    # title ran over the chart title and the legend.
    y_title = f"{currency} {word}".strip() if money else text("decision_chart.people_axis")
    fig.update_layout(xaxis_title=text("decision_chart.week_axis"), yaxis_title=y_title)
    return _finish(fig, f"{title}<br><sup>{text('decision_chart.fan_subtitle')}</sup>")


def tornado_figure(bars: pd.DataFrame, base_gain: float, currency: str, *, kpi: str = "npv",
                   top: int = 12) -> go.Figure:
    """Gain at the low and high end of each assumption, largest swing on top."""
    rows = bars.sort_values(f"{kpi}_swing", ascending=False).head(top).iloc[::-1]
    low, high = rows[f"{kpi}_gain_low"], rows[f"{kpi}_gain_high"]
    values = [*low, *high, base_gain]
    factor, word = fmt.axis_scale(values) if kpi == "npv" else (1.0, "")
    labels = [f"{lab}<br><sup>{rng}</sup>" for lab, rng in zip(rows["label"], rows["range"], strict=True)]
    fig = go.Figure()
    for end, series, colour in (("low", low, theme.OKABE_ITO["vermillion"]),
                                ("high", high, theme.OKABE_ITO["blue"])):
        fig.add_bar(y=labels, x=(series - base_gain) / factor, base=base_gain / factor, orientation="h",
                    name=text(f"decision_chart.at_{end}_end"), marker_color=colour,
                    customdata=series, hovertemplate="%{y}<br>" + text("decision_chart.gain")
                    + " %{customdata:,.0f}<extra>" + text(f"decision_chart.{end}_end") + "</extra>")
    fig.add_vline(x=base_gain / factor, line={"color": theme.NEUTRAL_COLOUR, "dash": "dot"})
    x_title = (fmt.money_axis_title(kpi_label("npv_gain"), currency, word) if kpi == "npv"
               else text("decision_chart.clv_axis", currency=currency))
    fig.update_layout(barmode="overlay", xaxis_title=theme.two_lines(x_title), yaxis_title="")
    return _finish(fig, text("decision_chart.tornado_npv_title" if kpi == "npv"
                             else "decision_chart.tornado_clv_title"),
                   height=max(360, 48 * len(rows) + 160))


def shapley_waterfall_data(values: pd.DataFrame) -> pd.DataFrame:
    """The Shapley values' table columns that the waterfall chart shows and downloads."""
    return values[["rank", "capability", "level_on", "npv_value", "clv_value", "share_of_gain",
                   "alone", "last_in"]]


def shapley_waterfall_figure(values: pd.DataFrame, total_gain: float, currency: str) -> go.Figure:
    """Each capability's Shapley value stacked from 0 to the total gain, largest first."""
    rows = values.sort_values("npv_value", ascending=False)
    factor, word = fmt.axis_scale([*np.cumsum(rows["npv_value"]), total_gain, 0.0])
    fig = go.Figure(go.Waterfall(
        x=[*(capability_name(str(c)) for c in rows["capability"]), all_capabilities(short=True)],
        y=[*(rows["npv_value"] / factor), total_gain / factor],
        measure=["relative"] * len(rows) + ["total"],
        text=[fmt.money(v, currency, signed=True) for v in [*rows["npv_value"], total_gain]],
        textposition="outside", cliponaxis=False,
        increasing={"marker": {"color": theme.OKABE_ITO["blue"]}},
        decreasing={"marker": {"color": theme.OKABE_ITO["vermillion"]}},
        totals={"marker": {"color": theme.plan_colour("omnichannel")}},
        connector={"line": {"color": theme.NEUTRAL_COLOUR, "dash": "dot"}},
        hovertemplate="%{x}: %{text}<extra></extra>",
    ))
    # Names side by side ran into each other on a phone (Thai ones are long, even on two or
    # three lines): upright, one line each.
    fig.update_xaxes(tickangle=-90)
    fig.update_layout(showlegend=False, xaxis_title="",
                      yaxis_title=fmt.money_axis_title(kpi_label("npv_gain"), currency, word))
    return _finish(fig, f"{text('decision_chart.shapley_title')}<br>"
                        f"<sup>{text('decision_chart.shapley_subtitle')}</sup>", height=480)


def payback_figure(result: BreakEven, currency: str) -> go.Figure:
    """NPV gain against the one-off budget, on one axis.

    The planned and break-even budgets are marked and the payback week is in the hover label
    (one axis: two axes made ticks like -18.3).
    """
    curve = result.curve
    factor, word = fmt.axis_scale([*curve["budget"], *curve["npv_gain"]])
    fig = go.Figure()
    colour = theme.plan_colour(result.plan)
    payback = [fmt.week(w) for w in curve["payback_week"]]
    fig.add_scatter(x=curve["budget"] / factor, y=curve["npv_gain"] / factor, mode="lines",
                    name=kpi_label("npv_gain"), line={"color": colour, "width": 2.5},
                    customdata=np.column_stack([
                        [fmt.money(b, currency) for b in curve["budget"]],
                        [fmt.money(g, currency, signed=True) for g in curve["npv_gain"]], payback]),
                    hovertemplate=text("decision_chart.one_off_budget") + " %{customdata[0]}: "
                    + text("decision_chart.npv_gain") + " %{customdata[1]}, "
                    + text("decision_chart.pays_back") + " %{customdata[2]}<extra></extra>")
    fig.add_hline(y=0, line={"color": theme.NEUTRAL_COLOUR, "width": 1})
    fig.add_vline(x=result.budget / factor, line={"color": colour, "dash": "dot"},
                  annotation_text=text("decision_chart.planned", amount=fmt.money(result.budget, currency)),
                  # below, right of its line: left of it, near a budget of 0, it ran into the
                  # vertical axis's numbers on a phone
                  annotation_position="bottom right")
    if np.isfinite(result.break_even_budget):
        fig.add_vline(x=result.break_even_budget / factor, line={"color": theme.LOSS_COLOUR},
                      annotation_text=text("decision_chart.break_even",
                                           amount=fmt.money(result.break_even_budget, currency)),
                      annotation_position="top right")
    fig.update_layout(
        showlegend=False,
        # the budgets drawn, from 0 (at phone width plotly's own range ran from -2 to 6 millions)
        xaxis_range=[0.0, max(float(curve["budget"].max()), 1.0) / factor],
        xaxis_title=fmt.money_axis_title(text("decision_chart.budget_axis"), currency, word),
        yaxis_title=fmt.money_axis_title(kpi_label("npv_gain"), currency, word),
    )
    return _finish(fig, text("decision_chart.payback_title", plan=theme.plan_label(result.plan))
                   + f"<br><sup>{text('decision_chart.payback_subtitle')}</sup>")


def interval_table(summary: pd.DataFrame, currency: str,
                   kpis: Sequence[str] = INTERVALS) -> pd.DataFrame:
    """KPI x strategy: point result, 90% range of outcomes and 90% interval of the mean, as text.

    Labels and formats come from the KPI registry; the baseline's own gain, ROI and payback are
    skipped.
    """
    rows = []
    kpi_col = text("decision_chart.column_kpi")
    baseline = str(summary["strategy"].iloc[0]) if len(summary) else "multichannel"
    for row in summary[summary["kpi"].isin(list(kpis))].itertuples():
        key = str(row.kpi)
        if KPI_BY_KEY[key].vs_baseline and row.strategy == baseline:
            continue
        long = KPI_BY_KEY[key].kind is Kind.WEEKS

        def show(v: float, key: str = key, long: bool = long) -> str:
            return fmt.kpi(key, v, currency, exact=long)

        rows.append({kpi_col: kpi_label(key, baseline=baseline),
                     text("decision_chart.column_plan"): theme.plan_label(row.strategy),
                     text("decision_chart.column_point"): show(row.point),
                     text("decision_chart.column_range"): text(
                         "verdict.gain_range_value", low=show(row.p05), high=show(row.p95)),
                     text("decision_chart.column_mean"): text(
                         "verdict.gain_range_value", low=show(row.ci_low), high=show(row.ci_high))})
    order = {kpi_label(k, baseline=baseline): i for i, k in enumerate(kpis)}
    return pd.DataFrame(rows).sort_values(kpi_col, key=lambda s: s.map(order), kind="stable")


def break_even_map_figure(size_map: pd.DataFrame, currency: str, *, label: str,
                          today: tuple[float, float] | None = None,
                          strategy: str = "omnichannel") -> go.Figure:
    """NPV gain of ``strategy`` over multichannel by annual revenue (log axis) x an assumption.

    The break-even line (gain 0) and today's business are marked.
    """
    rows = size_map[size_map["strategy"] == strategy]
    grid = rows.pivot_table(index="value", columns="annual_revenue", values="npv_gain")
    factor, word = fmt.axis_scale(list(grid.to_numpy().ravel()))
    z = grid.to_numpy() / factor
    limit = float(np.nanmax(np.abs(z))) or 1.0
    x = np.log10(grid.columns.to_numpy(dtype=float))
    fig = go.Figure(go.Contour(
        x=x, y=grid.index.to_numpy(dtype=float), z=z, zmin=-limit, zmax=limit, zmid=0.0,
        colorscale="RdBu", contours={"start": 0.0, "end": 0.0, "size": 1.0, "coloring": "heatmap",
                                    "showlabels": False},
        line={"width": 3, "color": "black"},
        # upright beside the bar: across the top it ran off a phone's screen
        colorbar={"title": {"text": fmt.money_axis_title(kpi_label("npv_gain"), currency, word),
                            "side": "right"}},
        hovertemplate=f"{text('decision_chart.revenue_hover', currency=currency)}: %{{x:.2f}}<br>"
                      f"{label}: %{{y:.3g}}<br>"
                      f"{text('decision_chart.npv_gain')} %{{z:,.2f}} {word}<extra></extra>"))
    if today is not None:
        fig.add_trace(go.Scatter(x=[np.log10(today[0])], y=[today[1]], mode="markers+text",
                                 text=[text("decision_chart.today")], textposition="top center",
                                 showlegend=False,
                                 marker={"size": 12, "color": "black", "symbol": "x"}))
    ticks = grid.columns.to_numpy(dtype=float)
    if len(ticks) > 4:  # every size's money label side by side overlapped on a phone
        ticks = ticks[::2]
    # upright: slanted, neighbouring labels ("US$25.0M", "US$100M") met on a phone
    fig.update_xaxes(title=text("decision_chart.revenue_axis", currency=currency), tickvals=np.log10(ticks),
                     ticktext=[fmt.money(t, currency) for t in ticks], tickangle=-90)
    fig.update_yaxes(title=label)
    return _finish(fig, text("decision_chart.map_title", plan=theme.plan_label(strategy).lower()))


THRESHOLD_COLUMNS = {
    "label": "threshold_label", "plan": "column_plan", "base": "threshold_base",
    "range": "threshold_range", "threshold": "threshold_value", "gains": "threshold_gains",
}
"""Threshold column -> its header's key under ``decision_chart``."""


def threshold_table(thresholds: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The 'what you would have to believe' rows for display: six text columns.

    Six, not one per number, so the table fits a phone (390 px) without scrolling sideways:
    the plausible range is one cell ("0-0.4") and the NPV gain at the low end, today and at the
    high end another ("+$800k / +$1.0M / -$500k"). The threshold reads "never in range" where
    the plan keeps the sign of its gain across the range, and "low-high" where the gain jumps
    over zero between two values (status "step") or the search stopped with the gain still away
    from 0 there ("unresolved").
    """
    status = thresholds["status"] if "status" in thresholds else pd.Series("converged", thresholds.index)
    out = pd.DataFrame({
        "label": thresholds["label"].astype(str),
        "plan": [plan_name(str(p)) for p in thresholds["plan"]],
        "base": [fmt.plain(v) for v in thresholds["base"]],
        "range": [f"{fmt.plain(lo)}-{fmt.plain(hi)}"
                  for lo, hi in zip(thresholds["low"], thresholds["high"], strict=True)],
        "threshold": [
            text("decision_chart.never_in_range") if not np.isfinite(v)
            else f"{row['bracket_low']:.3g}-{row['bracket_high']:.3g}" if s in ("step", "unresolved")
            else f"{v:.3g}"
            for v, s, (_, row) in zip(thresholds["threshold"], status, thresholds.iterrows(),
                                      strict=True)],
        "gains": [" / ".join(fmt.money(v, currency, signed=True) for v in values)
                  for values in zip(thresholds["gain_low"], thresholds["gain_base"],
                                    thresholds["gain_high"], strict=True)],
    }, index=thresholds.index)
    return out.rename(columns={c: text(f"decision_chart.{k}") for c, k in THRESHOLD_COLUMNS.items()})


def interval_note() -> str:
    """The interval table's caption: what the range of outcomes and the interval of the mean are."""
    return text("decision_chart.interval_note")


def crn_note() -> str:
    """Half a sentence on common random numbers (the Decisions page's footer)."""
    return text("decision_chart.crn_note")


def believe_note() -> str:
    """The thresholds' caption: how each assumption was moved and what the map scales."""
    return text("decision_chart.believe_note")


def shapley_note(subsets: int) -> str:
    """The Shapley split's caption: exact over ``subsets`` plans; what 'alone' and 'last in' mean."""
    return text("decision_chart.shapley_note", subsets=subsets)


def break_even_sentence(result: BreakEven, currency: str) -> str:
    """The break-even budget of a plan in a sentence, money formatted as everywhere else."""
    plan = theme.plan_label(result.plan)
    if not np.isfinite(result.break_even_budget):
        return text("decision_chart.no_payback", plan=plan)
    head = text("decision_chart.room_to_spare" if result.break_even_budget >= result.budget
                else "decision_chart.over_budget")
    return text("decision_chart.pays_up_to", plan=plan,
                break_even=fmt.money(result.break_even_budget, currency),
                planned=fmt.money(result.budget, currency), head=head,
                margin=fmt.money(abs(result.break_even_budget - result.budget), currency),
                cash=fmt.money(result.cash_break_even_budget, currency))


def budget_options(result: BreakEven, current: float) -> list[float]:
    """Budgets to choose from (currency), ascending: a round grid plus ``current`` and the plan's budget.

    The grid runs from 0 to twice the largest of the plan's one-off budget, a finite break-even
    budget, ``current`` and 1; the break-even budget itself is not added.
    """
    top = max(result.budget, result.break_even_budget if np.isfinite(result.break_even_budget) else 0.0,
              current, 1.0) * 2
    step = 10 ** np.floor(np.log10(top / 20)) if top > 0 else 1.0
    step = float(step * (5 if top / step > 100 else 2 if top / step > 40 else 1))
    grid = [float(x) for x in np.arange(0.0, top + step, step)]
    return sorted({*grid, float(current), float(result.budget)})


def best_plan_sentence(best: BestPlan, currency: str) -> str:
    """The budget search's best plan in Markdown: levels, one-off cost, NPV gain over multichannel."""
    levels = tuple(best.levels.of(c) for c in Capability)
    return text("decision_chart.best_sentence", budget=fmt.money(best.budget, currency),
                levels=levels_description(levels), cost=fmt.money(best.one_off_cost, currency),
                gain=fmt.money(best.npv_gain, currency, signed=True), count=len(best.evaluated))


def best_plan_table(best: BestPlan, currency: str) -> pd.DataFrame:
    """The plans the search simulated, best NPV first, with readable columns and money."""
    rows = best.evaluated.sort_values("npv", ascending=False)
    levels = rows[[c.value for c in Capability]].to_numpy()
    return pd.DataFrame({
        text("decision_chart.column_plan"): [levels_description(tuple(x)) for x in levels],
        text("decision_chart.one_off_cost", currency=currency): [
            fmt.money(v, currency) for v in rows["one_off_cost"]],
        kpi_header("npv", currency): [fmt.kpi("npv", v, currency) for v in rows["npv"]],
        kpi_label("npv_gain"): [fmt.kpi("npv_gain", v, currency, signed=True) for v in rows["npv_gain"]],
        text("decision_chart.found_in"): [_step(str(s)) for s in rows["step"]],
        text("decision_chart.best_column"): ["✓" if b else "" for b in rows["best"]],
    })


def _step(step: str) -> str:
    """The budget search's step (``single``, ``baseline``, ``round 2``) in words."""
    if step.startswith("round "):
        return text("decision_chart.step_round", number=step.removeprefix("round "))
    return text(f"decision_chart.step_{step}") if step in ("single", "baseline") else step
