"""Chart builders: plain functions from Results to plotly figures, checked without Streamlit."""

from __future__ import annotations

import base64
import math

import numpy as np
import plotly.graph_objects as go
import pytest

from simulation import Plan, Scenario
from simulation.core.results import Results
from simulation.display import charts, theme
from simulation.display.labels import kpi_label, stage_name
from tests.explorer.split_runs import split_results

STRATEGIES = [s.value for s in Plan]


@pytest.fixture(scope="module")
def results(small_scenario: Scenario) -> Results:
    return split_results(small_scenario)


def _values(array: object) -> np.ndarray:
    """Trace data as numbers; plotly >= 6 may hold arrays base64-encoded in JSON."""
    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.asarray(array, dtype=float)


STRATEGY_FIGURES = [
    charts.kpi_change_figure, charts.funnel_figure, charts.losses_figure, charts.survival_figure,
    charts.clv_distribution_figure, charts.revenue_figure, charts.active_customers_figure,
    charts.cumulative_cash_figure, charts.cash_gain_figure,
]


@pytest.mark.parametrize("build", STRATEGY_FIGURES, ids=lambda f: f.__name__)
def test_each_strategy_keeps_its_colour_and_name_on_every_chart(results: Results, build):
    fig = build(results)
    assert isinstance(fig, go.Figure)
    assert fig.layout.title.text
    named = [t for t in fig.data if t.showlegend is not False and t.name]
    assert named
    for trace in named:
        strategy = next(s for s in STRATEGIES if trace.name.startswith(theme.plan_label(s)))
        colour = trace.marker.color if trace.type in ("bar", "funnel") else trace.line.color
        assert colour == theme.STRATEGY_COLOURS[strategy]


@pytest.mark.parametrize("build", [
    *STRATEGY_FIGURES, charts.npv_figure, lambda r: charts.flows_figure(r, "custom"),
], ids=lambda f: getattr(f, "__name__", "flows"))
def test_every_chart_serialises_and_axes_carry_units(results: Results, build):
    fig = build(results)
    fig.to_json()
    if fig.data[0].type in ("sankey", "funnel"):
        return
    titles = [fig.layout.xaxis.title.text, fig.layout.yaxis.title.text]
    assert any(t and "(" in t for t in titles), titles


def test_money_axes_name_currency_and_scale(results: Results):
    fig = charts.cumulative_cash_figure(results)
    assert fig.layout.yaxis.title.text.replace("<br>", " ") == "Cumulative net cash flow (USD millions)"
    final = {t.name: _values(t.y)[-1] for t in fig.data}
    expected = results.weekly.groupby("strategy")["net_contribution"].sum() / 1e6
    for strategy in STRATEGIES:
        assert math.isclose(final[theme.plan_label(strategy)], expected[strategy], rel_tol=1e-9)


def test_kpi_change_is_relative_to_multichannel(results: Results):
    data = charts.kpi_change_data(results)
    kpis = results.kpis
    row = data[(data["strategy"] == "omnichannel") & (data["kpi"] == kpi_label("npv"))].iloc[0]
    expected = (kpis.loc["omnichannel", "npv"] - kpis.loc["multichannel", "npv"]) / abs(
        kpis.loc["multichannel", "npv"])
    assert math.isclose(row["change_vs_multichannel"], expected)
    assert (data.loc[data["strategy"] == "multichannel", "change_vs_multichannel"] == 0).all()


def test_funnel_stages_are_in_lifecycle_order_and_shrink(results: Results):
    fig = charts.funnel_figure(results)
    for trace in fig.data:
        assert [label.replace("<br>", " ") for label in trace.y] == [stage_name(s) for s in charts.STAGES]
        people = _values(trace.x)
        assert (np.diff(people) <= 0).all()


def test_sankey_conserves_journeys_and_separates_losses(results: Results):
    for strategy in STRATEGIES:
        fig = charts.flows_figure(results, strategy)
        sankey = fig.data[0]
        flows = results.flows[results.flows["strategy"] == strategy]
        assert math.isclose(float(np.sum(_values(sankey.link.value))), flows["journeys"].sum())
        labels = list(sankey.node.label)
        colours = list(sankey.node.color)
        for label, colour in zip(labels, colours, strict=True):
            if label.startswith("buys in"):
                assert colour == theme.PURCHASE_COLOUR
            elif not label.startswith("starts in"):
                assert colour == theme.LOSS_COLOUR
        # short lines: on a phone a long loss name ran over the start channels' names
        assert max(len(line) for label in labels for line in label.split("<br>")) <= charts.FLOW_LABEL_LINE
        assert "lost to conflicting<br>prices or messages" in labels


def test_clv_histogram_shares_sum_to_one_per_strategy(results: Results):
    data = charts.clv_distribution_data(results)
    totals = data.groupby("strategy")["share_of_customers"].sum()
    assert np.allclose(totals.to_numpy(), 1.0)
    customers = results.customers.dropna(subset=["clv"]).groupby("strategy").size()
    assert (data.groupby("strategy")["customers"].sum() == customers).all()


def test_payback_markers_sit_at_the_kpi_payback_week(results: Results):
    fig = charts.cash_gain_figure(results)
    markers = [t for t in fig.data if t.mode == "markers"]
    weeks = results.kpis["payback_week"].drop("multichannel").dropna()
    weeks = weeks[weeks > 0]
    assert sorted(float(_values(m.x)[0]) for m in markers) == sorted(weeks.tolist())


def test_charts_survive_a_horizon_too_short_for_retention(small_scenario: Scenario):
    short = small_scenario.replace(market__horizon_weeks=8, market__population=500)
    results = split_results(short)
    for build in [*STRATEGY_FIGURES, charts.npv_figure]:
        build(results).to_json()


def test_thai_titles_wrap_between_words_and_keep_every_character():
    """Thai has no spaces: a long Thai title still wraps, before a word or a syllable, and loses
    nothing; an English title still wraps between words only."""
    from simulation.display import theme
    from simulation.display.labels import capability_name
    from simulation.display.text import catalog, use_language

    with use_language("th"):
        names = [capability_name(c) for c in ("context", "consistency", "service")]
    titles = [*names, catalog("th")["decision_chart.tornado_clv_title"]]
    for title in titles:
        wrapped = theme.wrap_title(title, width=20)
        lines = wrapped.split("<br>")
        assert len(lines) >= 2, wrapped
        assert "".join(line.replace(" ", "") for line in lines) == title.replace(" ", "")
        assert all(len(line) >= theme.MIN_PIECE for line in lines), wrapped
        assert "ข้อ<br>ความ" not in wrapped and "บริ<br>การ" not in wrapped
    assert theme.wrap_title("Cart and journey continuity", width=16) == "Cart and journey<br>continuity"
