"""``python -m simulation report`` and ``bundle``: the board report and the run bundle.

Registered in :mod:`simulation.cli.main` by :func:`add_commands`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from simulation.analysis.decisions import DecisionRequest
from simulation.analysis.runs import Execution
from simulation.cli.console import (
    BadInput,
    add_scenario_arguments,
    help_text,
    scenario_from_args,
    text_progress,
)
from simulation.display.text import text
from simulation.report.figures import ExportError
from simulation.report.pdf import PdfError


def _inputs(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from simulation.report.build import prepare

    if args.replications < 1:
        raise BadInput(text("cli.bad.report_replications", value=args.replications))
    if not args.out:
        raise BadInput(text("cli.bad.no_out"))
    scenario = scenario_from_args(args)
    request = DecisionRequest(replications=args.replications)
    execution = Execution(n_jobs=args.jobs, progress=text_progress(args.quiet))
    return prepare(scenario, request, analysis_population=args.analysis_population, execution=execution)


def command_report(args: argparse.Namespace) -> int:
    """Write report.html and report.pdf for a board to ``--out``; exit code 0."""
    from simulation.report.build import write_report

    inputs = _inputs(args)
    try:
        html_path, pdf_path = write_report(inputs, Path(args.out))
    except (ExportError, PdfError) as error:
        raise BadInput(str(error)) from None
    except OSError as error:
        raise BadInput(text("cli.cannot_write", folder=args.out, reason=error.strerror)) from None
    print(inputs.verdict.sentence())
    print(text("cli.wrote_files", files=text("cli.and", first=html_path, second=pdf_path)))
    return 0


def command_bundle(args: argparse.Namespace) -> int:
    """Write the run bundle (one zip) to ``--out``; exit code 0."""
    from simulation.report.bundle import write_bundle

    inputs = _inputs(args)
    try:
        path = write_bundle(inputs, Path(args.out))
    except OSError as error:
        raise BadInput(text("cli.cannot_write", folder=args.out, reason=error.strerror)) from None
    print(inputs.verdict.sentence())
    print(text("cli.wrote_files", files=path))
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``report`` and ``bundle`` to the CLI's subparsers."""
    for name, handler, what in (
        ("report", command_report, help_text("report")),
        ("bundle", command_bundle, help_text("bundle")),
    ):
        parser = sub.add_parser(name, help=what)
        add_scenario_arguments(parser)
        parser.add_argument("--replications", type=int, default=30,
                            help=help_text("report_replications"))
        parser.add_argument("--analysis-population", type=int,
                            help=help_text("analysis_population"))
        parser.add_argument("--jobs", type=int, default=None, help=help_text("jobs_default"))
        parser.add_argument("--quiet", action="store_true", help=help_text("quiet"))
        parser.set_defaults(handler=handler)
