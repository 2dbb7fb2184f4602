"""What one slider move costs the app beyond the simulation: which parts a job runs and values,
what the app process values, and frames computed only for the pages that read them."""

from __future__ import annotations

import pickle
from collections.abc import Hashable
from typing import Any

import pandas as pd
import pytest

from explorer import runs, state
from explorer.pool import ResultCache, pickled_size
from simulation import Scenario, simulate
from simulation.core.results import LAZY_FRAMES


class _FakeJob:
    def __init__(self, provides: list[Hashable], values: dict[Hashable, Any]) -> None:
        self.provides = provides
        self.values = values

    def result(self, key: Hashable) -> Any:
        return self.values[key]

    def wait(self, timeout: float | None = None) -> bool:
        return True

    def release(self) -> None:
        pass


class _FakePool:
    """The parts of :class:`explorer.pool.WorkerPool` the run path uses, running jobs inline."""

    def __init__(self) -> None:
        self.cache = ResultCache(max_bytes=1 << 30)
        self.submitted: list[tuple[list[str], list[Hashable]]] = []
        self.in_worker = False

    def peek(self, key: Hashable) -> Any:
        return self.cache.get(key)

    def join(self, key: Hashable) -> None:
        return None

    def stats(self) -> dict[str, int]:
        return {"ready": 1, "running": 1, "queued": 0}  # busy: one lockstep job

    def submit(self, key: Hashable, function: Any, *args: Any, provides: list[Hashable],
               **kwargs: Any) -> _FakeJob:
        kwargs = {k: v for k, v in kwargs.items() if k in ("prices",)}
        self.in_worker = True
        try:
            values = function(*args, **kwargs)
        finally:
            self.in_worker = False
        values = {k: pickle.loads(pickle.dumps(values[k])) for k in provides}  # as a worker sends
        for k, value in values.items():
            self.cache.put(k, value, pickled_size(value))
        self.submitted.append((list(args[1]), list(provides)))
        return _FakeJob(provides, values)


@pytest.fixture()
def app_pool(monkeypatch: pytest.MonkeyPatch) -> _FakePool:
    fake = _FakePool()
    monkeypatch.setattr(state, "pool", lambda: fake)
    monkeypatch.setattr(state, "wait_for", lambda jobs, what, expected_seconds=0.0: None)
    return fake


def _shown(scenario: Scenario) -> Any:
    lockstep = state._lockstep(scenario)
    return state._priced(scenario, lockstep)


def test_a_capability_move_runs_and_values_the_custom_plan_only(
        app_pool: _FakePool, small_scenario: Scenario, monkeypatch: pytest.MonkeyPatch):
    _shown(small_scenario)
    (names, provides), = app_pool.submitted
    assert names == ["multichannel", "omnichannel", "custom"]
    assert set(runs.valued_keys(small_scenario, names)) <= set(provides)  # valued in the worker
    assert runs.migration_key(small_scenario) in provides  # and the plans' migration too
    valued_here: list[str] = []
    value = runs.value

    def recorded(part: Any, scenario: Scenario) -> Any:
        if not app_pool.in_worker:
            valued_here.append(part.run.world.plan_names[0])
        return value(part, scenario)

    monkeypatch.setattr(runs, "value", recorded)
    moved = small_scenario.replace(custom_plan={"inventory": 0.7, "service": 0.2})
    shown = _shown(moved)
    names, provides = app_pool.submitted[-1]
    assert names == ["custom"]
    assert runs.valued_keys(moved, runs.STANDARD + runs.CUSTOM)[0] not in provides
    assert valued_here == []  # neither the job's plans nor the standard plans valued here
    expected = simulate(moved)
    pd.testing.assert_frame_equal(shown.kpis, expected.kpis)
    pd.testing.assert_frame_equal(shown.weekly, expected.weekly)


def test_a_page_reading_more_frames_gets_them_from_their_own_cache_entry(
        app_pool: _FakePool, small_scenario: Scenario):
    shown = _shown(small_scenario)
    priced_key = ("priced", small_scenario.canonical_key())
    assert not any(shown.has_frame(name) for name in LAZY_FRAMES)  # the Overview never pays
    size = app_pool.cache._entries[priced_key][1]
    assert size == pickled_size(shown)
    expected = simulate(small_scenario)
    pd.testing.assert_frame_equal(shown.kpis, expected.kpis)  # with the worker's migration
    for name in LAZY_FRAMES:
        pd.testing.assert_frame_equal(getattr(shown, name), getattr(expected, name), obj=name)
    frames_key = ("frames", small_scenario.canonical_key())
    assert frames_key in app_pool.cache
    assert app_pool.cache._entries[frames_key][1] == pickled_size(app_pool.cache.get(frames_key))
    assert pickled_size(shown) == size  # the cached results did not grow
    assert len(app_pool.submitted) == 1  # computed from the cached runs, nothing simulated again


