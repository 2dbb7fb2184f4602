"""Customer segments from RFM and channel mix (issue 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from simulation.core.segmentation import fit_segments, rfm_features


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


def test_a_plans_segments_do_not_depend_on_the_plans_run_beside_it(small_scenario):
    from simulation import CapabilityLevels, simulate_plans

    plan = small_scenario.custom_plan
    alone = simulate_plans(small_scenario, {"custom": plan}).extras["segments"]
    crowd = simulate_plans(small_scenario, {"a": CapabilityLevels.uniform(0.0), "custom": plan})
    beside = crowd.extras["segments"]
    pd.testing.assert_frame_equal(alone, beside[beside["strategy"] == "custom"].reset_index(drop=True))


def test_channel_names_with_spaces_and_punctuation_are_segmented(default_scenario):
    """Channel names are user text ("contact centre", "web shop"): profiles must not depend on them."""
    from simulation import Scenario, simulate

    results = simulate(Scenario.preset("banking").replace(market__population=3000, market__horizon_weeks=52))
    assert "mix_contact centre" in results.extras["segments"].columns
