"""Pieces of the report: plain names, readable CSV columns, the verdict's wording, provenance."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from simulation import Capability, Scenario
from simulation.display.labels import (
    capability_names,
    explain,
    glossary,
    levels_description,
    readable_columns,
)
from simulation.report import figures
from simulation.report.verdict import Verdict


def _verdict(p: float | None) -> Verdict:
    return Verdict(currency="USD", npv_gain=2e6, probability=p, probability_low=None,
                   probability_high=None, gain_p05=-1e5 if p is not None else None,
                   gain_p95=4e6 if p is not None else None, fund_first="Shared inventory",
                   break_even_budget=5e6, planned_budget=2e6, runs=30, population=20_000)


def test_every_capability_has_one_plain_name_and_a_glossary_entry():
    names = capability_names()
    assert list(names) == [c.value for c in Capability]
    assert len(set(names.values())) == len(names)
    assert all(name in glossary() for name in names.values())
    described = levels_description((0, 1, 0, 0, 0.5, 0))
    assert described == "Cart and journey continuity 100%, Shared inventory 50%"
    assert explain(["Network fill rate", "Gross margin"]).startswith("*Network fill rate*: share")


def test_csv_columns_are_readable_with_units_and_plan_names():
    frame = pd.DataFrame({"strategy": ["multichannel"], "conversion_rate": [0.4], "npv": [1.0],
                          "capability": ["identity"], "q05": [1.0], "cause": ["stock_out"]})
    out = readable_columns(frame, "EUR")
    assert list(out.columns) == ["Plan", "Conversion (newly reached; share 0-1)",
                                 "NPV after all costs (EUR)", "Capability", "5th percentile of runs",
                                 "Cause"]
    assert out.iloc[0]["Plan"] == "Multichannel" and out.iloc[0]["Capability"] == "Unified customer ID"
    assert out.iloc[0]["Cause"] == "stock-out"


def test_verdict_says_which_plan_and_how_sure():
    assert _verdict(0.95).plan == "omnichannel" and "very likely" in _verdict(0.95).sentence()
    assert _verdict(0.75).how_sure() == "likely"
    assert _verdict(0.5).sentence().startswith("Too close to call")
    assert _verdict(0.05).plan == "multichannel" and "Keep the channels separate" in _verdict(0.05).sentence()
    assert "still being worked out" in _verdict(None).sentence()
    assert "$4.00M" in _verdict(0.95).sentence() and "-$100k" in _verdict(0.95).sentence()


def test_exported_chart_carries_scenario_seed_version_date_and_source():
    scenario = Scenario.preset("fashion")
    fig = figures.stamped(go.Figure(layout={"title": {"text": "A chart"}, "height": 400}), scenario,
                          dt.date(2026, 11, 30))
    title = fig.layout.title.text
    assert title.startswith("A chart<br>")
    assert f'Scenario "{scenario.name}", seed {scenario.seed}' in title and "2026-11-30" in title
    assert figures.source() in title and fig.layout.height == 430
    page = figures.page_html(fig, "My chart")
    assert "<title>My chart</title>" in page


def test_believe_thresholds_read_in_words_with_not_reached_said_plainly():
    from simulation.display.text import use_language
    from simulation.report.document import threshold_cell

    row = {"low": 0.2, "high": 1.0, "base": 0.6, "gain_base": 1e5, "converged": True, "pays_above": True,
           "threshold": 0.4213}
    assert threshold_cell(pd.Series(row)) == "above 0.421"
    assert threshold_cell(pd.Series({**row, "pays_above": False, "converged": False})) == "below ≈ 0.421"
    whole = threshold_cell(pd.Series({**row, "threshold": float("nan")}))
    assert whole == "pays across the whole range: the threshold is not reached between 0.2 and 1"
    never = threshold_cell(pd.Series({**row, "threshold": float("nan"), "gain_base": -1.0}))
    assert never.startswith("does not pay anywhere") and "not reached between 0.2 and 1" in never
    with use_language("th"):
        assert threshold_cell(pd.Series(row)) == "สูงกว่า 0.421"
