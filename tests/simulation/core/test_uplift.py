"""Targeting by uplift (issue 14, item 4): the offer experiment, the class-transformation model,
the Qini coefficient, offer response that falls with intent and the discount on redeemed offers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation import CapabilityLevels, Scenario, simulate, simulate_plans
from simulation.core.personalization import PersonalizedTargeting, TargetingMode
from simulation.core.personalization.uplift import qini_coefficient, transformed_label

PLANS = {"siloed": CapabilityLevels.uniform(0.0),
         "unified": CapabilityLevels.uniform(0.0).model_copy(update={"identity": 1.0})}


def _per_offer(report: pd.DataFrame, strategy: str) -> tuple[float, float]:
    """Incremental purchases per offer after the warm-up round, and the offers (scaled)."""
    rows = report[(report["strategy"] == strategy) & (report["round"] >= 1)]
    return rows["incremental_purchases"].sum() / rows["offers"].sum(), rows["offers"].sum()


def _reports(scenario: Scenario) -> dict[str, pd.DataFrame]:
    return {mode: simulate_plans(scenario, PLANS, targeting=PersonalizedTargeting(mode=mode))
            .extras["personalization"] for mode in TargetingMode}


def test_class_transformation_label_is_bought_with_offer_or_not_bought_without():
    bought = np.array([True, True, False, False])
    treated = np.array([True, False, True, False])
    assert transformed_label(bought, treated).tolist() == [True, False, False, True]


def test_qini_is_positive_for_the_true_uplift_order_negative_reversed_and_zero_at_random():
    rng = np.random.default_rng(1)
    n = 20000
    x = rng.random(n)
    treated = rng.random(n) < 0.5
    bought = rng.random(n) < 0.05 + 0.2 * x * treated  # the offer works on high x only
    tie = rng.random(n)
    # Closed form: uplift 0.2 x among the treated half, so Q(f n) / n = 0.1 f (1 - f / 2) and the
    # mean height over the line 0.05 f is the integral of 0.05 f (1 - f): 0.05 / 6.
    assert qini_coefficient(x, bought, treated, tie) == pytest.approx(0.05 / 6, abs=0.0015)
    assert qini_coefficient(-x, bought, treated, tie) == pytest.approx(-0.05 / 6, abs=0.0015)
    assert abs(qini_coefficient(np.zeros(n), bought, treated, tie)) < 0.003
    assert np.isnan(qini_coefficient(x, bought, np.ones(n, dtype=bool), tie))


@pytest.fixture(scope="module")
def falling_response(default_scenario: Scenario) -> dict[str, pd.DataFrame]:
    """High-intent people respond less: the offer's uplift falls as propensity^-2, so those
    most likely to buy are those an offer moves least."""
    return _reports(default_scenario.replace(
        market__population=20000, market__horizon_weeks=104,
        economics__offer_response_intent_elasticity=2.0))


def test_uplift_ranking_beats_purchase_ranking_when_buyers_would_buy_anyway(falling_response):
    for strategy in PLANS:
        uplift, _ = _per_offer(falling_response[TargetingMode.UPLIFT], strategy)
        learned, _ = _per_offer(falling_response[TargetingMode.LEARNED], strategy)
        assert uplift > 1.3 * learned, strategy
        # The purchase model's ranking is the wrong way round: its Qini is below the uplift one.
        rounds = falling_response[TargetingMode.UPLIFT]
        rounds = rounds[(rounds["strategy"] == strategy) & rounds["qini"].notna()]
        assert rounds["qini_purchase"].mean() < 0, strategy


def test_uplift_and_purchase_rankings_equal_random_when_response_ignores_behaviour(default_scenario):
    from tests.simulation.core.test_personalization import _behaviour_free

    reports = _reports(_behaviour_free(default_scenario))
    for strategy in PLANS:
        random, n = _per_offer(reports[TargetingMode.RANDOM], strategy)
        for mode in (TargetingMode.LEARNED, TargetingMode.UPLIFT):
            rate, m = _per_offer(reports[mode], strategy)
            se = np.hypot(np.sqrt(random / n), np.sqrt(rate / m)) * np.sqrt(default_scenario.scale)
            assert abs(rate - random) < 4 * se + 1e-12, (strategy, mode)


def test_neutral_offer_response_and_discount_leave_the_run_unchanged(small_scenario):
    base = simulate(small_scenario)
    again = simulate(small_scenario.replace(economics__offer_response_intent_elasticity=0.0,
                                            economics__offer_discount_share=0.0))
    pd.testing.assert_frame_equal(base.weekly, again.weekly)
    assert (base.weekly["offer_discount"] == 0).all()


def test_discount_is_charged_on_every_offered_purchase_and_changes_no_behaviour(small_scenario):
    base = simulate(small_scenario)
    discounted = simulate(small_scenario.replace(economics__offer_discount_share=0.1))
    for column in ("purchases", "net_revenue", "offers", "active_customers"):
        pd.testing.assert_series_equal(base.weekly[column], discounted.weekly[column])
    assert discounted.weekly["offer_discount"].sum() > 0
    # Every offered buyer's net order, not only the incremental ones: 10% of offered revenue.
    report = discounted.extras["personalization"]
    uplift = small_scenario.economics.offer_uplift
    offered_revenue = report.groupby("strategy")["incremental_revenue"].sum() * (1 + uplift) / uplift
    charged = discounted.weekly.groupby("strategy")["offer_discount"].sum()
    np.testing.assert_allclose(charged.reindex(offered_revenue.index), 0.1 * offered_revenue, rtol=1e-4)
    extra = discounted.weekly["marketing_cost"] - base.weekly["marketing_cost"]
    np.testing.assert_allclose(extra, discounted.weekly["offer_discount"], rtol=1e-9, atol=1e-6)
