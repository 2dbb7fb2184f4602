"""Service at full scope: online orders returned in a store bring exchanges, and a
returns-anywhere policy raises willingness to buy; each moves only its own outputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation import Scenario, simulate_plans
from simulation.core.scenario import CapabilityLevels
from simulation.core.targeting import RandomTargeting

ZERO = CapabilityLevels.uniform(0.0)
SERVICE = ZERO.model_copy(update={"service": 1.0})


@pytest.fixture(scope="module")
def scenario(small_scenario: Scenario) -> Scenario:
    """Everyone recognised across channels (identity's gate has its own tests), and half the
    returns wanted elsewhere, so in-store returns of online orders are numerous enough."""
    return small_scenario.replace(behaviour__recognised_without_identity=1.0,
                                  behaviour__cross_channel_return_share=0.5)


@pytest.fixture(scope="module")
def runs(scenario: Scenario) -> dict[str, pd.DataFrame]:
    plans = {"none": ZERO, "service": SERVICE}
    # Random offers: learned targeting reads spend, exchanges included, so with it an exchange
    # may change who gets an offer (a real effect, but not this mechanism's own output).
    return {
        "default": simulate_plans(scenario, plans, targeting=RandomTargeting()).weekly,
        "no_exchange": simulate_plans(scenario.replace(behaviour__return_exchange_share=0.0), plans,
                                      targeting=RandomTargeting()).weekly,
    }


def _totals(weekly: pd.DataFrame) -> pd.DataFrame:
    return weekly.groupby("strategy").sum(numeric_only=True)


def test_exchanges_happen_only_where_service_takes_online_returns_in_store(runs, scenario):
    totals = _totals(runs["default"])
    assert totals.loc["none", "store_returns_of_remote"] == 0
    assert totals.loc["none", "return_exchanges"] == 0
    # Tallies are scaled to the market; the binomial check counts simulated events.
    in_store = totals.loc["service", "store_returns_of_remote"] / scenario.scale
    exchanges = totals.loc["service", "return_exchanges"] / scenario.scale
    assert in_store > 80
    share = scenario.behaviour.return_exchange_share
    se = np.sqrt(share * (1 - share) / in_store)
    assert abs(exchanges / in_store - share) < 4 * se
    # Each exchange is worth return_exchange_value x a returned online order, and it is revenue.
    assert totals.loc["service", "return_exchange_sales"] > 0
    no_exchange = _totals(runs["no_exchange"])
    assert no_exchange.loc["service", "return_exchanges"] == 0
    assert no_exchange.loc["service", "return_exchange_sales"] == 0


def test_exchange_share_moves_only_revenue_never_who_buys(runs):
    """The exchange draw is its own stream: purchases, journeys and returns stay identical."""
    a, b = _totals(runs["default"]), _totals(runs["no_exchange"])
    for column in ("purchases", "journeys", "returns", "cross_channel_returns", "return_frictions",
                   "store_returns_of_remote", "lapses"):
        assert a.loc["service", column] == b.loc["service", column], column
    gained = a.loc["service", "net_revenue"] - b.loc["service", "net_revenue"]
    assert gained == pytest.approx(a.loc["service", "return_exchange_sales"])
    pd.testing.assert_series_equal(a.loc["none"], b.loc["none"])


def test_returns_anywhere_policy_raises_purchase_decisions_only_with_service(scenario):
    plans = {"none": ZERO, "service": SERVICE}
    flat = _totals(simulate_plans(scenario.replace(behaviour__returns_policy_uplift=0.0),
                                  plans).weekly)
    lenient = _totals(simulate_plans(scenario.replace(behaviour__returns_policy_uplift=0.2),
                                     plans).weekly)
    pd.testing.assert_series_equal(flat.loc["none"], lenient.loc["none"])  # no service, no effect
    rate = lenient["buy_attempts"] / lenient["journeys"]
    flat_rate = flat["buy_attempts"] / flat["journeys"]
    assert rate["service"] > flat_rate["service"] * 1.05


def test_a_return_by_post_pays_carriage_and_one_taken_in_store_does_not(scenario):
    """returns cost = processing x returns + carriage x returns sent by post; with service some
    online orders are returned in a store instead, saving their carriage."""
    stores_keep = [c.model_copy(update={"return_rate": 0.0}) if c.kind.value == "physical"
                   else c for c in scenario.channels]
    plans = {"none": ZERO, "service": SERVICE}

    def totals(carriage: float) -> pd.DataFrame:
        channels = [c.model_copy(update={"return_carriage_cost": 0.0 if c.kind.value == "physical"
                                         else carriage}) for c in stores_keep]
        return _totals(simulate_plans(scenario.replace(channels=channels), plans).weekly)

    free, paid = totals(0.0), totals(5.0)
    for column in ("purchases", "returns", "store_returns_of_remote", "net_revenue"):
        pd.testing.assert_series_equal(free[column], paid[column])  # costs move nothing else
    extra = paid["returns_cost"] - free["returns_cost"]
    assert extra["none"] == pytest.approx(5.0 * paid.loc["none", "returns"])
    assert extra["service"] == pytest.approx(
        5.0 * (paid.loc["service", "returns"] - paid.loc["service", "store_returns_of_remote"]))
    assert paid.loc["service", "store_returns_of_remote"] > 0
