"""Omnichannel Strategy Explorer: a customer-journey simulation engine.

>>> from simulation import Scenario, simulate
>>> results = simulate(Scenario.preset("benchmark_retailer"))
>>> results.kpis[["conversion_rate", "clv", "npv"]]

The names below are loaded on first use, so importing a light module of the package (the
input boundary, the scenario, event logs) does not load the engine and scikit-learn.
``set_threads(n)`` sets how many threads the compiled kernels use in this process (default:
``OMNICHANNEL_THREADS``, else one thread; see :mod:`simulation.core.kernels.threads`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulation.core.api import revalue, simulate, simulate_plans
    from simulation.core.kernels.threads import set_threads
    from simulation.core.parameters import ScenarioError
    from simulation.core.results import Results
    from simulation.core.scenario import APP_VERSION, Capability, CapabilityLevels, Plan, Scenario
    from simulation.inputs import InputError

_HOMES = {
    "revalue": "simulation.core.api", "simulate": "simulation.core.api",
    "simulate_plans": "simulation.core.api",
    "InputError": "simulation.inputs", "ScenarioError": "simulation.core.parameters",
    "Results": "simulation.core.results", "APP_VERSION": "simulation.core.scenario",
    "Capability": "simulation.core.scenario", "CapabilityLevels": "simulation.core.scenario",
    "Scenario": "simulation.core.scenario", "Plan": "simulation.core.scenario",
    "Strategy": "simulation.core.scenario", "set_threads": "simulation.core.kernels.threads",
}

__all__ = [
    "APP_VERSION",
    "Capability",
    "CapabilityLevels",
    "InputError",
    "Plan",
    "Results",
    "Scenario",
    "ScenarioError",
    "Strategy",
    "revalue",
    "set_threads",
    "simulate",
    "simulate_plans",
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
