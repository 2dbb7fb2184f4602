"""Omnichannel Strategy Explorer: a customer-journey simulation engine.

>>> from simulation import Scenario, simulate
>>> results = simulate(Scenario.preset("benchmark_retailer"))
>>> results.kpis[["conversion_rate", "clv", "npv"]]

The names below are loaded on first use, so importing a light module of the package (the
input boundary, the scenario, event logs) does not load the engine and scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulation.api import revalue, simulate, simulate_plans
    from simulation.inputs import InputError
    from simulation.parameters import ScenarioError
    from simulation.results import Results
    from simulation.scenario import APP_VERSION, Capability, CapabilityLevels, Scenario, Strategy

_HOMES = {
    "revalue": "simulation.api", "simulate": "simulation.api", "simulate_plans": "simulation.api",
    "InputError": "simulation.inputs", "ScenarioError": "simulation.parameters",
    "Results": "simulation.results", "APP_VERSION": "simulation.scenario",
    "Capability": "simulation.scenario", "CapabilityLevels": "simulation.scenario",
    "Scenario": "simulation.scenario", "Strategy": "simulation.scenario",
}

__all__ = [
    "APP_VERSION", "Capability", "CapabilityLevels", "InputError", "Results", "Scenario",
    "ScenarioError", "Strategy", "revalue", "simulate", "simulate_plans",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'simulation' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))
