"""The session's scenario, the cached simulation and the shareable URL.

The current scenario lives in ``st.session_state`` and is always valid: widgets, uploads and
links propose changes, and only a scenario that passes validation replaces it. Simulations run
in the server's pool of worker processes (:func:`pool`, :mod:`explorer.pool`), shared by every
session: the same run asked for by several sessions is simulated once. Results are cached
across sessions in the pool's cache (bounded in bytes, emptied of what nobody uses), in parts
(see :mod:`explorer.runs`): each plan's raw run, the standard plans keyed on the scenario
without its custom plan and prices, the custom plan on the scenario without prices; the
standard plans valued at the scenario's prices; the joined results; and, apart, the per-person
outputs for the pages that show them. Moving a capability slider re-simulates one plan instead
of three, and the market-size, margin and integration-cost sliders re-simulate nothing. While a
page waits it shows whether its runs are queued or running. Pages call :func:`results` and draw.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Hashable, Iterator
from typing import Any, TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import (
    get_run_yield_check,
    get_script_run_ctx,
)

from explorer import runs
from explorer.pool import Job, JobCancelled, JobFailed, PoolSettings, Priority, WorkerPool
from simulation import Scenario, ScenarioError
from simulation.core.api import UnvaluedRun
from simulation.core.presets import DEFAULT_PRESET
from simulation.core.results import Results
from simulation.display import format as fmt
from simulation.display.text import say, text

T = TypeVar("T")
SCENARIO = "scenario"
MESSAGE = "message"
SHOWN_MESSAGE = "message_shown"
QUERY_KEY = "s"
SECONDS_PER_PERSON_WEEK_PLAN = 8e-8
"""Engine speed on the 2-core reference machine with learned targeting (0.75 s for the default
20k people x 156 weeks x 3 plans, README); decides when a progress bar is shown."""
PROGRESS_AFTER_SECONDS = 1.0
POLL_SECONDS = 0.1
"""How often a waiting page checks its jobs and whether the user has moved on."""
REDRAW_SECONDS = 1.0
"""How often a waiting page may redraw its queue position or progress (each redraw is a
message to the browser, and twenty waiting sessions would otherwise redraw at every start)."""


def current_scenario() -> Scenario:
    """The session's scenario: from the link on the first run, else the default preset."""
    if SCENARIO not in st.session_state:
        st.session_state[SCENARIO] = _scenario_from_link()
    scenario: Scenario = st.session_state[SCENARIO]
    return scenario


def _scenario_from_link() -> Scenario:
    token = st.query_params.get(QUERY_KEY)
    if token:
        try:
            return Scenario.from_url_token(token)
        except ScenarioError as error:
            tell("error", text("error.bad_link"), error.problems)
    return Scenario.preset(DEFAULT_PRESET)


def set_scenario(scenario: Scenario) -> None:
    """Make ``scenario`` (already validated) the session's scenario on every page."""
    st.session_state[SCENARIO] = scenario


def tell(kind: str, title: str, details: list[str] | None = None) -> None:
    """Queue a message for the top of the page (shown once, on the next run)."""
    st.session_state[MESSAGE] = (kind, title, list(details or []))


def show_messages() -> None:
    """Show and clear the queued message (an upload's result, a broken link).

    The message shown is remembered until the next run, so that a rerun the app starts itself
    (:func:`rerun_page`) shows it again; a run the reader starts clears it.
    """
    message = st.session_state.pop(MESSAGE, None)
    st.session_state[SHOWN_MESSAGE] = message
    if message is None:
        return
    kind, title, details = message
    body = title + "".join(f"\n- {fmt.escaped(d)}" for d in details)
    {"error": st.error, "warning": st.warning, "success": st.success}.get(kind, st.info)(body)


def rerun_page() -> None:
    """Rerun the whole page on the app's own account (a better verdict is in).

    The message this run showed is kept: an upload's error must not vanish because the quick
    estimate landed a moment later (it did, under CI load, between the upload and the page's end).
    """
    shown = st.session_state.get(SHOWN_MESSAGE)
    if shown is not None and MESSAGE not in st.session_state:
        st.session_state[MESSAGE] = shown
    st.rerun(scope="app")