def test_frames_are_simulated_again_when_their_runs_were_evicted(
        app_pool: _FakePool, small_scenario: Scenario, monkeypatch: pytest.MonkeyPatch):
    shown = _shown(small_scenario)
    for key in runs.plan_keys(small_scenario):
        app_pool.cache._entries.pop(key)
    # Off the script thread (a report download's callable) the source uses the pool it was
    # given, never Streamlit's resource cache, and waits without drawing.
    monkeypatch.setattr(state, "pool", lambda: pytest.fail("pool() called off the script thread"))
    monkeypatch.setattr(state, "wait_for", lambda *args, **kwargs: pytest.fail("drawn off the script"))
    pd.testing.assert_frame_equal(shown.funnel, simulate(small_scenario).funnel)
    assert len(app_pool.submitted) == 2


def test_a_failure_computing_a_frame_later_is_a_message_on_the_page_not_a_traceback(
        app_pool: _FakePool, small_scenario: Scenario, monkeypatch: pytest.MonkeyPatch):
    """A lazy frame read inside a chart may simulate again (its runs evicted): a failure there
    is shown the way :func:`explorer.state.results` shows one, and off the script thread (a
    download's callable) it reaches the caller's handler instead."""
    from explorer.pool import JobFailed

    shown = _shown(small_scenario)
    for key in runs.plan_keys(small_scenario):
        app_pool.cache._entries.pop(key)

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise JobFailed("the worker ran out of memory")

    monkeypatch.setattr(app_pool, "submit", failing)
    with pytest.raises(JobFailed):  # off the script thread: the download's own handler
        _ = shown.funnel
    drawn: list[str] = []

    class Stopped(Exception):
        pass

    def stop() -> None:
        raise Stopped

    monkeypatch.setattr(state, "get_script_run_ctx", lambda: object())
    monkeypatch.setattr(state.st, "error", lambda message: drawn.append(str(message)))
    monkeypatch.setattr(state.st, "stop", stop)
    with pytest.raises(Stopped):
        _ = shown.funnel
    assert len(drawn) == 1 and "the worker ran out of memory" in drawn[0]


def test_the_point_verdict_does_not_depend_on_the_custom_plan(small_scenario: Scenario):
    """It is cached on the scenario without its custom plan, so a capability move reuses it."""
    from explorer import verdict_view
    from simulation.analysis.investment import break_even_from
    from simulation.analysis.runs import PlanOutcome, plan_levels
    from simulation.core.world import standard_plans

    def omni(scenario: Scenario) -> tuple[float, float, float]:
        results = simulate(scenario)
        run = PlanOutcome(kpis=results.kpis, weekly=results.weekly)
        found = break_even_from(scenario, plan_levels(standard_plans(scenario)), run, plan="omnichannel")
        return found.npv_gain, found.break_even_budget, found.budget

    moved = small_scenario.replace(custom_plan={"identity": 1.0, "inventory": 0.4})
    assert runs.standard_prices_key(moved) == runs.standard_prices_key(small_scenario)
    assert omni(moved) == omni(small_scenario)
    verdict_view._point.clear()
    point = verdict_view._point(runs.standard_prices_key(moved), simulate(moved))
    assert (point.npv_gain, point.break_even_budget, point.planned_budget) == omni(moved)


def test_a_waiting_spinner_is_not_redrawn_for_progress_it_does_not_show(monkeypatch: pytest.MonkeyPatch):
    import contextlib
    import threading
    import time
    from types import SimpleNamespace

    class Running:
        state = "running"

        def __init__(self) -> None:
            self.progress: tuple[float, str] | None = (0.0, "week 0")
            self.finished = threading.Event()

        def done(self) -> bool:
            return self.finished.is_set()

        def wait(self, timeout: float | None = None) -> bool:
            return self.finished.wait(timeout)

        def ahead(self) -> int:
            return 0

        def release(self) -> None:
            pass

    job = Running()
    spinners: list[str] = []

    shown = threading.Event()

    @contextlib.contextmanager
    def spinner(text: str):  # type: ignore[no-untyped-def]
        spinners.append(text)
        shown.set()
        yield

    monkeypatch.setattr(state, "pool", lambda: SimpleNamespace(settings=SimpleNamespace(workers=2)))
    monkeypatch.setattr(state, "REDRAW_SECONDS", 0.05)
    monkeypatch.setattr(state, "POLL_SECONDS", 0.01)
    monkeypatch.setattr(state.st, "spinner", spinner)

    def report() -> None:
        shown.wait(30)  # progress while the page waits (on a loaded machine it can start late)
        for week in range(1, 30):
            job.progress = (week / 30, f"week {week}")
            time.sleep(0.01)
        job.finished.set()

    threading.Thread(target=report).start()
    state.wait_for([job], "the custom plan")  # type: ignore[list-item]
    assert len(spinners) == 1  # progress moved 29 times over about six redraw periods
