"""The mechanisms a log fit adds (repeat propensity of its own, a new customer's extra intent,
customers' own spending levels) and the KPIs that fit them: neutral at the presets' values,
each moving its own outputs, each KPI measured right on hand-made data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from simulation import CapabilityLevels, Scenario
from simulation.calibration import cohorts
from simulation.calibration import fitting as cal
from simulation.core.api import simulate_plans
from simulation.core.random_streams import RandomStreams
from simulation.core.world import customer_traits, draw_people, segment_table


def _people(**behaviour: float):
    scenario = Scenario.preset("benchmark_retailer").replace(
        market__population=40_000, **{f"behaviour__{k}": v for k, v in behaviour.items()})
    streams = RandomStreams(scenario.seed)
    return draw_people(scenario, segment_table(scenario), streams)


def test_presets_draw_no_traits_of_their_own() -> None:
    people = _people()
    assert people.repeat_propensity is None and people.spend_level is None


def test_a_fresh_repeat_propensity_has_its_own_spread_and_no_link_to_the_first() -> None:
    people = _people(repeat_propensity_correlation=0.0, repeat_propensity_heterogeneity=1.9)
    repeat = people.repeat_propensity.astype(float)
    assert repeat.mean() == pytest.approx(1.0, abs=0.05)
    assert repeat.std() / repeat.mean() == pytest.approx(1.9, rel=0.08)
    assert abs(spearmanr(repeat, people.propensity).statistic) < 0.02
    linked = _people(repeat_propensity_correlation=0.9, repeat_propensity_heterogeneity=1.0)
    assert spearmanr(linked.repeat_propensity, linked.propensity).statistic > 0.85


def test_spending_levels_have_mean_one_and_follow_the_repeat_propensity() -> None:
    people = _people(repeat_propensity_correlation=0.0, spend_heterogeneity=0.7,
                     spend_propensity_correlation=0.5)
    level = people.spend_level.astype(float)
    assert level.mean() == pytest.approx(1.0, abs=0.03)
    assert np.log(level).std() == pytest.approx(0.7, rel=0.03)
    assert spearmanr(level, people.repeat_propensity).statistic == pytest.approx(0.5, abs=0.05)
    assert abs(spearmanr(level, people.propensity).statistic) < 0.03


def test_traits_move_smoothly_with_their_parameters() -> None:
    """The fit's finite differences need a small change to move each person a little."""
    base = Scenario.preset("benchmark_retailer").replace(market__population=2000)
    prop = np.linspace(0.05, 4, 2000, dtype=np.float32)
    a = customer_traits(base.replace(behaviour__repeat_propensity_correlation=0.0), prop,
                        RandomStreams(base.seed))[0]
    b = customer_traits(base.replace(behaviour__repeat_propensity_correlation=0.0,
                                     behaviour__repeat_propensity_heterogeneity=1.02), prop,
                        RandomStreams(base.seed))[0]
    # A 2% wider spread moves everyone by a few percent at most (near 0 the ratio can move
    # more, the value hardly).
    assert np.all(np.abs(b - a) <= 0.05 * np.maximum(a, 1.0))
    assert np.median(np.abs(np.log(b / a))) < 0.03


def _run(**behaviour: float):
    scenario = Scenario.preset("benchmark_retailer").replace(
        market__population=4000, market__horizon_weeks=80, market__existing_customer_share=0.0,
        economics__offers_per_week_share=0.0,
        **{f"behaviour__{k}": v for k, v in behaviour.items()})
    return simulate_plans(scenario, {"current": CapabilityLevels.uniform(0.0)}, segments=False)


def test_a_new_customers_extra_intent_moves_repeat_buying_only() -> None:
    plain, boosted = _run(), _run(new_customer_intent_boost=2.0)
    k0, k1 = plain.kpis.loc["current"], boosted.kpis.loc["current"]
    assert k1["conversion_rate"] == k0["conversion_rate"]  # first purchases are unchanged
    assert k1["repeat_12m"] > k0["repeat_12m"] + 0.05
    assert boosted.customers["purchases"].sum() > plain.customers["purchases"].sum()


