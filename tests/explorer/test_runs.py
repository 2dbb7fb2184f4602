"""The app's split run (standard plans cached apart from the custom plan) equals one run."""

from __future__ import annotations

import pickle

import pandas as pd

from explorer import runs
from simulation import Scenario, simulate


def test_joined_partial_runs_equal_one_simulate_run_exactly(small_scenario: Scenario, small_results):
    joined = runs.join(runs.run_standard(small_scenario), runs.run_custom(small_scenario))
    pd.testing.assert_frame_equal(joined.kpis, small_results.kpis)
    for name in ("weekly", "survival", "funnel", "flows", "losses", "channel_usage", "mechanisms"):
        pd.testing.assert_frame_equal(getattr(joined, name), getattr(small_results, name))
    pd.testing.assert_frame_equal(joined.customers, small_results.customers)
    assert sorted(joined.extras) == sorted(small_results.extras)
    for name, frame in small_results.extras.items():
        pd.testing.assert_frame_equal(joined.extras[name].reset_index(drop=True),
                                      frame.reset_index(drop=True))


def test_standard_key_ignores_the_custom_plan_only(small_scenario: Scenario):
    moved = small_scenario.replace(custom_plan={"inventory": 1.0})
    assert runs.standard_key(moved) == runs.standard_key(small_scenario)
    assert runs.standard_key(small_scenario.replace(seed=1)) != runs.standard_key(small_scenario)


def test_moving_the_custom_plan_changes_only_custom(small_scenario: Scenario):
    standard = runs.run_standard(small_scenario)
    before = runs.join(standard, runs.run_custom(small_scenario))
    after = runs.join(standard, runs.run_custom(small_scenario.replace(custom_plan={"inventory": 1.0})))
    pd.testing.assert_frame_equal(before.kpis.loc[["multichannel", "omnichannel"]],
                                  after.kpis.loc[["multichannel", "omnichannel"]])
    assert not before.kpis.loc["custom"].equals(after.kpis.loc["custom"])
    assert after.kpis.loc["custom"].equals(
        simulate(small_scenario.replace(custom_plan={"inventory": 1.0})).kpis.loc["custom"])


def test_cached_results_survive_pickling_with_their_customer_table(small_scenario: Scenario):
    part = runs.run_custom(small_scenario)
    copy = pickle.loads(pickle.dumps(part))
    pd.testing.assert_frame_equal(copy.customers, part.customers)
    assert copy.run is None
