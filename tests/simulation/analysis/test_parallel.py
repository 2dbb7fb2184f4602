"""Running tasks: results in task order, duplicates computed once, cancellation keeps nothing."""

from __future__ import annotations

import pytest

from simulation.analysis.parallel import AnalysisCancelled, Task, run_tasks


def _square(x: int) -> int:
    return x * x


def test_results_come_back_in_task_order_and_duplicates_run_once():
    calls = []

    def progress(fraction: float, message: str) -> None:
        calls.append(fraction)

    tasks = [Task(argument=x, cost=1.0) for x in (3, 1, 3, 2)]
    assert run_tasks(_square, tasks, n_jobs=1, progress=progress) == [9, 1, 9, 4]
    assert calls[0] == 0.0 and calls[-1] == pytest.approx(1.0) and len(calls) == 1 + 3


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_cancelling_stops_the_remaining_tasks_and_returns_nothing(n_jobs: int):
    done = []

    def progress(fraction: float, message: str) -> None:
        done.append(fraction)

    tasks = [Task(argument=x, cost=1.0) for x in range(40)]
    with pytest.raises(AnalysisCancelled, match="cancelled after"):
        run_tasks(_square, tasks, n_jobs=n_jobs, progress=progress, should_cancel=lambda: len(done) > 3)
    assert len(done) < 1 + len(tasks)
    with pytest.raises(AnalysisCancelled, match="before it started"):
        run_tasks(_square, tasks, n_jobs=n_jobs, should_cancel=lambda: True)
