"""The shared worker pool: coalescing, the byte-bounded cache, the interactive and analysis lanes
and their priorities, background jobs watched by sessions (cancelled when nobody watches,
preempted by more urgent work), cancellation without processes left behind, dead workers
replaced, a quiet start. Behaviour only: no timings are asserted."""

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


LEASE = 2.0


def _settings(workers: int = 2, analysis_workers: int = 1) -> PoolSettings:
    return PoolSettings(workers=workers, analysis_workers=analysis_workers,
                        cache_bytes=64 * 2**20, idle_seconds=600, lease_seconds=LEASE)


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
    assert _wait(lambda: pool.stats()["analysis_ready"] == 1)
    assert worker not in pool.pids()


def test_a_cancelled_stoppable_analysis_stops_and_its_worker_takes_the_next_job(
        pool: WorkerPool, tmp_path: Path):
    pid_file = tmp_path / "pid"
    replaced = pool.stats()["replaced_workers"]
    job = pool.submit("stoppable", pool_jobs.steps_until_stopped, str(pid_file), 12000,
                      priority=Priority.ANALYSIS, cancel_running=True, stoppable=True)
    assert _wait(lambda: pid_file.exists() and pid_file.read_text() != "")
    worker = int(pid_file.read_text())
    job.release()  # the session left
    assert job.wait(30)
    with pytest.raises(JobCancelled):
        job.result()
    assert pool.running("stoppable") is None
    # The same process runs the next job: no fresh worker had to start (and import the engine).
    pid_file.unlink()
    after = pool.submit("after-stop", pool_jobs.steps_until_stopped, str(pid_file), 1,
                        priority=Priority.ANALYSIS)
    assert after.wait(30) and after.result() == 1
    after.release()
    assert int(pid_file.read_text()) == worker and _alive(worker)
    assert pool.stats()["replaced_workers"] == replaced


