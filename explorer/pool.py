"""One pool of simulation worker processes shared by every session of the app server.

A Streamlit server is one Python process whose sessions are threads, so CPU-bound work in the
scripts shares about one core. :class:`WorkerPool` runs that work in separate processes instead:

* **Clean workers.** Each worker is ``python -m explorer.worker`` (never the app script, which
  ``multiprocessing``'s ``spawn`` and ``forkserver`` would re-import as ``__main__`` under
  Streamlit), talking to this process over a socket pair. Workers are replaced when they die,
  and exit when this process goes away (their socket closes).
* **Coalescing.** Work is submitted under a key (e.g. a scenario's canonical JSON). While a job
  is queued or running, submitting the same key returns the same :class:`Job`: one run, many
  waiters. A job may *provide* several keys (one run of three plans fills three entries).
* **One cache in bytes.** Finished results go into a :class:`ResultCache` bounded in bytes
  (the pickled size the worker sent), least recently used first out, and entries nobody asked
  for within ``idle_seconds`` are dropped too, so memory returns once the users have gone.
* **Priorities and shares.** The queue is ordered by :class:`Priority` (interactive first),
  then by arrival. At most ``analysis_workers`` workers run ANALYSIS jobs at once, so the
  others stay free for the sliders.
* **Cancellation.** A job counts its waiters; when the last one :meth:`Job.release` s it, a
  queued job is dropped (unless BACKGROUND: sessions poll for those), and a running job
  submitted with ``cancel_running=True`` is stopped by ending its worker's process group (with
  any processes it started); a fresh worker takes its place.

This module does not import Streamlit; :mod:`explorer.state` holds the app's one pool.
Why processes and not Dask: the work is a few CPU-bound tasks of 0.1-1 s on one machine, and a
local ``distributed`` cluster adds a scheduler process, a nanny per worker and ~100 MB plus an
event loop to keep the same two cores busy; with more users the app scales by running more
replicas behind a load balancer (README, "Deployment"), not by one server reaching a cluster.
"""

from __future__ import annotations

