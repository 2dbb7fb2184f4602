"""Issue 14 items 5-6: satisfaction drifts back to baseline, several journeys a week, channel
breadth as a person's trait; closed forms and neutral values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from simulation import Scenario, simulate
from simulation.core.engine import Simulation
from simulation.core.random_streams import RandomStreams
from simulation.core.tallies import Tally
from simulation.core.targeting import RandomTargeting
from simulation.core.world import build_world
from tests.simulation.core.limiting import constant_hazard_scenario


def _every_week_shopper(intent: float, cap: int, population: int = 20_000) -> Scenario:
    """Everyone a customer from week 0, no churn, no contacts: ``intent`` journeys a week.

    A segment's weekly intent is at most 1 in the inputs; a person's (propensity, reminders,
    offers) is not, so the test sets it above 1 directly (``model_copy`` skips the bound).
    """
    scenario = constant_hazard_scenario(
        purchase_probability=0.5, order_value=10.0, margin=0.4, hazard=0.0,
        discount_rate_annual=0.0, population=population, horizon_weeks=20)
    scenario = scenario.replace(behaviour__max_journeys_per_week=cap)
    return scenario.model_copy(update={
        "segments": [scenario.segments[0].model_copy(update={"intent_rate_weekly": intent})]})


def _run(scenario: Scenario):
    streams = RandomStreams(scenario.seed)
    return Simulation(build_world(scenario, streams), streams, RandomTargeting()).run()


@pytest.mark.parametrize(("intent", "cap", "expected"),
                         [(2.5, 7, 2.5), (2.5, 2, 2.0), (2.5, 1, 1.0), (0.3, 7, 0.3), (6.0, 7, 6.0),
                          (9.2, 7, 7.0)])
def test_journeys_a_week_average_the_intent_up_to_the_cap(intent, cap, expected):
    """The weekly intent is the expected number of journeys: its whole part every week and one
    more with chance its fraction, at most the cap (1 = the old one-journey-a-week model)."""
    n, weeks = 20_000, 20
    run = _run(_every_week_shopper(intent, cap, n))
    journeys = run.weekly[0, :, Tally.JOURNEYS]
    per_person = journeys / n
    fraction = expected - np.floor(expected)
    standard_error = np.sqrt(max(fraction * (1 - fraction), intent * (1 - intent)) / n / weeks)
    assert abs(per_person.mean() - expected) <= 4 * standard_error + 1e-12, (per_person.mean(), expected)
    purchases = run.weekly[0, :, Tally.PURCHASES].sum()
    assert purchases / journeys.sum() == pytest.approx(0.5, abs=0.01)  # each journey buys on its own draw
    assert run.states[0].purchases.max() <= 1 + weeks * min(cap, np.ceil(intent))


def _satisfaction_after(half_life: float, weeks: int, start: float) -> np.ndarray:
    scenario = Scenario.preset("benchmark_retailer").replace(
        market__population=100, behaviour__satisfaction_half_life_weeks=half_life)
    streams = RandomStreams(scenario.seed)
    sim = Simulation(build_world(scenario, streams), streams, RandomTargeting())
    sim.state.satisfaction[:] = np.float32(start)
    for _ in range(weeks):
        sim._touch(np.zeros(0, dtype=np.int64))  # a week in which nobody has an event
        sim._update_satisfaction()
    return sim.state.satisfaction.astype(np.float64)


@pytest.mark.parametrize("half_life", [4.0, 26.0, 52.0])
@pytest.mark.parametrize("start", [0.1, 0.95])
def test_satisfaction_without_events_returns_to_baseline_at_the_half_life(half_life, start):
    """gap(t) = gap(0) x 0.5^(t / half-life): half the gap after one half-life, a quarter after two."""
    base = Scenario.preset("benchmark_retailer").behaviour.baseline_satisfaction
    h = int(half_life)
    for weeks, share in ((h, 0.5), (2 * h, 0.25), (3 * h, 0.125)):
        gap = _satisfaction_after(half_life, weeks, start) - base
        np.testing.assert_allclose(gap, (start - base) * share, rtol=2e-4, atol=2e-6)


def test_a_half_life_of_zero_keeps_satisfaction_where_it_was():
    np.testing.assert_array_equal(_satisfaction_after(0.0, 30, 0.2), np.float32(0.2))


def test_the_customers_satisfaction_sum_follows_the_drift():
    """The weekly satisfaction tally (kept incrementally) equals the customers' actual sum."""
    scenario = Scenario.preset("benchmark_retailer").replace(
        market__population=3000, market__horizon_weeks=60, behaviour__satisfaction_half_life_weeks=8.0)
    streams = RandomStreams(scenario.seed)
    sim = Simulation(build_world(scenario, streams), streams, RandomTargeting())
    sim.run()
    is_customer = sim.layout.is_customer.take(sim.keys.key)
    actual = (sim.state.satisfaction.astype(np.float64) * is_customer).sum(axis=1)
    np.testing.assert_allclose(sim.satisfaction_sum, actual, rtol=1e-5)


