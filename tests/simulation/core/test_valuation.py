"""Valuation parameters only value a run: revaluing a run equals simulating at the new prices."""

from __future__ import annotations

import pandas as pd
import pytest

from simulation import Scenario, revalue, simulate
from simulation.core.api import run_plans, valued
from simulation.core.valuation import VALUATION_PARAMETERS, simulated_part


@pytest.fixture(scope="module")
def tiny(default_scenario: Scenario) -> Scenario:
    return default_scenario.replace(market__population=3000, market__horizon_weeks=60)


def test_revalued_run_equals_a_fresh_run_at_the_new_prices(tiny: Scenario):
    repriced = tiny.replace(market__market_size=2_345_000, economics__gross_margin=0.52,
                            capability_costs__inventory__one_off_cost=3_000_000.0,
                            capability_costs__service__running_cost_weekly=12_000.0,
                            capability_costs__inventory__cost_per_order=0.4,
                            capability_costs__identity__cost_per_profile_yearly=1.5,
                            capability_costs__context__one_off_per_store=9_000.0,
                            business__stores=40, implementation_risk__one_off_overrun=0.5,
                            economics__network_fulfilment_cost=6.0,
                            economics__harmonisation_margin_cost=0.04,
                            economics__terminal_value_share=1.0)
    data = repriced.model_dump(mode="python")
    data["channels"][1]["fulfilment_cost"] = 11.0
    repriced = Scenario.validated(data)
    again = revalue(simulate(tiny), repriced)
    fresh = simulate(repriced)
    assert again.scenario == repriced
    for name, frame in fresh.frames().items():
        pd.testing.assert_frame_equal(again.frames()[name], frame, rtol=1e-12, obj=name)
    pd.testing.assert_frame_equal(again.customers, fresh.customers, rtol=1e-12)


def test_prices_change_money_but_not_behaviour(tiny: Scenario):
    base = simulate(tiny)
    cheaper = revalue(base, tiny.replace(economics__gross_margin=tiny.economics.gross_margin / 2))
    pd.testing.assert_series_equal(cheaper.kpis["conversion_rate"], base.kpis["conversion_rate"])
    pd.testing.assert_series_equal(cheaper.kpis["revenue"], base.kpis["revenue"])
    assert (cheaper.kpis["gross_margin"] < base.kpis["gross_margin"]).all()
    assert (cheaper.kpis["clv"] < base.kpis["clv"]).all()


def test_only_valuation_parameters_can_be_revalued(tiny: Scenario):
    results = simulate(tiny)
    with pytest.raises(ValueError, match="simulate it instead"):
        revalue(results, tiny.replace(economics__offer_cost=tiny.economics.offer_cost + 1))
    with pytest.raises(ValueError, match="simulate it instead"):
        revalue(results, tiny.replace(capability_costs__context__ramp_weeks=3))


def _set_every_valuation_parameter(scenario: Scenario) -> Scenario:
    data = scenario.model_dump(mode="python")
    for name in VALUATION_PARAMETERS:
        *parents, leaf = name.split("__")
        targets = [data]
        for part in parents:
            targets = [x for t in targets for x in t] if part == "*" else [t[part] for t in targets]
        for target in targets:
            target[leaf] = (777 if leaf == "market_size" else 77) if isinstance(target[leaf], int) else 0.25
    return Scenario.validated(data)


def test_simulated_part_fixes_exactly_the_valuation_parameters(tiny: Scenario):
    assert "capability_costs__inventory__cost_per_order" in VALUATION_PARAMETERS
    assert "channels__*__fulfilment_cost" in VALUATION_PARAMETERS
    assert "implementation_risk__delay_weeks" not in VALUATION_PARAMETERS  # it moves behaviour
    changed = _set_every_valuation_parameter(tiny)
    assert changed != tiny
    assert simulated_part(changed) == simulated_part(tiny)
    assert simulated_part(tiny.replace(seed=tiny.seed + 1)) != simulated_part(tiny)


def test_plans_split_and_joined_again_value_like_the_whole_run(tiny: Scenario):
    whole = run_plans(tiny, None)
    names = list(whole.run.world.plan_names)
    again = whole.plans(names[:1]).joined(whole.plans(names[1:]))
    expected, joined = valued(whole, tiny), valued(again, tiny)
    pd.testing.assert_frame_equal(joined.kpis, expected.kpis)
    pd.testing.assert_frame_equal(joined.weekly, expected.weekly)
    for name, frame in expected.extras.items():
        pd.testing.assert_frame_equal(joined.extras[name], frame)
    with pytest.raises(ValueError, match="different scenarios"):
        whole.plans(names[:1]).joined(run_plans(tiny.replace(seed=tiny.seed + 1), None))
