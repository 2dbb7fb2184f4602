"""Background work shared by every session: a thin view of the app's worker pool.

The Overview's verdict (and the Compare page's) needs decision analyses that take a minute or
more. They run as background jobs of the one worker pool of the server (:func:`explorer.state.pool`,
:mod:`explorer.pool`): in its analysis lane, at a lower CPU priority and behind every slider
run, once per key however many sessions ask, polled rather than waited for. This module starts
no process and keeps no queue of its own; it adds three things to the pool:

* **Watching by session.** Every :func:`submit` and :func:`get` counts as the asking session
  (its Streamlit session id) still looking. A job whose sessions have all moved on
  (:func:`stop_watching`) or not looked for the pool's lease (15 s) is cancelled, queued or
  running, so moving a slider ten times does not queue ten analyses.
* **One answer per key.** A finished analysis stays in the pool's cache for
  :data:`KEEP_SECONDS` under :func:`pool_key`, whichever page computed it (:func:`put` for a
  page's own run): :func:`finished` is the one place the Overview, the Decisions page and the
  Compare page ask whether the analysis of a scenario is done.
* **Failures in one line.** A job that raised, or whose worker died twice, is reported as
  :attr:`Job.error` (one line) for :data:`RETRY_AFTER_SECONDS`; then asking again retries.

Keys are ``(scenario canonical JSON, DecisionRequest)`` pairs, as on the Decisions page. Jobs
run ``function(*args, execution=...)`` through :func:`explorer.runs.run_analysis` in a pool
worker, so ``function`` and ``args`` must pickle (a module-level function).
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from explorer import runs, state
from explorer.pool import Job as PoolJob
from explorer.pool import JobCancelled, JobFailed, Priority, pickled_size
from simulation.inputs.problems import Progress

CACHE_DIR = str(Path(tempfile.gettempdir()) / "omnichannel-analysis-cache")
"""Where analyses cache each finished task (so a cancelled or preempted job resumes)."""
KEEP_SECONDS = 3600.0
"""A finished analysis is kept this long unused (a run: the pool's ``idle_seconds``)."""
RETRY_AFTER_SECONDS = 60.0
KEEP_JOBS = 64


@dataclass(frozen=True)
class Job:
    """What is known about one background job (a snapshot: ask :func:`get` again for news)."""

    key: Hashable
    label: str
    fraction: float = 0.0
    message: str = Progress("progress.waiting")
    result: Any = None
    error: str | None = None
    done: bool = False
    queued: bool = False
    """Waiting for the analysis worker (not started, or stopped to make room for a quick
    estimate and waiting to resume)."""


_lock = threading.Lock()
_jobs: OrderedDict[Hashable, tuple[PoolJob, float]] = OrderedDict()
"""The pool jobs started here (to read a failure after the pool has let go of the job)."""


def pool_key(key: Hashable) -> tuple[str, Hashable]:
    """The pool's key of the analysis ``key`` (the Decisions page submits the same)."""
    return ("analysis", key)


def session_id() -> str | None:
    """The Streamlit session asking (None outside a script run: one anonymous watcher)."""
    ctx = get_script_run_ctx(suppress_warning=True)
    return ctx.session_id if ctx is not None else None


def submit(key: Hashable, function: Callable[..., Any], *args: Any, label: str = "analyses",
           priority: Priority = Priority.BACKGROUND, watcher: Hashable | None = None) -> Job:
    """The job for ``key``: its result if known, else the queued or running job, else a new one.

    A queued or running job is now also watched by ``watcher`` (default: this session); a new
    job is ``function(*args, execution=...)`` submitted to the pool at ``priority`` (BACKGROUND,
    or IDLE for long work that yields to it).
    """
    workers = state.pool()
    found = _known(key, workers)
    if found is not None:
        return found
    job = workers.submit(pool_key(key), runs.run_analysis, function, args, CACHE_DIR,
                         priority=priority, progress=True, label=label, kept_seconds=KEEP_SECONDS,
                         stoppable=True,
                         watcher=watcher if watcher is not None else session_id())
    job.release()  # polled, not waited for: the watcher keeps it wanted
    with _lock:
        _jobs[key] = (job, time.monotonic())
        _jobs.move_to_end(key)
        while len(_jobs) > KEEP_JOBS:
            _jobs.popitem(last=False)
    return _view(key, job)


def get(key: Hashable, watcher: Hashable | None = None) -> Job | None:
    """The job for ``key`` (watched by ``watcher``, default: this session), or None.

    None if it was never submitted, was cancelled or its result has been dropped.
    """
    workers = state.pool()
    found = _known(key, workers)
    if found is not None:
        return found
    job = workers.watch(pool_key(key), watcher if watcher is not None else session_id())
    return _view(key, job) if job is not None else None


def finished(key: Hashable) -> Any:
    """The finished analysis for ``key``, else None: the one answer every page reads."""
    return state.pool().peek(pool_key(key))


def put(key: Hashable, result: Any) -> None:
    """Keep an analysis computed elsewhere as the answer for ``key``, for every page and session.

    E.g. the Decisions page's own run.
    """
    state.pool().cache.put(pool_key(key), result, pickled_size(result), KEEP_SECONDS)


def stop_watching(key: Hashable, watcher: Hashable | None = None) -> None:
    """``watcher`` (default: this session) no longer shows ``key``.

    Its job is cancelled if nobody else waits for or watches it.
    """
    state.pool().unwatch(pool_key(key), watcher if watcher is not None else session_id())


def _known(key: Hashable, workers: Any) -> Job | None:
    """A finished job for ``key``: its cached result, or its recent failure."""
    result = workers.peek(pool_key(key))
    if result is not None:
        return Job(key, "analyses", 1.0, "done", result=result, done=True)
    with _lock:
        entry = _jobs.get(key)
    if entry is None:
        return None
    job, started = entry
    if not job.done():
        return None
    error = job.error()
    if error is None or isinstance(error, JobCancelled) \
            or time.monotonic() - started > RETRY_AFTER_SECONDS:
        with _lock:
            if _jobs.get(key) == entry:
                del _jobs[key]
        return None
    return _view(key, job)


def _view(key: Hashable, job: PoolJob) -> Job:
    label = job.label or "analyses"
    if job.done():
        error = job.error()
        if error is None:
            return Job(key, label, 1.0, Progress("progress.done"), result=job.result(), done=True)
        text = str(error) if isinstance(error, JobFailed) else f"{type(error).__name__}: {error}"
        return Job(key, label, 0.0, Progress("progress.stopped"), error=text, done=True)
    if job.state == "queued":
        ahead = job.ahead()
        message: str = (Progress("progress.queued_behind_one") if ahead == 1
                   else Progress("progress.queued_behind", ahead=ahead) if ahead
                   else Progress("progress.queued"))
        return Job(key, label, 0.0, message, queued=True)
    fraction, said = job.progress or (0.0, Progress("progress.starting"))
    return Job(key, label, min(max(fraction, 0.0), 1.0), said)
