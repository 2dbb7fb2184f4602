"""Event logs: each kind of bad file gets its specific message; the sample log gives back the
known scenario it was simulated from."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from simulation import CapabilityLevels, Scenario
from simulation.calibration.eventlog import (
    SAMPLE_LOG_PATH,
    EventLogError,
    channel_mix,
    event_kpis,
    segment_customers,
    summarise_log,
    validate_events,
)
from simulation.calibration.fitting import EVENT_TARGETS, calibrate
from simulation.calibration.sample_log import SAMPLE_SCENARIO_FACTORS

GOOD = """customer_id,timestamp,channel,event_type,amount
A,2024-01-02 10:00,store,visit,
A,2024-01-02 10:05,store,purchase,50.00
A,2024-03-01,web,purchase,70
A,2024-03-09,web,return,70
B,2024-02-01,web,visit,
"""


def _csv(*lines: str) -> bytes:
    return (GOOD + "".join(line + "\n" for line in lines)).encode()


def test_clean_log_keeps_every_row() -> None:
    log = validate_events(GOOD.encode())
    assert log.problems == [] and len(log.events) == 5 and log.rows_read == 5


def test_missing_columns_are_named_with_the_columns_found() -> None:
    # channel and event_type are optional (an orders export has neither); amount is not.
    with pytest.raises(EventLogError, match=r"missing column: amount \(columns found: "
                                            r"'customer_id', 'timestamp', 'event_type'\) \(the file "
                                            r"was read as UTF-8, comma-separated"):
        validate_events(b"customer_id,timestamp,event_type\nA,2024-01-01,visit\n")


def test_column_mapping_renames_the_files_own_names() -> None:
    text = GOOD.replace("customer_id", "cust").replace("amount", "value")
    log = validate_events(text.encode(), mapping={"customer_id": "cust", "amount": "value"})
    assert len(log.events) == 5


@pytest.mark.parametrize(("line", "reason"), [
    ("C,not a date,store,purchase,10", "date not in the file's format (year-month-day (ISO 8601))"),
    ("C,1800-01-05,store,purchase,10", "date before 1990 or after"),
    ("C,2999-01-05,store,purchase,10", "date before 1990 or after"),
    ("C,2024-01-05,store,purchase,inf", "purchase or return without a finite numeric amount"),
    ("C,2024-01-05,store,purchase,10,extra", "more fields than the header's 5"),
    ("C,2024-01-05,store,purchase,-10", "negative amount"),
    ("C,2024-01-05,store,refund,10", "unknown event type (use visit, purchase or return)"),
    ("C,2024-01-05,store,purchase,", "purchase or return without a finite numeric amount"),
    (",2024-01-05,store,purchase,10", "missing customer id"),
    ("C,2024-01-05,,purchase,10", "missing channel"),
])
def test_each_bad_row_is_dropped_with_its_reason_and_line(line: str, reason: str) -> None:
    log = validate_events(_csv(line, line))
    assert len(log.events) == 5
    [found] = log.dropped["reason"]
    assert found.startswith(reason)
    assert log.dropped.set_index("reason").loc[found, "rows"] == 2
    assert log.problems == [f"{found}: 2 rows dropped (lines 7, 8)"]


def test_empty_and_purchase_free_files_are_refused() -> None:
    with pytest.raises(EventLogError, match="the file is empty"):
        validate_events(b"")
    with pytest.raises(EventLogError, match="no purchase events"):
        validate_events(b"customer_id,timestamp,channel,event_type,amount\nA,2024-01-01,web,visit,\n")
    with pytest.raises(EventLogError, match="no usable rows"):
        validate_events(b"customer_id,timestamp,channel,event_type,amount\nA,2024-01-01,web,refund,\n")
    with pytest.raises(EventLogError, match="dates like 'x' are in no format read here"):
        validate_events(b"customer_id,timestamp,channel,event_type,amount\nA,x,web,visit,\n")


def test_large_logs_are_sampled_by_customer_keeping_whole_histories() -> None:
    full = validate_events(SAMPLE_LOG_PATH)
    sampled = validate_events(SAMPLE_LOG_PATH, max_rows=5000, chunksize=4000)
    assert sampled.sampled_share < 1 and len(sampled.events) < 0.5 * len(full.events)
    kept = sampled.events["customer_id"].unique()
    whole = full.events[full.events["customer_id"].isin(kept)]
    assert len(whole) == len(sampled.events)


def test_kpis_follow_the_engine_definitions_on_a_hand_made_log() -> None:
    events = validate_events(GOOD.encode()).events
    k = event_kpis(events, physical={"store"})
    assert k["visitor_conversion"] == 0.5       # A bought, B only visited
    assert k["aov"] == 60.0                      # gross order values
    assert k["online_share"] == 0.5
    assert k["return_rate"] == 0.5
    assert math.isnan(k["repeat_12m"])           # nobody observed for 12 months
    mix = channel_mix(events, physical={"store"}).set_index(["basis", "group"])["customers"]
    assert mix[("bought", "multi-channel")] == 1


def test_segments_cluster_rfm_and_channel_shares() -> None:
    log = validate_events(SAMPLE_LOG_PATH)
    features, summary = segment_customers(log.events, physical={"store"}, n_segments=3)
    assert len(summary) == 3 and math.isclose(summary["share"].sum(), 1.0)
    assert features["segment"].nunique() == 3


def test_sample_log_recovers_its_known_scenario_within_stated_tolerances() -> None:
    """The sample log was simulated from the benchmark preset with SAMPLE_SCENARIO_FACTORS on
    6,000 people with another seed; the fit runs 5,000 people on the preset's seed, so sampling
    noise is part of the test.
    Tolerances: order value 5%, intent and churn 15%, levers left at 1 (drop-out 25%, channel
    tilt 10%)."""
    base = Scenario.preset("benchmark_retailer")
    log = validate_events(SAMPLE_LOG_PATH)
    assert log.problems == []
    summary = summarise_log(log, scenario=base)
    targets = {k: summary.kpis[k] for k in EVENT_TARGETS}
    fit = calibrate(base.replace(market__horizon_weeks=summary.weeks), targets,
                    levels=CapabilityLevels.uniform(0.0), basis="events", population=5000,
                    max_evaluations=20)
    truth = {"dropout": 1.0, "channel_tilt": 1.0} | SAMPLE_SCENARIO_FACTORS
    tolerance = {"order_value": 0.05, "intent": 0.15, "churn": 0.15, "dropout": 0.25,
                 "channel_tilt": 0.10}
    for lever, factor in truth.items():
        assert math.isclose(fit.factors[lever], factor, rel_tol=tolerance[lever]), (lever, fit.factors)


def test_sample_log_is_small_and_well_formed() -> None:
    assert SAMPLE_LOG_PATH.stat().st_size < 2_000_000
    head = pd.read_csv(SAMPLE_LOG_PATH, nrows=5)
    assert list(head.columns) == ["customer_id", "timestamp", "channel", "event_type", "amount"]
