"""Shapley values: the pure function against known games, and the engine's split of the gain."""

from __future__ import annotations

from itertools import combinations

import pytest

from simulation import Capability, Scenario, simulate
from simulation.analysis.runs import Execution
from simulation.analysis.shapley import SwitchedOn, capability_value, shapley_values, subset_plans
from simulation.core.scenario import CapabilityLevels

PLAYERS = ["a", "b", "c", "d"]


def _subsets(players):
    return [frozenset(s) for k in range(len(players) + 1) for s in combinations(players, k)]


def test_additive_game_gives_each_player_its_own_worth():
    worth = {"a": 3.0, "b": -1.5, "c": 0.0, "d": 10.0}
    game = {s: 7.0 + sum(worth[p] for p in s) for s in _subsets(PLAYERS)}
    assert shapley_values(game, PLAYERS) == pytest.approx(worth)


def test_symmetric_game_splits_the_total_equally():
    game = {s: len(s) ** 2 for s in _subsets(PLAYERS)}
    values = shapley_values(game, PLAYERS)
    assert values == pytest.approx({p: 16 / 4 for p in PLAYERS})


def test_glove_game_matches_the_textbook_values():
    # One left glove (a) and two right gloves (b, c); a pair is worth 1 (Osborne and Rubinstein).
    players = ["a", "b", "c"]
    game = {s: float("a" in s and bool(s & {"b", "c"})) for s in _subsets(players)}
    assert shapley_values(game, players) == pytest.approx({"a": 2 / 3, "b": 1 / 6, "c": 1 / 6})


def test_pure_function_is_efficient_and_zero_for_a_null_player():
    game = {s: (2.0 * ("a" in s) + 5.0 * ("a" in s and "b" in s) - 1.0 * len(s & {"b", "c"}))
            for s in _subsets(PLAYERS)}
    values = shapley_values(game, PLAYERS)
    assert sum(values.values()) == pytest.approx(game[frozenset(PLAYERS)] - game[frozenset()])
    assert values["d"] == 0.0


def test_capabilities_with_equal_on_and_off_levels_are_left_out():
    on = CapabilityLevels(identity=1, context=0.5, consistency=0, orchestration=0, inventory=0,
                          service=0)
    players, plans = subset_plans(on)
    assert players == ["identity", "context"]
    assert list(plans) == ["none", "identity", "context", "identity+context"]


@pytest.fixture(scope="module")
def service_switched_off(tiny_scenario: Scenario) -> Scenario:
    """No return is ever made in another channel (so none is taken back in a store: no
    friction, exchange or carriage saved), a returns-anywhere policy does not change buying,
    every service request is made in the channel that holds the order (so sharing records
    changes nothing), and the service capability costs nothing."""
    return tiny_scenario.replace(
        behaviour__cross_channel_return_share=0.0,
        behaviour__service_request_elsewhere_share=0.0,
        behaviour__returns_policy_uplift=0.0,
        capability_costs__service__one_off_cost=0.0,
        capability_costs__service__one_off_per_store=0.0,
        capability_costs__service__running_cost_weekly=0.0,
    )


@pytest.fixture(scope="module")
def split(service_switched_off: Scenario):
    return capability_value(service_switched_off, switched_on=SwitchedOn.FULL,
                            execution=Execution(n_jobs=1))


def test_shapley_values_sum_to_the_omnichannel_gain_of_a_plain_run(split, service_switched_off):
    assert len(split.subsets) == 64
    total = simulate(service_switched_off).kpis.loc["omnichannel", "npv_gain"]
    assert split.values["npv_value"].sum() == pytest.approx(total, rel=1e-9, abs=1e-6)
    assert split.total_npv_gain == pytest.approx(total, rel=1e-12)
    assert split.values["clv_value"].sum() == pytest.approx(split.total_clv_gain, rel=1e-9)


def test_shapley_value_is_zero_for_a_capability_whose_mechanism_is_switched_off(split):
    service = split.values.set_index("capability").loc[Capability.SERVICE.value]
    assert service["npv_value"] == pytest.approx(0.0, abs=1e-6)
    assert service["clv_value"] == pytest.approx(0.0, abs=1e-9)
    others = split.values.set_index("capability").drop(Capability.SERVICE.value)
    assert (others["npv_value"].abs() > 1.0).all()
