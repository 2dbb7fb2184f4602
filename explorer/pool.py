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
* **Two lanes, priorities.** ``workers`` processes serve INTERACTIVE jobs only (the runs a
  page waits for to draw: sliders, first render), so no long job ever holds one. Long work
  (ANALYSIS, BACKGROUND, IDLE: the Decisions page's analyses and the verdict's refinement) runs
  on ``analysis_workers`` further processes started at a lower CPU priority (``nice``
  ``analysis_nice``): they use what the interactive workers and the server leave idle. Each
  lane's queue is ordered by :class:`Priority`, then by *turn* (:meth:`WorkerPool.queued`
  shows that order): shorter jobs first, without starving the longer ones (see
  :data:`AGING`). A running IDLE job is *preempted* (its worker stopped, the job queued
  again) when a more urgent long job waits for the lane: analyses cache their finished tasks
  on disk, so it resumes where it was.
* **Cancellation.** A job counts its waiters; when the last one :meth:`Job.release` s it, a
  queued job is dropped, and a running job submitted with ``cancel_running=True`` is stopped.
  A job submitted as ``stoppable`` (an analysis, which looks between its tasks) is asked to
  stop and its worker goes on to the next job; it is ended only if the job has not stopped
  within :data:`STOP_GRACE_SECONDS`. Any other running job is stopped by ending its worker's
  process group (with any processes it started), and a fresh worker takes its place: that
  costs the new worker's start (importing the engine, about 2 s of CPU), which a stoppable
  job spares. Background jobs (BACKGROUND, IDLE) are polled rather than waited for: sessions
  *watch* them (:meth:`WorkerPool.watch`, by session id); a watcher not heard from for
  ``lease_seconds`` or gone with :meth:`WorkerPool.unwatch` no longer counts, and a
  background job with neither waiters nor watchers is cancelled, queued or running.
  :meth:`WorkerPool.cancel` stops a job whoever waits.

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
import gc
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

from simulation.core.kernels.threads import THREADS_ENV

