"""The capability and KPI registries agree with the scenario's fields and the engine's outputs."""

from __future__ import annotations

import math

import pytest

from simulation import Capability, Results
from simulation.core.capabilities import CAPABILITIES, MECHANISM_BY_KEY, MECHANISMS, own_mechanisms
from simulation.core.kpis import HEADLINE, INTERVALS, KPI_COLUMNS, KPIS, SUMMARY
from simulation.core.scenario import CapabilityCost, CapabilityCosts, CapabilityLevels, Scenario
from simulation.core.tallies import Tally


def test_capability_enum_and_scenario_fields_follow_the_registry_in_order():
    keys = [spec.key.value for spec in CAPABILITIES]
    assert keys == [c.value for c in Capability]
    assert list(CapabilityLevels.model_fields) == keys
    assert list(CapabilityCosts.model_fields) == keys
    assert list(Scenario().custom_plan.model_dump()) == keys


def test_default_costs_are_the_registrys():
    costs = CapabilityCosts()
    for spec in CAPABILITIES:
        assert costs.of(spec.key) == CapabilityCost(**spec.default_cost)
        assert set(spec.default_cost) <= set(CapabilityCost.model_fields)


def test_every_mechanism_is_driven_by_one_capability_and_counted_by_two_tallies():
    driven = [m for spec in CAPABILITIES for m in spec.mechanisms]
    assert sorted(driven) == sorted(MECHANISM_BY_KEY), "each mechanism has exactly one capability"
    for mechanism in MECHANISMS:
        assert isinstance(mechanism.opportunity, Tally) and isinstance(mechanism.event, Tally)
        assert mechanism.opportunity is not mechanism.event
    # every capability but identity (which drives targeting) prevents at least one loss
    assert {c for c in Capability if own_mechanisms(c)} == set(Capability) - {Capability.IDENTITY}


def test_results_have_exactly_the_registrys_kpis_and_mechanisms(small_results: Results):
    assert tuple(small_results.kpis.columns) == KPI_COLUMNS
    assert list(small_results.mechanisms["mechanism"].unique()) == [m.key for m in MECHANISMS]
    for subset in (HEADLINE, SUMMARY, INTERVALS):
        assert set(subset) <= set(KPI_COLUMNS)


def test_kpis_compared_with_the_baseline_are_undefined_or_zero_for_it(small_results: Results):
    baseline = small_results.kpis.iloc[0]
    for kpi in KPIS:
        if kpi.vs_baseline:
            value = float(baseline[kpi.key])
            assert math.isnan(value) or value == pytest.approx(0.0, abs=1e-6), kpi.key
