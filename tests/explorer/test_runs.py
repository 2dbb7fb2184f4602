"""The app's split runs (standard plans cached apart from the custom plan, both at fixed prices
and valued afterwards) equal one run."""

from __future__ import annotations

import pickle

import pandas as pd

from explorer import runs
from simulation import Scenario, simulate
from simulation.results import Results
from tests.explorer.split_runs import split_results, split_runs


def _assert_same(joined: Results, expected: Results) -> None:
    pd.testing.assert_frame_equal(joined.kpis, expected.kpis)
    for name in ("weekly", "survival", "funnel", "flows", "losses", "channel_usage", "mechanisms"):
        pd.testing.assert_frame_equal(getattr(joined, name), getattr(expected, name))
    pd.testing.assert_frame_equal(joined.customers, expected.customers)
    assert sorted(joined.extras) == sorted(expected.extras)
    for name, frame in expected.extras.items():
        pd.testing.assert_frame_equal(joined.extras[name].reset_index(drop=True),
                                      frame.reset_index(drop=True))


def test_priced_partial_runs_equal_one_simulate_run_exactly(small_scenario: Scenario, small_results):
    _assert_same(split_results(small_scenario), small_results)


def test_new_prices_reuse_the_runs_and_equal_a_fresh_run(small_scenario: Scenario):
    standard, custom = split_runs(small_scenario)
    repriced = small_scenario.replace(economics__gross_margin=0.21, market__market_size=900_000,
                                      capability_costs__context__one_off_cost=2_000_000.0,
                                      capability_costs__identity__running_cost_weekly=9_000.0)
    assert runs.standard_key(repriced) == runs.standard_key(small_scenario)
    assert runs.custom_key(repriced) == runs.custom_key(small_scenario)
    fresh = simulate(repriced)
    _assert_same(runs.priced(standard, custom, repriced), fresh)
    assert fresh.kpis.loc["omnichannel", "npv"] != simulate(small_scenario).kpis.loc["omnichannel", "npv"]


def test_keys_separate_what_each_run_depends_on(small_scenario: Scenario):
    moved = small_scenario.replace(custom_plan={"inventory": 1.0})
    assert runs.standard_key(moved) == runs.standard_key(small_scenario)
    assert runs.custom_key(moved) != runs.custom_key(small_scenario)
    for behavioural in (small_scenario.replace(seed=1),
                        small_scenario.replace(capability_costs__context__ramp_weeks=5)):
        assert runs.standard_key(behavioural) != runs.standard_key(small_scenario)
        assert runs.custom_key(behavioural) != runs.custom_key(small_scenario)


def test_moving_the_custom_plan_changes_only_custom(small_scenario: Scenario):
    standard, custom = split_runs(small_scenario)
    moved = small_scenario.replace(custom_plan={"inventory": 1.0})
    before = runs.priced(standard, custom, small_scenario)
    after = runs.priced(standard, runs.run_custom(Scenario.from_json(runs.custom_key(moved))), moved)
    pd.testing.assert_frame_equal(before.kpis.loc[["multichannel", "omnichannel"]],
                                  after.kpis.loc[["multichannel", "omnichannel"]])
    assert not before.kpis.loc["custom"].equals(after.kpis.loc["custom"])
    assert after.kpis.loc["custom"].equals(simulate(moved).kpis.loc["custom"])


def test_cached_results_survive_pickling_with_their_customer_table(small_scenario: Scenario):
    shown = split_results(small_scenario)
    copy = pickle.loads(pickle.dumps(shown))
    pd.testing.assert_frame_equal(copy.customers, shown.customers)
    assert copy.run is None
    for part in split_runs(small_scenario):  # the cached runs keep their per-person data
        assert pickle.loads(pickle.dumps(part)).run is not None
