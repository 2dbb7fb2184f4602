"""The process-wide job registry behind the Overview's verdict: once per key, in a process of its
own, errors in one line, unwatched jobs dropped."""

from __future__ import annotations

import time

import pytest

from explorer import background
from tests.explorer import background_work


def _wait(job: background.Job, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not job.done:
        job.touch()
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_one_job_per_key_however_often_it_is_asked_for():
    first = background.submit(("add", 1), background_work.add, 2, 3, label="sum")
    again = background.submit(("add", 1), background_work.add, 2, 3, label="sum")
    assert again is first
    _wait(first)
    assert first.result == 5 and first.error is None and first.fraction == 1.0
    assert background.finished(("add", 1)) == 5


def test_an_error_is_reported_in_one_line_not_raised():
    job = background.submit(("fail", 1), background_work.fail)
    _wait(job)
    assert job.error == "ValueError: no such thing"
    assert background.finished(("fail", 1)) is None


def test_a_job_nobody_watches_is_stopped(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(background, "ABANDON_AFTER_SECONDS", 1.0)
    job = background.submit(("slow", 1), background_work.slow, 60.0)
    deadline = time.monotonic() + 30
    while background.get(("slow", 1)) is not None and time.monotonic() < deadline:
        time.sleep(1.5)  # get() touches; sleeping past the limit between looks
        job.seen -= 5
    assert background.get(("slow", 1)) is None
    assert not job.done
