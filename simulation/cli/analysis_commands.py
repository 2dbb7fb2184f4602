"""Command line of the analyses: ``python -m simulation uncertainty|sensitivity|shapley|...``.

Each command simulates a preset or scenario file, prints what a board would read (intervals, top
drivers, which capability to fund first, break-even budget) and, with ``--out``, writes every
frame as CSV plus ``summary.json``. Before a run longer than a few seconds it prints the
estimated time; a text progress bar follows on standard error; Ctrl-C cancels (exit 130). Bad
input exits 2 with a one-line reason.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.analysis.believe import believe
from simulation.analysis.cluster import SCHEDULER_ENV, dask_runner, scheduler_from_environment
from simulation.analysis.decisions import DecisionRequest, decision_analysis, estimate_decision_seconds
from simulation.analysis.investment import best_plan_under_budget, break_even
from simulation.analysis.parallel import AnalysisCancelled, available_workers
from simulation.analysis.ranges import main_assumptions, resolve_ranges
from simulation.analysis.runs import Execution, estimate_seconds, plan_levels
from simulation.analysis.sensitivity import gain_plans, tornado, tornado_tasks
from simulation.analysis.shapley import SwitchedOn, capability_value, shapley_plans, shapley_tasks
from simulation.analysis.uncertainty import design, uncertainty, uncertainty_tasks
from simulation.cli.console import (
    BadInput,
    add_scenario_arguments,
    help_text,
    scenario_from_args,
    text_progress,
    write_outputs,
)
from simulation.core.scenario import Capability, Scenario
from simulation.core.world import standard_plans
from simulation.display import decision_charts as dc
from simulation.display import format as fmt
from simulation.display import wording
from simulation.display.labels import all_capabilities, capability_name
from simulation.display.text import text

EXIT_CANCELLED = 130
ANNOUNCE_AFTER_SECONDS = 3.0
"""Runs estimated to take longer than this say so before they start."""


def _bad(message: str) -> Exception:
    return BadInput(message)


def _scenario(args: argparse.Namespace) -> Scenario:
    return scenario_from_args(args)


def _execution(args: argparse.Namespace) -> Execution:
    if args.jobs == 0:
        raise _bad(text("cli.bad.jobs"))
    return Execution(n_jobs=args.jobs, progress=text_progress(args.quiet), cache_dir=args.cache)


def _announce(seconds: float, args: argparse.Namespace) -> None:
    if seconds > ANNOUNCE_AFTER_SECONDS and not args.quiet:
        print(text("cli.estimated_workers", seconds=fmt.duration(seconds),
                   workers=available_workers(args.jobs)), file=sys.stderr)


def _write(args: argparse.Namespace, scenario: Scenario, frames: dict[str, Any],
           summary: dict[str, Any]) -> None:
    if not args.out:
        return
    tables = {k: v for k, v in frames.items() if isinstance(v, pd.DataFrame)}
    write_outputs(tables, {"scenario": json.loads(scenario.to_json()), **summary}, Path(args.out))
    (Path(args.out) / "scenario.json").write_text(scenario.to_json() + "\n")
    print("\n" + text("cli.wrote", count=len(tables), folder=args.out))


def _ranges(args: argparse.Namespace, scenario: Scenario):  # type: ignore[no-untyped-def]
    if not 0 <= args.range <= 1:
        raise _bad(text("cli.bad.range", value=f"{args.range:g}"))
    return resolve_ranges(scenario, main_assumptions(scenario, args.range))


def _money_table(frame: pd.DataFrame, columns: dict[str, str]) -> str:
    """``frame``'s ``columns`` (name -> catalog key of the header) as a text table."""
    shown = frame[list(columns)].rename(columns={c: text(k) for c, k in columns.items()})

    def number(x: float) -> str:
        return fmt.decimal(x, 0 if abs(x) >= 100 or float(x).is_integer() else 2)

    return shown.to_string(index=False, float_format=number)


def command_uncertainty(args: argparse.Namespace) -> int:
    """Print and optionally write the plans' KPI intervals over replications; exit code 0.

    Replications (1 to 10000) vary the seed and, unless ``--seeds-only``, the main assumptions by
    ``--range``; prints each plan's 90% intervals and P(beats multichannel on NPV).
    """
    scenario = _scenario(args)
    if not 1 <= args.replications <= 10_000:
        raise _bad(text("cli.bad.replications", value=args.replications, low=1, high=10000))
    ranges = () if args.seeds_only else _ranges(args, scenario)
    plans = plan_levels(standard_plans(scenario))
    tasks = uncertainty_tasks(design(scenario, replications=args.replications, ranges=ranges), plans)
    execution = _execution(args)
    _announce(estimate_seconds(scenario, tasks, args.jobs), args)
    result = uncertainty(scenario, replications=args.replications, ranges=ranges,
                         execution=execution)
    table = result.summary[result.summary["kpi"].isin(["npv", "npv_gain", "clv", "conversion_rate",
                                                        "retention_12m", "payback_week"])]
    kind = text("cli.seeds_only" if args.seeds_only else "cli.seeds_and_assumptions")
    print(text("cli.replications", count=args.replications, kind=kind))
    print(_money_table(table, {c: f"cli.column.{c}" for c in (
        "strategy", "kpi", "point", "mean", "ci_low", "ci_high", "p05", "p95")}))
    for row in result.beats_baseline.itertuples():
        print(text("cli.beats", plan=row.strategy, probability=fmt.percent(row.probability, digits=0),
                   low=fmt.percent(row.ci_low, digits=0), high=fmt.percent(row.ci_high, digits=0)))
    beats = result.beats_baseline.set_index("strategy")["probability"].to_dict()
    _write(args, scenario, result.frames(), {"probability_beats_multichannel": beats})
    return 0


