"""What a page waiting for the shared worker pool says, and that clearing Streamlit's caches
stops the pool's workers instead of leaving them behind."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
import streamlit as st

from explorer import state


class _Waiting:
    """A job as the waiting page sees it."""

    def __init__(self, state_: str, ahead: int, progress: tuple[float, str] | None = None) -> None:
        self.state = state_
        self._ahead = ahead
        self.progress = progress

    def ahead(self) -> int:
        return self._ahead


def test_a_queued_run_says_how_many_runs_are_ahead_of_it():
    kind, text = state._view([_Waiting("queued", 3)], "the three plans", 0.5)  # type: ignore[list-item]
    assert kind == "spinner" and text.startswith("Queued: 3 runs ahead of the three plans")
    kind, text = state._view([_Waiting("queued", 0)], "analyses", 30.0)  # type: ignore[list-item]
    assert kind == "spinner" and text.startswith("Queued: analyses start as soon as a worker")


def test_a_running_run_says_so_and_a_long_one_shows_its_progress():
    assert state._view([_Waiting("running", 0)], "your custom plan", 0.3) == (  # type: ignore[list-item]
        "spinner", "Simulating your custom plan")
    kind, text = state._view([_Waiting("running", 0, (0.4, "week 60 of 156"))],  # type: ignore[list-item]
                             "the three plans", 5.0)
    assert kind == "bar" and text == "Simulating the three plans: week 60 of 156"


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_clearing_the_resource_cache_stops_the_workers():
    first = state.pool()
    assert first.wait_ready(120)
    pids = first.pids()
    st.cache_resource.clear()
    deadline = time.monotonic() + 30
    while any(_running(pid) for pid in pids):
        assert time.monotonic() < deadline, "the old pool's workers are still running"
        time.sleep(0.1)
    assert state.pool() is not first


def test_progress_from_a_worker_is_shown_in_the_reader_language():
    from simulation.display.text import use_language
    from simulation.inputs.problems import Progress

    week = Progress("progress.week", week=60, weeks=156)
    with use_language("th"):
        kind, text = state._view([_Waiting("running", 0, (0.4, week))], "แผนทั้งสาม", 5.0)  # type: ignore[list-item]
    assert kind == "bar" and text.endswith("สัปดาห์ที่ 60 จาก 156") and "week" not in text


def test_a_newer_move_drops_the_queued_run_the_page_no_longer_waits_for(monkeypatch: pytest.MonkeyPatch):
    from explorer.pool import JobCancelled
    from tests.explorer import pool_jobs

    workers = state.pool()
    assert workers.wait_ready(120)
    busy = [workers.submit(f"busy-{i}", pool_jobs.square_slowly, i, 1.0)
            for i in range(workers.settings.workers)]
    old = workers.submit("older-move", pool_jobs.square_slowly, 3, 0.0, cost=0.75)
    assert old.state == "queued"

    class Rerun(Exception):
        """Stands for Streamlit's request to rerun the script (the user moved a slider again)."""

    def newer_request() -> None:
        raise Rerun

    monkeypatch.setattr(state, "get_run_yield_check", lambda: newer_request)
    with pytest.raises(Rerun):
        state.wait_for([old], "the three plans")
    assert old.done() and isinstance(old.error(), JobCancelled)  # dropped, never run
    assert all(key != "older-move" for key, _ in workers.queued())
    for job in busy:
        assert job.wait(30)
        job.release()
