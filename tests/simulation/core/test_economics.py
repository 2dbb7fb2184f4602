"""Credible economics: costs that scale, cost to serve, harmonised prices, implementation risk,
terminal value. Each mechanism moves its own outputs and leaves the others alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation import Scenario, revalue, simulate
from simulation.analysis.believe import at_size
from simulation.analysis.investment import one_off_budget
from simulation.core.metrics import person_migration
from simulation.core.scenario import Capability, CapabilityLevels

BEHAVIOUR = ["conversion_rate", "journey_conversion", "retention_12m", "repeat_rate", "aov",
             "revenue", "customers", "active_customers_end", "mean_satisfaction"]
"""KPIs that only behaviour moves: a valuation parameter must leave them exactly alone."""


@pytest.fixture(scope="module")
def base(small_scenario: Scenario):
    return simulate(small_scenario)


def _behaviour_unchanged(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a[BEHAVIOUR], b[BEHAVIOUR])


def test_per_order_and_per_profile_costs_move_only_integration_cost(base, small_scenario):
    dearer = revalue(base, small_scenario.replace(
        capability_costs__inventory__cost_per_order=1.0,
        capability_costs__identity__cost_per_profile_yearly=5.0))
    _behaviour_unchanged(base.kpis, dearer.kpis)
    extra = dearer.kpis["integration_cost"] - base.kpis["integration_cost"]
    assert extra["multichannel"] == 0.0
    weekly = base.weekly.set_index(["strategy", "week"])
    costs = small_scenario.capability_costs
    expected_omni = ((1.0 - costs.inventory.cost_per_order) * weekly.loc["omnichannel", "purchases"].sum()
                     + (5.0 - costs.identity.cost_per_profile_yearly) / 52
                     * weekly.loc["omnichannel", "active_customers"].sum())
    assert extra["omnichannel"] == pytest.approx(expected_omni)
    pd.testing.assert_series_equal(dearer.kpis["clv"], base.kpis["clv"])  # integration is not CLV


def test_per_store_costs_scale_with_the_store_count(base, small_scenario):
    more = revalue(base, small_scenario.replace(business__stores=small_scenario.business.stores * 3))
    _behaviour_unchanged(base.kpis, more.kpis)
    assert more.kpis.loc["omnichannel", "integration_cost"] > base.kpis.loc["omnichannel", "integration_cost"]
    full = CapabilityLevels.uniform(1.0)
    stores = small_scenario.business.stores
    per_store = sum(small_scenario.capability_costs.of(c).one_off_per_store for c in Capability)
    tripled = small_scenario.replace(business__stores=3 * stores)
    assert one_off_budget(tripled, full) == pytest.approx(one_off_budget(small_scenario, full)
                                                          + 2 * stores * per_store)


def test_overrun_multiplies_the_one_off_budget(small_scenario):
    full = CapabilityLevels.uniform(1.0)
    over = small_scenario.replace(implementation_risk__one_off_overrun=0.4)
    assert one_off_budget(over, full) == pytest.approx(1.4 * one_off_budget(small_scenario, full))


def test_cost_to_serve_moves_contribution_not_behaviour(base, small_scenario):
    data = small_scenario.model_dump(mode="python")
    for channel in data["channels"]:
        channel["fulfilment_cost"] += 5.0
    dearer = revalue(base, Scenario.validated(data))
    _behaviour_unchanged(base.kpis, dearer.kpis)
    purchases = base.weekly.groupby("strategy")["purchases"].sum()
    extra = dearer.kpis["fulfilment_cost"] - base.kpis["fulfilment_cost"]
    assert extra["multichannel"] == pytest.approx(5.0 * purchases["multichannel"])
    # Plans with shared stock have part of their remote orders collected instead of delivered.
    assert 0 < extra["omnichannel"] < 5.0 * purchases["omnichannel"]
    assert (dearer.kpis["clv"] < base.kpis["clv"]).all()
    assert (dearer.kpis["integration_cost"] == base.kpis["integration_cost"]).all()


def test_network_fulfilment_is_paid_only_by_plans_that_share_stock(base, small_scenario):
    dearer = revalue(base, small_scenario.replace(economics__network_fulfilment_cost=50.0))
    _behaviour_unchanged(base.kpis, dearer.kpis)
    extra = dearer.kpis["fulfilment_cost"] - base.kpis["fulfilment_cost"]
    assert extra["multichannel"] == 0.0  # no shared inventory: nothing served from elsewhere
    network = base.weekly.groupby("strategy")["network_fulfilled"].sum()
    assert network["omnichannel"] > 0
    assert extra["omnichannel"] == pytest.approx((50.0 - small_scenario.economics.network_fulfilment_cost)
                                                 * network["omnichannel"])


def test_click_and_collect_lowers_only_the_cost_to_serve_of_plans_with_shared_stock(base, small_scenario):
    more = revalue(base, small_scenario.replace(economics__click_collect_share=0.5))
    _behaviour_unchanged(base.kpis, more.kpis)
    saved = base.kpis["fulfilment_cost"] - more.kpis["fulfilment_cost"]
    assert saved["multichannel"] == 0.0
    assert saved["omnichannel"] > 0
    weekly = base.weekly.query("strategy == 'omnichannel'")
    economics = small_scenario.economics
    remote = [c for c in small_scenario.channels if c.kind.value == "digital"]
    expected = sum((c.fulfilment_cost - economics.click_collect_cost) * weekly[f"orders[{c.name}]"].sum()
                   for c in remote) * (0.5 - economics.click_collect_share)
    assert saved["omnichannel"] == pytest.approx(expected)


def test_pickup_add_ons_add_margin_only_to_plans_with_shared_stock(base, small_scenario):
    """Add-on purchases at click-and-collect pickups: click_collect_share x inventory level x
    pickup_addon_share x pickup_addon_value of digital net revenue, in gross margin and CLV."""
    economics = small_scenario.economics
    richer = revalue(base, small_scenario.replace(economics__pickup_addon_share=0.9,
                                                  economics__pickup_addon_value=0.3))
    _behaviour_unchanged(base.kpis, richer.kpis)
    weekly = base.weekly.set_index(["strategy", "week"])
    assert weekly.loc["multichannel", "pickup_addon_revenue"].sum() == 0.0
    remote = [f"net_revenue[{c.name}]" for c in small_scenario.channels if c.kind.value == "digital"]
    digital = weekly.loc["omnichannel", remote].to_numpy().sum()
    factor = economics.click_collect_share * economics.pickup_addon_share * economics.pickup_addon_value
    assert weekly.loc["omnichannel", "pickup_addon_revenue"].sum() == pytest.approx(factor * digital)
    gained = richer.kpis["gross_margin"] - base.kpis["gross_margin"]
    assert gained["multichannel"] == 0.0
    assert gained["omnichannel"] == pytest.approx(
        economics.gross_margin * digital * economics.click_collect_share * (0.9 * 0.3 - factor
                                                                             / economics.click_collect_share))
    assert richer.kpis.loc["omnichannel", "clv_horizon"] > base.kpis.loc["omnichannel", "clv_horizon"]
    assert richer.kpis.loc["multichannel", "clv_horizon"] == base.kpis.loc["multichannel", "clv_horizon"]
    none = revalue(base, small_scenario.replace(economics__pickup_addon_share=0.0))
    assert (none.weekly["pickup_addon_revenue"] == 0.0).all()


def test_pooled_stock_saves_safety_stock_holding_cost_by_the_square_root_law(base, small_scenario):
    """Saving_t = inventory level_t x net revenue_t x cover x safety share x holding / 52 x
    (1 - 1/sqrt(stores)) x realised share; only net contribution moves."""
    e, stores = small_scenario.economics, small_scenario.business.stores
    assert stores > 1
    weekly = base.weekly.set_index(["strategy", "week"])
    assert (weekly.loc["multichannel", "stock_holding_saving"] == 0.0).all()
    omni = weekly.loc["omnichannel"]
    ramp = small_scenario.capability_costs.inventory.ramp_weeks
    late = omni.index >= ramp
    expected = (omni["net_revenue"] * e.stock_cover_weeks * e.safety_stock_share * e.holding_cost_yearly
                / 52 * (1 - 1 / np.sqrt(stores)) * e.pooling_realised_share)
    np.testing.assert_allclose(omni.loc[late, "stock_holding_saving"], expected[late], rtol=1e-9)
    assert (omni.loc[~late, "stock_holding_saving"] <= expected[~late] + 1e-9).all()  # phasing in
    bigger = revalue(base, small_scenario.replace(business__stores=4 * stores))
    _behaviour_unchanged(base.kpis, bigger.kpis)
    ratio = (1 - 1 / np.sqrt(4 * stores)) / (1 - 1 / np.sqrt(stores))
    assert bigger.weekly.query("strategy == 'omnichannel'")["stock_holding_saving"].sum() == pytest.approx(
        ratio * omni["stock_holding_saving"].sum())
    single = revalue(base, small_scenario.replace(business__stores=1))
    assert (single.weekly["stock_holding_saving"] == 0.0).all()
    none = revalue(base, small_scenario.replace(economics__pooling_realised_share=0.0))
    gained = base.kpis["net_contribution"] - none.kpis["net_contribution"]
    assert gained["multichannel"] == 0.0
    assert gained["omnichannel"] == pytest.approx(omni["stock_holding_saving"].sum())
    assert (base.kpis["integration_cost"] == none.kpis["integration_cost"]).all()


def test_harmonised_prices_cost_margin_only_where_offers_differ(base, small_scenario):
    kpis = base.kpis
    assert kpis.loc["multichannel", "harmonisation_cost"] == 0.0
    level = small_scenario.custom_plan.consistency
    rate = small_scenario.behaviour.conflict_rate * small_scenario.economics.harmonisation_margin_cost
    cost, revenue = kpis["harmonisation_cost"], kpis["revenue"]
    assert cost["omnichannel"] == pytest.approx(rate * revenue["omnichannel"])
    assert cost["custom"] == pytest.approx(level * rate * revenue["custom"])
    free = revalue(base, small_scenario.replace(economics__harmonisation_margin_cost=0.0))
    _behaviour_unchanged(kpis, free.kpis)
    assert (free.kpis["harmonisation_cost"] == 0).all()
    assert free.kpis.loc["omnichannel", "npv_gain"] > kpis.loc["omnichannel", "npv_gain"]


def test_no_differing_offers_means_no_conflicts_and_nothing_to_harmonise(small_scenario):
    same = simulate(small_scenario.replace(behaviour__conflict_rate=0.0))
    assert (same.kpis["harmonisation_cost"] == 0).all()
    conflicts = same.mechanisms.set_index(["strategy", "mechanism"])["events"]
    assert conflicts.xs("journey_conflict", level="mechanism").sum() == 0
    assert conflicts.xs("contact_conflict", level="mechanism").sum() == 0


def test_implementation_delay_postpones_every_effect(small_scenario):
    delayed = simulate(small_scenario.replace(implementation_risk__delay_weeks=20))
    weekly = delayed.weekly.set_index(["strategy", "week"])
    early = [c for c in ("purchases", "net_revenue", "contacts", "lapses") if c in weekly]
    for plan in ("omnichannel", "custom"):
        pd.testing.assert_frame_equal(weekly.loc[plan].loc[:19, early],
                                      weekly.loc["multichannel"].loc[:19, early])
    on_time = simulate(small_scenario)
    assert delayed.kpis.loc["omnichannel", "npv_gain"] < on_time.kpis.loc["omnichannel", "npv_gain"]


def test_terminal_value_is_off_by_default_and_adds_the_base_when_on(base, small_scenario):
    kpis = base.kpis
    weekly = base.weekly.groupby("strategy")["discounted_net_contribution"].sum()
    np.testing.assert_allclose(kpis["npv"].to_numpy(), weekly[kpis.index].to_numpy())
    on = revalue(base, small_scenario.replace(economics__terminal_value_share=1.0))
    _behaviour_unchanged(kpis, on.kpis)
    np.testing.assert_allclose(on.kpis["npv"].to_numpy(), (kpis["npv"] + kpis["terminal_value"]).to_numpy())
    assert (kpis["terminal_value"] > 0).all()


def test_migrated_and_incremental_sales_add_up_to_the_change(base):
    kpis = base.kpis
    weekly = base.weekly.groupby("strategy")["purchases"].sum()
    change = weekly[kpis.index] - weekly["multichannel"]
    np.testing.assert_allclose(kpis["incremental_purchases"].to_numpy(), change.to_numpy(), rtol=1e-9)
    assert (kpis["migrated_purchases"] >= 0).all()
    assert kpis.loc["multichannel", ["migrated_purchases", "incremental_purchases"]].eq(0).all()


def test_migration_is_counted_person_by_person():
    """Three people: one moves a purchase from store to web, one from web to store, one adds a web
    purchase. Person by person 2 purchases moved and 1 is incremental; on channel totals the
    two moves cancel and nothing seems to have moved."""
    baseline = np.array([[1, 0, 0], [0, 1, 0]])  # channels (store, web) x people
    plan = np.array([[0, 1, 0], [1, 0, 1]])
    assert person_migration(plan, baseline) == 2.0
    assert (plan - baseline).sum() == 1
    totals = (plan.sum(axis=1), baseline.sum(axis=1))
    assert person_migration(totals[0][:, None], totals[1][:, None]) == 0.0
    assert person_migration(baseline, baseline) == 0.0


def test_person_migration_is_at_least_the_bound_from_horizon_totals(base):
    """Summing over people before taking |.| can only cancel moves (triangle inequality)."""
    run = base.run
    first, *others = run.states
    for state in others:
        per_person = person_migration(state.purchases_by_channel, first.purchases_by_channel)
        totals = person_migration(state.purchases_by_channel.sum(axis=1, dtype=np.int64)[:, None],
                                  first.purchases_by_channel.sum(axis=1, dtype=np.int64)[:, None])
        assert per_person >= totals
    scale = base.scenario.scale
    kpis = base.kpis
    assert kpis.loc["omnichannel", "migrated_purchases"] == pytest.approx(person_migration(
        run.states[1].purchases_by_channel, first.purchases_by_channel) * scale)


def test_a_twentieth_of_the_business_gains_less_per_customer_and_a_small_one_does_not_integrate(
        base, small_scenario):
    """Fixed costs do not shrink with the business: per customer the gain falls with size, and
    below some size omnichannel no longer beats multichannel or the partial plan."""
    def gain_per_customer(scenario: Scenario) -> tuple[float, pd.DataFrame]:
        kpis = revalue(base, scenario).kpis
        return float(kpis.loc["omnichannel", "npv_gain"] / kpis.loc["omnichannel", "customers"]), kpis

    full, _ = gain_per_customer(small_scenario)
    twentieth, _ = gain_per_customer(at_size(small_scenario, 1 / 20))
    assert twentieth < full
    _, tiny = gain_per_customer(at_size(small_scenario, 1 / 400))
    best = tiny["npv"].idxmax()
    assert best != "omnichannel", tiny["npv"]


def test_lifetime_value_stays_finite_for_customers_who_never_churn_at_no_discount(small_scenario):
    data = small_scenario.replace(market__population=1500, market__horizon_weeks=30,
                                  market__discount_rate_annual=0.0,
                                  economics__terminal_value_share=1.0).model_dump(mode="python")
    for segment in data["segments"]:
        segment["weekly_churn_hazard"] = 0.0
    kpis = simulate(Scenario.validated(data)).kpis
    assert np.isfinite(kpis[["clv", "clv_horizon", "terminal_value", "npv"]].to_numpy()).all()
    assert (kpis["clv"] > kpis["clv_horizon"]).all()  # the capped tail still counts
