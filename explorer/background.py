"""Background jobs shared by every session of the server: one job per key, whoever asks.

The Overview's verdict needs the decision analyses (a minute or more on two cores). They run
here, in a process-wide registry keyed by (scenario, request): however many sessions show the
same scenario, it is analysed once, and each session polls the job's progress. Nothing here
imports Streamlit. The interface is small (:func:`submit`, :func:`get`, :class:`Job`) so the
jobs can move onto a shared worker pool without touching the pages.

Jobs run one at a time, each in a process of its own started by a daemon thread, at a lower
priority (:data:`NICENESS`) so that the pages people are using keep the CPU first (the analyses
use every core through joblib). A job nobody has looked at for :data:`ABANDON_AFTER_SECONDS` is
skipped before it starts or its process is stopped, so moving a slider ten times does not queue
ten analyses.
"""

from __future__ import annotations

import atexit
import dataclasses
import multiprocessing
import os
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import Any

from simulation.analysis.runs import Execution

ABANDON_AFTER_SECONDS = 15.0
"""Pages showing a job poll it every few seconds; a job unpolled this long is not wanted."""
KEEP_FINISHED = 16

NICENESS = 10
"""How much lower the jobs' processes run than the server (Unix ``nice``)."""


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
_queue: queue.SimpleQueue[tuple[Job, Callable[..., Any], tuple[Any, ...], Execution]] = queue.SimpleQueue()
_worker: threading.Thread | None = None
_running: list[BaseProcess] = []


def _serve() -> None:
    while True:
        job, function, args, execution = _queue.get()
        try:
            _run(job, function, args, execution)
        except Exception as error:  # e.g. a process that cannot start: keep serving
            job.error, job.done = f"{type(error).__name__}: {error}", True


def _enqueue(job: Job, function: Callable[..., Any], args: tuple[Any, ...], execution: Execution) -> None:
    # A daemon thread: a server (or a test run) that exits does not wait for an analysis.
    global _worker
    with _lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_serve, name="omnichannel-background", daemon=True)
            _worker.start()
    _queue.put((job, function, args, execution))


def _child(function: Callable[..., Any], args: tuple[Any, ...], execution: Execution,
           messages: Any) -> None:
    """In the job's own process: lower priority (its joblib workers inherit it), then run."""
    os.nice(NICENESS)

    def progress(fraction: float, message: str) -> None:
        messages.put(("progress", fraction, message))

    try:
        messages.put(("done", function(*args, dataclasses.replace(execution, progress=progress))))
    except Exception as error:
        messages.put(("error", f"{type(error).__name__}: {error}"))


def _run(job: Job, function: Callable[..., Any], args: tuple[Any, ...], execution: Execution) -> None:
    """Run the job in a spawned process at lower priority, so the pages people are using keep
    the CPU first; follow its progress; stop it when nobody is looking any more."""
    if job._abandoned():
        _forget(job)
        return
    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    process = context.Process(target=_child, args=(function, args, execution, messages),
                              name=f"omnichannel-{job.label}")
    process.start()
    _running.append(process)
    try:
        while True:
            try:
                message = messages.get(timeout=0.5)
            except queue.Empty:
                if job._abandoned():
                    _forget(job)
                    return
                if not process.is_alive():
                    job.error = "the analysis process stopped unexpectedly"
                    break
                continue
            if message[0] == "progress":
                job.fraction, job.message = min(max(message[1], 0.0), 1.0), message[2]
                continue
            if message[0] == "done":
                job.result, job.fraction, job.message = message[1], 1.0, "done"
            else:
                job.error = message[1]
            break
    finally:
        if process.is_alive():
            process.terminate()
        process.join(timeout=5)
        _running.remove(process)
    job.done = True
    with _lock:
        finished = [k for k, j in _jobs.items() if j.done]
        for k in finished[:-KEEP_FINISHED]:
            _jobs.pop(k, None)


def _forget(job: Job) -> None:
    with _lock:
        if _jobs.get(job.key) is job:
            _jobs.pop(job.key, None)


@atexit.register
def _stop_running() -> None:
    # Before multiprocessing's own exit handler, which would wait for the job to finish.
    for process in list(_running):
        process.terminate()


def submit(key: Hashable, function: Callable[..., Any], *args: Any, label: str = "analyses",
           cache_dir: str | None = None, n_jobs: int | None = None) -> Job:
    """The job for ``key``: the existing one (touched), or ``function(*args, execution)`` started
    in the background (``function`` and ``args`` must pickle: the job runs in its own process;
    ``execution`` carries ``cache_dir``, ``n_jobs`` and a progress callback)."""
    with _lock:
        job = _jobs.get(key)
        if job is not None and job.error is None:
            job.touch()
            return job
        job = Job(key=key, label=label)
        _jobs[key] = job
    _enqueue(job, function, args, Execution(n_jobs=n_jobs, cache_dir=cache_dir))
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
