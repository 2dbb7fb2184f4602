"""Background jobs shared by every session of the server: one job per key, whoever asks.

The Overview's verdict needs the decision analyses (a minute or more on two cores). They run
here, in a process-wide registry keyed by (scenario, request): however many sessions show the
same scenario, it is analysed once, and each session polls the job's progress. Nothing here
imports Streamlit. The interface is small (:func:`submit`, :func:`get`, :class:`Job`) so the
jobs can move onto a shared worker pool without touching the pages.

Jobs run one at a time on one daemon thread (the analyses use every core through joblib themselves).
A job nobody has looked at for :data:`ABANDON_AFTER_SECONDS` is skipped before it starts or
cancelled between its runs, so moving a slider ten times does not queue ten analyses.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from simulation.analysis.parallel import AnalysisCancelled
from simulation.analysis.runs import Execution

ABANDON_AFTER_SECONDS = 15.0
"""Pages showing a job poll it every few seconds; a job unpolled this long is not wanted."""
KEEP_FINISHED = 16

Work = Callable[[Execution], Any]


@dataclass
class Job:
    """One piece of background work and what is known about it so far."""

    key: Hashable
    label: str
    fraction: float = 0.0
    message: str = "waiting to start"
    result: Any = None
    error: str | None = None
    done: bool = False
    seen: float = field(default_factory=time.monotonic)

    def touch(self) -> None:
        """Someone is showing this job: keep it alive."""
        self.seen = time.monotonic()

    def _abandoned(self) -> bool:
        return time.monotonic() - self.seen > ABANDON_AFTER_SECONDS


_lock = threading.Lock()
_jobs: OrderedDict[Hashable, Job] = OrderedDict()
_queue: queue.SimpleQueue[tuple[Job, Work, str | None]] = queue.SimpleQueue()
_worker: threading.Thread | None = None


def _serve() -> None:
    while True:
        job, work, cache_dir = _queue.get()
        _run(job, work, cache_dir)


def _enqueue(job: Job, work: Work, cache_dir: str | None) -> None:
    # A daemon thread: a server (or a test run) that exits does not wait for an analysis.
    global _worker
    with _lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_serve, name="omnichannel-background", daemon=True)
            _worker.start()
    _queue.put((job, work, cache_dir))


def _run(job: Job, work: Work, cache_dir: str | None) -> None:
    if job._abandoned():
        with _lock:
            _jobs.pop(job.key, None)
        return

    def progress(fraction: float, message: str) -> None:
        job.fraction, job.message = min(max(fraction, 0.0), 1.0), message

    try:
        job.result = work(Execution(progress=progress, should_cancel=job._abandoned, cache_dir=cache_dir))
        job.fraction, job.message = 1.0, "done"
    except AnalysisCancelled:
        with _lock:
            _jobs.pop(job.key, None)
        return
    except Exception as error:
        job.error = f"{type(error).__name__}: {error}"
    job.done = True
    with _lock:
        finished = [k for k, j in _jobs.items() if j.done]
        for k in finished[:-KEEP_FINISHED]:
            _jobs.pop(k, None)


def submit(key: Hashable, work: Work, *, label: str = "analyses", cache_dir: str | None = None) -> Job:
    """The job for ``key``: the existing one (touched), or ``work`` started in the background."""
    with _lock:
        job = _jobs.get(key)
        if job is not None and job.error is None:
            job.touch()
            return job
        job = Job(key=key, label=label)
        _jobs[key] = job
    _enqueue(job, work, cache_dir)
    return job


def get(key: Hashable) -> Job | None:
    """The job for ``key`` if one was submitted and is still kept (touched)."""
    with _lock:
        job = _jobs.get(key)
    if job is not None:
        job.touch()
    return job


def finished(key: Hashable) -> Any:
    """The result of the finished job for ``key``, else None."""
    job = get(key)
    return job.result if job is not None and job.done and job.error is None else None


def put(key: Hashable, result: Any, label: str = "analyses") -> None:
    """Record a result computed elsewhere (a page's own run) so other sessions reuse it."""
    with _lock:
        _jobs[key] = Job(key=key, label=label, fraction=1.0, message="done", result=result, done=True)
