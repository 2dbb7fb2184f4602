"""Chart builders of the personalization and segment outputs: results in, figure out."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from simulation.display import personalization_charts as charts
from simulation.display import theme


@pytest.mark.parametrize("builder", [charts.data_silos_figure, charts.segments_figure,
                                     charts.segment_value_figure, charts.segment_change_figure])
def test_builders_return_a_figure_with_data(small_results, builder):
    fig = builder(small_results)
    assert isinstance(fig, go.Figure) and fig.data


def test_data_silos_chart_has_one_auc_line_per_strategy_in_its_colour(small_results):
    lines = [t for t in charts.data_silos_figure(small_results).data if isinstance(t, go.Scatter)]
    assert [t.line.color for t in lines] == [theme.plan_colour(s) for s in small_results.kpis.index]


def test_segment_value_change_is_zero_for_the_baseline(small_results):
    data = charts.segment_value_data(small_results)
    base = data[data["strategy"] == small_results.kpis.index[0]]
    assert (base["spend_change"].fillna(0) == 0).all()


def test_without_offers_the_silo_chart_says_so(small_scenario):
    from simulation import simulate

    results = simulate(small_scenario.replace(economics__offers_per_week_share=0.0,
                                              market__population=1000))
    fig = charts.data_silos_figure(results)
    assert not fig.data and "offer budget is 0" in fig.layout.annotations[0].text


def test_segment_winners_and_losers_show_losses_in_red_sorted_by_value(small_results):
    fig = charts.segment_change_figure(small_results, "custom")
    data = charts.segment_change_data(small_results)
    rows = data[data["strategy"] == "custom"].sort_values("value_change")
    assert len(fig.data) == len(charts.CHANGE_MEASURES)
    for trace, measure in zip(fig.data, charts.CHANGE_MEASURES, strict=True):
        assert list(trace.y) == list(rows["segment"])  # sorted by the change in value
        for x, colour in zip(trace.x, trace.marker.color, strict=True):
            loss = x > 0 if measure == "cost_to_serve" else x < 0
            assert (colour == theme.LOSS_COLOUR) == loss


def test_segment_change_is_zero_for_the_baseline_and_a_baseline_chart_says_so(small_results):
    data = charts.segment_change_data(small_results)
    base = data[data["strategy"] == small_results.kpis.index[0]]
    assert (base.filter(like="_change") == 0).all().all()
    fig = charts.segment_change_figure(small_results, str(small_results.kpis.index[0]))
    assert not fig.data


def test_silo_chart_sets_qini_of_both_rankings_beside_auc_when_offers_follow_uplift(small_scenario):
    from simulation import simulate
    from simulation.core.personalization import PersonalizedTargeting, TargetingMode, personalization_summary

    results = simulate(small_scenario, targeting=PersonalizedTargeting(mode=TargetingMode.UPLIFT))
    summary = personalization_summary(results.extras["personalization"])
    bars = [t for t in charts.data_silos_figure(results).data
            if isinstance(t, go.Bar) and t.xaxis == "x2"]
    assert len(bars) == len(results.kpis.index)
    for bar, strategy in zip(bars, results.kpis.index, strict=True):
        assert list(bar.x) == pytest.approx([summary.loc[strategy, "qini"],
                                             summary.loc[strategy, "qini_purchase"]], nan_ok=True)
    assert any("Qini" in a.text for a in charts.data_silos_figure(results).layout.annotations)


def test_silo_chart_has_no_qini_row_when_offers_follow_purchase_chance(small_results):
    fig = charts.data_silos_figure(small_results)
    assert not any("Qini" in a.text for a in fig.layout.annotations)