import contextlib
import ctypes
import enum
import itertools
import logging
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORKERS_ENV = "EXPLORER_WORKERS"
ANALYSIS_WORKERS_ENV = "EXPLORER_ANALYSIS_WORKERS"
CACHE_MB_ENV = "EXPLORER_CACHE_MB"
CACHE_IDLE_ENV = "EXPLORER_CACHE_IDLE_SECONDS"
DEFAULT_CACHE_MB = 256
DEFAULT_IDLE_SECONDS = 120.0
RETRIES = 1
"""How many times a job whose worker died is started again on a fresh worker."""
_SINGLE_THREADED = {name: "1" for name in (
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")}

log = logging.getLogger(__name__)


class Priority(enum.IntEnum):
    """Queue order: lower runs first."""

    INTERACTIVE = 0
    """A page waiting for a run to draw (sliders, first render)."""
    BACKGROUND = 1
    """Work computed once per scenario for every session that shows it (e.g. a verdict); it
    stays queued when nobody waits (sessions poll for it) and its result is cached."""
    ANALYSIS = 2
    """Long analyses (Decisions page); limited to ``analysis_workers`` workers at once."""


class JobFailed(RuntimeError):
    """The job raised, or its worker died more than :data:`RETRIES` times; ``str`` says which."""


class JobCancelled(RuntimeError):
    """The job was cancelled (every waiter left) before it finished."""


def cpu_count() -> int:
    """Cores this process may run on (the affinity mask, which containers narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        log.warning("%s=%r is not a whole number; using %d", name, text, default)
        return default
    return max(1, value)


@dataclass(frozen=True)
class PoolSettings:
    """How big the pool and its cache are.

    Attributes
    ----------
    workers:
        Worker processes (default: one per core, ``EXPLORER_WORKERS``).
    analysis_workers:
        Most workers running ANALYSIS jobs at once (default: half the workers, at least one;
        ``EXPLORER_ANALYSIS_WORKERS``).
    cache_bytes:
        Bound of the result cache in bytes (default 256 MB, ``EXPLORER_CACHE_MB``).
    idle_seconds:
        Entries not asked for this long are dropped (default 120 s, ``EXPLORER_CACHE_IDLE_SECONDS``).
    """

    workers: int
    analysis_workers: int
    cache_bytes: int
    idle_seconds: float

    @classmethod
    def from_environment(cls, overrides: dict[str, Any] | None = None) -> PoolSettings:
        """Settings from the environment, then ``overrides`` (e.g. Streamlit secrets)."""
        workers = _env_int(WORKERS_ENV, cpu_count())
        values: dict[str, Any] = {
            "workers": workers,
            "analysis_workers": _env_int(ANALYSIS_WORKERS_ENV, max(1, workers // 2)),
            "cache_bytes": _env_int(CACHE_MB_ENV, DEFAULT_CACHE_MB) * 2**20,
            "idle_seconds": float(_env_int(CACHE_IDLE_ENV, int(DEFAULT_IDLE_SECONDS))),
        }
        for name, value in (overrides or {}).items():
            if name == "cache_mb":
                values["cache_bytes"] = int(value) * 2**20
            elif name in values:
                values[name] = type(values[name])(value)
        values["analysis_workers"] = max(1, min(values["analysis_workers"], values["workers"]))
        return cls(**values)


def release_freed_memory() -> None:
    """Hand freed heap pages back to the operating system (glibc keeps them otherwise)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class ResultCache:
    """Thread-safe cache bounded in bytes: least recently used entries go first, and entries
    not used for ``idle_seconds`` go at the next :meth:`expire`.

    :meth:`compute` coalesces in-process work: one thread computes a missing key while the
    others asking for it wait for that value.
    """

    def __init__(self, max_bytes: int, idle_seconds: float = DEFAULT_IDLE_SECONDS) -> None:
        self.max_bytes = max_bytes
        self.idle_seconds = idle_seconds
        self._entries: OrderedDict[Hashable, tuple[Any, int, float]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Event] = {}

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def nbytes(self) -> int:
        """Bytes held (the sum of the entries' sizes)."""
        return self._bytes

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return default
            self._entries[key] = (entry[0], entry[1], time.monotonic())
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: Hashable, value: Any, nbytes: int) -> None:
        """Keep ``value`` (``nbytes`` big); a value bigger than the whole bound is not kept."""
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            if nbytes > self.max_bytes:
                return
            self._entries[key] = (value, nbytes, time.monotonic())
            self._bytes += nbytes
            while self._bytes > self.max_bytes:
                _, (_, size, _) = self._entries.popitem(last=False)
                self._bytes -= size

    def compute(self, key: Hashable, function: Callable[[], Any],
                size: Callable[[Any], int] | None = None) -> Any:
        """The cached value of ``key``, else ``function()`` computed once however many threads
        ask at the same time (the others wait for it); ``size`` measures it (default: its
        pickled length)."""
        while True:
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None:
                    self._entries[key] = (entry[0], entry[1], time.monotonic())
                    self._entries.move_to_end(key)
                    return entry[0]
                running = self._computing.get(key)
                if running is None:
                    running = self._computing[key] = threading.Event()
                    mine = True
                else:
                    mine = False
            if not mine:
                running.wait()
                continue  # the value is cached now (or the computing thread failed: try ourselves)
            try:
                value = function()
                self.put(key, value, (size or pickled_size)(value))
                return value
            finally:
                with self._lock:
                    del self._computing[key]
                running.set()

    def expire(self) -> int:
        """Drop the entries not used for ``idle_seconds``; returns how many went."""
        limit = time.monotonic() - self.idle_seconds
        with self._lock:
            stale = [key for key, (_, _, used) in self._entries.items() if used < limit]
            for key in stale:
                self._bytes -= self._entries.pop(key)[1]
        return len(stale)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


def pickled_size(value: Any) -> int:
    """Bytes of ``value`` pickled: what a cache entry of it costs, near enough."""
    return len(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


@dataclass
class Job:
    """Work submitted to the pool; shared by every session that asked for the same key.

    Wait with :meth:`wait`, read with :meth:`result`, leave with :meth:`release`.
    ``progress`` holds the last ``(fraction, message)`` the worker reported.
    """

    key: Hashable
    function: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    priority: Priority
    provides: tuple[Hashable, ...]
    cancel_running: bool
    wants_progress: bool
    seq: int
    waiters: int = 1
    state: str = "queued"
    progress: tuple[float, str] | None = None
    attempts: int = 0
    keep: bool = True
    _values: dict[Hashable, Any] = field(default_factory=dict)
    _error: BaseException | None = None
    _done: threading.Event = field(default_factory=threading.Event)
    _pool: WorkerPool | None = None

    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds; True when the job has finished (either way)."""
        return self._done.wait(timeout)

    def result(self, key: Hashable | None = None) -> Any:
        """The value (of ``key``, for a job that provides several); raises :class:`JobFailed`
        or :class:`JobCancelled` if it has none. Call after :meth:`wait` returned True."""
        if not self._done.is_set():
            raise RuntimeError("the job has not finished")
        if self._error is not None:
            raise self._error
        return self._values[self.key if key is None else key]

    def ahead(self) -> int:
        """Jobs that will start before this one (0 once it runs)."""
        return self._pool.ahead_of(self) if self._pool is not None else 0

    def release(self) -> None:
        """This waiter no longer needs the job; the last one out cancels it (see the module)."""
        if self._pool is not None:
            self._pool.release(self)

    def _finish(self, values: dict[Hashable, Any] | None, error: BaseException | None) -> None:
        self._values = values or {}
        self._error = error
        self.state = "failed" if error is not None else "done"
        self._done.set()


class _Worker:
    """One worker process and the thread that reads its messages."""

    def __init__(self, pool: WorkerPool, number: int) -> None:
        self.pool = pool
        self.number = number
        self.job: Job | None = None
        self.ready = False
        parent, child = socket.socketpair()
        env = {**os.environ, **_SINGLE_THREADED,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "explorer.worker", str(child.fileno())],
            pass_fds=(child.fileno(),), cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: a cancel ends what it started too
        )
        child.close()
        self.connection = Connection(parent.detach())
        self._send_lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, name=f"pool-worker-{number}", daemon=True)
        self.reader.start()

    def send(self, message: tuple[Any, ...]) -> bool:
        try:
            with self._send_lock:
                self.connection.send(message)
            return True
        except (OSError, ValueError):
            return False

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def _read(self) -> None:
        try:
            while True:
                message = self.connection.recv()
                self.pool._on_message(self, message)
        except (EOFError, OSError):
            pass
        finally:
            self.connection.close()
            self.process.wait()
            self.pool._on_exit(self)


class WorkerPool:
    """Worker processes shared by all sessions (see the module docstring).

    Parameters
    ----------
    settings:
        Sizes (default: :meth:`PoolSettings.from_environment`).
    """

    def __init__(self, settings: PoolSettings | None = None) -> None:
        self.settings = settings or PoolSettings.from_environment()
        self.cache = ResultCache(self.settings.cache_bytes, self.settings.idle_seconds)
        self._lock = threading.Condition()
        self._queue: list[Job] = []
        self._inflight: dict[Hashable, Job] = {}
        self._workers: list[_Worker] = []
        self._seq = itertools.count()
        self._numbers = itertools.count()
        self._closed = False
        self.started_jobs = 0
        """How many jobs have been sent to workers (tests count simulations with it)."""
        self.replaced_workers = 0
        with self._lock:
            for _ in range(self.settings.workers):
                self._workers.append(_Worker(self, next(self._numbers)))
        self._janitor = threading.Thread(target=self._sweep, name="pool-janitor", daemon=True)
        self._janitor.start()

    # -- submitting -------------------------------------------------------------------------

    def submit(self, key: Hashable, function: Callable[..., Any], *args: Any,
               priority: Priority = Priority.INTERACTIVE, provides: Sequence[Hashable] = (),
               cancel_running: bool = False, progress: bool = False, keep: bool = True,
               **kwargs: Any) -> Job:
        """The job computing ``function(*args, **kwargs)`` in a worker, cached under ``key``.

        If ``key`` (every key of ``provides``) is cached, the returned job has already
        finished; if a queued or running job will provide every missing one, that job is
        returned (with one more waiter). Each call must be
        matched by one :meth:`Job.release` once the caller no longer waits.

        Parameters
        ----------
        function:
            A module-level function (sent by reference); its arguments must pickle.
        priority:
            Queue order (and for ANALYSIS, the share of workers).
        provides:
            Keys of the dict the function returns, each cached apart (instead of ``key``).
            Submitting any of them later while the job runs joins this job.
        cancel_running:
            Stop the worker if every waiter leaves while it runs (long analyses); otherwise a
            started job finishes and its result is cached for whoever asks next.
        progress:
            Pass ``progress=callback(fraction, message)`` to the function; the latest report is
            :attr:`Job.progress`.
        keep:
            Cache the result (False: only the job's waiters get it).
        """
        keys = tuple(provides) or (key,)
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool has been shut down")
            cached = {k: self.cache.get(k, _MISSING) for k in keys}
            if all(v is not _MISSING for v in cached.values()):
                job = Job(key, function, args, kwargs, priority, tuple(provides), cancel_running,
                          progress, next(self._seq))
                job._finish(cached, None)
                return job
            missing = [k for k in keys if cached[k] is _MISSING]
            running = self._inflight.get(missing[0])
            if running is not None and set(missing) <= set(running.provides or (running.key,)):
                running.waiters += 1
                if priority < running.priority and running.state == "queued":
                    running.priority = priority  # an interactive waiter lifts a background job
                return running
            job = Job(key, function, args, kwargs, priority, tuple(provides), cancel_running,
                      progress, next(self._seq), keep=keep, _pool=self)
            for k in keys:
                self._inflight[k] = job
            self._queue.append(job)
            self._dispatch()
        return job

    def join(self, key: Hashable) -> Job | None:
        """The queued or running job that will provide ``key``, with one more waiter (to
        :meth:`Job.release`), or None if there is none."""
        with self._lock:
            job = self._inflight.get(key)
            if job is None or job.done():
                return None
            job.waiters += 1
            return job

    def peek(self, key: Hashable) -> Any:
        """The cached value of ``key`` or None, without submitting anything."""
        return self.cache.get(key)

    def running(self, key: Hashable) -> Job | None:
        """The queued or running job that will provide ``key``, if any (no waiter added)."""
        with self._lock:
            job = self._inflight.get(key)
            return job if job is not None and not job.done() else None

    def ahead_of(self, job: Job) -> int:
        with self._lock:
            if job.state != "queued":
                return 0
            return sum(1 for other in self._queue if _order(other) < _order(job))

    def release(self, job: Job) -> None:
        with self._lock:
            if job.done() or job.waiters <= 0:
                return
            job.waiters -= 1
            if job.waiters > 0:
                return
            if job.state == "queued" and job.priority != Priority.BACKGROUND:
                self._queue.remove(job)
                self._forget(job)
                job._finish(None, JobCancelled("cancelled before it started"))
            elif job.state == "running" and job.cancel_running:
                job.state = "cancelling"
                worker = next((w for w in self._workers if w.job is job), None)
                if worker is not None:
                    worker.kill()  # its reader thread sees the end and finishes the job

    # -- state --------------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Workers, queued and running jobs, cache entries and bytes (for logs and tests)."""
        with self._lock:
            return {"workers": len(self._workers),
                    "ready": sum(w.ready for w in self._workers),
                    "queued": len(self._queue),
                    "running": sum(w.job is not None for w in self._workers),
                    "cached": len(self.cache), "cached_bytes": self.cache.nbytes,
                    "started_jobs": self.started_jobs, "replaced_workers": self.replaced_workers}

    def pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._workers]

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Wait until every worker has imported the engine."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not all(w.ready for w in self._workers):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
        return True

    def close(self) -> None:
        """Stop every worker; queued and running jobs fail with :class:`JobCancelled`."""
        with self._lock:
            self._closed = True
            workers = list(self._workers)
            for job in self._queue:
                job._finish(None, JobCancelled("the worker pool was shut down"))
            self._queue.clear()
            self._lock.notify_all()
        for worker in workers:
            worker.kill()
        for worker in workers:
            if worker.reader is not threading.current_thread():
                worker.reader.join(timeout=10)
        self.cache.clear()

    # -- inside ----------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        """Give queued jobs to idle ready workers (lock held)."""
        while self._queue:
            idle = [w for w in self._workers if w.ready and w.job is None]
            if not idle:
                return
            analyses = sum(1 for w in self._workers
                           if w.job is not None and w.job.priority == Priority.ANALYSIS)
            eligible = [j for j in self._queue if j.priority != Priority.ANALYSIS
                        or analyses < self.settings.analysis_workers]
            if not eligible:
                return
            job = min(eligible, key=_order)
            self._queue.remove(job)
            worker = idle[0]
            worker.job = job
            job.state = "running"
            job.attempts += 1
            self.started_jobs += 1
            if not worker.send(("run", job.seq, job.function, job.args, job.kwargs,
                                job.wants_progress, job.provides)):
                worker.kill()  # the reader thread requeues it

    def _on_message(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        kind = message[0]
        with self._lock:
            if kind == "ready":
                worker.ready = True
                self._lock.notify_all()
                self._dispatch()
                return
            job = worker.job
            if job is None or message[1] != job.seq:
                return
            if kind == "progress":
                job.progress = (float(message[2]), str(message[3]))
                return
            worker.job = None
            if kind == "done":
                values = {}
                for k, payload in zip(job.provides or (job.key,), message[2], strict=True):
                    values[k] = pickle.loads(payload)
                    if job.keep:
                        self.cache.put(k, values[k], len(payload))
                self._forget(job)
                job._finish(values, None)
            else:  # "error": the function raised; the worker is fine
                self._forget(job)
                job._finish(None, _exception(message[2], message[3]))
            self._dispatch()

    def _on_exit(self, worker: _Worker) -> None:
        with self._lock:
            if worker in self._workers:
                self._workers.remove(worker)
            job, worker.job = worker.job, None
            if job is not None and not job.done():
                if job.state == "cancelling":
                    self._forget(job)
                    job._finish(None, JobCancelled("cancelled while it ran"))
                elif job.attempts <= RETRIES and not self._closed:
                    log.warning("a simulation worker ended during a run; starting it again")
                    job.state = "queued"
                    self._queue.append(job)
                else:
                    self._forget(job)
                    job._finish(None, JobFailed(
                        "the simulation worker stopped during this run (out of memory?); "
                        "try again or lower Simulated people"))
            if not self._closed:
                self.replaced_workers += 1
                self._workers.append(_Worker(self, next(self._numbers)))
            self._lock.notify_all()
            self._dispatch()

    def _forget(self, job: Job) -> None:
        for k in job.provides or (job.key,):
            if self._inflight.get(k) is job:
                del self._inflight[k]

    def _sweep(self) -> None:
        """Every few seconds: drop idle cache entries and give the memory back."""
        period = max(1.0, min(30.0, self.settings.idle_seconds / 4))
        while True:
            time.sleep(period)
            if self._closed:
                return
            if self.cache.expire():
                release_freed_memory()


_MISSING = object()


def _exception(text: str, payload: bytes | None) -> BaseException:
    """The exception the job raised in the worker (so callers can tell a bad scenario from a
    crash), or :class:`JobFailed` with its text when it does not unpickle."""
    if payload is not None:
        try:
            error = pickle.loads(payload)
            if isinstance(error, Exception):
                return error
        except Exception:
            pass
    return JobFailed(text)


def _order(job: Job) -> tuple[int, int]:
    return (int(job.priority), job.seq)
