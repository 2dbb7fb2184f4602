"""The app's split runs equal one run: the standard plans (run in lockstep with a custom plan),
the custom plan run alone when it moves, both simulated at fixed prices and valued afterwards."""

from __future__ import annotations

import pickle

import pandas as pd

from explorer import runs
from simulation import Scenario, simulate
from simulation.core.results import Results
from tests.explorer.split_runs import custom_run, lockstep_run, split_results


def _assert_same(joined: Results, expected: Results) -> None:
    pd.testing.assert_frame_equal(joined.kpis, expected.kpis)
    for name in ("weekly", "survival", "funnel", "flows", "losses", "channel_usage", "mechanisms"):
        pd.testing.assert_frame_equal(getattr(joined, name), getattr(expected, name))
    pd.testing.assert_frame_equal(joined.customers, expected.customers)
    assert sorted(joined.extras) == sorted(expected.extras)
    for name, frame in expected.extras.items():
        pd.testing.assert_frame_equal(joined.extras[name].reset_index(drop=True),
                                      frame.reset_index(drop=True))


def test_priced_lockstep_run_equals_one_simulate_run_exactly(small_scenario: Scenario, small_results):
    _assert_same(split_results(small_scenario), small_results)


def test_a_moved_custom_plan_runs_alone_and_joins_exactly(small_scenario: Scenario):
    lockstep = lockstep_run(small_scenario)
    moved = small_scenario.replace(custom_plan={"inventory": 1.0, "service": 0.5})
    assert runs.standard_key(moved) == runs.standard_key(small_scenario)
    assert runs.custom_key(moved) != runs.custom_key(small_scenario)
    after = runs.priced(lockstep, custom_run(moved), moved)
    _assert_same(after, simulate(moved))
    before = runs.priced(lockstep, None, small_scenario)
    pd.testing.assert_frame_equal(before.kpis.loc[["multichannel", "omnichannel"]],
                                  after.kpis.loc[["multichannel", "omnichannel"]])
    assert not before.kpis.loc["custom"].equals(after.kpis.loc["custom"])


def test_new_prices_reuse_the_runs_and_equal_a_fresh_run(small_scenario: Scenario):
    lockstep = lockstep_run(small_scenario)
    repriced = small_scenario.replace(economics__gross_margin=0.21, market__market_size=900_000,
                                      capability_costs__context__one_off_cost=2_000_000.0,
                                      capability_costs__identity__running_cost_weekly=9_000.0)
    assert runs.standard_key(repriced) == runs.standard_key(small_scenario)
    assert runs.custom_key(repriced) == runs.custom_key(small_scenario)
    fresh = simulate(repriced)
    _assert_same(runs.priced(lockstep, None, repriced), fresh)
    assert fresh.kpis.loc["omnichannel", "npv"] != simulate(small_scenario).kpis.loc["omnichannel", "npv"]


def test_keys_separate_what_each_run_depends_on(small_scenario: Scenario):
    for behavioural in (small_scenario.replace(seed=1),
                        small_scenario.replace(capability_costs__context__ramp_weeks=5)):
        assert runs.standard_key(behavioural) != runs.standard_key(small_scenario)
        assert runs.custom_key(behavioural) != runs.custom_key(small_scenario)
    priced_only = small_scenario.replace(economics__gross_margin=0.5)
    assert runs.standard_prices_key(priced_only) != runs.standard_prices_key(small_scenario)


def test_cached_parts_survive_pickling(small_scenario: Scenario):
    shown = split_results(small_scenario)
    copy = pickle.loads(pickle.dumps(shown))
    pd.testing.assert_frame_equal(copy.customers, shown.customers)
    assert copy.run is None
    lockstep = pickle.loads(pickle.dumps(lockstep_run(small_scenario)))
    assert lockstep.standard.run is not None and lockstep.custom.run is not None
    _assert_same(runs.priced(lockstep, None, small_scenario), shown)


def test_pages_without_details_get_the_same_numbers_without_per_person_outputs(
        small_scenario: Scenario):
    lockstep = lockstep_run(small_scenario)
    plain = runs.join(runs.value(lockstep.standard, small_scenario),
                      runs.value(lockstep.custom, small_scenario),
                      runs.migration(lockstep.standard, lockstep.custom, small_scenario))
    full = runs.priced(lockstep, None, small_scenario)
    pd.testing.assert_frame_equal(plain.kpis, full.kpis)
    assert "segments" not in plain.extras and "segments" in full.extras
    assert plain.run is None and "customers" not in vars(plain)


def test_per_plan_parts_of_different_runs_join_exactly(small_scenario: Scenario):
    """What the app's worker pool caches: multichannel from one run, omnichannel and the custom
    plan from another, a moved custom plan from a third; joined, each equals one run."""
    key = runs.custom_key(small_scenario)
    parts = {**runs.run_plan_parts(key, ["multichannel"]),
             **runs.run_plan_parts(key, ["omnichannel", "custom"])}
    assert sorted(parts) == sorted(runs.plan_keys(small_scenario))
    lockstep = runs.lockstep_from_parts(small_scenario, parts)
    _assert_same(runs.priced(lockstep, None, small_scenario), split_results(small_scenario))
    moved = small_scenario.replace(custom_plan={"identity": 1.0, "context": 0.25})
    assert runs.plan_keys(moved)[:2] == runs.plan_keys(small_scenario)[:2]
    parts.update(runs.run_plan_parts(runs.custom_key(moved), ["custom"]))
    _assert_same(runs.priced(runs.lockstep_from_parts(moved, parts), None, moved), simulate(moved))


def test_parts_valued_in_the_worker_equal_the_app_valuing_them(small_scenario: Scenario):
    shown = small_scenario.replace(economics__gross_margin=0.3)
    key = runs.custom_key(shown)
    parts = runs.run_plan_parts(key, ["multichannel", "omnichannel", "custom"],
                                prices=shown.canonical_key())
    standard, custom = runs.valued_keys(shown, ["multichannel", "omnichannel", "custom"])
    joined = runs.join(parts[standard], parts[custom])
    lockstep = runs.lockstep_from_parts(shown, parts)
    expected = runs.join(runs.value(lockstep.standard, shown), runs.value(lockstep.custom, shown))
    pd.testing.assert_frame_equal(joined.kpis, expected.kpis)
    pd.testing.assert_frame_equal(joined.weekly, expected.weekly)
    pd.testing.assert_frame_equal(parts[runs.migration_key(shown)],
                                  runs.migration(lockstep.standard, lockstep.custom, shown))
    assert runs.valued_keys(shown, ["custom"])[0] is None