def command_sensitivity(args: argparse.Namespace) -> int:
    """Print and optionally write the tornado of the omnichannel NPV/CLV gain; exit code 0.

    Each main assumption is moved to the low and high ends of its ``--range``; the top drivers follow
    as a sentence.
    """
    scenario = _scenario(args)
    ranges = _ranges(args, scenario)
    execution = _execution(args)
    _announce(estimate_seconds(scenario, tornado_tasks(scenario, ranges, gain_plans()), args.jobs), args)
    result = tornado(scenario, ranges=ranges, execution=execution)
    print(_money_table(result.bars, {"rank": "cli.column.rank", "label": "cli.column.assumption"} | {
        c: f"cli.column.{c}" for c in ("range", "npv_gain_low", "npv_gain_high", "clv_gain_low",
                                       "clv_gain_high")}))
    drivers = wording.top_drivers(result, scenario.market.currency)
    print()
    print(drivers)
    _write(args, scenario, result.frames(), {"top_drivers": drivers, "base_npv_gain": result.base_npv_gain})
    return 0


def command_shapley(args: argparse.Namespace) -> int:
    """Print and optionally write the Shapley split of the NPV gain across capabilities; exit code 0."""
    scenario = _scenario(args)
    switched_on = SwitchedOn(args.switched_on)
    _players, _on, plans = shapley_plans(scenario, switched_on)
    execution = _execution(args)
    _announce(estimate_seconds(scenario, shapley_tasks(scenario, plans), args.jobs), args)
    result = capability_value(scenario, switched_on=switched_on, execution=execution)
    print(text("cli.shapley", count=len(result.subsets)))
    values = result.values.assign(capability=[capability_name(c) for c in result.values["capability"]])
    print(_money_table(values, {"rank": "cli.column.rank", "capability": "cli.column.capability",
                                "level_on": "cli.column.level"} | {
        c: f"cli.column.{c}" for c in ("npv_value", "clv_value", "alone", "last_in")}))
    print(text("cli.shapley_sum", total=fmt.decimal(result.values["npv_value"].sum()),
               gain=fmt.decimal(result.total_npv_gain)))
    fund = wording.fund_first(result, scenario.market.currency)
    print(fund)
    _write(args, scenario, result.frames(), {"fund_first": fund, "total_npv_gain": result.total_npv_gain})
    return 0


