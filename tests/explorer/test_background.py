"""Background work on the shared worker pool (explorer.background is a view of it): one job per
key whoever asks, no process of its own, errors and crashes in one line, a job nobody watches
stopped, one answer per key for every page."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytest.importorskip("streamlit")

from explorer import background, state
from explorer.pool import Priority
from tests.explorer import background_work


def _wait(key: object, watcher: str = "s1", seconds: float = 120) -> background.Job:
    deadline = time.monotonic() + seconds
    while True:
        job = background.get(key, watcher)
        assert job is not None, "the job went away"
        if job.done:
            return job
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_one_job_per_key_however_many_sessions_ask_for_it(tmp_path: Path):
    runs = str(tmp_path / "runs")
    first = background.submit(("count", 1), background_work.counted, runs, label="count", watcher="s1")
    again = background.submit(("count", 1), background_work.counted, runs, label="count", watcher="s2")
    assert first.label == again.label == "count"
    done = _wait(("count", 1))
    assert done.result == 1 and done.error is None and done.fraction == 1.0
    assert background.finished(("count", 1)) == 1
    assert background.submit(("count", 1), background_work.counted, runs, watcher="s3").done
    assert Path(runs).read_text().splitlines() == ["ran"]


def test_the_job_runs_in_the_pools_analysis_lane_not_a_process_of_its_own():
    workers = state.pool()
    background.submit(("slow", "lane"), background_work.slow, 3.0, watcher="s1",
                      priority=Priority.IDLE)
    deadline = time.monotonic() + 60
    while workers.stats()["analysis_running"] == 0:
        assert time.monotonic() < deadline
        background.get(("slow", "lane"), "s1")
        time.sleep(0.1)
    assert workers.running(background.pool_key(("slow", "lane"))) is not None
    assert _wait(("slow", "lane")).result == "slept"


def test_an_error_is_reported_in_one_line_not_raised():
    background.submit(("fail", 1), background_work.fail, watcher="s1")
    job = _wait(("fail", 1))
    assert job.error == "ValueError: no such thing"
    assert background.finished(("fail", 1)) is None
    again = background.submit(("fail", 1), background_work.fail, watcher="s1")
    assert again.error == job.error  # not retried at every poll


def test_a_worker_crash_is_a_clear_message():
    background.submit(("crash", 1), background_work.crash, watcher="s1")
    job = _wait(("crash", 1))
    assert job.error is not None and "worker stopped during this run" in job.error
    assert background.finished(("crash", 1)) is None


def test_a_job_nobody_watches_any_more_is_cancelled():
    background.submit(("slow", 1), background_work.slow, 600.0, watcher="s1", priority=Priority.IDLE)
    assert background.get(("slow", 1), "s1") is not None
    background.stop_watching(("slow", 1), "s1")
    assert background.get(("slow", 1), "s1") is None
    assert state.pool().running(background.pool_key(("slow", 1))) is None


def test_a_result_put_by_a_page_is_the_answer_for_every_page():
    assert background.finished(("put", 1)) is None
    background.put(("put", 1), {"analysis": 1})
    assert background.finished(("put", 1)) == {"analysis": 1}
    job = background.get(("put", 1))
    assert job is not None and job.done and job.result == {"analysis": 1}
