"""Command line of calibration and evidence: ``python -m simulation calibrate|evidence``.

``calibrate`` fits the hidden base parameters to KPIs given as ``--kpi name=value`` or measured
from an event log or orders export (``--events FILE``, with ``--map standard=column`` for other
column names and ``--map channel=const:web`` for a constant), with the targets chosen by
``--target`` (a target the log cannot give is skipped with a note), prints target vs fitted and
the plans projected from there over the scenario's horizon; ``--holdout`` first fits on the
log's first part and prints predicted vs actual for the rest. ``--out`` writes the tables and the
calibrated scenario (JSON, loadable in the app). ``evidence`` prints each published
benchmark beside the model's figure measured the study's way. Bad input exits 2 in one line.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.calibration import cohorts
from simulation.calibration.eventlog import EventLogError, summarise_log, validate_events
from simulation.calibration.evidence import evidence_table
from simulation.calibration.fitting import (
    KPI_SPECS,
    LOG_POPULATION,
    CalibrationError,
    calibrate,
    log_start,
    project,
    projected_scenario,
)
from simulation.calibration.holdout import Holdout, holdout_check, targets_from_log
from simulation.cli.console import (
    BadInput,
    add_scenario_arguments,
    comparison_table,
    help_text,
    scenario_from_args,
    text_progress,
    write_outputs,
)
from simulation.core.scenario import CapabilityLevels
from simulation.display import calibration_charts as cc
from simulation.display import format as fmt
from simulation.display.text import say, text


def _pairs(items: list[str], what: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise BadInput(text("cli.bad.pair", option=what, item=repr(item)))
        pairs[name.strip()] = value.strip()
    return pairs


_DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|", "space": " "}


def _kpi_targets(items: list[str]) -> dict[str, float]:
    targets = {}
    for name, given in _pairs(items, "--kpi").items():
        if name not in KPI_SPECS:
            raise BadInput(text("cli.bad.unknown_kpi", name=repr(name), known=", ".join(KPI_SPECS)))
        try:
            targets[name] = float(given)
        except ValueError:
            raise BadInput(text("cli.bad.not_number", name=name, value=repr(given))) from None
        if not math.isfinite(targets[name]):
            raise BadInput(text("cli.bad.not_finite", name=name, value=repr(given)))
    return targets


def command_calibrate(args: argparse.Namespace) -> int:
    """Fit the model to ``--kpi`` values or an ``--events`` log, print the fit and projection; exit code 0.

    With ``--holdout`` an event log is first fitted on its early weeks and checked on the rest;
    ``--out`` writes the tables and ``calibrated_scenario.json``.
    """
    scenario = scenario_from_args(args)
    if not 0 <= args.level <= 1:
        raise BadInput(text("cli.bad.level", value=args.level))
    levels = CapabilityLevels.uniform(args.level)
    if args.events and args.lapse is None:
        args.lapse = "purchase"
    try:
        if args.events:
            try:
                log = validate_events(Path(args.events), mapping=_pairs(args.map, "--map"),
                                      delimiter=_DELIMITERS.get(args.delimiter, args.delimiter),
                                      decimal=args.decimal, day_first=args.day_first)
            except OSError as error:
                raise BadInput(text("cli.bad.events", file=args.events, reason=error.strerror)) from None
            summary = summarise_log(log, scenario=scenario)
            for line in [*log.notes, *summary.notes, *log.problems]:
                print(f"- {say(line)}")
            unknown = [t for t in args.target if t not in KPI_SPECS and t not in cohorts.WINDOW_KINDS]
            if unknown:
                raise BadInput(text("cli.bad.target", names=", ".join(unknown),
                                    known=", ".join([*cohorts.WINDOW_KINDS, *KPI_SPECS])))
            if args.holdout is not None:
                check = holdout_check(summary.purchases, scenario, levels=levels,
                                      split=args.holdout or None, progress=text_progress(args.quiet),
                                      lapse=args.lapse)
                _print_holdout(check)
            targets: dict[str, float | None] = targets_from_log(summary.kpis, summary.purchases,
                                                                args.target or None)
            fit = calibrate(scenario, targets, levels=levels, gross_margin=args.margin,
                            skip_unusable=True, progress=text_progress(args.quiet), basis="cohort",
                            acquisition=cohorts.Acquisition.of(summary.purchases,
                                                               stretch=args.lapse == "purchase"),
                            lapse=args.lapse,
                            population=LOG_POPULATION,
                            start=log_start(summary.purchases, scenario, args.lapse))
        else:
            if not args.kpi:
                raise BadInput(text("cli.bad.no_targets"))
            fit = calibrate(scenario, _kpi_targets(args.kpi), levels=levels, gross_margin=args.margin,
                            progress=text_progress(args.quiet), basis="cohort",
                            lapse="hazard" if args.lapse is None else args.lapse)
    except (CalibrationError, EventLogError) as error:
        raise BadInput(error.one_line(say)) from None
    for note in fit.skipped:
        print(f"- {say(note)}")
    print(text("cli.calibration_fit", level=fmt.percent(args.level, digits=0), count=fit.evaluations))
    print(cc.target_table(fit).to_string(index=False))
    for message in fit.messages:
        print(f"- {say(message)}")
    projection = project(fit)
    print("\n" + text("cli.projected"))
    print(comparison_table(projection.kpis, scenario.market.currency))
    if args.out:
        frames: dict[str, Any] = {"calibration": fit.table, "parameters": fit.parameters,
                                  **projection.frames()}
        write_outputs(frames, {"factors": fit.factors, "messages": fit.messages}, Path(args.out))
        # With the current levels as what is in place, so it reproduces the projection.
        projected_scenario(fit).to_json(Path(args.out) / "calibrated_scenario.json")
        print("\n" + text("cli.wrote_calibration", folder=args.out))
    return 0


def _print_holdout(check: Holdout) -> None:
    print(text("cli.holdout", split=check.split, first=check.split + 1, last=check.weeks,
               customers=fmt.decimal(check.customers)))
    print(cc.holdout_table(check).to_string(index=False))
    print(text("cli.holdout_weeks"))
    weekly = check.weekly[check.weekly["part"] == "holdout"]
    shown = weekly.iloc[::max(1, len(weekly) // 8)][
        ["week", "actual_purchases", "predicted_purchases", "actual_revenue", "predicted_revenue",
         "actual_active", "predicted_active"]]
    print(shown.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    print()


def command_evidence(args: argparse.Namespace) -> int:
    """Print and optionally write published benchmarks next to the model's values; exit code 0."""
    table = evidence_table(population=args.population)
    shown = table[["id", "kind", "published", "model", "tolerance_low", "tolerance_high", "within"]]
    with pd.option_context("display.width", 160, "display.max_colwidth", 40):
        print(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    targets = table[table["use"].astype(str).str.startswith("target")]
    print("\n" + text("cli.within", count=int(targets["within"].fillna(False).sum()), total=len(targets)))
    if args.out:
        write_outputs({"evidence": table}, {}, Path(args.out))
    return 0


def add_commands(sub: Any) -> None:
    """Add ``calibrate`` and ``evidence`` to the CLI's subparsers."""
    cal = sub.add_parser("calibrate", help=help_text("calibrate"))
    add_scenario_arguments(cal)
    cal.add_argument("--kpi", action="append", default=[], metavar="NAME=VALUE",
                     help=help_text("kpi", names=", ".join(KPI_SPECS)))
    cal.add_argument("--events", help=help_text("events"))
    cal.add_argument("--map", action="append", default=[], metavar="STANDARD=COLUMN",
                     help=help_text("map"))
    cal.add_argument("--delimiter", choices=list(_DELIMITERS),
                     help=help_text("delimiter"))
    cal.add_argument("--decimal", choices=[".", ","],
                     help=help_text("decimal"))
    order = cal.add_mutually_exclusive_group()
    order.add_argument("--day-first", dest="day_first", action="store_true", default=None,
                       help=help_text("day_first"))
    order.add_argument("--month-first", dest="day_first", action="store_false",
                       help=help_text("month_first"))
    cal.add_argument("--target", action="append", default=[], metavar="NAME",
                     help=help_text("target"))
    cal.add_argument("--holdout", type=int, nargs="?", const=0, metavar="WEEKS",
                     help=help_text("holdout"))
    cal.add_argument("--lapse", choices=["purchase", "hazard"],
                     help=help_text("lapse"))
    cal.add_argument("--level", type=float, default=0.0, help=help_text("level"))
    cal.add_argument("--margin", type=float, help=help_text("margin"))
    cal.add_argument("--quiet", action="store_true", help=help_text("quiet_bar"))
    cal.set_defaults(handler=command_calibrate)
    ev = sub.add_parser("evidence", help=help_text("evidence"))
    ev.add_argument("--population", type=int, help=help_text("evidence_population"))
    ev.add_argument("--out", help=help_text("evidence_out"))
    ev.set_defaults(handler=command_evidence)
