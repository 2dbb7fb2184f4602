"""Running many independent simulations through joblib, with progress, an ETA and cancellation.

Every analysis is a list of independent tasks (a replication, a tornado end point, a chunk of
Shapley subsets). :func:`run_tasks` hands them to ``joblib.Parallel`` so a bigger machine, or a
cluster backend registered with ``joblib.parallel_config``, takes them without code changes. It
reports progress as results arrive, estimates the time left from the work done so far, checks a
cancellation callable between tasks and, given a folder, caches each task's result on disk with
``joblib.Memory`` (an identical task is then never simulated twice).
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from joblib import Memory, Parallel, delayed

from simulation.core.kernels.threads import one_thread
from simulation.core.state import ProgressCallback
from simulation.inputs.problems import Progress, duration

PROGRESS_SIMULATING = Progress("progress.label.simulating")

CancelCheck = Callable[[], bool]
"""Returns True when the user asked to stop."""

T = TypeVar("T")
R = TypeVar("R")


class AnalysisCancelled(Exception):
    """Raised when the cancellation callable returned True; no partial result is returned."""


def available_workers(n_jobs: int | None = None) -> int:
    """The number of worker processes ``n_jobs`` means (joblib convention: -1 = every core).

    Parameters
    ----------
    n_jobs:
        ``None`` or ``-1`` for every core, ``-2`` for all but one, a positive number as is.
    """
    cores = os.cpu_count() or 1
    if n_jobs is None or n_jobs == 0:
        n_jobs = -1
    if n_jobs < 0:
        return max(1, cores + 1 + n_jobs)
    return int(n_jobs)


@dataclass(frozen=True)
class Task(Generic[T]):
    """One unit of work: ``function(argument)``; ``cost`` weighs it for progress and the ETA."""

    argument: T
    cost: float = 1.0


def _indexed(function: Callable[[T], R], index: int, argument: T) -> tuple[int, R]:
    """``(index, function(argument))`` in a worker: its kernels on one thread (workers fill the cores)."""
    one_thread()
    return index, function(argument)


class TaskRunner(Protocol):
    """Somewhere else to run an analysis's tasks, installed with :func:`use_runner`.

    E.g. a Dask cluster, :class:`simulation.analysis.cluster.DaskRunner`.
    """

    @property
    def workers(self) -> int:
        """How many tasks run at once."""
        ...

    def as_completed(self, function: Callable[[Any], Any], arguments: Sequence[Any]
                     ) -> Iterator[tuple[int, Any]]:
        """``(index, function(arguments[index]))`` pairs in the order the tasks finish.

        Closing the iterator cancels what has not finished.
        """
        ...


_RUNNER: ContextVar[TaskRunner | None] = ContextVar("task_runner", default=None)


@contextmanager
def use_runner(runner: TaskRunner | None) -> Iterator[None]:
    """Run the analyses started inside this block on ``runner`` (None: joblib, as usual)."""
    token = _RUNNER.set(runner)
    try:
        yield
    finally:
        _RUNNER.reset(token)


def current_runner() -> TaskRunner | None:
    """The runner installed by :func:`use_runner`, if any."""
    return _RUNNER.get()


def _results_as_completed(function: Callable[[T], R], tasks: Sequence[Task[T]],
                          n_jobs: int) -> Iterator[tuple[int, R]]:
    runner = current_runner()
    if runner is not None:
        yield from runner.as_completed(function, [task.argument for task in tasks])
        return
    if n_jobs == 1 or len(tasks) == 1:
        # In-process: no worker start-up, and cancellation can stop between any two tasks.
        for index, task in enumerate(tasks):
            yield index, function(task.argument)
        return
    yield from Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
        delayed(_indexed)(function, index, task.argument) for index, task in enumerate(tasks)
    )


def run_tasks(
    function: Callable[[T], R],
    tasks: Sequence[Task[T]],
    *,
    n_jobs: int | None = None,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
    cache_dir: str | Path | None = None,
    label: str = PROGRESS_SIMULATING,
) -> list[R]:
    """Results of ``function`` on every task, in task order, computed in parallel.

    Parameters
    ----------
    function:
        A module-level (picklable) function of one argument.
    tasks:
        The work; equal arguments are computed once.
    n_jobs:
        Worker processes (joblib convention, ``None`` = every core); 1 runs in this process.
    progress:
        ``callback(fraction_done, message)``; called at the start and after each finished task
        with the share of the total ``cost`` done and the estimated time left.
    should_cancel:
        Checked before the work starts and after each finished task; when it returns True the
        remaining tasks are abandoned and :class:`AnalysisCancelled` is raised.
    cache_dir:
        Folder for ``joblib.Memory``: each task's result is stored there and reused.
    label:
        What the progress messages say is being done (a :class:`Progress` ``progress.label.*``,
        said in the reader's language).

    Raises
    ------
    AnalysisCancelled
        When ``should_cancel`` returned True.
    """
    unique: dict[Any, int] = {}
    distinct: list[Task[T]] = []
    slot = []
    for task in tasks:
        key = task.argument
        if key not in unique:
            unique[key] = len(distinct)
            distinct.append(task)
        slot.append(unique[key])
    work = function
    if cache_dir is not None:
        work = Memory(str(cache_dir), verbose=0).cache(function)
    total = float(sum(t.cost for t in distinct)) or 1.0
    runner = current_runner()
    workers = min(runner.workers if runner is not None else available_workers(n_jobs),
                  max(len(distinct), 1))

    first: list[float] = []  # time and cost done when the first wave of results was in

    def report(done_cost: float, done: int, started: float) -> None:
        if progress is None:
            return
        if done == 0:
            progress(0.0, Progress("progress.starting_runs", label=label, runs=len(distinct),
                                   workers=workers))
            return
        now = time.perf_counter()
        if done == workers:
            first[:] = [now, done_cost]
        if first and done_cost > first[1]:
            # Throughput after the first wave leaves out the workers' start-up.
            left = (now - first[0]) / (done_cost - first[1]) * (total - done_cost)
        else:
            left = (now - started) / done_cost * (total - done_cost)
        message = (Progress("progress.runs_left", label=label, done=done, runs=len(distinct),
                            left=duration(left)) if done < len(distinct)
                   else Progress("progress.runs_done", label=label, done=done, runs=len(distinct)))
        progress(min(done_cost / total, 1.0), message)

    if should_cancel is not None and should_cancel():
        raise AnalysisCancelled("cancelled before it started")
    started = time.perf_counter()
    report(0.0, 0, started)
    results: list[Any] = [None] * len(distinct)
    stream = _results_as_completed(work, distinct, workers)
    done_cost = 0.0
    try:
        for done, (index, result) in enumerate(stream, start=1):
            results[index] = result
            done_cost += distinct[index].cost
            report(done_cost, done, started)
            if should_cancel is not None and should_cancel() and done < len(distinct):
                raise AnalysisCancelled(f"cancelled after {done} of {len(distinct)} runs")
    finally:
        # Closing joblib's generator abandons the tasks not yet started.
        close = getattr(stream, "close", None)
        if close is not None:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*have been cancelled", category=UserWarning)
                close()
    return [results[i] for i in slot]
