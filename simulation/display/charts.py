"""Chart builders: :class:`~simulation.core.results.Results` in, plotly figure out; no Streamlit.

Every chart has a companion ``*_data`` function giving the tidy table it draws (the CSV
download), a title that states what it shows, axis titles with units, and the fixed colour of
each strategy from :mod:`simulation.display.theme`. Money axes are scaled to thousands, millions or
billions and say so in the title; hover labels give the formatted value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from simulation import Plan
from simulation.core.kpis import HEADLINE
from simulation.core.metrics import FLOW_LOSSES
from simulation.core.results import Results
from simulation.core.tallies import LOSS_PREFIX
from simulation.display import format as fmt
from simulation.display import theme
from simulation.display.labels import cause_name, destination_name, kpi_label, npv_label, stage_name
from simulation.display.text import text

STAGES = ("reach", "acquisition", "conversion", "retention", "loyalty")
"""The funnel's stages (``Results.funnel["stage"]`` keys), top to bottom."""


def _stage_label(stage: str) -> str:
    """A stage's name broken over two lines for the funnel's axis.

    The break goes before a bracket, or else where the two halves are most even; names of fewer
    than three words stay on one line.
    """
    name = stage_name(stage)
    if " (" in name:
        head, tail = name.split(" (", 1)
        return f"{head}<br>({tail}"
    words = name.split(" ")
    if len(words) < 3:
        return name
    cut = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))))
    return " ".join(words[:cut]) + "<br>" + " ".join(words[cut:])


def _strategies(results: Results) -> list[str]:
    return [str(s) for s in results.kpis.index]


def _currency(results: Results) -> str:
    return results.scenario.market.currency


def _finish(fig: go.Figure, title: str, *, height: int = 440) -> go.Figure:
    return theme.finish(fig, title, height=height)


# Overview ------------------------------------------------------------------------------


def kpi_change_data(results: Results) -> pd.DataFrame:
    """Each strategy's headline KPIs and their change against multichannel, in percent."""
    kpis = results.kpis
    base = kpis.loc[Plan.MULTICHANNEL.value]
    rows = []
    for strategy in _strategies(results):
        for column in HEADLINE:
            value, reference = float(kpis.loc[strategy, column]), float(base[column])
            change = (value - reference) / abs(reference) if reference else np.nan
            rows.append({"strategy": strategy, "kpi": kpi_label(column), "value": value,
                         "multichannel_value": reference, "change_vs_multichannel": change})
    return pd.DataFrame(rows)


def kpi_change_figure(results: Results) -> go.Figure:
    """Headline: how much each plan changes conversion, retention, CLV and NPV (percent)."""
    data = kpi_change_data(results)
    fig = go.Figure()
    for strategy in _strategies(results):
        if strategy == Plan.MULTICHANNEL.value:
            continue
        rows = data[data["strategy"] == strategy]
        fig.add_bar(
            x=rows["kpi"], y=rows["change_vs_multichannel"] * 100, name=theme.plan_label(strategy),
            marker_color=theme.plan_colour(strategy),
            text=[fmt.percent(v, signed=True) for v in rows["change_vs_multichannel"]],
            textposition="outside", cliponaxis=False,
            hovertemplate=("%{x}: %{text} " + text("chart.hover_vs_multichannel")
                           + "<extra>%{fullData.name}</extra>"),
        )
    fig.update_layout(barmode="group", yaxis_title=text("chart.change_axis"),
                      yaxis_ticksuffix="%")
    return _finish(fig, text("chart.change_title"))


# Journey and funnel ----------------------------------------------------------------------


def funnel_data(results: Results) -> pd.DataFrame:
    """The lifecycle funnel (people per stage and strategy), stage display names in ``stage_label``."""
    data = results.funnel.copy()
    data["stage_label"] = data["stage"].map(stage_name)
    return data


def funnel_figure(results: Results) -> go.Figure:
    """The five lifecycle stages side by side, people in the real market at the horizon."""
    data = funnel_data(results)
    fig = go.Figure()
    for strategy in _strategies(results):
        rows = data[data["strategy"] == strategy]
        fig.add_trace(go.Funnel(
            y=rows["stage"].map(_stage_label), x=rows["people"], name=theme.plan_label(strategy),
            marker={"color": theme.plan_colour(strategy)},
            text=[f"{fmt.count(p)} ({fmt.percent(s, digits=0)})"
                  for p, s in zip(rows["people"], rows["share_of_reached"], strict=True)],
            textinfo="text", textposition="auto", insidetextfont={"color": "white"},
            connector={"visible": False},
            hovertemplate=("%{y}: %{text} " + text("chart.hover_of_reached")
                           + "<extra>%{fullData.name}</extra>"),
        ))
    fig.update_layout(funnelmode="group", xaxis_title=text("chart.funnel_axis"),
                      yaxis={"categoryorder": "array", "categoryarray": [_stage_label(s) for s in STAGES]})
    horizon = results.scenario.market.horizon_weeks
    return _finish(fig, text("chart.funnel_title", weeks=horizon), height=500)


