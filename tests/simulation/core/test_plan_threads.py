"""A run's plans split over threads give the lockstep run's numbers; failures stop every group."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pandas as pd
import pytest

from simulation import Scenario, simulate
from simulation.core import plan_threads
from simulation.core.kernels import threads
from simulation.core.results import Results
from simulation.core.state import ProgressCallback, RunOutput
from simulation.core.world import World


@pytest.fixture
def two_threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Two threads, and runs of any size split (the tests' scenarios are small)."""
    monkeypatch.setattr(plan_threads, "SPLIT_FROM_PEOPLE", 1)
    monkeypatch.setattr(threads, "available", lambda: 4)
    threads.set_threads(2)
    yield
    threads.set_threads(None)


def _frames(results: Results) -> dict[str, pd.DataFrame]:
    frames = {**results.frames(), "customers": results.customers}
    frames.update({f"extras.{k}": v for k, v in results.extras.items() if isinstance(v, pd.DataFrame)})
    return frames


def test_the_plan_groups_follow_the_threads_and_the_size(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(threads, "available", lambda: 8)
    big = plan_threads.SPLIT_FROM_PEOPLE
    threads.set_threads(1)
    assert plan_threads.plan_groups(3, big) == [[0, 1, 2]]
    threads.set_threads(2)
    assert plan_threads.plan_groups(3, big) == [[0], [1, 2]]  # multichannel alone
    assert plan_threads.plan_groups(3, big - 1) == [[0, 1, 2]]  # too small to pay
    assert plan_threads.plan_groups(1, big) == [[0]]
    assert plan_threads.plan_groups(5, big) == [[0, 1], [2, 3, 4]]
    assert plan_threads.plan_groups(2, big) == [[0], [1]]
    threads.set_threads(8)
    assert plan_threads.plan_groups(3, big) == [[0], [1], [2]]
    threads.set_threads(None)


CALIBRATED = {"behaviour__new_customer_intent_boost": 0.8, "behaviour__dropout_after_purchase": 0.1,
              "behaviour__repeat_propensity_heterogeneity": 0.5,
              "behaviour__repeat_propensity_correlation": 0.5, "behaviour__spend_heterogeneity": 0.5}
"""The mechanisms only calibrations turn on (people's own repeat propensity and spend, drawn with
the world, which the groups share)."""


@pytest.mark.parametrize("changes", [{}, CALIBRATED], ids=["default", "calibrated mechanisms"])
def test_split_plans_give_the_lockstep_runs_numbers_bit_for_bit(small_scenario: Scenario, two_threads: None,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                changes: dict[str, float]):
    from simulation.core import api

    small_scenario = small_scenario.replace(**changes)

    groups_run: list[list[list[int]]] = []

    def spy(world, groups, run_group, progress):  # type: ignore[no-untyped-def]
        groups_run.append(groups)
        return plan_threads.run_groups(world, groups, run_group, progress)

    monkeypatch.setattr(api, "run_groups", spy)
    split = simulate(small_scenario)
    assert groups_run == [[[0], [1, 2]]]
    threads.set_threads(1)
    lockstep = simulate(small_scenario)
    assert split.scenario == lockstep.scenario
    got, want = _frames(split), _frames(lockstep)
    assert list(got) == list(want)
    for name in want:
        pd.testing.assert_frame_equal(got[name], want[name], check_exact=True, obj=name)


def test_progress_is_the_slowest_groups_and_never_goes_back(small_scenario: Scenario, two_threads: None):
    seen: list[float] = []
    simulate(small_scenario, progress=lambda fraction, _: seen.append(fraction))
    assert seen and seen == sorted(seen) and len(set(seen)) == len(seen) and seen[-1] == 1.0


def _world(scenario: Scenario) -> World:
    from simulation.core.random_streams import RandomStreams
    from simulation.core.world import build_world

    return build_world(scenario, RandomStreams(scenario.seed))


def test_a_failing_group_stops_the_others_and_its_error_is_raised(small_scenario: Scenario):
    stopped = threading.Event()

    def run_group(_: int, world: World, progress: ProgressCallback) -> tuple[RunOutput, dict[str, object]]:
        if world.plan_names[0] == "multichannel":
            try:
                while True:  # would run for ever if nobody stopped it
                    progress(0.1, "week")
                    time.sleep(0.01)
            finally:
                stopped.set()
        time.sleep(0.05)
        raise ValueError("the second group failed")

    started = time.monotonic()
    with pytest.raises(ValueError, match="the second group failed"):
        plan_threads.run_groups(_world(small_scenario), [[0], [1, 2]], run_group, None)
    assert stopped.is_set() and time.monotonic() - started < 5


def test_a_callers_progress_that_raises_stops_every_group(small_scenario: Scenario, two_threads: None):
    """What a cancelled job or Ctrl-C does: the exception reaches the caller, no thread runs on."""
    def cancel(fraction: float, _: str) -> None:
        if fraction > 0.2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulate(small_scenario, progress=cancel)
    assert not [t for t in threading.enumerate() if t.name.startswith(("plans", "draws-shared"))]


def test_a_group_failing_before_its_run_starts_does_not_hold_the_others(
        small_scenario: Scenario, two_threads: None, monkeypatch: pytest.MonkeyPatch):
    """A group that fails before it reads a draw closes its reader, so the others are not left
    waiting for it in the shared draws (which would hang the run)."""
    from simulation.core import api, random_streams
    from simulation.core.engine import Simulation

    build, take = Simulation.__init__, random_streams.SharedPopulationDraws.take
    first_group_waits = threading.Event()

    def watched_take(self, index, kind):  # type: ignore[no-untyped-def]
        if index == 0 and self._taken[0] >= self.RING:  # beyond the draws taken before anyone reads
            first_group_waits.set()
        return take(self, index, kind)

    def failing_init(self, world, *args, **kwargs):  # type: ignore[no-untyped-def]
        if "custom" in world.plan_names:
            first_group_waits.wait(timeout=30)  # fail once the other group needs this one's reads
            raise ValueError("the custom plan's group failed to start")
        build(self, world, *args, **kwargs)

    monkeypatch.setattr(random_streams.SharedPopulationDraws, "take", watched_take)
    monkeypatch.setattr(api.Simulation, "__init__", failing_init)
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            simulate(small_scenario)
        except BaseException as error:
            outcome.append(error)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(timeout=60)
    assert first_group_waits.is_set()
    assert not runner.is_alive(), "the run hung waiting for the failed group's draws"
    assert len(outcome) == 1 and "failed to start" in str(outcome[0])
