"""The Calibrate page's runs: reading an event log, fitting, the holdout check.

A log is read once per file, options and scenario for every session (``st.cache_data``, keyed
by the file's digest). A fit and a holdout check are kept per session instead
(:func:`remembered`): they draw a progress bar while they run, and a cached element call
could not be replayed onto a bar from an earlier run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from simulation import CapabilityLevels, Scenario
from simulation.calibration.eventlog import LogSummary, ValidatedLog, summarise_log, validate_events
from simulation.calibration.fitting import Calibration
from simulation.calibration.holdout import Holdout, fit_and_project, holdout_check
from simulation.core.results import Results
from simulation.core.state import ProgressCallback
from simulation.display.text import say, text

T = TypeVar("T")
KEEP = 4
"""Fits and holdout checks kept per session (the oldest goes first)."""


def progress_bar(label: str) -> ProgressCallback:
    """A progress bar, drawn on the page at the first update of a running fit.

    Parameters
    ----------
    label : str
        What runs, shown before each progress message ("Fitting: ...").

    Returns
    -------
    ProgressCallback
        The calibration's progress callback (share done in [0, 1], message).
    """
    slot = st.empty()  # drawn on the first update only: a remembered result draws nothing

    def update(done: float, message: str) -> None:
        slot.progress(min(done, 1.0), text=f"{label}: {say(message)}")

    return update


def remembered(key: tuple[Any, ...], compute: Callable[[], T], *, keep: int = KEEP) -> T:
    """``compute()`` once per ``key`` in this session, the last ``keep`` results kept."""
    store: dict[tuple[Any, ...], Any] = st.session_state.setdefault("calib_results", {})
    if key not in store:
        store[key] = compute()
        while len(store) > keep:
            store.pop(next(iter(store)))
    return store[key]  # type: ignore[no-any-return]


@st.cache_data(max_entries=4, show_spinner=False)
def read_log(digest: str, data: bytes, mapping: tuple[tuple[str, str], ...], key: str,
             reading: tuple[tuple[str, Any], ...] = ()) -> tuple[ValidatedLog, LogSummary]:
    """An uploaded log validated and summarised; raises ``InputError`` when it cannot be used.

    Parameters
    ----------
    digest : str
        :func:`simulation.calibration.eventlog.file_digest` of ``data``.
    data : bytes
        The file as uploaded.
    mapping : tuple of (str, str)
        Standard column name -> the file's column (or ``const:VALUE``).
    key : str
        Canonical JSON of the scenario whose channels classify the log's.
    reading : tuple of (str, object)
        Delimiter, decimal separator and date order, as keyword arguments of
        :func:`simulation.calibration.eventlog.validate_events`.
    """
    log = validate_events(data, mapping=dict(mapping), **dict(reading))
    return log, summarise_log(log, scenario=Scenario.from_json(key))


def fit(key: str, targets: tuple[tuple[str, float], ...], level: float, *, margin: float | None = None,
        log: LogSummary | None = None, digest: str | None = None) -> tuple[Calibration, Results]:
    """The scenario calibrated to ``targets`` and the plans projected from it, kept per session.

    Parameters
    ----------
    key : str
        Canonical JSON of the scenario to calibrate.
    targets : tuple of (str, float)
        KPI name -> target value (shares in [0, 1]).
    level : float
        The business's current integration level, in [0, 1], for every capability.
    margin : float or None
        Gross margin to use, a share of revenue (None: the scenario's).
    log : LogSummary or None
        The log the targets were measured in (then lapses are fitted to its cohorts).
    digest : str or None
        The log file's digest, which keys the result with ``log``.
    """
    bar = progress_bar(text("calibrate.fitting"))
    return remembered(("fit", key, targets, level, margin, digest), lambda: fit_and_project(
        Scenario.from_json(key), dict(targets), levels=CapabilityLevels.uniform(level),
        gross_margin=margin, log=log.purchases if log is not None and digest else None, progress=bar))


def holdout(key: str, level: float, split: int, *, log: LogSummary, digest: str) -> Holdout:
    """The fit on the log's first ``split`` weeks checked against the rest, kept per session.

    Parameters
    ----------
    key : str
        Canonical JSON of the scenario to calibrate.
    level : float
        The business's current integration level, in [0, 1], for every capability.
    split : int
        Weeks of the log fitted on; the weeks after it are predicted.
    log : LogSummary
        The summarised log.
    digest : str
        The log file's digest, which keys the result.
    """
    bar = progress_bar(text("calibrate.holdout_job"))
    return remembered(("holdout", digest, key, level, split), lambda: holdout_check(
        log.purchases, Scenario.from_json(key), levels=CapabilityLevels.uniform(level), split=split,
        progress=bar))
