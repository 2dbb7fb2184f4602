"""Calibration: synthetic KPIs round-trip, unreachable targets are named with the reason."""

from __future__ import annotations

import dataclasses
import math

import pytest

from simulation import Capability, CapabilityLevels, Scenario
from simulation.calibration.fitting import (
    KPI_TARGETS,
    CalibrationError,
    apply_factors,
    calibrate,
    current_state_scenario,
    measure_kpis,
    project,
)

POPULATION = 3000
TODAY = CapabilityLevels.uniform(0.0)


@pytest.fixture(scope="module")
def base() -> Scenario:
    return Scenario.preset("benchmark_retailer").replace(market__horizon_weeks=104)


def test_round_trip_recovers_synthetic_kpis_and_their_factors(base: Scenario) -> None:
    truth = {"intent": 1.3, "dropout": 1.5, "churn": 0.7, "order_value": 0.8, "channel_tilt": 1.2}
    hidden = apply_factors(current_state_scenario(base, population=POPULATION), truth)
    targets = {k: v for k, v in measure_kpis(hidden, TODAY).items() if k in KPI_TARGETS}

    fit = calibrate(base, targets, levels=TODAY, population=POPULATION)

    assert fit.ok, fit.table.to_string()
    assert fit.messages == []
    for lever, factor in truth.items():
        # Same seed and population: only the optimiser's stopping rule separates fit and truth.
        assert math.isclose(fit.factors[lever], factor, rel_tol=0.12), (lever, fit.factors)


def test_round_trip_at_a_hybrid_integration_level_matches_targets(base: Scenario) -> None:
    levels = CapabilityLevels.uniform(0.5)
    hidden = apply_factors(current_state_scenario(base, population=POPULATION),
                           {"intent": 0.8, "churn": 1.3, "order_value": 1.5})
    got = measure_kpis(hidden, levels)
    targets = {k: got[k] for k in ("retention_12m", "aov", "purchases_per_customer_year")}

    fit = calibrate(base, targets, levels=levels, gross_margin=0.4, population=POPULATION)

    assert fit.ok, fit.table.to_string()
    assert fit.scenario.economics.gross_margin == 0.4
    assert fit.scenario.market.population == base.market.population

    # Projections start from what is in place: the current plan builds nothing, and a plan
    # pays one-off costs only for the levels it adds.
    # Usage-priced parts (per order, per profile) and per-store parts set aside: fixed costs only.
    small = fit.scenario.replace(market__population=POPULATION, business__stores=0, **{
        f"capability_costs__{c.value}__{part}": 0.0
        for c in Capability for part in ("cost_per_order", "cost_per_profile_yearly")})
    projection = project(dataclasses.replace(fit, scenario=small))
    costs = small.capability_costs
    one_off = sum(costs.of(c).one_off_cost for c in Capability)
    running = sum(costs.of(c).running_cost_weekly for c in Capability) * small.market.horizon_weeks
    spent = projection.kpis["integration_cost"]
    assert spent["current"] == pytest.approx(running * 0.5)
    assert spent["omnichannel"] == pytest.approx(one_off * 0.5 + running)
    assert spent["multichannel"] == 0.0


def test_retention_above_what_zero_churn_allows_is_reported_as_needing_negative_hazard(
        base: Scenario) -> None:
    # Siloed channels over-message and each excess contact adds churn the base hazard cannot
    # remove: even at zero base churn some customers lapse within a year.
    noisy = base.replace(behaviour__churn_per_excess_contact=0.03)
    fit = calibrate(noisy, {"retention_12m": 0.995}, levels=TODAY, population=2000,
                    max_evaluations=15)
    assert not fit.ok
    assert len(fit.messages) == 1
    assert "not lapsed 12 months" in fit.messages[0]
    assert "negative churn hazard" in fit.messages[0]


def test_conversion_above_the_funnel_limit_is_reported(base: Scenario) -> None:
    fit = calibrate(base, {"conversion_rate": 0.995}, levels=TODAY, population=2000,
                    max_evaluations=15)
    assert not fit.ok
    assert "above what the funnel allows" in fit.messages[0]


@pytest.mark.parametrize(("targets", "message"), [
    ({"retention_12m": 1.4}, r"not lapsed 12 months after the first purchase \(model-only\): 1.4 must"),
    ({"aov": -5.0}, "average order value: -5 must be above 0"),
    ({"happiness": 0.5}, "happiness: is not a KPI"),
    ({"aov": None}, "no target given"),
])
def test_unusable_targets_raise_one_line_each(base: Scenario, targets: dict, message: str) -> None:
    with pytest.raises(CalibrationError, match=message):
        calibrate(base, targets, levels=TODAY, population=POPULATION)
