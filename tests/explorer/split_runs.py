"""The app's split path without Streamlit's caches: the two runs it caches, priced."""

from __future__ import annotations

from explorer import runs
from simulation import Scenario
from simulation.results import Results


def split_runs(scenario: Scenario) -> tuple[Results, Results]:
    """The standard and custom runs the app caches for ``scenario`` (simulated at fixed prices)."""
    return (runs.run_standard(Scenario.from_json(runs.standard_key(scenario))),
            runs.run_custom(Scenario.from_json(runs.custom_key(scenario))))


def split_results(scenario: Scenario) -> Results:
    """What the app shows for ``scenario``: its two runs valued at its prices and joined."""
    return runs.priced(*split_runs(scenario), scenario)