def command_breakeven(args: argparse.Namespace) -> int:
    """Print and optionally write the largest one-off budget that still pays back; exit code 0.

    For omnichannel, or with ``--plan custom`` the scenario's custom plan; the curve is printed
    at about ten budget factors.
    """
    scenario = _scenario(args)
    target = None if args.plan == "omnichannel" else scenario.custom_plan
    result = break_even(scenario, target=target)
    summary = wording.plain(dc.break_even_sentence(result, scenario.market.currency))
    print(summary)
    curve = result.curve.iloc[:: max(1, len(result.curve) // 10)]
    print(_money_table(curve, {c: f"cli.column.{c}" for c in ("factor", "budget", "npv_gain",
                                                               "payback_week")}))
    _write(args, scenario, result.frames(), {"summary": summary})
    return 0


def command_bestplan(args: argparse.Namespace) -> int:
    """Print and optionally write the capability levels with the highest NPV within ``--budget``; exit code 0.

    Each capability takes a level from ``--levels`` (in 0..1, must include 0).
    """
    scenario = _scenario(args)
    if args.budget < 0:
        raise _bad(text("cli.bad.budget", value=f"{args.budget:g}"))
    try:
        grid = sorted({float(x) for x in args.levels.split(",")})
    except ValueError:
        raise _bad(text("cli.bad.levels_list", value=repr(args.levels))) from None
    if 0.0 not in grid or not all(0 <= x <= 1 for x in grid):
        raise _bad(text("cli.bad.levels_range", value=args.levels))
    result = best_plan_under_budget(scenario, args.budget, grid=grid, execution=_execution(args))
    summary = wording.plain(dc.best_plan_sentence(result, scenario.market.currency))
    print(summary)
    print(", ".join(f"{c.value} {result.levels.of(c):g}" for c in Capability))
    _write(args, scenario, result.frames(), {"summary": summary,
                                             "levels": result.levels.model_dump()})
    return 0


def command_decisions(args: argparse.Namespace) -> int:
    """Print and optionally write the default analysis set; exit code 0.

    Uncertainty (skipped with ``--replications 0``), tornado, Shapley split and break-even.
    """
    scenario = _scenario(args)
    if not 0 <= args.replications <= 10_000:
        raise _bad(text("cli.bad.replications", value=args.replications, low=0, high=10000))
    if not 0 <= args.range <= 1:
        raise _bad(text("cli.bad.range", value=f"{args.range:g}"))
    request = DecisionRequest(replications=args.replications, parameter_uncertainty=not args.seeds_only,
                              relative_range=args.range)
    execution = _execution(args)
    _announce(estimate_decision_seconds(scenario, request, args.jobs), args)
    result = decision_analysis(scenario, request, execution)
    if result.uncertainty is not None:
        p = result.uncertainty.probability_beats("omnichannel")
        gain = result.uncertainty.summary.set_index(["strategy", "kpi"]).loc[("omnichannel", "npv_gain")]
        print(text("cli.decisions_gain", gain=fmt.decimal(gain["point"]), low=fmt.decimal(gain["p05"]),
                   high=fmt.decimal(gain["p95"]), probability=fmt.percent(p, digits=0)))
    currency = scenario.market.currency
    if result.tornado is not None:
        print(wording.top_drivers(result.tornado, currency))
    if result.capability_value is not None:
        print(wording.fund_first(result.capability_value, currency))
    for item in result.break_even.values():
        print(wording.plain(dc.break_even_sentence(item, currency)))
    _write(args, scenario, result.frames(), {})
    return 0


def command_believe(args: argparse.Namespace) -> int:
    """Print and optionally write what one would have to believe; exit code 0.

    The assumption thresholds where integration stops paying, and the break-even map over business
    size (CSV with ``--out``).
    """
    scenario = _scenario(args)
    result = believe(scenario, execution=_execution(args))
    summary = wording.believe(result, scenario.market.currency)
    print(summary)
    table = result.thresholds[["label", "plan", "base", "low", "high", "threshold", "status", "gain_base"]]
    print(table.to_string(index=False, float_format=lambda x: f"{x:,.4g}"))
    print(text("cli.believe_map", label=result.map_label))
    _write(args, scenario, result.frames(), {"summary": summary, "hybrid": result.hybrid})
    return 0


def _cancellable(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            address = args.scheduler or scheduler_from_environment()
            if address is None:
                return handler(args)
            if not args.quiet:
                print(text("cli.dask", address=address), file=sys.stderr)
            with dask_runner(address):
                return handler(args)
        except (KeyboardInterrupt, AnalysisCancelled):
            print("\n" + text("cli.cancelled"), file=sys.stderr)
            return EXIT_CANCELLED

    return run


def add_commands(sub: Any) -> None:
    """Add the analysis subcommands to the CLI's subparsers."""

    def command(name: str, what: str, handler: Callable[[argparse.Namespace], int]
                ) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(name, help=what)
        add_scenario_arguments(parser)
        parser.add_argument("--jobs", type=int, default=-1, help=help_text("jobs_all"))
        parser.add_argument("--cache", help=help_text("cache"))
        parser.add_argument("--quiet", action="store_true", help=help_text("quiet_estimate"))
        parser.add_argument("--scheduler", metavar="ADDRESS",
                            help=help_text("scheduler", variable=SCHEDULER_ENV))
        parser.set_defaults(handler=_cancellable(handler))
        return parser

    def assumptions(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--range", type=float, default=0.25,
                            help=help_text("range"))

    u = command("uncertainty", help_text("uncertainty"), command_uncertainty)
    u.add_argument("--replications", type=int, default=30, help=help_text("replications_30"))
    u.add_argument("--seeds-only", action="store_true", help=help_text("seeds_only"))
    assumptions(u)
    assumptions(command("sensitivity", help_text("sensitivity"), command_sensitivity))
    s = command("shapley", help_text("shapley", capabilities=all_capabilities()), command_shapley)
    s.add_argument("--switched-on", choices=[m.value for m in SwitchedOn], default="full",
                   help=help_text("switched_on"))
    b = command("breakeven", help_text("breakeven"), command_breakeven)
    b.add_argument("--plan", choices=["omnichannel", "custom"], default="omnichannel", help=help_text("plan"))
    p = command("bestplan", help_text("bestplan"), command_bestplan)
    p.add_argument("--budget", type=float, required=True, help=help_text("budget"))
    p.add_argument("--levels", default="0,0.5,1", help=help_text("levels"))
    command("believe", help_text("believe"), command_believe)
    d = command("decisions", help_text("decisions"), command_decisions)
    d.add_argument("--replications", type=int, default=30, help=help_text("replications_30"))
    d.add_argument("--seeds-only", action="store_true", help=help_text("seeds_only"))
    assumptions(d)