def flows_data(results: Results, strategy: str) -> pd.DataFrame:
    """The journey flows of ``strategy`` that carry at least one journey."""
    data = results.flows
    return data[(data["strategy"] == strategy) & (data["journeys"] > 0)].reset_index(drop=True)


def _stacked_positions(sizes: list[float], *, gap: float = 0.03) -> list[float]:
    """Vertical centres (0 = top) for nodes stacked in the given order with small gaps."""
    total = sum(sizes) or 1.0
    span = 1.0 - gap * max(len(sizes) - 1, 0)
    centres, top = [], 0.0
    for size in sizes:
        height = span * size / total
        centres.append(min(max(top + height / 2, 0.001), 0.999))
        top += height + gap
    return centres


FLOW_LABEL_LINE = 24
"""Characters per line of a channel-flow node's name."""


def flows_figure(results: Results, strategy: str) -> go.Figure:
    """Sankey of journeys: channel where they start -> channel where they buy, or the loss.

    Purchases are blue and stacked on top, losses vermillion below them; start channels grey.
    """
    data = flows_data(results, strategy)
    order = [c.name for c in results.scenario.channels]
    starts = [c for c in order if c in set(data["start_channel"])]
    ends = [c for c in order if c in set(data["destination"])]
    ends += [d for d in FLOW_LOSSES.values() if d in set(data["destination"])]
    # Short lines: a long loss name reads leftwards from its node and on a phone it ran over the
    # start channels' names ("lost to conflicting prices or messages" over "starts in app").
    labels = [theme.wrap_title(label, width=FLOW_LABEL_LINE) for label in
              [text("flow.starts_in", channel=s) for s in starts] + [destination_name(d) for d in ends]]
    is_loss = [d.startswith(LOSS_PREFIX) for d in ends]
    # Room between small loss nodes for their names: 0.035 a line, a quarter more for Thai,
    # whose stacked vowel and tone marks make taller lines (two Thai names met at 0.07).
    lines = max((label.count("<br>") + 1 for label in labels), default=1)
    tall = any("\u0e00" <= ch <= "\u0e7f" for label in labels for ch in label)
    gap = 0.035 * lines * (1.25 if tall else 1.0)
    start_sizes = [float(data.loc[data["start_channel"] == s, "journeys"].sum()) for s in starts]
    end_sizes = [float(data.loc[data["destination"] == d, "journeys"].sum()) for d in ends]
    fig = go.Figure(go.Sankey(
        arrangement="fixed",
        node={"label": labels, "pad": 12, "thickness": 16,
              "color": [theme.NEUTRAL_COLOUR] * len(starts)
              + [theme.LOSS_COLOUR if loss else theme.PURCHASE_COLOUR for loss in is_loss],
              "x": [0.001] * len(starts) + [0.999] * len(ends),
              "y": _stacked_positions(start_sizes) + _stacked_positions(end_sizes, gap=gap),
              "hovertemplate": "%{label}: %{value:,.0f} " + text("chart.journeys") + "<extra></extra>"},
        link={"source": [starts.index(s) for s in data["start_channel"]],
              "target": [len(starts) + ends.index(d) for d in data["destination"]],
              "value": data["journeys"],
              "color": ["rgba(86,180,233,0.45)" if p else "rgba(213,94,0,0.25)"
                        for p in data["purchase"]],
              "hovertemplate": "%{source.label} → %{target.label}: %{value:,.0f} "
                               + text("chart.journeys") + "<extra></extra>"},
    ))
    horizon = results.scenario.market.horizon_weeks
    return _finish(fig, text("chart.flows_title", plan=theme.plan_label(strategy), weeks=horizon),
                   height=520)


def losses_data(results: Results) -> pd.DataFrame:
    """A copy of the lost-sales table (every unit, by cause and strategy)."""
    return results.losses.copy()


