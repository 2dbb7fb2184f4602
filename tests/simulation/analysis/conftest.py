"""Small scenarios for the analyses: 2,000 people over one year run in about 0.05 s per plan."""

from __future__ import annotations

import pytest

from simulation import Scenario


@pytest.fixture(scope="session")
def tiny_scenario(default_scenario: Scenario) -> Scenario:
    return default_scenario.replace(market__population=2000, market__horizon_weeks=52)
