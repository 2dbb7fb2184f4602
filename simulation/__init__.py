"""Omnichannel Strategy Explorer: a customer-journey simulation engine.

>>> from simulation import Scenario, simulate
>>> results = simulate(Scenario.preset("benchmark_retailer"))
>>> results.kpis[["conversion_rate", "clv", "npv"]]
"""

from simulation.api import revalue, simulate, simulate_plans
from simulation.inputs import InputError
from simulation.parameters import ScenarioError
from simulation.results import Results
from simulation.scenario import APP_VERSION, Capability, CapabilityLevels, Scenario, Strategy

__all__ = [
    "APP_VERSION",
    "Capability",
    "CapabilityLevels",
    "InputError",
    "Results",
    "Scenario",
    "ScenarioError",
    "Strategy",
    "revalue",
    "simulate",
    "simulate_plans",
]
