"""Shared pieces of the command lines: scenario arguments, one-line errors, a progress bar."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.core.kernels import threads
from simulation.core.kernels.threads import THREADS_ENV
from simulation.core.kpis import SUMMARY
from simulation.core.plan_threads import SPLIT_FROM_PEOPLE
from simulation.core.scenario import Scenario
from simulation.core.state import ProgressCallback
from simulation.display import format as fmt
from simulation.display import scenario_file
from simulation.display.labels import kpi_label, plan_name
from simulation.display.text import say, set_language, text
from simulation.inputs import write_safe_csv


class BadInput(Exception):
    """A problem with what the user gave us, reported in one line (exit code 2)."""


def help_text(key: str, /, **values: object) -> str:
    """The ``--help`` text ``cli.help.<key>`` in the current language, ``%`` escaped for argparse."""
    return text(f"cli.help.{key}", **values).replace("%", "%%")


ARGPARSE_WORDS = {
    "usage: ": "usage", "options": "options", "positional arguments": "positional",
    "show this help message and exit": "help", "%(prog)s: error: %(message)s\n": "error",
    "the following arguments are required: %s": "required", "unrecognized arguments: %s": "unrecognized",
    "invalid choice: %(value)r (choose from %(choices)s)": "invalid_choice",
    "argument %(argument_name)s: %(message)s": "argument",
    "invalid %(type)s value: %(value)r": "invalid_value",
    "expected one argument": "expected_one", "not allowed with argument %s": "not_allowed_with",
    "one of the arguments %s is required": "one_of_required",
    "ambiguous option: %(option)s could match %(matches)s": "ambiguous",
}
"""argparse's own words (its gettext message ids) -> key under ``cli.argparse`` in the catalog."""


def _argparse_word(message: str) -> str:
    key = ARGPARSE_WORDS.get(message)
    return text(f"cli.argparse.{key}") if key else message


@contextlib.contextmanager
def argparse_language() -> Iterator[None]:
    """Argparse's own words ("usage:", "options", its errors) in the current language.

    argparse looks them up through ``gettext`` (its module-level ``_``), and the project's
    text lives in its own catalogs, so the lookup is pointed there inside the block. Build the
    parser inside it too: section titles and ``-h``'s help are fixed when a parser is made.
    """
    module: Any = argparse  # typeshed does not declare argparse's gettext alias
    saved = module._
    module._ = _argparse_word
    try:
        yield
    finally:
        module._ = saved


def add_scenario_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the scenario options to ``parser``.

    ``--preset | --scenario``, ``--out``, ``--seed``, ``--population``, ``--currency``,
    ``--threads``.
    """
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--preset", default="benchmark_retailer", help=help_text("preset"))
    source.add_argument("--scenario", help=help_text("scenario"))
    parser.add_argument("--out", help=help_text("out"))
    parser.add_argument("--seed", type=int, help=help_text("seed"))
    parser.add_argument("--population", type=int, help=help_text("population"))
    parser.add_argument("--currency", help=help_text("currency"))
    split_from = fmt.count(SPLIT_FROM_PEOPLE, exact=True)
    parser.add_argument("--threads", type=int,
                        help=help_text("threads", variable=THREADS_ENV, people=split_from))


def apply_threads(args: argparse.Namespace) -> None:
    """Use ``--threads`` (else the environment's setting, checked here) for this process's kernels.

    Raises
    ------
    BadInput
        If the number of threads given, or in the environment, is not a whole number >= 1.
    """
    try:
        if getattr(args, "threads", None) is not None:
            threads.set_threads(args.threads)
        threads.threads()
    except threads.ThreadSettingError as error:
        raise BadInput(str(error)) from None


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
    shown = say(message)  # a keyed Progress, in the --lang language
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%}  {shown:<60.60}")
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
