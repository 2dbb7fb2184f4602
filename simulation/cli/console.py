"""Shared pieces of the command lines: scenario arguments, one-line errors, a progress bar."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from simulation.core.kpis import SUMMARY
from simulation.core.scenario import Scenario
from simulation.core.state import ProgressCallback
from simulation.display import format as fmt
from simulation.display import scenario_file
from simulation.display.labels import kpi_label, plan_name
from simulation.display.text import set_language, text
from simulation.inputs import write_safe_csv


class BadInput(Exception):
    """A problem with what the user gave us, reported in one line (exit code 2)."""


def add_scenario_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the scenario options to ``parser``.

    ``--preset | --scenario``, ``--out``, ``--seed``, ``--population``, ``--currency``.
    """
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--preset", default="benchmark_retailer", help="preset name (see 'presets')")
    source.add_argument("--scenario", help="scenario JSON file (as downloaded from the app)")
    parser.add_argument("--out", help="folder for the CSV files and summary.json")
    parser.add_argument("--seed", type=int, help="override the scenario's seed")
    parser.add_argument("--population", type=int, help="override the simulated population")
    parser.add_argument("--currency", help="convert every money parameter to this ISO code at the "
                        "dated rate of data/exchange_rates.toml (e.g. THB, VND, MYR)")


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """The scenario named by :func:`add_scenario_arguments` (raises ScenarioError if bad).

    A file saved by the app also carries its reader's language, used unless ``--lang`` is given.
    """
    if args.scenario:
        scenario, saved_language = scenario_file.load(args.scenario)
        if saved_language and getattr(args, "lang", None) is None:
            set_language(saved_language)
    else:
        scenario = Scenario.preset(args.preset)
    changes: dict[str, int] = {}
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.population is not None:
        changes["market__population"] = args.population
    scenario = scenario.replace(**changes) if changes else scenario
    currency = getattr(args, "currency", None)
    return scenario.in_currency(currency) if currency else scenario


def progress_bar(fraction: float, message: str) -> None:
    """Draw ``[#####.....]  50%  message`` on standard error (newline when done)."""
    filled = round(30 * fraction)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%}  {message:<60.60}")
    if fraction >= 1:
        sys.stderr.write("\n")
    sys.stderr.flush()


def text_progress(quiet: bool) -> ProgressCallback | None:
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
        raise BadInput(text("cli.cannot_write", folder=out, reason=error.strerror)) from None


def comparison_table(kpis: pd.DataFrame, currency: str) -> str:
    """The command line's KPIs as a fixed-width text table, plans as columns.

    The rows are :data:`simulation.core.kpis.SUMMARY`; each row's label and value come from the
    KPI registry's one formatter.
    """
    rows = []
    baseline = str(kpis.index[0])
    for column in SUMMARY:
        cells = [fmt.kpi(column, float(v), currency, exact=True) for v in kpis[column]]
        rows.append([kpi_label(column, baseline=baseline), *cells])
    header = ["", *(plan_name(str(p)) for p in kpis.index)]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                  for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in [header, *rows]
    ]
    return "\n".join(lines)
