"""Command line: ``python -m simulation run|presets ...``.

Bad input (unknown preset, malformed scenario file, unwritable output folder) exits with
code 2 and a one-line reason on standard error; no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from simulation.cli.analysis_commands import add_commands as add_analysis_commands
from simulation.cli.calibration_commands import add_commands as add_calibration_commands
from simulation.cli.console import (
    BadInput,
    add_scenario_arguments,
    apply_threads,
    argparse_language,
    comparison_table,
    help_text,
    scenario_from_args,
    text_progress,
    write_outputs,
)
from simulation.cli.report_commands import add_commands as add_report_commands
from simulation.core.api import simulate
from simulation.core.personalization import PersonalizedTargeting, TargetingMode
from simulation.core.presets import preset_descriptions
from simulation.core.scenario import APP_VERSION, Scenario
from simulation.display import format as fmt
from simulation.display.selection_charts import selection_data, selection_sentence
from simulation.display.text import (
    ENGLISH,
    LANGUAGE_NAMES,
    preset_description,
    say,
    supported,
    text,
    use_language,
)
from simulation.inputs import InputError

EXIT_BAD_INPUT = 2
ANNOUNCE_AFTER_SECONDS = 3.0
SECONDS_PER_AGENT_STEP = 3.0e-8
"""One person advanced one week under one plan with learned targeting, at 1M people on the
2-core reference machine (README, Speed and memory); smaller runs cost a little more per step."""


def expected_run_seconds(scenario: Scenario) -> float:
    """Rough wall-clock seconds of :func:`simulate` for ``scenario`` (three plans)."""
    market = scenario.market
    return 0.3 + 3 * market.population * market.horizon_weeks * SECONDS_PER_AGENT_STEP

def command_run(args: argparse.Namespace) -> int:
    """Simulate the scenario, print the KPI comparison and optionally write the CSVs; exit code 0."""
    scenario = scenario_from_args(args)
    targeting = PersonalizedTargeting(mode=TargetingMode(args.targeting))
    seconds = expected_run_seconds(scenario)
    if seconds > ANNOUNCE_AFTER_SECONDS and not args.quiet:
        print(text("cli.estimated", seconds=fmt.duration(seconds),
                   people=fmt.decimal(scenario.market.population)), file=sys.stderr)
    results = simulate(scenario, progress=text_progress(args.quiet), targeting=targeting)
    frames = results.frames()
    selection = None
    if not args.no_customers:
        frames["customers"] = results.customers
        selection = selection_data(results)
        frames["selection"] = selection.drop(columns="label")
    kpis = results.kpis
    summary = {
        "app_version": APP_VERSION,
        "scenario": json.loads(scenario.to_json()),
        "kpis": json.loads(kpis.to_json(orient="index")),
    }
    if args.out:
        write_outputs(frames, summary, Path(args.out))
        (Path(args.out) / "scenario.json").write_text(scenario.to_json() + "\n")
    print(text("cli.run_facts", name=repr(scenario.name), seed=scenario.seed,
               population=fmt.decimal(scenario.market.population),
               market=fmt.decimal(scenario.market.market_size), weeks=scenario.market.horizon_weeks,
               currency=scenario.market.currency))
    print(comparison_table(kpis, scenario.market.currency))
    if selection is not None and not selection.empty:
        print("\n" + selection_sentence(results, selection))
    if args.out:
        print("\n" + text("cli.wrote", count=len(frames), folder=args.out))
    return 0


def command_presets(args: argparse.Namespace) -> int:
    """Print each preset's name and description; exit code 0."""
    for name, description in preset_descriptions().items():
        print(f"{name:<24} {preset_description(name, description)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m simulation`` argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m simulation",
        description=help_text("description"),
    )
    parser.add_argument("--lang", choices=list(LANGUAGE_NAMES), default=None,
                        help=help_text("lang"))
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help=help_text("run"))
    add_scenario_arguments(run)
    run.add_argument("--no-customers", action="store_true", help=help_text("no_customers"))
    run.add_argument("--quiet", action="store_true", help=help_text("quiet"))
    run.add_argument("--targeting", choices=[m.value for m in TargetingMode], default="learned",
                     help=help_text("targeting"))
    run.set_defaults(handler=command_run)
    presets = sub.add_parser("presets", help=help_text("presets"))
    presets.set_defaults(handler=command_presets)
    add_analysis_commands(sub)
    add_calibration_commands(sub)
    add_report_commands(sub)
    return parser


def _lang_first(argv: Sequence[str] | None) -> list[str]:
    """``--lang XX`` moved in front of the command, so it may be written anywhere."""
    args = list(sys.argv[1:] if argv is None else argv)
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args):
            return [arg, args[i + 1], *args[:i], *args[i + 2:]]
        if arg.startswith("--lang="):
            return [arg, *args[:i], *args[i + 1:]]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default: ``sys.argv``); exit code 0, or 2 on bad input.

    Bad input prints a one-line reason on standard error, no traceback. Commands can return
    other codes (the analyses 130 when cancelled).
    """
    argv = _lang_first(argv)
    asked = supported(argv[1]) if argv[:1] == ["--lang"] and len(argv) > 1 else (
        supported(argv[0].partition("=")[2]) if argv and argv[0].startswith("--lang=") else None)
    with use_language(asked or ENGLISH), argparse_language():  # --help in the language asked for
        parser = build_parser()
        args = parser.parse_args(argv)
    with use_language(args.lang or ENGLISH):  # a scenario file's language may replace it
        try:
            apply_threads(args)
            return int(args.handler(args))
        except InputError as error:  # scenarios, event logs: every input boundary's one type
            print(text("cli.error", message=error.one_line(say)), file=sys.stderr)
        except BadInput as error:
            print(text("cli.error", message=error), file=sys.stderr)
    return EXIT_BAD_INPUT
