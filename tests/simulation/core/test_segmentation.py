"""Customer segments from RFM and channel mix (issue 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from simulation.core.segmentation import NO_PURCHASE, baseline_segments, fit_segments, rfm_features


def test_kmeans_recovers_planted_rfm_and_channel_mix_groups():
    rng = np.random.default_rng(2)
    centres = np.array([
        [1.0, 2.5, 6.0, 0.9, 0.1],  # recent, frequent, big spenders in channel 0
        [4.0, 0.7, 4.0, 0.9, 0.1],  # lapsed one-off buyers in channel 0
        [1.5, 1.5, 5.0, 0.1, 0.9],  # regulars in channel 1
    ])
    truth = np.repeat(np.arange(3), 200)
    x = centres[truth] + rng.normal(scale=0.08, size=(600, 5))
    found = fit_segments(x, n_segments=3, random_state=0).predict(x)
    assert adjusted_rand_score(truth, found) == pytest.approx(1.0)


def test_rfm_features_cover_buyers_only_and_mix_shares_add_to_one(small_results):
    state = small_results.run.states[0]
    horizon = small_results.scenario.market.horizon_weeks
    people, x = rfm_features(state, horizon)
    assert (state.purchases_by_channel[:, people].sum(axis=0) > 0).all()
    assert np.count_nonzero(state.purchases_by_channel.sum(axis=0)) == people.size
    np.testing.assert_allclose(x[:, 3:].sum(axis=1), 1.0)


def test_segment_profiles_account_for_every_buyer_of_every_plan(small_results):
    segments = small_results.extras["segments"]
    scale = small_results.scenario.scale
    for s, strategy in enumerate(small_results.run.world.plan_names):
        rows = segments[segments["strategy"] == strategy]
        buyers = np.count_nonzero(small_results.run.states[s].purchases_by_channel.sum(axis=0))
        assert rows["customers"].sum() == pytest.approx(buyers * scale)
        assert rows["share_of_customers"].sum() == pytest.approx(1.0)
        assert rows["segment"].is_unique


def test_behavioural_segment_value_counts_the_same_people_under_every_plan(small_results):
    value = small_results.extras["segment_value"]
    world = small_results.run.world
    for strategy in world.plan_names:
        rows = value[value["strategy"] == strategy]
        assert rows["people"].sum() == pytest.approx(world.n_people * small_results.scenario.scale)
        assert rows["buyer_share"].between(0, 1).all()


def test_a_plans_segments_depend_on_the_baseline_and_itself_only(small_scenario):
    from simulation import CapabilityLevels, simulate_plans

    plan, base = small_scenario.custom_plan, CapabilityLevels.uniform(0.0)
    alone = simulate_plans(small_scenario, {"a": base, "custom": plan}).extras
    every = CapabilityLevels.uniform(1.0)
    crowd = simulate_plans(small_scenario, {"a": base, "b": every, "custom": plan}).extras
    for name in ("segments", "segment_change"):
        left, right = alone[name], crowd[name]
        pd.testing.assert_frame_equal(left[left["strategy"] == "custom"].reset_index(drop=True),
                                      right[right["strategy"] == "custom"].reset_index(drop=True))


def test_segments_are_defined_once_on_the_baseline_and_held_fixed(small_results):
    """Same people, same labels under every plan: each segment holds as many people in every
    plan, every baseline buyer has a clustered segment, and only people who bought nothing under
    the baseline fall in the no-purchase group."""
    run = small_results.run
    assignment = baseline_segments(run)
    assert assignment is not None and assignment.names[-1] == NO_PURCHASE
    bought = run.states[0].purchases_by_channel.sum(axis=0) > 0
    assert (assignment.label[bought] < len(assignment.names) - 1).all()
    assert (assignment.label[~bought] == len(assignment.names) - 1).all()
    change = small_results.extras["segment_change"]
    people = change.pivot(index="segment", columns="strategy", values="people")
    assert (people.nunique(axis=1) == 1).all()
    assert people.iloc[:, 0].sum() == pytest.approx(run.world.n_people * small_results.scenario.scale)
    segments = small_results.extras["segments"]
    for strategy in run.world.plan_names:
        names = segments.loc[segments["strategy"] == strategy, "segment"]
        assert set(names) <= set(assignment.names)
        assert list(names) == [n for n in assignment.names if n in set(names)]  # the baseline's order


def test_segment_change_adds_up_to_each_plans_customer_value(small_results):
    from simulation.core.metrics import customer_values

    run = small_results.run
    change = small_results.extras["segment_change"]
    d = run.world.scenario.weekly_discount_rate
    for s, strategy in enumerate(run.world.plan_names):
        values = customer_values(run, s)
        since = run.states[s].customer_since[values.who]
        total = ((values.horizon + values.tail) / (1 + d) ** since).sum() * small_results.scenario.scale
        rows = change[change["strategy"] == strategy]
        assert rows["value"].sum() == pytest.approx(total, rel=1e-9)
        assert rows["customers"].sum() == pytest.approx(values.who.size * small_results.scenario.scale)
    base = change[change["strategy"] == run.world.plan_names[0]]
    assert base.loc[base["segment"] == NO_PURCHASE, "spend"].item() == 0.0


def test_channel_names_with_spaces_and_punctuation_are_segmented(default_scenario):
    """Channel names are user text ("contact centre", "web shop"): profiles must not depend on them."""
    from simulation import Scenario, simulate

    results = simulate(Scenario.preset("banking").replace(market__population=3000, market__horizon_weeks=52))
    assert "mix_contact centre" in results.extras["segments"].columns
