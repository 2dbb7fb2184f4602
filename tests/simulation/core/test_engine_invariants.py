"""Fairness of the comparison: common random numbers, reproducibility, capability isolation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation import Capability, CapabilityLevels, Scenario, simulate, simulate_plans
from simulation.core import engine
from simulation.core.capabilities import MECHANISMS, own_mechanisms
from simulation.core.recognition import GATED_BY_IDENTITY
from simulation.core.tallies import LossCause

OWN_MECHANISMS = {c: own_mechanisms(c) for c in Capability}
"""The mechanisms each capability lowers, from the registry (identity drives targeting instead:
tests/simulation/core/test_personalization.py)."""
BINOMIAL_MECHANISMS = [m.key for m in MECHANISMS if m.loss and m.key != "over_messaging"]
"""Loss mechanisms whose events are binomial draws per opportunity (over-messaging counts the
contacts above the cap, so its rate is checked apart)."""


@pytest.fixture(scope="module")
def one_at_a_time(small_scenario: Scenario) -> dict[bool, pd.DataFrame]:
    """Mechanism rates of each capability alone, as the scenario has it (False) and with everyone
    recognised by other means (True): context and service act only on recognised people, so
    their full effect is measured there (the gate itself: test_identity_gate.py)."""
    zero = CapabilityLevels.uniform(0.0)
    plans = {"none": zero} | {c.value: zero.model_copy(update={c.value: 1.0}) for c in Capability}
    scenario = small_scenario.replace(market__population=8000)
    return {everyone: simulate_plans(scenario.replace(behaviour__recognised_without_identity=1.0)
                                     if everyone else scenario, plans).mechanisms
            for everyone in (False, True)}


def _frames_equal(a, b) -> None:
    for name, frame in a.frames().items():
        pd.testing.assert_frame_equal(frame.reset_index(drop=True), b.frames()[name].reset_index(drop=True))


def _rows(results, strategy: str) -> dict[str, pd.DataFrame]:
    out = {}
    for name, frame in results.frames().items():
        if "strategy" in frame.columns:
            out[name] = frame[frame["strategy"] == strategy].drop(columns="strategy").reset_index(drop=True)
    return out


@pytest.mark.parametrize("level, twin", [(0.0, "multichannel"), (1.0, "omnichannel")])
def test_custom_plan_at_uniform_level_reproduces_its_twin_bit_for_bit(small_scenario, level, twin):
    results = simulate(small_scenario.replace(custom_plan=CapabilityLevels.uniform(level).model_dump()))
    custom, other = _rows(results, "custom"), _rows(results, twin)
    for name in custom:
        if name == "kpis":
            continue  # npv_gain/roi/payback are relative to multichannel by definition
        pd.testing.assert_frame_equal(custom[name], other[name], check_exact=True)
    kpis = results.kpis.drop(columns=["roi", "payback_week", "npv_gain"])
    assert kpis.loc["custom"].equals(kpis.loc[twin])
    customers = results.customers
    a = customers[customers["strategy"] == "custom"].drop(columns="strategy").reset_index(drop=True)
    b = customers[customers["strategy"] == twin].drop(columns="strategy").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_same_scenario_and_seed_give_identical_numbers(small_scenario):
    _frames_equal(simulate(small_scenario), simulate(small_scenario))


def test_drawing_ahead_in_a_thread_gives_identical_numbers(small_scenario, monkeypatch):
    """At large N the whole-population draws are prepared in a background thread."""
    alone = simulate(small_scenario)
    monkeypatch.setattr(engine, "DRAW_AHEAD_FROM_PEOPLE", 1)
    ahead = simulate(small_scenario)
    pd.testing.assert_frame_equal(ahead.weekly, alone.weekly)
    pd.testing.assert_frame_equal(ahead.customers, alone.customers)


def test_plan_results_do_not_depend_on_the_plans_run_beside_it(small_scenario):
    plan = small_scenario.custom_plan
    alone = simulate_plans(small_scenario, {"custom": plan})
    crowd = simulate_plans(small_scenario, {"a": CapabilityLevels.uniform(0.3), "custom": plan})
    columns = ["conversion_rate", "retention_12m", "revenue", "clv", "npv"]
    assert alone.kpis.loc["custom", columns].equals(crowd.kpis.loc["custom", columns])


def _binomial_se(rate: float, n: float) -> float:
    return float(np.sqrt(max(rate * (1 - rate), 1e-12) / max(n, 1)))


def test_another_seed_gives_different_numbers_within_the_confidence_interval(small_scenario):
    a = simulate(small_scenario).kpis
    b = simulate(small_scenario.replace(seed=small_scenario.seed + 1)).kpis
    assert not a["revenue"].equals(b["revenue"])
    reached = small_scenario.market.population * 0.8
    for strategy in a.index:
        rate = a.loc[strategy, "conversion_rate"]
        se = _binomial_se(rate, reached) * np.sqrt(2)
        assert abs(rate - b.loc[strategy, "conversion_rate"]) < 4 * se
        assert b.loc[strategy, "revenue"] == pytest.approx(a.loc[strategy, "revenue"], rel=0.08)


def test_channel_order_changes_results_only_within_monte_carlo_error(small_scenario):
    reordered = small_scenario.replace(channels=list(reversed(small_scenario.channels)))
    a, b = simulate(small_scenario).kpis, simulate(reordered).kpis
    reached = small_scenario.market.population * 0.8
    for strategy in a.index:
        for column in ("conversion_rate", "retention_12m", "repeat_rate"):
            rate = a.loc[strategy, column]
            se = np.sqrt(2) * _binomial_se(rate, reached / 2)
            assert abs(rate - b.loc[strategy, column]) < 4 * se, column
        assert b.loc[strategy, "revenue"] == pytest.approx(a.loc[strategy, "revenue"], rel=0.08)
        assert b.loc[strategy, "clv"] == pytest.approx(a.loc[strategy, "clv"], rel=0.08)


@pytest.mark.parametrize("capability", list(Capability), ids=str)
def test_each_capability_moves_only_its_own_mechanism(one_at_a_time, capability):
    table = one_at_a_time[capability in GATED_BY_IDENTITY].set_index(["strategy", "mechanism"])
    own = OWN_MECHANISMS[capability]
    for mechanism in own:
        before = table.loc[("none", mechanism), "rate"]
        after = table.loc[(capability.value, mechanism), "rate"]
        assert after < 0.5 * before, f"{capability} should cut the {mechanism} rate: {before} -> {after}"
    for mechanism in BINOMIAL_MECHANISMS:
        if mechanism in own:
            continue
        base = table.loc[("none", mechanism)]
        moved = table.loc[(capability.value, mechanism)]
        se = np.hypot(_binomial_se(base["rate"], base["opportunities"]),
                      _binomial_se(moved["rate"], moved["opportunities"]))
        assert abs(moved["rate"] - base["rate"]) < 4 * se + 1e-9, (capability, mechanism)
    if capability is not Capability.ORCHESTRATION:
        base = table.loc[("none", "over_messaging"), "rate"]
        assert table.loc[(capability.value, "over_messaging"), "rate"] == pytest.approx(base, rel=0.05)


@pytest.mark.parametrize("capability, cause", [
    (Capability.CONTEXT, LossCause.LOST_CONTEXT),
    (Capability.INVENTORY, LossCause.STOCK_OUT),
    (Capability.CONSISTENCY, LossCause.CONFLICT),
    (Capability.ORCHESTRATION, LossCause.OVER_MESSAGING_CHURN),
])
def test_capability_lowers_the_lost_sales_it_is_meant_to_prevent(small_scenario, capability, cause):
    zero = CapabilityLevels.uniform(0.0)
    plans = {"none": zero, "with": zero.model_copy(update={capability.value: 1.0})}
    if capability in GATED_BY_IDENTITY:  # its full effect: everyone recognised
        small_scenario = small_scenario.replace(behaviour__recognised_without_identity=1.0)
    losses = simulate_plans(small_scenario, plans).losses.set_index(["strategy", "cause"])
    rate = losses["per_1000_journeys"]
    assert rate[("with", cause)] < 0.5 * rate[("none", cause)]


def test_engine_does_not_import_streamlit():
    import subprocess
    import sys

    code = "import sys, simulation; simulation.simulate; assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)



def test_many_plans_in_one_run_give_each_plan_its_own_numbers(small_scenario):
    """45 plans need 32-bit contact keys (16 bits suffice for a few): same numbers either way."""
    tiny = small_scenario.replace(market__population=800, market__horizon_weeks=40)
    plan = tiny.custom_plan
    crowd = {f"p{i}": CapabilityLevels.uniform(i / 44) for i in range(44)} | {"custom": plan}
    many = simulate_plans(tiny, crowd).kpis.loc["custom"]
    alone = simulate_plans(tiny, {"custom": plan}).kpis.loc["custom"]
    columns = ["conversion_rate", "retention_12m", "revenue", "clv", "npv"]
    assert many[columns].equals(alone[columns])


def test_purchase_counters_hold_the_most_a_person_can_buy():
    """Counters are uint8 only while one journey a week keeps the bound under 256; with several
    journeys a week (issue 14) they widen, so a heavy buyer never wraps around."""
    from simulation.core.state import count_dtype, most_purchases

    assert count_dtype(most_purchases(156, 1)) is np.uint8
    assert count_dtype(most_purchases(156, 7)) is np.uint16
    assert count_dtype(most_purchases(255, 1)) is np.uint16
