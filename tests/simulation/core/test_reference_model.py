"""The vectorized engine agrees person by person with a one-person-at-a-time reference loop."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.core.engine import Simulation
from simulation.core.random_streams import RandomStreams
from simulation.core.tallies import Tally
from simulation.core.targeting import RandomTargeting
from simulation.core.world import build_world
from tests.simulation.core.reference_model import run_reference


@pytest.fixture(scope="module")
def tiny_scenario(default_scenario):
    return default_scenario.replace(
        market__population=400, market__horizon_weeks=40, market__weekly_reach_rate=0.1,
        economics__offers_per_week_share=0.0,
        custom_plan={"context": 0.5, "inventory": 0.3, "service": 0.6},
        behaviour__churn_per_excess_contact=0.01,
        # many returns made elsewhere, most bringing an exchange: the comparison covers them
        behaviour__cross_channel_return_share=0.8, behaviour__return_exchange_share=0.9,
        # and many service requests, half of them made in another channel
        behaviour__service_request_rate=0.5, behaviour__service_request_elsewhere_share=0.5,
    )


@pytest.mark.parametrize(("dropout_after_purchase", "repeat_correlation", "boost"),
                         [(0.0, 1.0, 0.0), (0.15, 1.0, 0.0), (0.15, 0.3, 1.5)])
def test_vectorized_engine_matches_the_per_person_reference_loop(tiny_scenario, dropout_after_purchase,
                                                                 repeat_correlation, boost):
    """Also with the mechanisms of calibration's log fits: a repeat propensity of its own once a
    customer and a new customer's extra intent."""
    scenario = tiny_scenario.replace(behaviour__dropout_after_purchase=dropout_after_purchase,
                                     behaviour__repeat_propensity_correlation=repeat_correlation,
                                     behaviour__new_customer_intent_boost=boost)
    _, reference = run_reference(scenario)
    streams = RandomStreams(scenario.seed)
    run = Simulation(build_world(scenario, streams), streams, RandomTargeting()).run()
    fields = ["customer_since", "lapse_week", "purchases", "channels_used", "channels_bought",
              "subscribed"]
    for people, state in zip(reference, run.states, strict=True):
        for name in fields:
            expected = np.array([getattr(p, name) for p in people])
            np.testing.assert_array_equal(getattr(state, name).astype(expected.dtype), expected, err_msg=name)
        np.testing.assert_array_equal(
            state.purchases_by_channel.T, np.array([p.purchases_by_channel for p in people]))
        np.testing.assert_allclose(state.satisfaction, [p.satisfaction for p in people], rtol=1e-6)
        np.testing.assert_allclose(state.orders_discounted.T, [p.orders_discounted for p in people],
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(state.network_discounted, [p.network_discounted for p in people],
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(state.revenue_discounted, [p.revenue_discounted for p in people],
                                   rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(state.remote_revenue_discounted,
                                   [p.remote_revenue_discounted for p in people], rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(state.service_contacts_discounted,
                                   [p.service_contacts_discounted for p in people], rtol=1e-5, atol=1e-6)
    assert sum(p.remote_revenue_discounted for p in reference[0]) > 100  # digital orders were valued
    # service requests were made, some unseen and some resolved only at a second contact
    assert run.weekly[:, :, Tally.SERVICE_REQUESTS_UNSEEN].sum() > 20
    requests = run.weekly[:, :, Tally.SERVICE_REQUESTS].sum()
    assert run.weekly[:, :, Tally.SERVICE_CONTACTS].sum() > requests + 20
    assert run.weekly[:, :, Tally.RETURN_EXCHANGES].sum() > 0  # and exchanges at in-store returns
    assert sum(p.purchases for p in reference[0]) > 150  # the comparison covers real activity
    assert sum(p.network_discounted for p in reference[1]) > 1  # shared stock served some orders
    if dropout_after_purchase > 0:  # and people who quit right after a purchase
        assert sum(p.lapse_week >= 0 and p.purchases > 0 for p in reference[0]) > 20


def test_engine_matches_the_reference_loop_with_a_late_programme(tiny_scenario):
    """An implementation delay postpones every capability's phase-in in both."""
    late = tiny_scenario.replace(implementation_risk__delay_weeks=12)
    _, reference = run_reference(late)
    streams = RandomStreams(late.seed)
    run = Simulation(build_world(late, streams), streams, RandomTargeting()).run()
    for people, state in zip(reference, run.states, strict=True):
        for name in ("customer_since", "lapse_week", "purchases", "channels_used"):
            expected = np.array([getattr(p, name) for p in people])
            np.testing.assert_array_equal(getattr(state, name).astype(expected.dtype), expected, err_msg=name)
        np.testing.assert_allclose(state.network_discounted, [p.network_discounted for p in people],
                                   rtol=1e-5, atol=1e-6)


_TIME_AND_BREADTH = {
    "old model": dict(behaviour__satisfaction_half_life_weeks=0.0, behaviour__max_journeys_per_week=1,
                      behaviour__channel_breadth_mean=1.0),
    "fast drift, many journeys, narrow": dict(
        behaviour__satisfaction_half_life_weeks=3.0, behaviour__max_journeys_per_week=7,
        behaviour__channel_breadth_mean=0.2, behaviour__channel_breadth_concentration=1.0,
        behaviour__channel_breadth_activity_correlation=0.8, behaviour__intent_heterogeneity=2.0,
        behaviour__dropout_after_purchase=0.1),
}


@pytest.mark.parametrize("case", list(_TIME_AND_BREADTH))
def test_engine_matches_the_reference_loop_with_drift_several_journeys_and_breadth(tiny_scenario, case):
    """Issue 14 items 5-6: satisfaction drifting back, several journeys a week and channel breadth
    as a trait are the same person by person in both (and absent at their neutral values)."""
    scenario = tiny_scenario.replace(**_TIME_AND_BREADTH[case])
    if case != "old model":  # shoppers as frequent as grocery's most active ones
        scenario = scenario.replace(segments=[s.model_copy(update={"intent_rate_weekly": 0.4})
                                              for s in scenario.segments])
    _, reference = run_reference(scenario)
    streams = RandomStreams(scenario.seed)
    run = Simulation(build_world(scenario, streams), streams, RandomTargeting()).run()
    for people, state in zip(reference, run.states, strict=True):
        for name in ("customer_since", "lapse_week", "purchases", "channels_used", "channels_bought"):
            expected = np.array([getattr(p, name) for p in people])
            np.testing.assert_array_equal(getattr(state, name).astype(expected.dtype), expected, err_msg=name)
        np.testing.assert_allclose(state.satisfaction, [p.satisfaction for p in people], rtol=1e-6)
        np.testing.assert_allclose(state.orders_discounted.T, [p.orders_discounted for p in people],
                                   rtol=1e-5, atol=1e-6)
    if case != "old model":  # the comparison covers weeks with several journeys
        one = scenario.replace(behaviour__max_journeys_per_week=1)
        streams = RandomStreams(one.seed)
        capped = Simulation(build_world(one, streams), streams, RandomTargeting()).run()
        assert run.weekly[..., Tally.JOURNEYS].sum() > capped.weekly[..., Tally.JOURNEYS].sum() + 50
