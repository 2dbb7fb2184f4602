"""Uncertainty intervals: they narrow as 1/sqrt(replications) and collapse to the point result."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import Scenario, simulate
from simulation.analysis.runs import Execution, plan_levels
from simulation.analysis.uncertainty import interval_summary, uncertainty
from simulation.core.world import standard_plans

KPIS = ["npv", "revenue", "clv", "conversion_rate", "net_contribution"]


def test_one_seed_without_parameter_uncertainty_collapses_to_the_point_result(tiny_scenario: Scenario):
    result = uncertainty(tiny_scenario, replications=1, ranges=(), execution=Execution(n_jobs=1))
    point = simulate(tiny_scenario).kpis
    summary = result.summary.set_index(["strategy", "kpi"])
    for strategy in point.index:
        for kpi in KPIS:
            row = summary.loc[(strategy, kpi)]
            expected = point.loc[strategy, kpi]
            for column in ("point", "mean", "ci_low", "ci_high", "p05", "p95"):
                assert row[column] == pytest.approx(expected, rel=1e-12), (strategy, kpi, column)


def test_intervals_shrink_as_one_over_sqrt_of_replications(tiny_scenario: Scenario):
    plans = dict(list(plan_levels(standard_plans(tiny_scenario)).items())[:2])
    many = uncertainty(tiny_scenario, replications=32, ranges=(), plans=plans,
                       execution=Execution(n_jobs=2))
    point = simulate(tiny_scenario).kpis
    few = interval_summary(many.replications[many.replications["replication"] < 8], point)

    def half_widths(summary):
        rows = summary[(summary["strategy"] == "omnichannel") & summary["kpi"].isin(KPIS)]
        return ((rows["ci_high"] - rows["ci_low"]) / 2).to_numpy()

    ratio = half_widths(few) / half_widths(many.summary)
    # sqrt(32 / 8) = 2 from the standard error; the t quantile adds 1.89 / 1.70 = 1.11.
    assert np.median(ratio) == pytest.approx(2 * 1.895 / 1.696, rel=0.35)
    assert (ratio > 1).all()


def test_replications_draw_the_programmes_overrun_and_delay_from_the_scenarios_ranges(tiny_scenario):
    from simulation.analysis.ranges import main_assumptions, resolve_ranges
    from simulation.analysis.uncertainty import design

    risky = tiny_scenario.replace(implementation_risk__overrun_high=1.5,
                                  implementation_risk__delay_high_weeks=20)
    ranges = resolve_ranges(risky, main_assumptions(risky))
    plan = design(risky, replications=12, ranges=ranges)
    sample = plan.sample.set_index("parameter")
    overrun = sample.loc["implementation_risk.one_off_overrun", "value"]
    delay = sample.loc["implementation_risk.delay_weeks", "value"]
    assert overrun.between(0.0, 1.5).all() and overrun.max() > 1.0
    assert delay.between(0, 20).all() and (delay == delay.round()).all() and delay.max() > 10
    assert {s.implementation_risk.delay_weeks for s in plan.scenarios} == set(delay.astype(int))
