"""Identity as the gate (issue 14 item 3): orchestration, context carry-over, returns anywhere and
unified targeting act only on people recognised across channels, r = r0 + (1 - r0) x identity."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import CapabilityLevels, Scenario, simulate_plans
from simulation.core.engine import Simulation
from simulation.core.random_streams import RandomStreams
from simulation.core.recognition import recognition_draw
from simulation.core.tallies import Tally
from simulation.core.targeting import RandomTargeting
from simulation.core.world import build_world
from tests.simulation.core.reference_model import run_reference

ZERO = CapabilityLevels.uniform(0.0)
GATED = ZERO.model_copy(update={"orchestration": 1.0, "context": 1.0, "service": 1.0})
FIELDS = ["customer_since", "lapse_week", "purchases", "channels_used", "channels_bought",
          "subscribed", "lapse_overmessaging", "satisfaction", "service_contacts_discounted"]


def _run(scenario: Scenario, plans: dict[str, CapabilityLevels]):
    streams = RandomStreams(scenario.seed)
    world = build_world(scenario, streams, plans)
    return world, streams, Simulation(world, streams, RandomTargeting()).run()


@pytest.fixture(scope="module")
def gate_scenario(default_scenario: Scenario) -> Scenario:
    # Many switches and cross-channel returns, so context and service have much to act on, and
    # churn from over-messaging, so orchestration does.
    return default_scenario.replace(
        market__population=3000, market__horizon_weeks=52, economics__offers_per_week_share=0.0,
        behaviour__cross_channel_return_share=0.5, behaviour__churn_per_excess_contact=0.01,
        segments=[s.model_copy(update={"switch_probability": 0.5}) for s in default_scenario.segments])


def test_at_identity_zero_the_gated_mechanisms_act_only_on_people_recognised_by_other_means(gate_scenario):
    r0 = 0.5
    scenario = gate_scenario.replace(behaviour__recognised_without_identity=r0)
    world, streams, run = _run(scenario, {"multichannel": ZERO, "gated": GATED})
    base, gated = run.states
    others = recognition_draw(streams, np.arange(world.n_people)) >= r0
    for name in FIELDS:
        # Unrecognised people live exactly as in multichannel: the levels never reach them.
        np.testing.assert_array_equal(getattr(gated, name)[others], getattr(base, name)[others],
                                      err_msg=name)
    # Recognised people are moved: context and returns anywhere raise their purchases, and
    # orchestration spares them over-messaging.
    assert gated.purchases[~others].sum() > base.purchases[~others].sum()
    assert gated.lapse_overmessaging[~others].sum() < base.lapse_overmessaging[~others].sum()


def test_orchestration_caps_contacts_only_for_recognised_people(gate_scenario):
    """At identity 0 orchestration alone cuts over-messaging for the r0 share only: less than
    with everyone recognised, and nothing for the others (who keep their siloed contacts)."""
    r0 = 0.5
    scenario = gate_scenario.replace(behaviour__recognised_without_identity=r0)
    orchestrated = ZERO.model_copy(update={"orchestration": 1.0})
    plans = {"none": ZERO, "orchestration": orchestrated,
             "identity": ZERO.model_copy(update={"identity": 1.0}),
             "both": orchestrated.model_copy(update={"identity": 1.0})}
    world, streams, run = _run(scenario, plans)
    excess = run.weekly[:, :, Tally.EXCESS_CONTACTS].sum(axis=1)
    none, alone, identity, both = excess
    assert both < alone < none
    assert none - alone < identity - both  # with identity it reaches everyone
    others = recognition_draw(streams, np.arange(world.n_people)) >= r0
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(run.states[1], name)[others],
                                      getattr(run.states[0], name)[others], err_msg=name)


def test_nobody_recognised_by_other_means_makes_the_gated_levels_inert_at_identity_zero(gate_scenario):
    scenario = gate_scenario.replace(behaviour__recognised_without_identity=0.0)
    _, _, run = _run(scenario, {"multichannel": ZERO, "gated": GATED})
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(run.states[1], name), getattr(run.states[0], name),
                                      err_msg=name)


def test_everyone_recognised_by_other_means_makes_identity_irrelevant_to_the_gate(gate_scenario):
    scenario = gate_scenario.replace(behaviour__recognised_without_identity=1.0)
    plans = {"gated": GATED, "gated_identity": GATED.model_copy(update={"identity": 1.0})}
    _, _, run = _run(scenario, plans)
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(run.states[1], name), getattr(run.states[0], name),
                                      err_msg=name)


def test_identity_raises_the_value_of_context_and_service_so_capabilities_interact(gate_scenario):
    """Context and service help more with identity than without: a positive interaction."""
    plans = {"none": ZERO, "identity": ZERO.model_copy(update={"identity": 1.0}), "gated": GATED,
             "both": GATED.model_copy(update={"identity": 1.0})}
    _, _, run = _run(gate_scenario, plans)
    purchases = {name: int(state.purchases.sum()) for name, state in zip(plans, run.states, strict=True)}
    alone = purchases["gated"] - purchases["none"]
    with_identity = purchases["both"] - purchases["identity"]
    assert with_identity > alone > 0


def test_the_reference_model_covers_the_gate(default_scenario):
    scenario = default_scenario.replace(
        market__population=400, market__horizon_weeks=40, market__weekly_reach_rate=0.1,
        economics__offers_per_week_share=0.0, behaviour__cross_channel_return_share=0.5,
        behaviour__churn_per_excess_contact=0.01,
        custom_plan={"identity": 0.4, "orchestration": 0.7, "context": 0.8, "service": 0.9,
                     "inventory": 0.3})
    _, reference = run_reference(scenario)
    streams = RandomStreams(scenario.seed)
    run = Simulation(build_world(scenario, streams), streams, RandomTargeting()).run()
    for people, state in zip(reference, run.states, strict=True):
        for name in ("customer_since", "lapse_week", "purchases", "channels_used", "channels_bought",
                     "subscribed"):
            expected = np.array([getattr(p, name) for p in people])
            np.testing.assert_array_equal(getattr(state, name).astype(expected.dtype), expected, err_msg=name)
        np.testing.assert_allclose(state.satisfaction, [p.satisfaction for p in people], rtol=1e-6)


def test_all_capabilities_at_one_still_equal_omnichannel_with_people_unrecognised_by_other_means(
        small_scenario):
    scenario = small_scenario.replace(behaviour__recognised_without_identity=0.3,
                                      market__population=2000)
    results = simulate_plans(scenario, {"multichannel": ZERO, "omnichannel": CapabilityLevels.uniform(1.0),
                                        "custom_all": CapabilityLevels.uniform(1.0),
                                        "custom_none": ZERO})
    kpis = results.kpis
    assert kpis.loc["custom_all"].equals(kpis.loc["omnichannel"].rename("custom_all"))
    cols = [c for c in kpis.columns if c not in ("npv_gain", "roi", "payback_week")]
    assert kpis.loc["custom_none", cols].equals(kpis.loc["multichannel", cols].rename("custom_none"))
