"""The scenario object: validation messages, JSON and URL round trips, presets, replace()."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from simulation import Scenario, ScenarioError
from simulation.core.parameters import field_info
from simulation.core.presets import preset_names

REQUIRED_PRESETS = {"benchmark_retailer", "fashion", "electronics", "banking", "grocery", "small_business"}


def test_json_round_trip_is_exact(default_scenario, tmp_path):
    path = tmp_path / "scenario.json"
    default_scenario.to_json(path)
    restored = Scenario.from_json(path)
    assert restored == default_scenario
    assert restored.to_json() == default_scenario.to_json()


def test_url_token_round_trip_is_exact(default_scenario):
    changed = default_scenario.replace(seed=42, custom_plan={"inventory": 0.35})
    assert Scenario.from_url_token(changed.to_url_token()) == changed


def test_damaged_url_token_raises_a_specific_error(default_scenario):
    with pytest.raises(ScenarioError, match="damaged or truncated"):
        Scenario.from_url_token(default_scenario.to_url_token()[:-12])


def test_invalid_scenario_names_every_bad_field_and_why(default_scenario):
    data = json.loads(default_scenario.to_json())
    data["channels"][2]["conversion"] = 1.7
    data["market"]["population"] = 5
    data["behaviour"]["unknown_knob"] = 1
    with pytest.raises(ScenarioError) as caught:
        Scenario.validated(data)
    problems = caught.value.problems
    assert "channels[2].conversion: 1.7 is above 1.0" in problems
    assert "market.population: 5 is below 100" in problems
    assert "behaviour.unknown_knob: is not a known parameter" in problems
    assert len(problems) == 3


def test_cross_field_problems_are_reported_per_field(default_scenario):
    data = json.loads(default_scenario.to_json())
    data["segments"][0]["share"] = 0.9
    data["segments"][1]["channel_preference"] = {"fax": 1.0}
    with pytest.raises(ScenarioError) as caught:
        Scenario.validated(data)
    text = "\n".join(caught.value.problems)
    assert "shares add up to" in text
    assert "segments[1].channel_preference: unknown channels ['fax']" in text


def test_malformed_json_is_reported_with_its_position():
    with pytest.raises(ScenarioError, match=r"not valid JSON: .* line 1 column"):
        Scenario.from_json('{"seed": 1,,}')


def test_replace_changes_nested_fields_and_revalidates(default_scenario):
    changed = default_scenario.replace(market__population=5000, custom_plan={"identity": 0.0})
    assert changed.market.population == 5000
    assert changed.custom_plan.identity == 0.0
    assert changed.custom_plan.context == default_scenario.custom_plan.context
    with pytest.raises(ScenarioError, match=r"market\.population: 1 is below 100"):
        default_scenario.replace(market__population=1)
    with pytest.raises(ScenarioError, match="not a known parameter"):
        default_scenario.replace(nothing__here=1)


def test_every_required_preset_exists_and_loads():
    assert set(preset_names()) >= REQUIRED_PRESETS
    for name in preset_names():
        scenario = Scenario.preset(name)
        assert scenario.name == name
        assert scenario.description


def test_unknown_preset_lists_the_choices():
    with pytest.raises(ScenarioError, match="does not exist; choose one of"):
        Scenario.preset("nonexistent")


def test_every_numeric_field_declares_unit_meaning_and_source(default_scenario):
    def walk(model, path):
        for name in type(model).model_fields:
            value = getattr(model, name)
            if isinstance(value, BaseModel):
                yield from walk(value, f"{path}{name}.")
            elif isinstance(value, tuple):
                for i, item in enumerate(value):
                    yield from walk(item, f"{path}{name}[{i}].")
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                yield field_info(model, name, path + name)

    infos = list(walk(default_scenario, ""))
    assert len(infos) > 60
    for info in infos:
        assert info.unit and info.meaning and info.source, info.path
        assert info.minimum is not None and info.maximum is not None, info.path


@pytest.mark.parametrize("name", sorted(REQUIRED_PRESETS))
def test_every_preset_simulates_to_finite_kpis(name):
    import numpy as np

    from simulation import simulate

    results = simulate(Scenario.preset(name).replace(market__population=1500, market__horizon_weeks=52))
    money = results.kpis[["revenue", "gross_margin", "net_contribution", "npv", "clv"]].to_numpy()
    assert np.isfinite(money).all()
    assert (results.kpis["revenue"] > 0).all()


def test_the_remembered_canonical_key_is_each_scenarios_own_and_goes_with_it():
    import gc

    from simulation.core import scenario as scenario_module

    base = Scenario.preset("benchmark_retailer")
    moved = base.replace(market__population=1234)
    assert base.canonical_key() != moved.canonical_key()
    for s in (base, moved):
        assert s.canonical_key() == json.dumps(s.model_dump(mode="json"), sort_keys=True,
                                               separators=(",", ":"))
        assert Scenario.from_json(s.canonical_key()) == s
    held = id(moved)
    del moved, s
    gc.collect()
    assert held not in scenario_module._KEYS