def losses_figure(results: Results) -> go.Figure:
    """Expected value of the sales lost in journeys, by cause and strategy."""
    data = losses_data(results)
    data = data[data["unit"] == "journeys"]
    currency = _currency(results)
    divisor, word = fmt.axis_scale(list(data["lost_value"]))
    fig = go.Figure()
    for strategy in _strategies(results):
        rows = data[data["strategy"] == strategy]
        fig.add_bar(
            y=rows["cause"].map(cause_name), x=rows["lost_value"] / divisor, orientation="h",
            name=theme.plan_label(strategy), marker_color=theme.plan_colour(strategy),
            customdata=np.column_stack([
                [fmt.money(v, currency) for v in rows["lost_value"]],
                [fmt.count(v) for v in rows["lost"]],
            ]),
            hovertemplate="%{y}: %{customdata[0]} (%{customdata[1]} " + text("chart.journeys")
                          + ")<extra>%{fullData.name}</extra>",
        )
    fig.update_layout(barmode="group", xaxis_title=theme.two_lines(fmt.money_axis_title(
        text("chart.losses_axis"), currency, word)), yaxis={"autorange": "reversed"})
    return _finish(fig, text("chart.losses_title"), height=460)


# Retention and value ---------------------------------------------------------------------


def survival_data(results: Results) -> pd.DataFrame:
    """A copy of the Kaplan-Meier table: share still active by weeks since first purchase, per strategy."""
    return results.survival.copy()


def survival_figure(results: Results) -> go.Figure:
    """Kaplan-Meier share of customers still active by weeks since their first purchase."""
    data = survival_data(results)
    fig = go.Figure()
    for strategy in _strategies(results):
        rows = data[data["strategy"] == strategy]
        fig.add_scatter(
            x=rows["weeks_since_first_purchase"], y=rows["survival"] * 100, mode="lines",
            name=theme.plan_label(strategy),
            line={"color": theme.plan_colour(strategy), "width": 3,
                  "dash": theme.STRATEGY_DASHES.get(strategy, "solid")},
            hovertemplate=text("format.week", week="%{x}") + ": %{y:.1f}% " + text("chart.still_active")
                          + "<extra>%{fullData.name}</extra>",
        )
    if results.scenario.market.horizon_weeks > 52:
        fig.add_vline(x=52, line={"color": theme.NEUTRAL_COLOUR, "dash": "dot", "width": 1},
                      annotation_text=text("chart.twelve_months"), annotation_position="top right")
    fig.update_layout(xaxis_title=text("column.weeks_since_first_purchase"),
                      yaxis_title=text("chart.survival_axis"), yaxis_range=[0, 101])
    return _finish(fig, text("chart.survival_title"))


def clv_distribution_data(results: Results, *, bins: int = 40) -> pd.DataFrame:
    """Histogram of per-customer CLV on common bins (the top 1% folded into the last bin)."""
    customers = results.customers
    clv = customers[customers["clv"].notna()]
    columns = ["strategy", "clv_from", "clv_to", "customers", "share_of_customers"]
    if clv.empty:
        return pd.DataFrame(columns=columns)
    low = min(0.0, float(np.quantile(clv["clv"], 0.005)))
    high = float(np.quantile(clv["clv"], 0.99))
    edges = np.linspace(low, high if high > low else low + 1.0, bins + 1)
    rows = []
    for strategy in _strategies(results):
        values = np.clip(clv.loc[clv["strategy"] == strategy, "clv"].to_numpy(), low, edges[-1])
        counts, _ = np.histogram(values, bins=edges)
        share = counts / max(values.size, 1)
        rows.append(pd.DataFrame({"strategy": strategy, "clv_from": edges[:-1],
                                  "clv_to": edges[1:], "customers": counts,
                                  "share_of_customers": share}))
    return pd.concat(rows, ignore_index=True)


def clv_distribution_figure(results: Results) -> go.Figure:
    """Share of customers (%) by per-customer CLV, one step line per plan.

    Each legend entry gives the plan's mean CLV and its CLV within the horizon.
    """
    data = clv_distribution_data(results)
    currency = _currency(results)
    fig = go.Figure()
    for strategy in _strategies(results):
        rows = data[data["strategy"] == strategy]
        mean = results.kpis.loc[strategy, "clv"]
        within = results.kpis.loc[strategy, "clv_horizon"]
        middle = (rows["clv_from"] + rows["clv_to"]) / 2
        fig.add_scatter(
            x=middle, y=rows["share_of_customers"] * 100, mode="lines", line_shape="hvh",
            name=text("chart.clv_legend", plan=theme.plan_label(strategy), mean=fmt.money(mean, currency),
                      within=fmt.money(within, currency)),
            line={"color": theme.plan_colour(strategy), "width": 2.5,
                  "dash": theme.STRATEGY_DASHES.get(strategy, "solid")},
            hovertemplate=text("chart.clv_hover", value=f"{fmt.prefix(currency)}%{{x:,.0f}}",
                               share="%{y:.1f}%") + "<extra>%{fullData.name}</extra>",
        )
    fig.update_layout(xaxis_title=text("chart.clv_axis", label=kpi_label("clv"), currency=currency),
                      yaxis_title=text("chart.share_of_customers_axis"),
                      xaxis_tickprefix=fmt.prefix(currency))
    return _finish(fig, text("chart.clv_title"))