def sync_link(scenario: Scenario) -> None:
    """Put the scenario in the address bar so a copied link reopens the same view."""
    token = scenario.to_url_token()
    if st.query_params.get(QUERY_KEY) != token:
        st.query_params[QUERY_KEY] = token


def _close_pool(workers: WorkerPool) -> None:
    workers.close()


@st.cache_resource(show_spinner=False, on_release=_close_pool)  # "Clear cache" stops the workers
def pool() -> WorkerPool:
    """The server's one pool of simulation workers, shared by every session.

    Sized by ``EXPLORER_WORKERS`` etc. (:class:`explorer.pool.PoolSettings`), or by a
    ``[pool]`` table in ``.streamlit/secrets.toml`` (``workers``, ``analysis_workers``,
    ``cache_mb``, ``idle_seconds``), which wins.

    Background work for every session (once per scenario): :func:`background` polls without
    waiting; ``pool().submit(key, function, *args, priority=Priority.BACKGROUND)`` then
    :func:`wait_for` the job waits with a spinner (release is done by :func:`wait_for`).
    """
    overrides: dict[str, object] = {}
    if st.secrets.load_if_toml_exists() and "pool" in st.secrets:
        overrides = dict(st.secrets["pool"])
    return WorkerPool(PoolSettings.from_environment(overrides))


def background(key: Hashable, function: Callable[..., T], *args: Any) -> T | None:
    """``function(*args)`` computed once in the worker pool for every session: its value, or None.

    Every session that asks with the same ``key`` (e.g. ``("verdict", scenario.canonical_key())``)
    shares one job, run behind the sessions' slider runs. None while it is queued or running:
    ask again on a later run, e.g. from an ``st.fragment(run_every=...)``. Never waits; raises
    what the function raised (a later call tries again).
    """
    job = pool().submit(key, function, *args, priority=Priority.BACKGROUND)
    job.release()  # a background job stays queued without waiters
    return job.result() if job.done() else None


def _expected_seconds(scenario: Scenario, plans: int) -> float:
    market = scenario.market
    return market.population * market.horizon_weeks * plans * SECONDS_PER_PERSON_WEEK_PLAN


def wait_for(jobs: list[Job], what: str, *, expected_seconds: float = 0.0) -> None:
    """Wait for ``jobs`` with the page alive.

    A spinner says whether they are queued (and behind how many runs) or running; runs expected
    to take more than a second show a progress bar instead. A rerun (another slider move) or the
    session closing ends the wait (Streamlit's exception passes through), and the jobs are
    released either way: a job nobody waits for any more is dropped from the queue.
    """
    check = get_run_yield_check() or (lambda: None)
    placeholder = st.empty()
    try:
        while pending := [job for job in jobs if not job.done()]:
            kind, text = _view(pending, what, expected_seconds)
            if kind == "bar" and (progress := pending[0].progress) is not None:
                placeholder.progress(min(max(progress[0], 0.0), 1.0), text=text)
                _wait_while(pending, check, lambda: [(job.ahead(), job.progress) for job in pending])
            else:
                # Redrawn only when its text would change: a running job's progress reports,
                # which a spinner does not show, redrew it every second (messages to the
                # browser, a timer thread) for every waiting session.
                with placeholder.container(), st.spinner(text):
                    _wait_while(pending, check, lambda: _view(pending, what, expected_seconds))
    finally:
        for job in jobs:
            job.release()
    placeholder.empty()


def _view(pending: list[Job], what: str, expected_seconds: float) -> tuple[str, str]:
    ahead = max(job.ahead() for job in pending)
    workers = pool().settings.workers
    if ahead:
        return "spinner", text("wait.queued_ahead_one" if ahead == 1 else "wait.queued_ahead",
                               ahead=ahead, what=what, workers=workers)
    if all(job.state == "queued" for job in pending):
        return "spinner", text("wait.queued", what=what)
    progress = next((job.progress for job in pending if job.progress), None)
    if expected_seconds >= PROGRESS_AFTER_SECONDS and progress is not None:
        return "bar", text("wait.simulating_progress", what=what, progress=say(progress[1]))
    return "spinner", text("wait.simulating", what=what)


