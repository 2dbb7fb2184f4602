"""Shared pieces of the command lines: scenario arguments, one-line errors, a progress bar."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from simulation.core.scenario import Scenario
from simulation.inputs import write_safe_csv


class BadInput(Exception):
    """A problem with what the user gave us, reported in one line (exit code 2)."""


def add_scenario_arguments(parser: argparse.ArgumentParser) -> None:
    """``--preset | --scenario``, ``--out``, ``--seed``, ``--population``."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--preset", default="benchmark_retailer", help="preset name (see 'presets')")
    source.add_argument("--scenario", help="scenario JSON file (as downloaded from the app)")
    parser.add_argument("--out", help="folder for the CSV files and summary.json")
    parser.add_argument("--seed", type=int, help="override the scenario's seed")
    parser.add_argument("--population", type=int, help="override the simulated population")


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """The scenario named by :func:`add_scenario_arguments` (raises ScenarioError if bad)."""
    scenario = Scenario.from_file(args.scenario) if args.scenario else Scenario.preset(args.preset)
    changes: dict[str, int] = {}
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.population is not None:
        changes["market__population"] = args.population
    return scenario.replace(**changes) if changes else scenario


def progress_bar(fraction: float, message: str) -> None:
    """Draw ``[#####.....]  50%  message`` on standard error (newline when done)."""
    filled = round(30 * fraction)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%}  {message:<60.60}")
    if fraction >= 1:
        sys.stderr.write("\n")
    sys.stderr.flush()


def text_progress(quiet: bool) -> Callable[[float, str], None] | None:
    """:func:`progress_bar`, or nothing when ``quiet``."""
    return None if quiet else progress_bar


def write_outputs(results_frames: dict[str, pd.DataFrame], summary: dict[str, object], out: Path) -> None:
    """Each frame as ``<name>.csv`` and the summary as ``summary.json`` in ``out``."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, frame in results_frames.items():
            write_safe_csv(frame, out / f"{name}.csv")
        (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    except OSError as error:
        raise BadInput(f"cannot write to {out}: {error.strerror}") from None


SUMMARY_COLUMNS = {
    "conversion_rate": ("Conversion (first buyers / reached)", "{:.1%}"),
    "retention_12m": ("Not lapsed 12 months on (model-only)", "{:.1%}"),
    "repeat_rate": ("Repeat-purchase rate", "{:.1%}"),
    "aov": ("Average order value", "{:,.2f}"),
    "purchases_per_customer_year": ("Purchases per active customer-year (model)", "{:.2f}"),
    "revenue": ("Revenue", "{:,.0f}"),
    "integration_cost": ("Integration cost", "{:,.0f}"),
    "net_contribution": ("Net contribution", "{:,.0f}"),
    "clv": ("CLV per customer", "{:,.2f}"),
    "npv": ("NPV", "{:,.0f}"),
    "npv_gain": ("NPV gain vs multichannel", "{:,.0f}"),
    "payback_week": ("Payback week", "{:.0f}"),
}


def comparison_table(kpis: pd.DataFrame) -> str:
    """The headline KPIs as a fixed-width text table, strategies as columns."""
    rows = []
    baseline = str(kpis.index[0])
    for column, (label, fmt) in SUMMARY_COLUMNS.items():
        label = label.replace("multichannel", baseline)
        cells = ["-" if pd.isna(v) else fmt.format(v) for v in kpis[column]]
        rows.append([label, *cells])
    header = ["", *kpis.index]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                  for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in [header, *rows]
    ]
    return "\n".join(lines)
