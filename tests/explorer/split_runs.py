"""The app's split path without Streamlit's caches: the runs it caches, priced."""

from __future__ import annotations

from explorer import runs
from simulation import Scenario
from simulation.core.api import UnvaluedRun
from simulation.core.results import Results


def lockstep_run(scenario: Scenario) -> runs.LockstepRun:
    """The standard plans' run the app caches for ``scenario`` (with its custom plan beside)."""
    return runs.run_standard(Scenario.from_json(runs.standard_key(scenario)), scenario.custom_plan)


def custom_run(scenario: Scenario) -> UnvaluedRun:
    """The custom plan's run alone, as the app runs it when only the custom plan moved."""
    return runs.run_custom(Scenario.from_json(runs.custom_key(scenario)))


def split_results(scenario: Scenario) -> Results:
    """What the app shows for ``scenario`` (with every output) after simulating it from scratch."""
    return runs.priced(lockstep_run(scenario), None, scenario)
