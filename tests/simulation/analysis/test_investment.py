"""Break-even budget and the best plan under a budget."""

from __future__ import annotations

import pytest

from simulation import Capability, Scenario, simulate, simulate_plans
from simulation.analysis.investment import (
    best_plan_under_budget,
    break_even,
    one_off_budget,
    scaled_one_off_costs,
)
from simulation.analysis.runs import Execution
from simulation.core.scenario import CapabilityLevels


def test_npv_gain_is_zero_at_the_break_even_budget(tiny_scenario: Scenario):
    scenario = tiny_scenario.replace(market__horizon_weeks=104)
    result = break_even(scenario)
    assert result.break_even_factor > 0
    at_break_even = scaled_one_off_costs(scenario, result.break_even_factor)
    assert one_off_budget(at_break_even, CapabilityLevels.uniform(1.0)) == pytest.approx(
        result.break_even_budget, rel=1e-12)
    gain = simulate(at_break_even).kpis.loc["omnichannel", "npv_gain"]
    assert gain == pytest.approx(0.0, abs=1e-6 * result.budget)


def test_best_plan_fits_the_budget_and_beats_every_single_capability_plan(tiny_scenario: Scenario):
    budget = 500_000.0
    best = best_plan_under_budget(tiny_scenario, budget, execution=Execution(n_jobs=1))
    assert best.one_off_cost <= budget
    assert one_off_budget(tiny_scenario, best.levels) <= budget
    singles = {"none": CapabilityLevels.uniform(0.0)}
    for capability in Capability:
        for level in (0.5, 1.0):
            plan = CapabilityLevels(**{c.value: level if c is capability else 0.0 for c in Capability})
            if one_off_budget(tiny_scenario, plan) <= budget:
                singles[f"{capability.value} {level}"] = plan
    assert len(singles) > 5
    npv = simulate_plans(tiny_scenario, singles).kpis["npv"]
    assert best.npv >= npv.max() - 1e-6
    assert (best.evaluated["one_off_cost"] <= budget).all()


def test_best_plan_search_moves_identity_together_with_the_capabilities_it_gates(tiny_scenario: Scenario):
    """Context and service act only on recognised people, so a pair with identity may pay where
    neither does alone: every round also tries identity moved jointly with each of them."""
    best = best_plan_under_budget(tiny_scenario, 1e12, grid=(0.0, 1.0), max_rounds=1,
                                  execution=Execution(n_jobs=1))
    evaluated = best.evaluated
    start = evaluated[evaluated["step"].isin(["baseline", "single"])].sort_values("npv").iloc[-1]
    round_one = evaluated[evaluated["step"] == "round 1"]
    for gated in ("context", "service"):
        joint = round_one[(round_one["identity"] != start["identity"])
                          & (round_one[gated] != start[gated])]
        assert len(joint) >= 1, gated
