"""The shipped sample log, ``data/sample_events.csv``: the scenario it was simulated from.

Kept apart from :mod:`simulation.calibration.eventlog` because the sample scenario is built with
the calibration's lever factors (:func:`simulation.calibration.fitting.apply_factors`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from simulation.calibration.eventlog import SAMPLE_LOG_PATH, simulate_event_log
from simulation.calibration.fitting import apply_factors
from simulation.core.scenario import CapabilityLevels, Scenario

SAMPLE_SCENARIO_FACTORS = {"intent": 1.25, "churn": 0.75, "order_value": 1.2}
"""The known scenario of the sample log: the benchmark preset with these factors applied to
every segment's intent rate, churn hazard and order value (see :mod:`simulation.calibration.fitting`)."""
SAMPLE_POPULATION = 6000
SAMPLE_SEED = 20240101
"""A seed other than the preset's, so a fit on the preset meets other people and other luck."""


def sample_scenario() -> Scenario:
    """The known scenario behind ``data/sample_events.csv``."""
    base = Scenario.preset("benchmark_retailer").replace(market__population=SAMPLE_POPULATION,
                                                         seed=SAMPLE_SEED)
    return apply_factors(base, SAMPLE_SCENARIO_FACTORS)


def write_sample_log(path: Path = SAMPLE_LOG_PATH) -> pd.DataFrame:
    """Regenerate the shipped sample log (multichannel plan of :func:`sample_scenario`)."""
    events = simulate_event_log(sample_scenario(), CapabilityLevels.uniform(0.0))
    out = events.assign(timestamp=events["timestamp"].dt.strftime("%Y-%m-%d %H:%M"),
                        amount=events["amount"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}"))
    out.to_csv(path, index=False)
    return events