def weekly_data(results: Results, columns: tuple[str, ...]) -> pd.DataFrame:
    """The weekly table's ``columns``, with ``strategy`` and ``week``, as a copy."""
    return results.weekly[["strategy", "week", *columns]].copy()


def revenue_figure(results: Results, *, smoothing_weeks: int = 4) -> go.Figure:
    """Net revenue per week (a moving average) for the real market."""
    data = weekly_data(results, ("net_revenue",))
    currency = _currency(results)
    divisor, word = fmt.axis_scale(list(data["net_revenue"]))
    fig = go.Figure()
    for strategy in _strategies(results):
        rows = data[data["strategy"] == strategy]
        smooth = rows["net_revenue"].rolling(smoothing_weeks, min_periods=1).mean()
        fig.add_scatter(
            x=rows["week"], y=smooth / divisor, mode="lines", name=theme.plan_label(strategy),
            line={"color": theme.plan_colour(strategy), "width": 2.5,
                  "dash": theme.STRATEGY_DASHES.get(strategy, "solid")},
            customdata=[fmt.money(v, currency) for v in smooth],
            hovertemplate=text("chart.per_week_hover", week="%{x}", value="%{customdata}")
                          + "<extra>%{fullData.name}</extra>",
        )
    fig.update_layout(xaxis_title=text("column.week"), yaxis_title=fmt.money_axis_title(
        text("chart.per_week_axis", label=kpi_label("revenue")), currency, word))
    return _finish(fig, text("chart.revenue_title", weeks=smoothing_weeks))


def active_customers_figure(results: Results) -> go.Figure:
    """Active customers (people) per week, one line per plan."""
    data = weekly_data(results, ("active_customers",))
    fig = go.Figure()
    for strategy in _strategies(results):
        rows = data[data["strategy"] == strategy]
        fig.add_scatter(
            x=rows["week"], y=rows["active_customers"], mode="lines",
            name=theme.plan_label(strategy),
            line={"color": theme.plan_colour(strategy), "width": 2.5,
                  "dash": theme.STRATEGY_DASHES.get(strategy, "solid")},
            customdata=[fmt.count(v) for v in rows["active_customers"]],
            hovertemplate=text("chart.active_hover", week="%{x}", value="%{customdata}")
                          + "<extra>%{fullData.name}</extra>",
        )
    fig.update_layout(xaxis_title=text("column.week"), yaxis_title=text("chart.active_axis"),
                      yaxis_tickformat="~s", yaxis_rangemode="tozero")
    return _finish(fig, text("chart.active_title"))


# Investment ------------------------------------------------------------------------------


def cumulative_cash_figure(results: Results) -> go.Figure:
    """Cumulative net cash flow (after marketing, returns and integration cost) per strategy."""
    data = weekly_data(results, ("net_contribution", "cumulative_net_contribution"))
    currency = _currency(results)
    divisor, word = fmt.axis_scale(list(data["cumulative_net_contribution"]))
    fig = go.Figure()
    for strategy in _strategies(results):
        rows = data[data["strategy"] == strategy]
        fig.add_scatter(
            x=rows["week"], y=rows["cumulative_net_contribution"] / divisor, mode="lines",
            name=theme.plan_label(strategy),
            line={"color": theme.plan_colour(strategy), "width": 3,
                  "dash": theme.STRATEGY_DASHES.get(strategy, "solid")},
            customdata=[fmt.money(v, currency) for v in rows["cumulative_net_contribution"]],
            hovertemplate=text("format.week", week="%{x}") + ": %{customdata}<extra>%{fullData.name}</extra>",
        )
    fig.update_layout(xaxis_title=text("column.week"), yaxis_title=fmt.money_axis_title(
        text("chart.cash_axis"), currency, word))
    return _finish(fig, text("chart.cash_title"))


