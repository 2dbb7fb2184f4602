"""Chart builders of the decisions page on small hand-made frames (no simulation, no Streamlit)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.analysis.investment import BreakEven
from simulation.display import decision_charts as dc
from simulation.display.labels import kpi_header, kpi_label


def _fan() -> pd.DataFrame:
    rows = []
    for strategy, slope in (("multichannel", 0.0), ("omnichannel", 1000.0)):
        for metric in dc.FAN_TITLES:
            for week in range(10):
                centre = slope * week if metric != "active_customers" else 500 + week
                rows.append({"strategy": strategy, "metric": metric, "week": week,
                             "q05": centre - 50, "q25": centre - 20, "q50": centre,
                             "q75": centre + 20, "q95": centre + 50, "mean": centre})
    fan = pd.DataFrame(rows)
    gain = fan["metric"] != "active_customers"
    fan.loc[gain & (fan["strategy"] == "multichannel"), ["q05", "q25", "q50", "q75", "q95", "mean"]] = 0.0
    return fan


def test_fan_chart_drops_the_flat_baseline_and_draws_two_bands_and_a_median():
    fig = dc.fan_figure(_fan(), "cumulative_gain", "USD")
    assert set(dc.fan_data(_fan(), "cumulative_gain")["strategy"]) == {"omnichannel"}
    assert len(fig.data) == 5
    assert fig.data[-1].name == "Omnichannel: median"
    people = dc.fan_figure(_fan(), "active_customers", "USD")
    assert len(people.data) == 10


def test_tornado_puts_the_largest_swing_on_top_around_the_base_gain():
    bars = pd.DataFrame({
        "label": ["small", "large", "middle"], "range": ["a", "b", "c"],
        "npv_gain_low": [90.0, -500.0, 50.0], "npv_gain_high": [110.0, 900.0, 200.0],
        "clv_gain_low": [1.0, 2.0, 3.0], "clv_gain_high": [1.5, 5.0, 3.2],
    })
    bars["npv_swing"] = (bars["npv_gain_high"] - bars["npv_gain_low"]).abs()
    bars["clv_swing"] = (bars["clv_gain_high"] - bars["clv_gain_low"]).abs()
    fig = dc.tornado_figure(bars, 100.0, "USD")
    assert [y.split("<br>")[0] for y in fig.data[0].y] == ["small", "middle", "large"]
    low = fig.data[0]
    assert list(np.asarray(low.base) + np.asarray(low.x)) == pytest.approx([90.0, 50.0, -500.0])
    assert "CLV" in dc.tornado_figure(bars, 2.0, "USD", kpi="clv").layout.title.text


def test_shapley_waterfall_adds_up_to_the_total_gain():
    values = pd.DataFrame({"rank": [1, 2, 3], "capability": ["context", "inventory", "identity"],
                           "level_on": [1.0] * 3, "npv_value": [3e6, 1e6, -0.5e6],
                           "clv_value": [5.0, 1.0, 0.0], "share_of_gain": [0.86, 0.29, -0.14],
                           "alone": [2e6, 0.5e6, -0.6e6], "last_in": [3e6, 1e6, -0.4e6]})
    fig = dc.shapley_waterfall_figure(values, 3.5e6, "USD")
    trace = fig.data[0]
    assert list(trace.measure) == ["relative"] * 3 + ["total"]
    assert sum(trace.y[:3]) == pytest.approx(trace.y[3])
    assert list(dc.shapley_waterfall_data(values)["capability"]) == ["context", "inventory", "identity"]


def test_payback_chart_marks_planned_and_break_even_budgets():
    curve = pd.DataFrame({"factor": [0.0, 1.0, 2.0], "budget": [0.0, 1e6, 2e6],
                          "npv_gain": [1e6, 0.5e6, 0.0], "payback_week": [10.0, 60.0, np.nan]})
    result = BreakEven(plan="omnichannel", baseline="multichannel", budget=1e6, npv_gain=0.5e6,
                       one_off_present_value=0.5e6, break_even_factor=2.0, break_even_budget=2e6,
                       cash_break_even_budget=2.2e6, curve=curve)
    fig = dc.payback_figure(result, "USD")
    assert len(fig.data) == 1  # one axis: NPV gain against the budget, payback week in the hover
    assert "yaxis2" not in fig.to_plotly_json()["layout"]
    assert len(fig.layout.shapes) == 3  # zero line, planned budget, break-even
    labels = [a.text for a in fig.layout.annotations]
    assert "planned $1.00M" in labels and "break-even $2.00M" in labels
    assert list(fig.data[0].customdata[0]) == ["$0", "+$1.00M", "week 10 (0.2 years)"]
    # the budgets drawn, from 0 (plotly's own range at phone width ran from -2 to 6 millions)
    assert tuple(fig.layout.xaxis.range) == (0.0, curve["budget"].max() / 1e6)


def test_fan_chart_axis_title_is_short_so_it_cannot_run_over_the_title():
    weeks = np.arange(10)
    fan = pd.DataFrame({"strategy": "omnichannel", "metric": "cumulative_npv_gain", "week": weeks,
                        **{q: weeks * 1e5 * (i + 1)
                           for i, q in enumerate(("q05", "q25", "q50", "q75", "q95"))},
                        "mean": weeks * 3e5})
    fig = dc.fan_figure(fan, "cumulative_npv_gain", "USD")
    assert fig.layout.yaxis.title.text == "USD millions"


def test_best_plan_table_has_readable_columns_and_money():
    from simulation.analysis.investment import BestPlan
    from simulation.core.scenario import CapabilityLevels

    evaluated = pd.DataFrame([
        {"plan": "none", "identity": 0.0, "context": 0.0, "consistency": 0.0, "orchestration": 0.0,
         "inventory": 0.0, "service": 0.0, "one_off_cost": 0.0, "npv": 1e7, "npv_gain": 0.0,
         "step": "baseline", "best": False},
        {"plan": "context 1", "identity": 0.0, "context": 1.0, "consistency": 0.0, "orchestration": 0.0,
         "inventory": 1.0, "service": 0.0, "one_off_cost": 900_000.0, "npv": 33889902.5113,
         "npv_gain": 23889902.5, "step": "single", "best": True},
    ])
    best = BestPlan(levels=CapabilityLevels(**{"context": 1.0, "inventory": 1.0, "identity": 0.0,
                                                "consistency": 0.0, "orchestration": 0.0, "service": 0.0}),
                    budget=1e6, one_off_cost=9e5, npv=33889902.5113, npv_gain=23889902.5,
                    evaluated=evaluated)
    table = dc.best_plan_table(best, "USD")
    assert "one_off_cost" not in table.columns
    top = table.iloc[0]
    assert top["Plan"] == "Cart and journey continuity 100%, Shared inventory 100%"
    assert top[kpi_header("npv", "USD")] == "$33.9M" and top["One-off cost (USD)"] == "$900k"
    assert "context 1" not in dc.best_plan_sentence(best, "USD")


def test_interval_table_formats_each_kpi_and_skips_the_baselines_gain():
    summary = pd.DataFrame([
        {"strategy": s, "kpi": k, "point": v, "mean": v, "sd": 1.0, "ci_low": v * 0.9,
         "ci_high": v * 1.1, "p05": v * 0.5, "p95": v * 1.5, "replications": 30}
        for s in ("multichannel", "omnichannel") for k, v in
        (("npv_gain", 2e6), ("conversion_rate", 0.25), ("payback_week", 80.0))
    ])
    table = dc.interval_table(summary, "USD")
    assert len(table) == 4
    gain = table[table["KPI"] == kpi_label("npv_gain")].iloc[0]
    assert gain["Point result"] == "$2.00M" and gain["90% range of outcomes"] == "$1.00M to $3.00M"
    assert table[table["KPI"] == kpi_label("conversion_rate")]["Point result"].tolist() == ["25.0%", "25.0%"]


def _size_map() -> pd.DataFrame:
    rows = []
    for value in (0.2, 0.6, 1.0):
        for revenue in (0.5e6, 5e6, 50e6):
            rows.append({"strategy": "omnichannel", "value": value, "annual_revenue": revenue,
                         "npv_gain": revenue * 0.05 - 400_000 * (1 + value)})
    return pd.DataFrame(rows)


def test_break_even_map_draws_gain_over_size_with_the_zero_line_and_today():
    fig = dc.break_even_map_figure(_size_map(), "USD", label="Siloed context kept", today=(5e6, 0.4))
    contour, marker = fig.data
    assert contour.type == "contour" and contour.contours.start == 0.0 == contour.contours.end
    assert contour.z.shape == (3, 3)
    assert contour.zmid == 0.0  # red below break-even, blue above, whatever the scale
    np.testing.assert_allclose(contour.x, np.log10([0.5e6, 5e6, 50e6]))
    assert list(fig.layout.xaxis.ticktext) == ["$500k", "$5.00M", "$50.0M"]
    assert marker.text == ("today",)


def test_threshold_table_formats_money_and_says_when_a_plan_never_stops_paying():
    thresholds = pd.DataFrame([{
        "label": "Conflict rate", "plan": "omnichannel", "base": 0.25, "low": 0.0, "high": 0.4,
        "threshold": np.nan, "gain_base": 1e6, "gain_low": 8e5, "gain_high": 1.2e6}, {
        "label": "Siloed context kept", "plan": "omnichannel", "base": 0.4, "low": 0.2, "high": 1.0,
        "threshold": 0.7123, "gain_base": 1e6, "gain_low": 2e6, "gain_high": -5e5}])
    table = dc.threshold_table(thresholds, "USD")
    assert list(table["Stops paying at"]) == ["never in range", "0.712"]
    assert table["NPV gain: at low / today / at high"].iloc[1].split(" / ")[2].startswith("-")
    assert list(table["Plausible range"]) == ["0-0.4", "0.2-1"]
    assert all(isinstance(cell, str) for cell in table.to_numpy().ravel())  # a static table's cells


def test_a_threshold_located_as_a_step_reads_as_the_interval_the_gain_jumps_across():
    from simulation.display import wording

    row = {"label": "Siloed context kept", "plan": "omnichannel", "base": 0.4, "low": 0.2, "high": 1.0,
           "threshold": 0.4291, "gain_base": 1.4e4, "gain_low": 4.7e4, "gain_high": -1.4e5,
           "unit": "probability", "status": "step", "bracket_low": 0.42515, "bracket_high": 0.42913,
           "gain_below": 3110.0, "gain_above": -2878.0, "pays_above": False}
    table = dc.threshold_table(pd.DataFrame([row]), "USD")
    assert list(table["Stops paying at"]) == ["0.425-0.429"]
    sentence = wording.threshold_sentence(pd.Series(row), "USD")
    assert "0.4251" in sentence and "0.4291" in sentence and "jumps" in sentence
    converged = wording.threshold_sentence(pd.Series({**row, "status": "converged"}), "USD")
    assert "jumps" not in converged
