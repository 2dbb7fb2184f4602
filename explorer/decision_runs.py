"""The Decisions page's runs: its analyses, cached for every session.

Each analysis (:func:`simulation.analysis.decision_analysis`, the best plan under a budget,
what you would have to believe) runs in the app's worker pool, behind the sliders' runs, and is
kept by its key (the analysed scenario's canonical JSON and what was asked) in the pool's cache,
shared by every session: :func:`explorer.background.finished` is the one answer to "is this
analysis done" for this page, the Overview's verdict and the Compare page, so none of them runs
the same analysis twice and no second store holds a copy.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import streamlit as st

from explorer import background, runs, state
from explorer.pool import Priority
from explorer.state import PROGRESS_AFTER_SECONDS
from explorer.verdict_view import CACHE_DIR
from simulation import Scenario
from simulation.analysis import DecisionRequest, estimate_decision_seconds
from simulation.display.text import text

T = TypeVar("T")


def known(key: Hashable) -> bool:
    """Whether the analysis ``key`` has finished (here, in the verdict's background or on Compare)."""
    return background.finished(key) is not None


@st.cache_data(max_entries=32, show_spinner=False)
def estimate(key: str, request: DecisionRequest) -> float:
    """Seconds the decision analyses ``request`` should take on one worker.

    Parameters
    ----------
    key : str
        Canonical JSON of the analysed scenario.
    request : DecisionRequest
        What the analyses are asked to run.
    """
    return estimate_decision_seconds(Scenario.from_json(key), request, n_jobs=1)


def run(key: Hashable, work: Callable[..., T], args: tuple[Any, ...], *, expected_seconds: float,
        label: str, what: str | None = None) -> T:
    """``work(*args, execution=...)``, run once for every session, or its kept result.

    While it runs in the shared worker pool (on a bounded share of the workers) the page shows
    a progress bar and a Cancel button keyed ``cancel_<label>``; Cancel, or leaving the page,
    stops the run and its worker, and nothing is kept.

    Parameters
    ----------
    key : Hashable
        What identifies the result (the analysed scenario's canonical JSON and the request).
    work : Callable
        An analysis of :mod:`simulation.analysis` taking an ``execution`` keyword.
    args : tuple
        Its positional arguments (they must pickle: it runs in a worker process).
    expected_seconds : float
        The estimate shown; a progress bar is drawn for runs of a second or more.
    label : str
        The run's name in the Cancel button's key (``cancel_<label>``), and in the progress
        text unless ``what`` is given.
    what : str or None
        What the progress text calls the run, in the reader's language.
    """
    result: T | None = background.finished(key)
    if result is None:
        with (controls := st.empty()).container():  # cleared when done
            st.button(text("decisions.cancel"), key=f"cancel_{label}", help=text("decisions.cancel_help"))
            job = state.pool().submit(("analysis", key), runs.run_analysis, work, args, CACHE_DIR,
                                      priority=Priority.ANALYSIS, cancel_running=True,
                                      progress=True, keep=False, stoppable=True)
            state.wait_for([job], what or label,
                           expected_seconds=max(expected_seconds, PROGRESS_AFTER_SECONDS))
        result = job.result()
        background.put(key, result)  # kept in the pool's cache, bounded in bytes, for every page
        controls.empty()
    return result  # type: ignore[return-value]
