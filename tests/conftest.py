"""Shared fixtures: small scenarios that run in well under a second."""

from __future__ import annotations

import pytest

from simulation import Scenario, simulate
from simulation.core.results import Results


@pytest.fixture(scope="session")
def default_scenario() -> Scenario:
    return Scenario.preset("benchmark_retailer")


@pytest.fixture(scope="session")
def small_scenario(default_scenario: Scenario) -> Scenario:
    """The default preset at 4,000 people over two years."""
    return default_scenario.replace(market__population=4000, market__horizon_weeks=104)


@pytest.fixture(scope="session")
def small_results(small_scenario: Scenario) -> Results:
    return simulate(small_scenario)