def test_spending_levels_move_order_values_not_purchases() -> None:
    plain, spread = _run(), _run(spend_heterogeneity=0.8)
    np.testing.assert_array_equal(plain.customers["purchases"], spread.customers["purchases"])
    spend0, spend1 = (r.customers.filter(like="spend_").to_numpy().sum(axis=1) for r in (plain, spread))
    assert not np.allclose(spend0, spend1)
    assert spend1.sum() == pytest.approx(spend0.sum(), rel=0.15)  # levels have mean 1


def test_spend_kpis_on_a_hand_made_log() -> None:
    # a: first 10, repeats 30 and 30 (spends more later); b: first 20, repeat 20; c: 40 once.
    bw = cohorts.buying_weeks(["a", "a", "a", "b", "b", "c"], np.array([0, 7, 14, 0, 21, 0.0]),
                              np.array([10, 30, 30, 20, 20, 40.0]), weeks=10)
    k = cohorts.spend_kpis(bw)
    assert k["repeat_value_ratio"] == pytest.approx((80 / 3) / (70 / 3))
    # Fewer than 10 customers with 2+ purchases: no spread is estimated.
    assert np.isnan(k["spend_spread"])


def test_spend_spread_recovers_a_lognormal_spread_of_customer_levels() -> None:
    rng = np.random.default_rng(1)
    n, per = 4000, 4
    level = rng.normal(0.0, 0.6, n)
    amount = np.exp(3 + level[:, None] + rng.normal(0, 0.5, (n, per))).ravel()
    customer = np.repeat(np.arange(n), per)
    bw = cohorts.buying_weeks(customer, np.tile(np.arange(per) * 7.0, n), amount, weeks=per)
    assert cohorts.spend_kpis(bw)["spend_spread"] == pytest.approx(0.6, rel=0.05)


def test_nbd_spread_recovers_the_gamma_spread_of_poisson_rates() -> None:
    rng = np.random.default_rng(2)
    n, weeks, r = 20_000, 60, 0.5
    rate = rng.gamma(r, 0.05 / r, n)  # weekly rates, CV 1/sqrt(r) = 1.41
    # Buying weeks (at most one a week): Bernoulli weeks at the weekly rate, first in week 0.
    buys = rng.random((n, weeks)) < np.minimum(rate, 1)[:, None]
    buys[:, 0] = True
    customer, week = np.nonzero(buys)
    bw = cohorts.buying_weeks(customer, week * 7.0, np.ones(week.size), weeks=weeks)
    assert cohorts.nbd_spread(bw) == pytest.approx(1 / np.sqrt(r), rel=0.1)


def test_early_repeat_counts_the_thirteen_weeks_after_the_first_purchase() -> None:
    bw = cohorts.buying_weeks(["a", "a", "a", "b"], np.array([0, 7, 13 * 7, 0.0]),
                              np.ones(4), weeks=20)
    assert cohorts.early_repeat(bw) == pytest.approx(0.5)  # a: week 1 counts, week 13 does not


def test_log_start_is_the_nbd_spread_relative_to_the_scenarios() -> None:
    rng = np.random.default_rng(3)
    rate = rng.gamma(0.5, 0.1, 5000)
    buys = rng.random((5000, 40)) < np.minimum(rate, 1)[:, None]
    buys[:, 0] = True
    customer, week = np.nonzero(buys)
    bw = cohorts.buying_weeks(customer, week * 7.0, np.ones(week.size), weeks=40)
    scenario = Scenario.preset("benchmark_retailer").replace(
        behaviour__repeat_propensity_heterogeneity=2.0)
    start = cal.log_start(bw, scenario)
    assert start["heterogeneity"] == pytest.approx(cohorts.nbd_spread(bw) / 2.0)