def test_the_satisfaction_bound_of_the_churn_step_stays_below_everyone():
    """The lower bound the churn step uses (kept without a pass over every pair) is one, week by week."""
    scenario = Scenario.preset("benchmark_retailer").replace(
        market__population=3000, market__horizon_weeks=40, behaviour__satisfaction_half_life_weeks=6.0,
        behaviour__overmessaging_satisfaction_loss=0.05)
    streams = RandomStreams(scenario.seed)
    sim = Simulation(build_world(scenario, streams), streams, RandomTargeting())
    update = sim._update_satisfaction
    gaps = []

    def checked() -> None:
        update()
        gaps.append(float(sim.state.satisfaction.min()) - float(sim.lowest_satisfaction))

    sim._update_satisfaction = checked  # type: ignore[method-assign]
    sim.run()
    assert len(gaps) == 40 and min(gaps) >= 0.0
    assert min(gaps) == 0.0  # tight while the lowest pair has not moved up since


def _world(**changes):
    scenario = Scenario.preset("benchmark_retailer").replace(market__population=40_000, **changes)
    return scenario, build_world(scenario, RandomStreams(scenario.seed))


def test_channel_breadth_has_its_documented_distribution_and_tie_to_activity():
    _, world = _world(behaviour__channel_breadth_mean=0.4, behaviour__channel_breadth_concentration=3.0,
                      behaviour__channel_breadth_activity_correlation=0.5)
    breadth = world.people.channel_breadth.astype(np.float64)
    # Beta(mean m, a + b = c): mean m, variance m (1 - m) / (c + 1).
    assert breadth.mean() == pytest.approx(0.4, abs=0.005)
    assert breadth.var() == pytest.approx(0.4 * 0.6 / 4.0, rel=0.05)
    # Gaussian copula: the normal scores' correlation is the parameter (rank correlation of a
    # bivariate normal: 6/pi asin(r/2)).
    rho = spearmanr(breadth, world.people.propensity).statistic
    assert rho == pytest.approx(6 / np.pi * np.arcsin(0.25), abs=0.02)
    # The home channel follows the segment's preferences, so the channel mix is kept.
    pref = world.segments.channel_preference[world.people.segment]
    for c in range(pref.shape[1]):
        assert np.mean(world.people.favourite_channel == c) == pytest.approx(pref[:, c].mean(), abs=0.01)


def test_channel_breadth_of_one_draws_nothing():
    _, world = _world(behaviour__channel_breadth_mean=1.0)
    assert world.people.channel_breadth is None


def test_narrow_people_use_fewer_channels_and_breadth_is_only_partly_activity():
    """Lower breadth, fewer several-channel shoppers; with correlation 0 breadth is unrelated to
    how often people shop."""
    def several(mean: float, r: float) -> tuple[float, float]:
        scenario = Scenario.preset("benchmark_retailer").replace(
            market__population=8000, market__horizon_weeks=104, behaviour__channel_breadth_mean=mean,
            behaviour__channel_breadth_activity_correlation=r)
        customers = simulate(scenario).customers.query("strategy == 'multichannel' and purchases > 1")
        bought_in = (customers.filter(like="purchases_") > 0).sum(axis=1)
        return float((bought_in >= 2).mean()), len(customers)

    narrow, _ = several(0.2, 0.0)
    broad, _ = several(1.0, 0.0)
    assert narrow < broad - 0.05
    _, world = _world(behaviour__channel_breadth_mean=0.5,
                      behaviour__channel_breadth_activity_correlation=0.0)
    assert abs(spearmanr(world.people.channel_breadth, world.people.propensity).statistic) < 0.02


def test_journey_tally_counts_every_journey():
    run = _run(_every_week_shopper(3.0, 7, 2000))
    assert run.weekly[0, :, Tally.JOURNEYS].sum() == 3 * 2000 * 20