def _wait_while(jobs: list[Job], check: Callable[[], None], shown: Callable[[], object]) -> None:
    """Wait until the jobs finish or what the page says about them would change.

    That is: a job starts, or, looked at most once a second, ``shown()`` (what the page draws
    of them: the spinner's text, or the bar's progress) changes. ``check`` (Streamlit's) raises
    when the user has moved on.
    """
    states = [job.state for job in jobs]
    seen = shown()
    since = time.monotonic()
    while not all(job.done() for job in jobs):
        next(job for job in jobs if not job.done()).wait(POLL_SECONDS)
        check()
        if [job.state for job in jobs] != states:
            return
        if time.monotonic() - since >= REDRAW_SECONDS:
            if shown() != seen:
                return
            since = time.monotonic()


def _wait_quietly(jobs: list[Job], what: str, *, expected_seconds: float = 0.0) -> None:
    """:func:`wait_for` off the script thread (a download's callable): no page to draw on.

    Takes :func:`wait_for`'s arguments so either can be called; ``what`` and
    ``expected_seconds`` are only what a drawn wait would show.
    """
    try:
        for job in jobs:
            job.wait()
    finally:
        for job in jobs:
            job.release()


def _plan_parts(scenario: Scenario, workers: WorkerPool | None = None) -> dict[runs.PlanKey, UnvaluedRun]:
    """The three plans' raw runs of ``scenario`` from the shared cache.

    The missing ones are simulated in the pool (joining a run another session has already asked
    for). ``workers``: the pool, when called off the script thread (default :func:`pool`); the
    wait is then not drawn.
    """
    wait = wait_for if workers is None or get_script_run_ctx() is not None else _wait_quietly
    workers = workers or pool()
    keys = runs.plan_keys(scenario)
    parts = {key: workers.peek(key) for key in keys}
    missing = [key for key, part in parts.items() if part is None]
    if not missing:
        return parts
    jobs = []
    try:
        names = []
        for key in missing:
            job = workers.join(key)
            if job is None:
                names.append(key[2])
            elif job not in jobs:
                jobs.append(job)
            else:
                job.release()
        stats = workers.stats()
        idle = stats["ready"] - stats["running"] - stats["queued"]
        # Split a full run in two when two workers are free (about the time of a two-plan run);
        # under load one lockstep run of the three costs less CPU than two runs. Split as the
        # standard plans and the custom plan, so each worker also values what it ran and this
        # process (one core for every session) values nothing.
        groups = [names[:2], names[2:]] if len(names) == 3 and idle >= 2 else [names]
        for group in filter(None, groups):
            provides: list[Hashable] = [runs.plan_key(scenario, name) for name in group]
            provides += [k for k in runs.valued_keys(scenario, group) if k is not None]
            if len(group) == 3:
                provides.append(runs.migration_key(scenario))
            # Its expected seconds as the cost: a capability move's one-plan run goes ahead of
            # queued three-plan runs (explorer.pool.AGING bounds how far).
            jobs.append(workers.submit(("run", *provides), runs.run_plan_parts,
                                       runs.custom_key(scenario), group, provides=provides,
                                       progress=True, prices=scenario.canonical_key(),
                                       cost=_expected_seconds(scenario, len(group))))
    except BaseException:
        for job in jobs:
            job.release()
        raise
    what = text("wait.three_plans" if len(missing) == 3 else "wait.custom_plan"
                if missing == keys[2:] else "wait.standard_plans")
    wait(jobs, what, expected_seconds=_expected_seconds(scenario, len(missing)))
    for job in jobs:
        for provided in job.provides:
            if provided in parts:
                parts[provided] = job.result(provided)  # type: ignore[index]
    return parts


def _lockstep(scenario: Scenario, workers: WorkerPool | None = None) -> runs.LockstepRun:
    return runs.lockstep_from_parts(scenario, _plan_parts(scenario, workers))


