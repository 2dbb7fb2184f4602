"""Service requests that need another channel's records (issue 14 item 2): siloed channels cannot
see each other's orders, so a request made elsewhere is resolved less often at the first contact;
service shares the records for recognised customers. Each test checks the mechanism moves its own
outputs, and only those."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation import Scenario, simulate_plans
from simulation.core.engine import Simulation
from simulation.core.random_streams import RandomStreams
from simulation.core.scenario import CapabilityLevels
from simulation.core.service_requests import requesting, service_requests
from simulation.core.targeting import RandomTargeting
from simulation.core.valuation import revalue_run
from simulation.core.world import build_world

ZERO = CapabilityLevels.uniform(0.0)
SERVICE = ZERO.model_copy(update={"service": 1.0})
PLANS = {"none": ZERO, "service": SERVICE}
SERVICE_COLUMNS = ["service_requests", "service_requests_elsewhere", "service_requests_unseen",
                   "service_unresolved_first_contact", "service_requests_abandoned", "service_contacts",
                   "service_cost"]
QUIET = {"behaviour__repeat_contact_satisfaction_loss": 0.0,
         "behaviour__unresolved_request_satisfaction_loss": 0.0}
"""Requests that cost no satisfaction: then nothing else a person does can depend on them."""


@pytest.fixture(scope="module")
def scenario(small_scenario: Scenario) -> Scenario:
    """Everyone recognised (identity's gate has its own test below), service at full level from
    week 0, random offers (learned targeting reads satisfaction-driven behaviour), and many
    requests so the binomial checks have numbers."""
    return small_scenario.replace(behaviour__recognised_without_identity=1.0,
                                  behaviour__service_request_rate=0.5,
                                  behaviour__service_request_elsewhere_share=0.4,
                                  capability_costs__service__ramp_weeks=0)


def _totals(scenario: Scenario, plans=PLANS) -> pd.DataFrame:
    weekly = simulate_plans(scenario, plans, targeting=RandomTargeting()).weekly
    return weekly.groupby("strategy").sum(numeric_only=True) / scenario.scale  # simulated counts


def test_siloed_requests_made_elsewhere_cannot_see_the_order_and_service_shares_it(scenario):
    totals = _totals(scenario)
    none, service = totals.loc["none"], totals.loc["service"]
    # Siloed: every request made in another channel is unseen; with service and everyone
    # recognised, none is.
    assert none["service_requests_elsewhere"] > 300
    assert none["service_requests_unseen"] == none["service_requests_elsewhere"]
    assert service["service_requests_unseen"] == 0
    # The elsewhere share is the parameter's (binomial, 4 standard errors).
    share = scenario.behaviour.service_request_elsewhere_share
    n = none["service_requests"]
    assert abs(none["service_requests_elsewhere"] / n - share) < 4 * np.sqrt(share * (1 - share) / n)
    # Resolution at the first contact: the mix of seen and unseen requests, siloed; the seen
    # rate everywhere with service.
    b = scenario.behaviour
    unseen = none["service_requests_unseen"] / n
    expected = (1 - unseen) * b.first_contact_resolution + unseen * b.unseen_first_contact_resolution
    fcr_none = 1 - none["service_unresolved_first_contact"] / n
    fcr_service = 1 - service["service_unresolved_first_contact"] / service["service_requests"]
    assert abs(fcr_none - expected) < 4 * np.sqrt(expected * (1 - expected) / n)
    assert fcr_service > fcr_none + 0.05
    assert abs(fcr_service - b.first_contact_resolution) < 4 * np.sqrt(0.21 / service["service_requests"])
    # Fewer repeat contacts per request, so a lower service cost per request.
    per_request = totals["service_contacts"] / totals["service_requests"]
    assert per_request["service"] < per_request["none"]
    cost = totals["service_cost"] / totals["service_requests"]
    assert cost["service"] < cost["none"]


def test_kpis_report_service_cost_and_first_contact_resolution(scenario):
    results = simulate_plans(scenario, PLANS, targeting=RandomTargeting())
    kpis, weekly = results.kpis, results.weekly.groupby("strategy").sum(numeric_only=True)
    for plan in PLANS:
        assert kpis.loc[plan, "service_cost"] == pytest.approx(
            weekly.loc[plan, "service_contacts"] * scenario.economics.service_contact_cost)
        assert kpis.loc[plan, "first_contact_resolution"] == pytest.approx(
            1 - weekly.loc[plan, "service_unresolved_first_contact"] / weekly.loc[plan, "service_requests"])
    assert kpis.loc["service", "first_contact_resolution"] > kpis.loc["none", "first_contact_resolution"]


def test_without_satisfaction_losses_requests_move_only_their_own_outputs(scenario):
    """The requests' draws are streams of their own: with no satisfaction at stake, changing how
    often and how well requests are resolved changes the service columns and the money they
    cost, never who buys, returns or churns."""
    quiet = scenario.replace(**QUIET)
    a = _totals(quiet)
    b = _totals(quiet.replace(behaviour__unseen_first_contact_resolution=0.05,
                              behaviour__service_request_abandon_share=0.6,
                              behaviour__service_request_rate=0.9))
    none = _totals(quiet.replace(behaviour__service_request_rate=0.0))
    money = {"service_cost", "net_contribution", "cumulative_net_contribution",
             "discounted_net_contribution"}
    others = [c for c in a.columns if c not in set(SERVICE_COLUMNS) | money]
    pd.testing.assert_frame_equal(a[others], b[others])
    pd.testing.assert_frame_equal(a[others], none[others])
    assert (b["service_requests"] > a["service_requests"]).all()
    assert (none[SERVICE_COLUMNS] == 0).all().all()
    # Their cost comes off the net contribution, nothing else.
    np.testing.assert_allclose(none["net_contribution"] - a["net_contribution"], a["service_cost"])


def test_unresolved_requests_lower_satisfaction_and_retention_through_the_churn_path(scenario):
    """The satisfaction losses act through the engine's satisfaction and churn: siloed requests
    that go unresolved raise lapses; with the losses at 0 they do not."""
    hurt = scenario.replace(behaviour__unresolved_request_satisfaction_loss=0.5,
                            behaviour__repeat_contact_satisfaction_loss=0.2)
    quiet = scenario.replace(**QUIET)
    a, q = _totals(hurt), _totals(quiet)
    assert a.loc["none", "lapses"] > q.loc["none", "lapses"]
    assert a.loc["none", "mean_satisfaction"] < q.loc["none", "mean_satisfaction"]
    # Service, which resolves more at the first contact, loses less of it.
    lost = q["mean_satisfaction"] - a["mean_satisfaction"]
    assert lost["service"] < lost["none"]


def test_one_channel_has_no_other_channel_to_ask(scenario):
    store = scenario.channels[0]
    one = scenario.replace(channels=[store], segments=[
        s.model_copy(update={"channel_preference": {store.name: 1.0}}) for s in scenario.segments])
    totals = _totals(one)
    assert (totals["service_requests"] > 0).all()
    assert (totals["service_requests_elsewhere"] == 0).all()


def test_the_contact_price_is_a_valuation_parameter(scenario):
    """Pricing service contacts needs no new run: a revalued run equals a fresh one, and the
    cost to serve in customer values moves by the price x discounted contacts."""
    streams = RandomStreams(scenario.seed)
    run = Simulation(build_world(scenario, streams), streams, RandomTargeting()).run()
    dearer = scenario.replace(economics__service_contact_cost=20.0)
    revalued = revalue_run(run, dearer)
    from simulation.core.metrics import serve_costs

    for s in range(len(run.world.plan_names)):
        difference = serve_costs(revalued, s) - serve_costs(run, s)
        np.testing.assert_allclose(difference, (20.0 - scenario.economics.service_contact_cost)
                                   * run.states[s].service_contacts_discounted.astype(np.float64),
                                   rtol=1e-6, atol=1e-6)


def test_requests_draw_nothing_and_touch_nothing_at_rate_zero(scenario):
    """The neutral value: with no requests the other request parameters are inert, and every
    frame of a run equals the one with other values for them (the saved fingerprints compare
    rate 0 with the commit before the mechanism, bench/fingerprint.py)."""
    off = scenario.replace(behaviour__service_request_rate=0.0)
    other = off.replace(behaviour__service_request_elsewhere_share=0.9,
                        behaviour__first_contact_resolution=0.1,
                        behaviour__unresolved_request_satisfaction_loss=0.9,
                        economics__service_contact_cost=50.0)
    a = simulate_plans(off, PLANS, targeting=RandomTargeting())
    b = simulate_plans(other, PLANS, targeting=RandomTargeting())
    frames_a, frames_b = dict(a.frames()), dict(b.frames())
    assert frames_a.keys() == frames_b.keys()
    for name, frame in frames_a.items():
        pd.testing.assert_frame_equal(frame, frames_b[name], obj=name)
    assert a.kpis["first_contact_resolution"].isna().all()  # no requests, no rate


def test_identity_gate_only_recognised_people_have_their_records_shared(scenario):
    """At identity 0 the service level reaches only people recognised by other means (a loyalty
    card, a login): an unrecognised person's request made elsewhere stays unseen."""
    behaviour = scenario.behaviour
    streams = RandomStreams(scenario.seed)
    person = np.arange(20_000)
    at = requesting(behaviour, streams, 5, 0, person)
    recognised = np.arange(at.size) % 2 == 0
    outcome = service_requests(behaviour, 3, streams, 5, 0, person, at, 1.0 * recognised)
    assert outcome.elsewhere[recognised].sum() > 200
    assert not outcome.unseen[recognised].any()
    np.testing.assert_array_equal(outcome.unseen[~recognised], outcome.elsewhere[~recognised])
    # And in a run: with half recognised by other means, the service plan at identity 0 leaves
    # about half of the requests made elsewhere unseen; with nobody recognised, all of them.
    for r0, share in ((0.5, 0.5), (0.0, 1.0)):
        totals = _totals(scenario.replace(behaviour__recognised_without_identity=r0))
        elsewhere = totals.loc["service", "service_requests_elsewhere"]
        unseen = totals.loc["service", "service_requests_unseen"] / elsewhere
        assert abs(unseen - share) < 4 * np.sqrt(0.25 / elsewhere) + 1e-12