ROOT = Path(__file__).resolve().parents[1]
WORKERS_ENV = "EXPLORER_WORKERS"
ANALYSIS_WORKERS_ENV = "EXPLORER_ANALYSIS_WORKERS"
ANALYSIS_NICE_ENV = "EXPLORER_ANALYSIS_NICE"
LEASE_ENV = "EXPLORER_BACKGROUND_LEASE_SECONDS"
PAUSE_ENV = "EXPLORER_PAUSE_ANALYSES"
CACHE_MB_ENV = "EXPLORER_CACHE_MB"
CACHE_IDLE_ENV = "EXPLORER_CACHE_IDLE_SECONDS"
DEFAULT_CACHE_MB = 256
DEFAULT_IDLE_SECONDS = 120.0
DEFAULT_ANALYSIS_NICE = 10
DEFAULT_LEASE_SECONDS = 15.0
SWEEP_SECONDS = 1.0
"""How often the janitor drops unwatched background jobs (and, less often, idle cache entries)."""
RETRIES = 1
"""How many times a job whose worker died is started again on a fresh worker."""
STOP_GRACE_SECONDS = 5.0
"""How long a cancelled stoppable job may take to stop before its worker is ended. An analysis
stops after its current task: a fresh worker's start costs about 2 s of CPU, so waiting for a
task of a few seconds is the cheaper way out."""
PREEMPT_GRACE_SECONDS = 2.0
"""The same for a preempted job: a more urgent job waits for its worker, and a fresh worker
would be ready in about this long."""
PAUSE_SECONDS = 3.0
"""Longest stretch an analysis worker is paused (SIGSTOP) while a slider's run has an
interactive worker. A lower ``nice`` alone was not enough: a slider move cancels the previous
scenario's analyses, which stop after their current task, and that task ran beside the new
run; a behavioural move's runs took 0.47-0.80 s instead of about 0.35-0.45 s (AppTest, default
scenario). After this long it runs for :data:`RESUME_SECONDS`, so the verdict still refines
under steady slider traffic."""
RESUME_SECONDS = 1.0
BACKLOG_PAUSE_SECONDS = 30.0
"""Longest pause while slider runs are also *queued* (more of them than interactive workers).
That is many sessions at once, not one user's steady moves: every core is needed for the
queue, and a verdict refining in the meantime only delays the runs waited for (twenty sessions:
the quick estimates took 2.4-3.5 s of CPU during the burst at :data:`PAUSE_SECONDS`)."""
AGING = 9.0
"""How far a shorter job may go ahead of a longer one in its lane's queue.

Jobs are submitted with an expected ``cost`` (the app gives a run's expected seconds: a
capability move re-simulates one plan, a behavioural move three). A job's turn is the work
(the sum of costs) its lane had started when it came, plus ``AGING`` times its own cost; the
queue runs in turn order. A shorter job thus overtakes a longer one that came before it unless
the lane has since started more than ``AGING`` times their difference in cost, so a long job
is passed by a bounded amount of later work and never starves; jobs of equal cost keep their
order of arrival. The clock is work started, not seconds, so how far a job may be overtaken
follows the load. Twenty sessions each moving the horizon (three plans) and then a capability
(one plan), simulated with the measured run times: update median -12% at the same p90 for 6;
shortest-first without aging (a very large value) halved the median but raised p90 by a
quarter (the last three-plan runs waited behind every capability run). Measured on the quiet
2-core machine (``bench/load.py``, 20 sessions, update median / p90): 6 gave 4.42-5.24 /
7.05-8.54 s over nine runs, 9 gave 4.00-4.23 / 7.26-7.92 s over three, 12 gave 3.76-4.06 /
7.93-8.28 s over three: 9 lowers the median and keeps p90 under 8 s."""
CAN_PAUSE = hasattr(signal, "SIGSTOP") and hasattr(os, "killpg")
_SINGLE_THREADED = {name: "1" for name in (
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS", THREADS_ENV)}

log = logging.getLogger(__name__)


class Priority(enum.IntEnum):
    """Queue order within a lane: lower runs first.

    INTERACTIVE jobs run on the interactive workers, all others on the (lower CPU priority)
    analysis workers.
    """

    INTERACTIVE = 0
    """A page waiting for a run to draw (sliders, first render)."""
    ANALYSIS = 1
    """A long analysis a session asked for and waits for (Decisions page)."""
    BACKGROUND = 2
    """Short work computed once per scenario for every session that shows it (the verdict's
    quick estimate); polled by watching sessions, its result cached."""
    IDLE = 3
    """Long background work (the verdict's full analysis): runs when no other long job waits,
    and is preempted (queued again, resuming from its task cache) when one comes."""

    @property
    def lane(self) -> str:
        """The lane that runs jobs of this priority: "interactive" or "analysis"."""
        return "interactive" if self == Priority.INTERACTIVE else "analysis"

    @property
    def background(self) -> bool:
        """Polled by watchers rather than waited for."""
        return self >= Priority.BACKGROUND


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
        Further worker processes for long jobs (analyses, background work; default: half the
        workers, at least one; ``EXPLORER_ANALYSIS_WORKERS``).
    cache_bytes:
        Bound of the result cache in bytes (default 256 MB, ``EXPLORER_CACHE_MB``).
    idle_seconds:
        Entries not asked for this long are dropped (default 120 s, ``EXPLORER_CACHE_IDLE_SECONDS``).
    analysis_nice:
        How much lower the analysis workers' CPU priority is (Unix ``nice``, default 10,
        ``EXPLORER_ANALYSIS_NICE``; 0 = the same as the server's).
    lease_seconds:
        A session watching a background job counts for this long after it last looked
        (default 15 s, ``EXPLORER_BACKGROUND_LEASE_SECONDS``).
    pause_analyses:
        Whether the analysis workers are paused while a slider's run needs the cores (default
        on, ``EXPLORER_PAUSE_ANALYSES=0`` turns it off; Unix only; see :data:`PAUSE_SECONDS`).
    """

    workers: int
    analysis_workers: int
    cache_bytes: int
    idle_seconds: float
    analysis_nice: int = DEFAULT_ANALYSIS_NICE
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    pause_analyses: bool = True

    @classmethod
    def from_environment(cls, overrides: dict[str, Any] | None = None) -> PoolSettings:
        """Settings from the environment, then ``overrides`` (e.g. Streamlit secrets)."""
        workers = _env_int(WORKERS_ENV, cpu_count())
        values: dict[str, Any] = {
            "workers": workers,
            "analysis_workers": _env_int(ANALYSIS_WORKERS_ENV, max(1, workers // 2)),
            "cache_bytes": _env_int(CACHE_MB_ENV, DEFAULT_CACHE_MB) * 2**20,
            "idle_seconds": float(_env_int(CACHE_IDLE_ENV, int(DEFAULT_IDLE_SECONDS))),
            "analysis_nice": _env_int(ANALYSIS_NICE_ENV, DEFAULT_ANALYSIS_NICE),
            "lease_seconds": float(_env_int(LEASE_ENV, int(DEFAULT_LEASE_SECONDS))),
            "pause_analyses": os.environ.get(PAUSE_ENV, "1").strip().lower() not in ("0", "false", "no"),
        }
        for name, value in (overrides or {}).items():
            if name == "cache_mb":
                values["cache_bytes"] = int(value) * 2**20
            elif name in values:
                values[name] = type(values[name])(value)
        values["analysis_workers"] = max(1, values["analysis_workers"])
        return cls(**values)


def release_freed_memory() -> None:
    """Hand freed heap pages back to the operating system (glibc keeps them otherwise)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class ResultCache:
    """Thread-safe cache bounded in bytes: least recently used entries go first.

    Entries not used for ``idle_seconds`` go at the next :meth:`expire`. :meth:`compute`
    coalesces in-process work: one thread computes a missing key while the others asking for it
    wait for that value.
    """

    def __init__(self, max_bytes: int, idle_seconds: float = DEFAULT_IDLE_SECONDS) -> None:
        self.max_bytes = max_bytes
        self.idle_seconds = idle_seconds
        self._entries: OrderedDict[Hashable, tuple[Any, int, float]] = OrderedDict()
        self._lasting: dict[Hashable, float] = {}
        """Keys kept longer than ``idle_seconds`` when unused: their own idle time (s)."""
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
        """The cached value of ``key`` (marked as just used), or ``default`` when it is not cached."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return default
            self._entries[key] = (entry[0], entry[1], time.monotonic())
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: Hashable, value: Any, nbytes: int, idle_seconds: float | None = None) -> None:
        """Keep ``value`` (``nbytes`` big); a value bigger than the whole bound is not kept.

        ``idle_seconds``: how long it is kept unused, if not the cache's ``idle_seconds`` (an
        analysis that took minutes is worth keeping longer than a run).
        """
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._lasting.pop(key, None)
            if nbytes > self.max_bytes:
                return
            self._entries[key] = (value, nbytes, time.monotonic())
            if idle_seconds is not None:
                self._lasting[key] = idle_seconds
            self._bytes += nbytes
            while self._bytes > self.max_bytes:
                gone, (_, size, _) = self._entries.popitem(last=False)
                self._lasting.pop(gone, None)
                self._bytes -= size

    def compute(self, key: Hashable, function: Callable[[], Any],
                size: Callable[[Any], int] | None = None) -> Any:
        """The cached value of ``key``, else ``function()`` computed once however many threads ask.

        Threads asking at the same time wait for the one computing it; ``size`` measures the value
        (default: its pickled length).
        """
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
        """Drop the entries not used for their idle time; returns how many went."""
        now = time.monotonic()
        with self._lock:
            stale = [key for key, (_, _, used) in self._entries.items()
                     if now - used > self._lasting.get(key, self.idle_seconds)]
            for key in stale:
                self._bytes -= self._entries.pop(key)[1]
                self._lasting.pop(key, None)
        return len(stale)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._entries.clear()
            self._lasting.clear()
            self._bytes = 0


def pickled_size(value: Any) -> int:
    """Bytes of ``value`` pickled: what a cache entry of it costs, near enough."""
    return len(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


@dataclass
class Job:
    """Work submitted to the pool; shared by every session that asked for the same key.

    Wait with :meth:`wait`, read with :meth:`result`, leave with :meth:`release`.
    ``progress`` holds the last ``(fraction, message)`` the worker reported; ``label`` says
    what the job is (for progress texts). ``state`` is "queued", "running", "cancelling",
    "preempted" (stopping to make room, then queued again), "done" or "failed".
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
    stoppable: bool = False
    """The function takes ``should_cancel``, a callable it polls, and stops when it returns True."""
    cost: float = 1.0
    """Expected work, in a unit shared by the lane's jobs (see :data:`AGING`)."""
    turn: float = 0.0
    """Place in its lane's queue among jobs of the same priority (see :data:`AGING`)."""
    waiters: int = 1
    state: str = "queued"
    progress: tuple[float, str] | None = None
    attempts: int = 0
    keep: bool = True
    label: str = ""
    kept_seconds: float | None = None
    watchers: dict[Hashable, float] = field(default_factory=dict)
    """Sessions polling a background job: id -> when last heard from (monotonic s)."""
    polled: bool = False
    """Submitted (or joined) as background work: wanted while waited for or watched."""
    _values: dict[Hashable, Any] = field(default_factory=dict)
    _error: BaseException | None = None
    _done: threading.Event = field(default_factory=threading.Event)
    _pool: WorkerPool | None = None

    def done(self) -> bool:
        """Whether the job has finished: done, failed or cancelled."""
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds; True when the job has finished (either way)."""
        return self._done.wait(timeout)

    def result(self, key: Hashable | None = None) -> Any:
        """The value (of ``key``, for a job that provides several); call after :meth:`wait` returned True.

        Raises :class:`JobFailed` or :class:`JobCancelled` (or the job's own exception) if it has
        none, and RuntimeError if the job has not finished.
        """
        if not self._done.is_set():
            raise RuntimeError("the job has not finished")
        if self._error is not None:
            raise self._error
        return self._values[self.key if key is None else key]

    def ahead(self) -> int:
        """Jobs that will start before this one (0 once it runs)."""
        return self._pool.ahead_of(self) if self._pool is not None else 0

    def release(self) -> None:
        """The waiter calling this no longer needs the job; the last one out cancels it (see the module)."""
        if self._pool is not None:
            self._pool.release(self)

    def error(self) -> BaseException | None:
        """What a finished job raised (None while it runs or when it succeeded)."""
        return self._error

    def _finish(self, values: dict[Hashable, Any] | None, error: BaseException | None) -> None:
        self._values = values or {}
        self._error = error
        self.state = "failed" if error is not None else "done"
        self._done.set()


class _Worker:
    """One worker process and the thread that reads its messages."""

    def __init__(self, pool: WorkerPool, number: int, lane: str) -> None:
        self.pool = pool
        self.number = number
        self.lane = lane
        self.job: Job | None = None
        self.ready = False
        self.stop_by: float | None = None
        """When its job was asked to stop: the time (monotonic s) after which it is ended."""
        self.paused_since: float | None = None
        """When it was paused for the interactive workers (monotonic s); None while it runs."""
        self.run_until = 0.0
        """After a pause of :data:`PAUSE_SECONDS`, it is not paused again before this time."""
        nice = pool.settings.analysis_nice if lane == "analysis" else 0
        parent, child = socket.socketpair()
        env = {**os.environ, **_SINGLE_THREADED,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "explorer.worker", str(child.fileno()), str(nice)],
            pass_fds=(child.fileno(),), cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: a cancel ends what it started too
        )
        child.close()
        self.connection = Connection(parent.detach())
        self._send_lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, name=f"pool-{lane}-worker-{number}",
                                       daemon=True)
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

    def pause(self, now: float) -> None:
        """Stop its process group (SIGSTOP) until :meth:`resume`."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGSTOP)
            self.paused_since = now

    def resume(self, now: float) -> None:
        """Continue its process group; a stop it was asked for gets the paused time back."""
        if self.paused_since is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGCONT)
        if self.stop_by is not None:
            self.stop_by += now - self.paused_since
        self.paused_since = None

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
        self._started_cost = {"interactive": 0.0, "analysis": 0.0}
        """Each lane's work started so far (the sum of its jobs' costs): the clock of turns."""
        self.replaced_workers = 0
        self.preempted_jobs = 0
        with self._lock:
            for lane, count in (("interactive", self.settings.workers),
                                ("analysis", self.settings.analysis_workers)):
                for _ in range(count):
                    self._workers.append(_Worker(self, next(self._numbers), lane))
        self._janitor = threading.Thread(target=self._sweep, name="pool-janitor", daemon=True)
        self._janitor.start()

    # -- submitting -------------------------------------------------------------------------

    def submit(self, key: Hashable, function: Callable[..., Any], *args: Any,
               priority: Priority = Priority.INTERACTIVE, provides: Sequence[Hashable] = (),
               cancel_running: bool = False, progress: bool = False, keep: bool = True,
               watcher: Hashable | None = None, label: str = "",
               kept_seconds: float | None = None, stoppable: bool = False, cost: float = 1.0,
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
            Lane and queue order (see :class:`Priority`).
        provides:
            Keys of the dict the function returns, each cached apart (instead of ``key``).
            Submitting any of them later while the job runs joins this job.
        cancel_running:
            Stop the worker if every waiter leaves while it runs (long analyses); otherwise a
            started job finishes and its result is cached for whoever asks next. Background
            jobs are always stopped once nobody waits or watches.
        progress:
            Pass ``progress=callback(fraction, message)`` to the function; the latest report is
            :attr:`Job.progress`.
        keep:
            Cache the result (False: only the job's waiters get it).
        watcher:
            For a background job: the session asking (e.g. its id); it keeps the job wanted
            for ``lease_seconds`` after each :meth:`watch`. ``None`` counts as one anonymous
            watcher.
        label:
            What the job is, for progress texts.
        kept_seconds:
            Keep the result this long unused instead of the cache's ``idle_seconds``.
        stoppable:
            Pass ``should_cancel=callable`` to the function, which polls it and stops (raising)
            once it returns True: cancelling or preempting the job then keeps its worker (see
            the module docstring).
        cost:
            Expected work (e.g. seconds), in the same unit as the lane's other jobs: shorter
            jobs go first, within the bound of :data:`AGING`.
        """
        keys = tuple(provides) or (key,)
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool has been shut down")
            cached = {k: self.cache.get(k, _MISSING) for k in keys}
            if all(v is not _MISSING for v in cached.values()):
                job = Job(key, function, args, kwargs, priority, tuple(provides), cancel_running,
                          progress, next(self._seq), label=label)
                job._finish(cached, None)
                return job
            missing = [k for k in keys if cached[k] is _MISSING]
            running = self._inflight.get(missing[0])
            if running is not None and set(missing) <= set(running.provides or (running.key,)):
                running.waiters += 1
                if priority.background:
                    running.watchers[watcher] = time.monotonic()
                    running.polled = True
                if priority < running.priority and running.state == "queued" \
                        and priority.lane == running.priority.lane:
                    running.priority = priority  # e.g. a session waiting lifts a background job
                    self._dispatch()
                return running
            job = Job(key, function, args, kwargs, priority, tuple(provides), cancel_running,
                      progress, next(self._seq), stoppable=stoppable, keep=keep, label=label,
                      kept_seconds=kept_seconds, _pool=self, cost=max(float(cost), 0.0))
            job.turn = self._started_cost[priority.lane] + AGING * job.cost
            if priority.background:
                job.watchers[watcher] = time.monotonic()
                job.polled = True
            for k in keys:
                self._inflight[k] = job
            self._queue.append(job)
            self._dispatch()
        return job

    def join(self, key: Hashable) -> Job | None:
        """The queued or running job that will provide ``key``, with one more waiter; else None.

        The caller releases its wait with :meth:`Job.release`.
        """
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

    def watch(self, key: Hashable, watcher: Hashable | None = None) -> Job | None:
        """The background job providing ``key`` (queued or running), now watched by ``watcher``; else None.

        A job someone waits for that was not submitted as background work (e.g. a Decisions run) is
        its waiters' alone, so None is returned for it.
        """
        with self._lock:
            job = self._inflight.get(key)
            if job is None or job.done() or not job.polled or job.state == "cancelling":
                return None
            job.watchers[watcher] = time.monotonic()
            return job

    def unwatch(self, key: Hashable, watcher: Hashable | None = None) -> None:
        """``watcher`` no longer wants the job providing ``key`` (e.g. its session moved on).

        The job is cancelled if nobody else waits or watches.
        """
        with self._lock:
            job = self._inflight.get(key)
            if job is None or job.done():
                return
            job.watchers.pop(watcher, None)
            if job.polled and not self._wanted(job):
                self._cancel(job)

    def cancel(self, key: Hashable) -> bool:
        """Stop the queued or running job providing ``key``, whoever waits for it; False if there is none.

        Its waiters get :class:`JobCancelled`.
        """
        with self._lock:
            job = self._inflight.get(key)
            if job is None or job.done():
                return False
            self._cancel(job)
            return True

    def ahead_of(self, job: Job) -> int:
        """Queued jobs of the same lane that will start before ``job`` (0 once it is no longer queued)."""
        with self._lock:
            if job.state != "queued":
                return 0
            return sum(1 for other in self._queue
                       if other.priority.lane == job.priority.lane and _order(other) < _order(job))

    def queued(self) -> list[tuple[Hashable, Priority]]:
        """Queued jobs (key, priority) in the order they will start within their lane."""
        with self._lock:
            return [(job.key, job.priority) for job in sorted(self._queue, key=_order)]

    def release(self, job: Job) -> None:
        """One waiter of ``job`` no longer needs it; the last one out may cancel it.

        A background job (polled) is cancelled when nobody watches it either; another job is
        cancelled if still queued, or if submitted with ``cancel_running``. A finished job is left as is.
        """
        with self._lock:
            if job.done() or job.waiters <= 0:
                return
            job.waiters -= 1
            if job.waiters > 0:
                return
            if job.polled:
                if not self._wanted(job):
                    self._cancel(job)
            elif job.state == "queued" or job.cancel_running:
                self._cancel(job)

    # -- state --------------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Counts for logs and tests: workers and jobs of each lane, cache entries and bytes, counters.

        Interactive workers (ready, running, queued) and the analysis lane's, as separate entries.
        """
        with self._lock:
            lanes = {lane: [w for w in self._workers if w.lane == lane]
                     for lane in ("interactive", "analysis")}
            return {"workers": len(lanes["interactive"]),
                    "ready": sum(w.ready for w in lanes["interactive"]),
                    "queued": sum(j.priority.lane == "interactive" for j in self._queue),
                    "running": sum(w.job is not None for w in lanes["interactive"]),
                    "analysis_workers": len(lanes["analysis"]),
                    "analysis_ready": sum(w.ready for w in lanes["analysis"]),
                    "analysis_queued": sum(j.priority.lane == "analysis" for j in self._queue),
                    "analysis_running": sum(w.job is not None for w in lanes["analysis"]),
                    "cached": len(self.cache), "cached_bytes": self.cache.nbytes,
                    "started_jobs": self.started_jobs, "replaced_workers": self.replaced_workers,
                    "preempted_jobs": self.preempted_jobs}

    def pids(self, lane: str | None = None) -> list[int]:
        """Process ids of the workers (of ``lane``, "interactive" or "analysis", if given)."""
        with self._lock:
            return [w.process.pid for w in self._workers if lane in (None, w.lane)]

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

    def _wanted(self, job: Job) -> bool:
        """A waiter, or a watcher heard from within the lease (lock held)."""
        if job.waiters > 0:
            return True
        limit = time.monotonic() - self.settings.lease_seconds
        for watcher in [w for w, seen in job.watchers.items() if seen < limit]:
            del job.watchers[watcher]
        return bool(job.watchers)

    def _cancel(self, job: Job) -> None:
        """Drop a queued job, or stop a running one by ending its worker (lock held)."""
        if job.state in ("queued",):
            self._queue.remove(job)
            self._forget(job)
            job._finish(None, JobCancelled("cancelled before it started"))
        elif job.state in ("running", "preempted"):
            job.state = "cancelling"
            worker = next((w for w in self._workers if w.job is job), None)
            if worker is not None:
                # The job finishes when it reports that it stopped, or when its worker has gone.
                self._stop(worker, STOP_GRACE_SECONDS)

    def _stop(self, worker: _Worker, grace: float) -> None:
        """Stop the job ``worker`` runs: ask a stoppable job, else end the worker (lock held).

        A stoppable job that has not stopped within ``grace`` seconds loses its worker anyway
        (:meth:`_sweep`).
        """
        job = worker.job
        if job is not None and job.stoppable:
            if worker.stop_by is not None:
                return  # already asked (e.g. preempted, now cancelled): it stops once
            worker.stop_by = time.monotonic() + grace
            if worker.send(("stop", job.seq)):
                return
        worker.kill()

    def _dispatch(self) -> None:
        """Give queued jobs to idle ready workers of their lane (lock held).

        A running IDLE job is preempted when a more urgent long job waits.
        """
        for worker in self._workers:
            if not (worker.ready and worker.job is None):
                continue
            eligible = [j for j in self._queue if j.priority.lane == worker.lane]
            if not eligible:
                continue
            job = min(eligible, key=_order)
            self._queue.remove(job)
            worker.job = job
            job.state = "running"
            job.attempts += 1
            self.started_jobs += 1
            self._started_cost[worker.lane] += job.cost
            worker.stop_by = None
            if not worker.send(("run", job.seq, job.function, job.args, job.kwargs,
                                job.wants_progress, job.provides, job.stoppable)):
                worker.kill()  # the reader thread requeues it
        waiting = [j for j in self._queue if j.priority.lane == "analysis"]
        lane = [w for w in self._workers if w.lane == "analysis"]
        # Only when every analysis worker is ready and busy running (none is starting or being
        # stopped already), and one at a time: the fresh worker takes the urgent job.
        if waiting and min(waiting, key=_order).priority < Priority.IDLE and all(
                w.ready and w.job is not None and w.job.state == "running" for w in lane):
            victim = next((w for w in lane if w.job is not None
                           and w.job.priority == Priority.IDLE), None)
            if victim is not None and victim.job is not None:
                victim.job.state = "preempted"
                self.preempted_jobs += 1
                self._stop(victim, PREEMPT_GRACE_SECONDS)
        self._pace_analyses()

    def _pace_analyses(self) -> None:
        """Pause the analysis workers' jobs while a slider's run has an interactive worker (lock held).

        Also a job asked to stop: it reads the request when it continues. A pause lasts at most
        :data:`PAUSE_SECONDS` (:data:`BACKLOG_PAUSE_SECONDS` while slider runs are queued too),
        then the job runs at least :data:`RESUME_SECONDS`.
        """
        if not CAN_PAUSE or not self.settings.pause_analyses:
            return
        now = time.monotonic()
        sliders = not self._closed and any(
            w.lane == "interactive" and w.job is not None for w in self._workers)
        longest = BACKLOG_PAUSE_SECONDS if any(
            j.priority.lane == "interactive" for j in self._queue) else PAUSE_SECONDS
        for worker in self._workers:
            if worker.lane != "analysis":
                continue
            if worker.paused_since is None:
                if sliders and worker.job is not None and now >= worker.run_until:
                    worker.pause(now)
            elif not sliders or worker.job is None:
                worker.resume(now)
            elif now - worker.paused_since >= longest:
                worker.resume(now)
                worker.run_until = now + RESUME_SECONDS

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
                # A str subclass (a keyed Progress) is kept as it is, so the page can translate it.
                said = message[3]
                job.progress = (float(message[2]), said if isinstance(said, str) else str(said))
                return
            if kind == "stopped" or job.state != "running":
                if kind == "stopped" or (kind == "error" and job.stoppable):
                    self._stopped(worker, job)  # it stopped as asked: the worker goes on
                    return
                if kind == "error" or not job.stoppable:
                    return  # being stopped: its end is handled when the worker exits
                # "done": it finished before it looked; the result is kept as any other
            worker.job = None
            worker.stop_by = None
            if kind == "done":
                values = {}
                for k, payload in zip(job.provides or (job.key,), message[2], strict=True):
                    values[k] = pickle.loads(payload)
                    if job.keep:
                        self.cache.put(k, values[k], len(payload), job.kept_seconds)
                self._forget(job)
                job._finish(values, None)
            else:  # "error": the function raised; the worker is fine
                self._forget(job)
                job._finish(None, _exception(message[2], message[3]))
            self._dispatch()

    def _stopped(self, worker: _Worker, job: Job) -> None:
        """``job`` stopped as asked (lock held): cancelled, or queued again if preempted."""
        worker.job = None
        worker.stop_by = None
        if job.state == "preempted" and not self._closed:
            job.state = "queued"
            job.attempts -= 1  # not the job's fault
            self._queue.append(job)
        else:
            self._forget(job)
            job._finish(None, JobCancelled("cancelled while it ran"))
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
                elif job.state == "preempted" and not self._closed:
                    job.state = "queued"
                    job.attempts -= 1  # not the job's fault
                    self._queue.append(job)
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
                self._workers.append(_Worker(self, next(self._numbers), worker.lane))
            self._lock.notify_all()
            self._dispatch()

    def _forget(self, job: Job) -> None:
        for k in job.provides or (job.key,):
            if self._inflight.get(k) is job:
                del self._inflight[k]

    def _sweep(self) -> None:
        """Background loop: drop unwanted background jobs, idle cache entries and freed memory.

        Every second it cancels background jobs nobody waits for or watches any more and ends
        the workers of stoppable jobs that were asked to stop and did not in time; every few
        seconds it drops idle cache entries and gives the memory back.
        """
        period = max(1.0, min(30.0, self.settings.idle_seconds / 4))
        last = time.monotonic()
        while True:
            time.sleep(SWEEP_SECONDS)
            if self._closed:
                return
            with self._lock:
                jobs = {id(j): j for j in self._inflight.values() if j.polled}
                for job in jobs.values():
                    if not job.done() and job.state != "cancelling" and not self._wanted(job):
                        self._cancel(job)
                now = time.monotonic()
                for worker in self._workers:
                    if (worker.stop_by is not None and now > worker.stop_by and worker.job is not None
                            and worker.paused_since is None):
                        worker.kill()  # a stoppable job that did not stop in time
                self._pace_analyses()  # ends pauses that reached PAUSE_SECONDS
            if time.monotonic() - last >= period:
                last = time.monotonic()
                if self.cache.expire():
                    gc.collect()  # what referred to the dropped results in cycles (the app
                    release_freed_memory()  # collects only now and then: explorer/heap.py)


_MISSING = object()


def _exception(text: str, payload: bytes | None) -> BaseException:
    """The exception the job raised in the worker, or :class:`JobFailed` with its text.

    The worker's own exception lets callers tell a bad scenario from a crash; JobFailed is used
    when it does not unpickle.
    """
    if payload is not None:
        try:
            error = pickle.loads(payload)
            if isinstance(error, Exception):
                return error
        except Exception:
            pass
    return JobFailed(text)


def _order(job: Job) -> tuple[int, float, int]:
    return (int(job.priority), job.turn, job.seq)
