"""The shared worker pool: coalescing, the byte-bounded cache, priorities and the analyses'
share, cancellation without processes left behind, dead workers replaced, a quiet start."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from explorer import runs
from explorer.pool import (
    JobCancelled,
    JobFailed,
    PoolSettings,
    Priority,
    ResultCache,
    WorkerPool,
)
from simulation import Scenario
from tests.explorer import pool_jobs
from tests.explorer.split_runs import split_results
from tests.explorer.test_runs import _assert_same

ROOT = Path(__file__).resolve().parents[2]


def _settings(workers: int = 2, analysis_workers: int = 1) -> PoolSettings:
    return PoolSettings(workers=workers, analysis_workers=analysis_workers,
                        cache_bytes=64 * 2**20, idle_seconds=600)


@pytest.fixture(scope="module")
def pool() -> Iterator[WorkerPool]:
    workers = WorkerPool(_settings())
    assert workers.wait_ready(120)
    yield workers
    workers.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by its parent) is not running either
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _wait(condition, seconds: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_two_sessions_asking_for_the_same_scenario_at_once_cause_one_simulation(
        pool: WorkerPool, small_scenario: Scenario):
    keys = runs.plan_keys(small_scenario)
    started = pool.stats()["started_jobs"]
    jobs = []
    barrier = threading.Barrier(2)

    def session() -> None:
        barrier.wait()
        jobs.append(pool.submit(("run", *keys), runs.run_plan_parts, runs.custom_key(small_scenario),
                                ["multichannel", "omnichannel", "custom"], provides=keys))

    threads = [threading.Thread(target=session) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert jobs[0] is jobs[1] and jobs[0].waiters == 2
    assert jobs[0].wait(120)
    assert pool.stats()["started_jobs"] == started + 1
    parts = {key: jobs[0].result(key) for key in keys}
    _assert_same(runs.priced(runs.lockstep_from_parts(small_scenario, parts), None, small_scenario),
                 split_results(small_scenario))
    # Later sessions get the cached parts: no job at all.
    again = pool.submit(("run", *keys), runs.run_plan_parts, runs.custom_key(small_scenario),
                        ["multichannel"], provides=keys)
    assert again.done() and pool.stats()["started_jobs"] == started + 1
    for job in (*jobs, again):
        job.release()


def test_a_job_already_running_is_joined_by_key(pool: WorkerPool):
    first = pool.submit("join-me", pool_jobs.square_slowly, 7, 0.5)
    joined = pool.join("join-me")
    assert joined is first
    assert first.wait(30) and joined.result() == 49
    assert pool.join("join-me") is None  # finished: nothing to join, the value is cached
    assert pool.peek("join-me") == 49


def test_a_worker_that_dies_mid_run_is_replaced_and_the_run_finishes(pool: WorkerPool, tmp_path: Path):
    replaced = pool.stats()["replaced_workers"]
    job = pool.submit("die-once", pool_jobs.die_once, str(tmp_path / "marker"))
    assert job.wait(60), "the waiting session hangs"
    assert job.result() == "finished on a fresh worker"
    assert pool.stats()["replaced_workers"] == replaced + 1
    assert _wait(lambda: pool.stats()["ready"] == 2)


def test_a_worker_that_keeps_dying_gives_a_clear_message_not_a_hang(pool: WorkerPool):
    job = pool.submit("die-always", pool_jobs.always_die)
    assert job.wait(60), "the waiting session hangs"
    with pytest.raises(JobFailed, match="worker stopped during this run"):
        job.result()
    assert _wait(lambda: pool.stats()["ready"] == 2)
    after = pool.submit("after-deaths", pool_jobs.square_slowly, 3, 0.0)
    assert after.wait(60) and after.result() == 9


def test_an_error_in_the_job_comes_back_as_itself(pool: WorkerPool):
    job = pool.submit("refuse", pool_jobs.refuse, "gross margin below zero")
    assert job.wait(30)
    with pytest.raises(ValueError, match="gross margin below zero"):
        job.result()
    assert pool.peek("refuse") is None


def test_progress_reports_reach_the_waiting_session(pool: WorkerPool):
    job = pool.submit("progress", pool_jobs.report_progress, 10, progress=True)
    assert job.wait(30) and job.result() == 10
    assert job.progress is not None and job.progress[1].startswith("step")


def test_a_cancelled_analysis_leaves_no_process_behind(pool: WorkerPool, tmp_path: Path):
    pid_file = tmp_path / "pids"
    job = pool.submit("analysis", pool_jobs.sleep_with_a_child, str(pid_file),
                      priority=Priority.ANALYSIS, cancel_running=True)
    assert _wait(lambda: pid_file.exists() and len(pid_file.read_text().split()) == 2)
    worker, grandchild = (int(p) for p in pid_file.read_text().split())
    assert _alive(worker) and _alive(grandchild)
    job.release()  # the session left
    assert job.wait(30)
    with pytest.raises(JobCancelled):
        job.result()
    assert _wait(lambda: not _alive(worker) and not _alive(grandchild))
    assert _wait(lambda: pool.stats()["ready"] == 2)
    assert worker not in pool.pids()


def test_queued_jobs_nobody_waits_for_are_dropped(pool: WorkerPool):
    blockers = [pool.submit(f"block-{i}", pool_jobs.square_slowly, i, 1.0) for i in range(2)]
    queued = pool.submit("abandoned", pool_jobs.square_slowly, 5, 0.0)
    assert queued.state == "queued"
    queued.release()
    assert queued.done() and pool.stats()["queued"] == 0
    for job in blockers:
        assert job.wait(30)
        job.release()


def test_sliders_go_ahead_of_analyses_which_keep_to_their_share(pool: WorkerPool):
    analyses = [pool.submit(f"long-{i}", pool_jobs.square_slowly, i, 1.5, priority=Priority.ANALYSIS)
                for i in range(3)]
    assert _wait(lambda: analyses[0].state == "running")
    time.sleep(0.2)
    # One worker of two for analyses: the others wait although a worker is free...
    assert [a.state for a in analyses[1:]] == ["queued", "queued"]
    slider = pool.submit("slider", pool_jobs.square_slowly, 4, 0.0)
    # ...for the interactive run, which starts at once and is ahead of them in the queue.
    assert slider.wait(10) and slider.result() == 16
    assert analyses[1].state == "queued"
    later = pool.submit("slider-2", pool_jobs.square_slowly, 5, 0.1)
    assert later.ahead() == 0 and analyses[2].ahead() >= 1
    for job in (*analyses, slider, later):
        assert job.wait(30)


def test_cache_is_bounded_in_bytes_least_recently_used_out():
    cache = ResultCache(max_bytes=100, idle_seconds=600)
    cache.put("a", "A", 40)
    cache.put("b", "B", 40)
    assert cache.get("a") == "A"  # "b" is now the least recently used
    cache.put("c", "C", 40)
    assert "b" not in cache and "a" in cache and "c" in cache and cache.nbytes == 80
    cache.put("huge", "H", 101)
    assert "huge" not in cache and cache.nbytes == 80


def test_cache_forgets_what_nobody_asked_for():
    cache = ResultCache(max_bytes=100, idle_seconds=0.2)
    cache.put("old", 1, 10)
    time.sleep(0.3)
    cache.put("new", 2, 10)
    assert cache.expire() == 1
    assert "old" not in cache and "new" in cache and cache.nbytes == 10


def test_cache_compute_runs_once_for_threads_asking_together():
    cache = ResultCache(max_bytes=1000)
    calls = []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.3)
        return 42

    got: list[int] = []
    threads = [threading.Thread(target=lambda: got.append(cache.compute("k", slow))) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == [42] * 5 and len(calls) == 1


def test_settings_come_from_the_environment_then_overrides(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("EXPLORER_WORKERS", "6")
    monkeypatch.setenv("EXPLORER_CACHE_MB", "10")
    settings = PoolSettings.from_environment()
    assert (settings.workers, settings.analysis_workers, settings.cache_bytes) == (6, 3, 10 * 2**20)
    assert PoolSettings.from_environment({"workers": 2, "analysis_workers": 5}).analysis_workers == 2


def test_starting_the_pool_and_running_a_simulation_writes_nothing_to_the_log(small_scenario: Scenario):
    script = (
        "from explorer import runs; from explorer.pool import WorkerPool, PoolSettings\n"
        "from simulation import Scenario\n"
        f"s = Scenario.from_json({small_scenario.to_json()!r})\n"
        "p = WorkerPool(PoolSettings(workers=2, analysis_workers=1, cache_bytes=2**26, idle_seconds=60))\n"
        "assert p.wait_ready(120)\n"
        "keys = runs.plan_keys(s)\n"
        "j = p.submit('x', runs.run_plan_parts, runs.custom_key(s), ['multichannel', 'omnichannel', "
        "'custom'], provides=keys)\n"
        "assert j.wait(120); j.result(keys[0]); p.close(); print('ran')\n"
    )
    done = subprocess.run([sys.executable, "-W", "default", "-c", script], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ran"
    assert done.stderr == ""


def test_an_analysis_goes_to_the_operators_dask_scheduler_but_never_to_a_local_cluster(
        monkeypatch: pytest.MonkeyPatch):
    used: list[str] = []

    @contextlib.contextmanager
    def fake_runner(address: str):  # type: ignore[no-untyped-def]
        used.append(address)
        yield

    def work(x: int, *, execution) -> int:  # type: ignore[no-untyped-def]
        assert execution.n_jobs == 1
        return x + 1

    monkeypatch.setattr(runs, "dask_runner", fake_runner)
    monkeypatch.setenv("OMNICHANNEL_DASK_SCHEDULER", "tcp://scheduler:8786")
    assert runs.run_analysis(work, (1,)) == 2 and used == ["tcp://scheduler:8786"]
    monkeypatch.setenv("OMNICHANNEL_DASK_SCHEDULER", "local")
    assert runs.run_analysis(work, (2,)) == 3 and used == ["tcp://scheduler:8786"]


def test_a_background_job_is_computed_once_for_every_session_polling_for_it(pool: WorkerPool):
    started = pool.stats()["started_jobs"]
    polls = []
    for _ in range(3):  # three sessions ask and leave at once (they poll, never wait)
        job = pool.submit(("verdict", "k"), pool_jobs.square_slowly, 6, 0.5, priority=Priority.BACKGROUND)
        polls.append(job)
        job.release()
    assert polls[0] is polls[1] is polls[2]
    assert not polls[0].done()  # still queued or running although nobody waits
    assert polls[0].wait(30) and polls[0].result() == 36
    assert pool.peek(("verdict", "k")) == 36
    assert pool.stats()["started_jobs"] == started + 1