def cash_gain_data(results: Results) -> pd.DataFrame:
    """Cumulative extra net cash of each plan over multichannel, by week."""
    weekly = results.weekly
    base = weekly.loc[weekly["strategy"] == Plan.MULTICHANNEL.value, "net_contribution"].to_numpy()
    rows = []
    for strategy in _strategies(results):
        if strategy == Plan.MULTICHANNEL.value:
            continue
        w = weekly[weekly["strategy"] == strategy]
        rows.append(pd.DataFrame({
            "strategy": strategy, "week": w["week"].to_numpy(),
            "cumulative_gain_vs_multichannel": np.cumsum(w["net_contribution"].to_numpy() - base),
            "payback_week": results.kpis.loc[strategy, "payback_week"],
        }))
    columns = ["strategy", "week", "cumulative_gain_vs_multichannel", "payback_week"]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns)


def cash_gain_figure(results: Results) -> go.Figure:
    """Extra cash against multichannel: the dip is the investment, the zero crossing payback."""
    data = cash_gain_data(results)
    currency = _currency(results)
    divisor, word = fmt.axis_scale(list(data["cumulative_gain_vs_multichannel"]))
    fig = go.Figure()
    for strategy in dict.fromkeys(data["strategy"]):
        rows = data[data["strategy"] == strategy]
        colour = theme.plan_colour(strategy)
        fig.add_scatter(
            x=rows["week"], y=rows["cumulative_gain_vs_multichannel"] / divisor, mode="lines",
            name=theme.plan_label(strategy),
            line={"color": colour, "width": 3, "dash": theme.STRATEGY_DASHES.get(strategy, "solid")},
            customdata=[fmt.money(v, currency, signed=True)
                        for v in rows["cumulative_gain_vs_multichannel"]],
            hovertemplate=text("chart.gain_hover", week="%{x}", value="%{customdata}",
                               baseline=theme.plan_label(Plan.MULTICHANNEL.value))
                          + "<extra>%{fullData.name}</extra>",
        )
        payback = results.kpis.loc[strategy, "payback_week"]
        if np.isfinite(payback) and payback > 0:
            fig.add_scatter(
                x=[payback], y=[0], mode="markers", showlegend=False,
                marker={"color": colour, "size": 12, "symbol": "diamond",
                        "line": {"color": "white", "width": 1}},
                hovertemplate=text("chart.payback_hover", plan=theme.plan_label(strategy), week="%{x:.0f}")
                              + "<extra></extra>",
            )
    baseline = theme.plan_label(Plan.MULTICHANNEL.value)
    fig.update_layout(xaxis_title=text("column.week"), yaxis_title=fmt.money_axis_title(
        text("chart.gain_axis", baseline=baseline), currency, word))
    return _finish(fig, text("chart.payback_title", baseline=baseline))


def npv_data(results: Results) -> pd.DataFrame:
    """Each plan's NPV with its parts (money), gain, ROI, payback week and migrated/incremental sales."""
    columns = ["revenue", "gross_margin", "harmonisation_cost", "marketing_cost", "returns_cost",
               "fulfilment_cost", "service_cost", "integration_cost", "net_contribution", "terminal_value",
               "npv",
               "npv_gain", "roi", "payback_week", "migrated_purchases", "incremental_purchases",
               "migrated_revenue", "incremental_revenue"]
    return results.kpis[columns].reset_index()


def npv_figure(results: Results) -> go.Figure:
    """NPV of each strategy after all costs, labelled with its gain over multichannel."""
    data = npv_data(results)
    currency = _currency(results)
    divisor, word = fmt.axis_scale(list(data["npv"]))
    labels = [
        fmt.money(npv, currency) + ("" if s == Plan.MULTICHANNEL.value
                                    else f" ({fmt.money(gain, currency, signed=True)})")
        for s, npv, gain in zip(data["strategy"], data["npv"], data["npv_gain"], strict=True)
    ]
    fig = go.Figure(go.Bar(
        x=[theme.plan_label(s) for s in data["strategy"]], y=data["npv"] / divisor,
        marker_color=[theme.plan_colour(s) for s in data["strategy"]], text=labels,
        textposition="outside", cliponaxis=False, hovertemplate="%{x}: %{text}<extra></extra>",
    ))
    rate = results.scenario.market.discount_rate_annual
    fig.update_layout(showlegend=False, yaxis_title=fmt.money_axis_title(
        text("chart.npv_axis", rate=fmt.percent(rate, digits=0)), currency, word))
    top = float(np.nanmax(data["npv"] / divisor)) if len(data) else 0.0
    bottom = float(np.nanmin(data["npv"] / divisor)) if len(data) else 0.0
    fig.update_yaxes(range=[min(0.0, bottom * 1.2), max(0.0, top) * 1.2 or 1.0])
    return _finish(fig, text("chart.npv_title", label=npv_label(results)))