def test_a_stoppable_job_that_does_not_stop_in_time_loses_its_worker(
        pool: WorkerPool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("explorer.pool.STOP_GRACE_SECONDS", 0.5)
    pid_file = tmp_path / "pid"
    replaced = pool.stats()["replaced_workers"]
    job = pool.submit("deaf", pool_jobs.never_looks, str(pid_file), priority=Priority.ANALYSIS,
                      cancel_running=True, stoppable=True)
    assert _wait(lambda: pid_file.exists() and pid_file.read_text() != "")
    worker = int(pid_file.read_text())
    job.release()
    assert job.wait(30)
    with pytest.raises(JobCancelled):
        job.result()
    assert _wait(lambda: not _alive(worker))
    assert _wait(lambda: pool.stats()["analysis_ready"] == 1)
    assert pool.stats()["replaced_workers"] == replaced + 1


def test_a_stoppable_full_analysis_yields_to_a_quick_estimate_on_the_same_worker(
        pool: WorkerPool, tmp_path: Path):
    pid_file = tmp_path / "pid"
    preempted, replaced = pool.stats()["preempted_jobs"], pool.stats()["replaced_workers"]
    full = pool.submit("full-stoppable", pool_jobs.steps_until_stopped, str(pid_file), 40,
                       priority=Priority.IDLE, watcher="s", stoppable=True)
    assert _wait(lambda: full.state == "running" and pid_file.exists() and pid_file.read_text() != "")
    worker = int(pid_file.read_text())
    quick = pool.submit("quick-after-stoppable", pool_jobs.square_slowly, 7, 0.0,
                        priority=Priority.BACKGROUND, watcher="s")
    assert quick.wait(60) and quick.result() == 49
    assert pool.stats()["preempted_jobs"] == preempted + 1
    while not full.wait(0.5):
        pool.watch("full-stoppable", "s")  # the session keeps looking
    assert full.result() == 40
    assert int(pid_file.read_text()) == worker and pool.stats()["replaced_workers"] == replaced
    for job in (full, quick):
        job.release()


def test_queued_jobs_nobody_waits_for_are_dropped(pool: WorkerPool):
    blockers = [pool.submit(f"block-{i}", pool_jobs.square_slowly, i, 1.0) for i in range(2)]
    queued = pool.submit("abandoned", pool_jobs.square_slowly, 5, 0.0)
    assert queued.state == "queued"
    queued.release()
    assert queued.done() and pool.stats()["queued"] == 0
    for job in blockers:
        assert job.wait(30)
        job.release()


def test_long_jobs_never_hold_an_interactive_worker(pool: WorkerPool):
    long = [pool.submit(f"long-{i}", pool_jobs.square_slowly, i, 1.5, priority=priority)
            for i, priority in enumerate([Priority.ANALYSIS, Priority.BACKGROUND, Priority.IDLE])]
    assert _wait(lambda: long[0].state == "running")
    # One analysis worker: the other long jobs wait although both interactive workers are free...
    assert [j.state for j in long[1:]] == ["queued", "queued"]
    assert pool.stats()["running"] == 0
    # ...and slider runs start at once on them, whatever long work is queued.
    sliders = [pool.submit(f"slider-{i}", pool_jobs.square_slowly, i, 0.3) for i in range(2)]
    assert _wait(lambda: all(j.state != "queued" for j in sliders))
    assert all(j.ahead() == 0 for j in sliders) and long[2].ahead() == 1
    for job in (*long, *sliders):
        assert job.wait(60)
        job.release()
    assert [j.result() for j in sliders] == [0, 1]


def _nice(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def test_analysis_workers_run_at_a_lower_cpu_priority_than_the_interactive_ones(pool: WorkerPool):
    interactive, analysis = pool.pids("interactive"), pool.pids("analysis")
    assert len(interactive) == 2 and len(analysis) == 1
    base = os.getpriority(os.PRIO_PROCESS, 0)
    assert [_nice(pid) for pid in interactive] == [base, base]
    assert _nice(analysis[0]) == min(19, base + 10)


def _state(pid: int) -> str:
    """The process's scheduler state: "T" when stopped (paused), "R"/"S" when running or sleeping."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_an_analysis_pauses_while_a_slider_runs_and_then_finishes(pool: WorkerPool):
    analysis = pool.pids("analysis")[0]
    long = pool.submit("paused-analysis", pool_jobs.square_slowly, 7, 1.0, priority=Priority.ANALYSIS)
    assert _wait(lambda: long.state == "running")
    assert _state(analysis) != "T"
    slider = pool.submit("paused-slider", pool_jobs.square_slowly, 3, 1.0)
    assert _wait(lambda: slider.state == "running")
    assert _wait(lambda: _state(analysis) == "T", 5)  # paused while the slider's run goes on
    started = time.monotonic()
    assert slider.wait(30) and slider.result() == 9
    assert _wait(lambda: _state(analysis) != "T", 5)  # and continues when it is done
    assert long.wait(30) and long.result() == 49
    # It slept 1 s of its own, and lost the paused time (about the slider's second).
    assert time.monotonic() - started < 5
    for job in (long, slider):
        job.release()


def test_a_long_pause_gives_way_so_the_analysis_still_progresses(pool: WorkerPool):
    from explorer.pool import PAUSE_SECONDS, RESUME_SECONDS

    long = pool.submit("starved-analysis", pool_jobs.square_slowly, 5, 0.5, priority=Priority.ANALYSIS)
    assert _wait(lambda: long.state == "running")
    busy = PAUSE_SECONDS + RESUME_SECONDS + 2
    sliders = [pool.submit(f"steady-slider-{i}", pool_jobs.square_slowly, i, busy) for i in range(2)]
    # Both interactive workers stay busy for longer than a pause lasts: the analysis finishes anyway.
    assert long.wait(PAUSE_SECONDS + RESUME_SECONDS + 1.5) and long.result() == 25
    assert not all(s.done() for s in sliders)
    for job in (long, *sliders):
        assert job.wait(30)
        job.release()


def test_an_analysis_stays_paused_while_slider_runs_are_queued_and_then_finishes(pool: WorkerPool):
    from explorer.pool import PAUSE_SECONDS, RESUME_SECONDS

    analysis = pool.pids("analysis")[0]
    long = pool.submit("backlog-analysis", pool_jobs.square_slowly, 6, 0.5, priority=Priority.ANALYSIS)
    assert _wait(lambda: long.state == "running")
    busy = PAUSE_SECONDS + RESUME_SECONDS + 1.5
    # More slider runs than interactive workers: one waits in the queue all along.
    sliders = [pool.submit(f"backlog-slider-{i}", pool_jobs.square_slowly, i, busy) for i in range(3)]
    assert _wait(lambda: _state(analysis) == "T", 5)
    paused = time.monotonic()
    while sliders[2].state == "queued":
        assert _state(analysis) == "T"  # not resumed after PAUSE_SECONDS, as without a queue
        time.sleep(0.05)
    assert time.monotonic() - paused > PAUSE_SECONDS + RESUME_SECONDS
    assert long.wait(busy + 10) and long.result() == 36  # the queue gone, it goes on
    for job in (long, *sliders):
        assert job.wait(30)
        job.release()


def test_a_cancelled_analysis_paused_for_a_slider_still_stops(pool: WorkerPool, tmp_path: Path):
    pid_file = tmp_path / "pid"
    replaced = pool.stats()["replaced_workers"]
    long = pool.submit("cancel-paused", pool_jobs.steps_until_stopped, str(pid_file), 12000,
                       priority=Priority.ANALYSIS, cancel_running=True, stoppable=True)
    assert _wait(lambda: pid_file.exists() and pid_file.read_text() != "")
    worker = int(pid_file.read_text())
    slider = pool.submit("cancel-paused-slider", pool_jobs.square_slowly, 2, 1.0)
    assert _wait(lambda: _state(worker) == "T", 5)
    long.release()  # the session left while its analysis was paused
    assert slider.wait(30) and slider.result() == 4
    assert long.wait(15)  # it read the stop request when it continued
    with pytest.raises(JobCancelled):
        long.result()
    assert _alive(worker) and pool.stats()["replaced_workers"] == replaced  # stopped, not killed
    slider.release()


def test_the_queue_puts_sliders_first_then_analyses_then_background_work(pool: WorkerPool):
    blockers = [pool.submit(f"busy-{i}", pool_jobs.square_slowly, i, 1.0) for i in range(2)]
    busy_lane = pool.submit("busy-analysis", pool_jobs.square_slowly, 9, 1.0, priority=Priority.ANALYSIS)
    assert _wait(lambda: all(j.state == "running" for j in (*blockers, busy_lane)))
    full = pool.submit("verdict-full", pool_jobs.square_slowly, 1, 0.0, priority=Priority.IDLE,
                       watcher="s1")
    quick = pool.submit("verdict-quick", pool_jobs.square_slowly, 2, 0.0,
                        priority=Priority.BACKGROUND, watcher="s1")
    analysis = pool.submit("decisions", pool_jobs.square_slowly, 3, 0.0, priority=Priority.ANALYSIS)
    slider = pool.submit("slider-late", pool_jobs.square_slowly, 4, 0.0)
    order = [key for key, _ in pool.queued()]
    assert order == ["slider-late", "decisions", "verdict-quick", "verdict-full"]
    assert slider.ahead() == 0 and analysis.ahead() == 0 and quick.ahead() == 1 and full.ahead() == 2
    for job in (*blockers, busy_lane, slider, analysis, quick, full):
        assert job.wait(60)
        job.release()


def test_a_queued_one_plan_run_goes_ahead_of_a_queued_three_plan_run(pool: WorkerPool):
    blockers = [pool.submit(f"full-{i}", pool_jobs.square_slowly, i, 1.0) for i in range(2)]
    assert _wait(lambda: all(j.state == "running" for j in blockers))
    # A behavioural move re-simulates three plans, a capability move (after it) one.
    three = pool.submit("three-plans", pool_jobs.square_slowly, 3, 0.0, cost=0.75)
    one = pool.submit("one-plan", pool_jobs.square_slowly, 1, 0.0, cost=0.25)
    assert [key for key, _ in pool.queued()] == ["one-plan", "three-plans"]
    assert one.ahead() == 0 and three.ahead() == 1
    # Jobs of equal cost keep their order of arrival.
    later = pool.submit("one-plan-later", pool_jobs.square_slowly, 2, 0.0, cost=0.25)
    assert [key for key, _ in pool.queued()] == ["one-plan", "one-plan-later", "three-plans"]
    for job in (*blockers, three, one, later):
        assert job.wait(30)
        job.release()
    assert (three.result(), one.result(), later.result()) == (9, 1, 4)


def test_a_long_run_is_overtaken_by_a_bounded_amount_of_later_work(tmp_path: Path):
    from explorer.pool import AGING

    single = WorkerPool(_settings(workers=1))
    try:
        assert single.wait_ready(120)
        gates = iter(tmp_path / f"gate-{i}" for i in range(100))
        gate = next(gates)
        running = single.submit("blocker", pool_jobs.wait_for_gate, str(gate), 0)
        assert _wait(lambda: running.state == "running")
        long_gate = tmp_path / "long"
        long = single.submit("long", pool_jobs.wait_for_gate, str(long_gate), 9, cost=3.0)
        overtook, submitted = [], [running]
        # A steady stream of shorter jobs, one queued whenever the worker frees: each arrives
        # later in the lane's work than the long job, which runs once the work started since it
        # came outweighs AGING times the difference in cost.
        while long.state == "queued" and len(overtook) < 50:
            next_gate = next(gates)
            short = single.submit(f"short-{len(overtook)}", pool_jobs.wait_for_gate,
                                  str(next_gate), len(overtook), cost=1.0)
            submitted.append(short)
            gate.touch()  # the running job ends
            assert _wait(lambda short=short: short.state != "queued" or long.state != "queued")
            if short.state != "queued":
                overtook.append(short)
            gate = next_gate
        # Overtaken by the shorter jobs that came before the lane had started AGING x (3 - 1)
        # more work, and by no later one (the one just submitted waits for it).
        assert long.state == "running" and 1 <= len(overtook) <= AGING * (3.0 - 1.0)
        long_gate.touch()
        gate.touch()
        for job in (*submitted, long):
            assert job.wait(30)
            job.release()
        assert long.result() == 9
    finally:
        single.close()


def test_a_background_job_is_cancelled_when_its_last_watcher_moves_on_and_frees_its_worker(
        pool: WorkerPool, tmp_path: Path):
    pid_file = tmp_path / "pids"
    job = pool.submit("verdict-slow", pool_jobs.sleep_with_a_child, str(pid_file),
                      priority=Priority.IDLE, watcher="session-a")
    job.release()  # polled, not waited for
    pool.watch("verdict-slow", "session-b")
    assert _wait(lambda: pid_file.exists() and len(pid_file.read_text().split()) == 2)
    worker, grandchild = (int(p) for p in pid_file.read_text().split())
    pool.unwatch("verdict-slow", "session-a")
    pool.watch("verdict-slow", "session-b")  # still shown by another session: it goes on
    assert job.state == "running"
    pool.unwatch("verdict-slow", "session-b")
    assert job.wait(30)
    with pytest.raises(JobCancelled):
        job.result()
    assert _wait(lambda: not _alive(worker) and not _alive(grandchild))
    assert _wait(lambda: pool.stats()["analysis_ready"] == 1)
    after = pool.submit("after-cancel", pool_jobs.square_slowly, 5, 0.0, priority=Priority.BACKGROUND)
    after.release()
    assert after.wait(60) and after.result() == 25


def test_a_background_job_nobody_looks_at_any_more_is_cancelled(pool: WorkerPool):
    job = pool.submit("unwatched", pool_jobs.square_slowly, 3, 600.0, priority=Priority.IDLE,
                      watcher="gone")
    job.release()
    assert job.wait(LEASE + 30), "an unwatched background job kept running"
    with pytest.raises(JobCancelled):
        job.result()
    assert pool.running("unwatched") is None
    assert _wait(lambda: pool.stats()["analysis_ready"] == 1)


def test_a_full_analysis_yields_to_a_quick_estimate_and_then_finishes(pool: WorkerPool):
    preempted = pool.stats()["preempted_jobs"]
    full = pool.submit("full", pool_jobs.square_slowly, 6, 2.0, priority=Priority.IDLE, watcher="s")
    assert _wait(lambda: full.state == "running" and pool.stats()["analysis_running"] == 1)
    quick = pool.submit("quick", pool_jobs.square_slowly, 7, 0.0, priority=Priority.BACKGROUND,
                        watcher="s")
    assert quick.wait(60) and quick.result() == 49
    assert pool.stats()["preempted_jobs"] == preempted + 1
    while not full.wait(0.5):
        pool.watch("full", "s")  # the session keeps looking
    assert full.result() == 36
    for job in (full, quick):
        job.release()


def test_a_session_waiting_for_a_background_job_lifts_it_and_another_session_keeps_it(
        pool: WorkerPool):
    blocker = pool.submit("lane-busy", pool_jobs.square_slowly, 1, 1.0, priority=Priority.ANALYSIS)
    assert _wait(lambda: blocker.state == "running")
    verdict = pool.submit(("analysis", "k2"), pool_jobs.square_slowly, 8, 0.5, priority=Priority.IDLE,
                          watcher="overview")
    verdict.release()
    decisions = pool.submit(("analysis", "k2"), pool_jobs.square_slowly, 8, 0.5,
                            priority=Priority.ANALYSIS, cancel_running=True)
    assert decisions is verdict and verdict.priority == Priority.ANALYSIS
    decisions.release()  # the Decisions page left; the Overview still shows it
    assert not verdict.done()
    while not verdict.wait(0.5):
        pool.watch(("analysis", "k2"), "overview")
    assert verdict.result() == 64 and pool.peek(("analysis", "k2")) == 64
    assert blocker.wait(30)
    blocker.release()


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
    assert settings.analysis_nice == 10 and settings.lease_seconds == 15.0
    monkeypatch.setenv("EXPLORER_ANALYSIS_NICE", "5")
    overridden = PoolSettings.from_environment({"workers": 2, "analysis_workers": 3})
    assert (overridden.workers, overridden.analysis_workers, overridden.analysis_nice) == (2, 3, 5)


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
    for session in range(3):  # three sessions ask and leave at once (they poll, never wait)
        job = pool.submit(("verdict", "k"), pool_jobs.square_slowly, 6, 0.5,
                          priority=Priority.BACKGROUND, watcher=f"session-{session}")
        polls.append(job)
        job.release()
    assert polls[0] is polls[1] is polls[2]
    assert not polls[0].done()  # still queued or running although nobody waits
    assert polls[0].wait(30) and polls[0].result() == 36
    assert pool.peek(("verdict", "k")) == 36
    assert pool.stats()["started_jobs"] == started + 1


def test_a_run_a_page_waits_for_is_not_watched_as_background_work(pool: WorkerPool):
    job = pool.submit(("analysis", "own"), pool_jobs.square_slowly, 2, 30.0, priority=Priority.ANALYSIS,
                      cancel_running=True)
    assert _wait(lambda: job.state == "running")
    assert pool.watch(("analysis", "own"), "overview") is None  # the Overview does not adopt it
    job.release()  # Cancel on the Decisions page
    assert job.wait(30)
    with pytest.raises(JobCancelled):
        job.result()
    assert pool.watch(("analysis", "own"), "overview") is None


@pytest.mark.parametrize("priority", [Priority.INTERACTIVE, Priority.ANALYSIS])
def test_pool_workers_run_their_kernels_on_one_thread(pool: WorkerPool, priority: Priority):
    # Their processes already fill the cores: a worker never loads numba's threading layer.
    job = pool.submit(("kernel-threads", priority), pool_jobs.kernel_threads, priority=priority)
    assert job.wait(60)
    assert job.result() == (1, False, False)
    job.release()
