"""Closed-form limiting cases (docs/MODEL.md section 9, "Checks a correct engine passes")."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import simulate
from tests.simulation.core.limiting import constant_hazard_scenario

P, M, G, H, R_ANNUAL, T, N = 0.3, 50.0, 0.4, 0.02, 0.10, 104, 20_000


@pytest.fixture(scope="module")
def limiting_results():
    scenario = constant_hazard_scenario(
        purchase_probability=P, order_value=M, margin=G, hazard=H,
        discount_rate_annual=R_ANNUAL, population=N, horizon_weeks=T,
    )
    return scenario, simulate(scenario)


def test_value_within_the_horizon_matches_the_truncated_geometric_series(limiting_results):
    scenario, results = limiting_results
    d = scenario.weekly_discount_rate
    t = np.arange(T)
    expected = float(np.sum(P * M * G * (1 - H) ** t / (1 + d) ** t))
    clv = results.customers.query("strategy == 'multichannel'")["clv_horizon"].to_numpy()
    standard_error = clv.std(ddof=1) / np.sqrt(clv.size)
    assert clv.size == N
    assert abs(clv.mean() - expected) < 4 * standard_error, (clv.mean(), expected, standard_error)
    assert results.kpis.loc["multichannel", "clv_horizon"] == pytest.approx(clv.mean())


def _infinite_series(r: float, i: float) -> float:
    """p m g sum_t r^t / (1 + i)^t = p m g (1 + i) / (1 + i - r)."""
    return P * M * G * (1 + i) / (1 + i - r)


def test_lifetime_clv_matches_the_infinite_geometric_series(limiting_results):
    """The tail past the horizon completes the series: no truncation at the horizon."""
    scenario, results = limiting_results
    clv = results.customers.query("strategy == 'multichannel'")["clv"].to_numpy()
    expected = _infinite_series(1 - H, scenario.weekly_discount_rate)
    standard_error = clv.std(ddof=1) / np.sqrt(clv.size)
    assert abs(clv.mean() - expected) < 4 * standard_error, (clv.mean(), expected, standard_error)
    assert results.kpis.loc["multichannel", "clv"] == pytest.approx(clv.mean())
    assert results.kpis.loc["multichannel", "clv"] > 1.05 * results.kpis.loc["multichannel", "clv_horizon"]


@pytest.mark.parametrize("horizon", [52, 156])
def test_lifetime_clv_elasticity_to_retention_matches_the_textbook_value(horizon):
    """d ln CLV / d ln r = r / (1 + i - r) for CLV = m (1 + i) / (1 + i - r); the issue's
    yardstick (1 + i) / (1 + i - r) is within 3% of it at weekly rates. Central difference on
    the same seed (common random numbers), whatever the horizon."""
    values = {}
    for h in (H - 0.001, H + 0.001):
        scenario = constant_hazard_scenario(
            purchase_probability=P, order_value=M, margin=G, hazard=h,
            discount_rate_annual=R_ANNUAL, population=N, horizon_weeks=horizon)
        values[h] = simulate(scenario).kpis.loc["multichannel", "clv"]
    i = scenario.weekly_discount_rate
    r_low, r_high = 1 - (H + 0.001), 1 - (H - 0.001)
    elasticity = np.log(values[H - 0.001] / values[H + 0.001]) / np.log(r_high / r_low)
    r = 1 - H
    assert elasticity == pytest.approx(r / (1 + i - r), rel=0.05)
    assert elasticity == pytest.approx((1 + i) / (1 + i - r), rel=0.05)


def test_survival_curve_matches_constant_hazard_closed_form(limiting_results):
    _, results = limiting_results
    curve = results.survival.query("strategy == 'multichannel'")
    weeks = curve["weeks_since_first_purchase"].to_numpy()
    expected = (1 - H) ** weeks
    standard_error = np.sqrt(expected * (1 - expected) / N)
    assert np.all(np.abs(curve["survival"].to_numpy() - expected) <= 4 * standard_error + 1e-12)


def test_purchases_per_active_week_match_purchase_probability(limiting_results):
    _, results = limiting_results
    weekly = results.weekly.query("strategy == 'multichannel'")
    rate = weekly["purchases"].sum() / weekly["active_customers"].sum()
    standard_error = np.sqrt(P * (1 - P) / weekly["active_customers"].sum())
    assert abs(rate - P) < 4 * standard_error


def test_capabilities_change_nothing_when_their_mechanisms_are_absent(limiting_results):
    """One channel, no contacts, no stock-outs: integration has nothing to fix."""
    _, results = limiting_results
    kpis = results.kpis.drop(columns=["integration_cost", "net_contribution", "npv", "npv_gain",
                                      "roi", "payback_week"])
    assert kpis.loc["omnichannel"].equals(kpis.loc["multichannel"])