def _priced(scenario: Scenario, lockstep: runs.LockstepRun) -> Results:
    """The three plans valued at ``scenario``'s prices.

    The standard plans' valuation is shared by every custom plan (cached in the pool's
    byte-bounded cache, computed once).
    """
    workers = pool()
    cache = workers.cache
    standard_key, custom_key = runs.valued_keys(scenario, [*runs.STANDARD, *runs.CUSTOM])
    standard = cache.compute(standard_key, lambda: runs.value(lockstep.standard, scenario))
    custom = cache.compute(custom_key, lambda: runs.value(lockstep.custom, scenario))
    def joined() -> Results:
        # A three-plan job computed the migration in its worker; a capability move's is here.
        moved = workers.peek(runs.migration_key(scenario))
        if moved is None:
            moved = runs.migration(lockstep.standard, lockstep.custom, scenario)
        return runs.join(standard, custom, moved, frames=_FrameSource(workers, scenario))

    return cache.compute(("priced", scenario.canonical_key()), joined)


class _FrameSource:
    """The frames a page reads beyond KPIs and weekly (survival, funnel, ...), on first access.

    Computed here from the cached raw runs (simulated again in the pool if they were evicted)
    and kept in the pool's cache under their own key and measured size: the cached results
    that ask for them never grow. Holds no run, only the scenario; works off the script thread
    too (a report download's callable).
    """

    def __init__(self, workers: WorkerPool, scenario: Scenario) -> None:
        self.workers = workers
        self.scenario = scenario

    def __call__(self, name: str) -> Any:
        """The frame ``name`` (a :class:`~simulation.core.results.Results` field), computed once."""
        with engine_failures_shown():
            return self.workers.cache.compute(("frames", self.scenario.canonical_key()),
                                              self._compute)[name]
        raise AssertionError("unreachable")  # engine_failures_shown stops the page on a failure

    def _compute(self) -> dict[str, Any]:
        lockstep = _lockstep(self.scenario, self.workers)
        return runs.frames(lockstep.standard, lockstep.custom, self.scenario)


def results(scenario: Scenario | None = None, *, details: bool = False) -> Results:
    """Results of the three strategies for ``scenario`` (default: the session's), cached.

    Runs are simulated in the shared worker pool (:func:`pool`) and cached across sessions.
    ``details``: include the per-person outputs (``customers``, the customer segmentation),
    which cost more and only some pages show. A failure inside the engine is shown as a
    message and stops the page, never a traceback.
    """
    scenario = scenario or current_scenario()
    with engine_failures_shown():
        key = scenario.canonical_key()
        cache = pool().cache
        shown = cache.get(("priced", key))
        lockstep = None
        if shown is None:
            lockstep = _lockstep(scenario)
            shown = _priced(scenario, lockstep)
        if details:
            found = cache.get(("details", key))
            if found is None:
                lockstep = lockstep or _lockstep(scenario)
                found = cache.compute(("details", key), lambda: runs.details(
                    lockstep.standard, lockstep.custom, scenario))
            shown = runs.with_details(shown, found)
        return shown
    raise AssertionError("unreachable")  # engine_failures_shown stops the page on a failure


@contextlib.contextmanager
def engine_failures_shown() -> Iterator[None]:
    """On the script thread, show a failure inside the engine as a message and stop the page.

    Covers what :func:`results` computes and the frames its results compute later, on first
    access (:class:`_FrameSource`: they may simulate again when their runs were evicted). Off
    the script thread (a download's callable) the error propagates to the caller's handler.
    """
    try:
        yield
    except (MemoryError, ValueError, ArithmeticError, JobFailed, JobCancelled) as error:
        if get_script_run_ctx() is None:
            raise
        if isinstance(error, MemoryError):
            st.error(text("error.memory"))
        elif isinstance(error, (JobFailed, JobCancelled)):
            st.error(text("error.unfinished", error=error))
        else:
            st.error(text("error.simulation", error=error))
        st.stop()
