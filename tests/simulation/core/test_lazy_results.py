"""Lazy result frames: computed on first access, equal to the eager ones, honest about size."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

from simulation import Scenario
from simulation.core import metrics
from simulation.core.api import run_plans, valued
from simulation.core.results import LAZY_FRAMES, Results, frame_of

EAGER = {"survival": metrics.survival_frame, "funnel": metrics.funnel_frame,
         "flows": metrics.flows_frame, "losses": metrics.losses_frame,
         "channel_usage": metrics.channel_usage_frame, "mechanisms": metrics.mechanisms_frame}


@pytest.fixture(scope="module")
def tiny(default_scenario: Scenario) -> Scenario:
    return default_scenario.replace(market__population=2000, market__horizon_weeks=60)


@pytest.fixture(scope="module")
def fresh(tiny: Scenario) -> Results:
    return valued(run_plans(tiny, None), tiny)


def test_lazy_frames_wait_for_first_access_and_equal_the_eager_ones(tiny: Scenario):
    results = valued(run_plans(tiny, None), tiny)
    assert set(EAGER) == set(LAZY_FRAMES)
    assert not any(results.has_frame(name) for name in LAZY_FRAMES)
    assert results.has_frame("kpis") and results.has_frame("weekly")
    # The eager frames of another, independent run of the same scenario (same seed).
    other = valued(run_plans(tiny, None), tiny).run
    for name, compute in EAGER.items():
        pd.testing.assert_frame_equal(getattr(results, name), compute(other), obj=name)
        assert results.has_frame(name)  # kept: computed once from the kept run
        assert getattr(results, name) is getattr(results, name)
        pd.testing.assert_frame_equal(frame_of(results.run, name), compute(results.run))


def test_frames_returns_every_frame(fresh: Results, tiny: Scenario):
    again = valued(run_plans(tiny, None), tiny)
    frames = fresh.frames()
    assert list(frames)[:8] == ["kpis", "weekly", *LAZY_FRAMES]
    for name, frame in again.frames().items():
        pd.testing.assert_frame_equal(frame, frames[name], obj=name)


def test_a_pickle_holds_what_was_computed_and_recomputes_the_rest_from_the_run(tiny: Scenario):
    results = valued(run_plans(tiny, None), tiny)
    _ = results.survival
    copy = pickle.loads(pickle.dumps(results))
    assert copy.has_frame("survival") and not copy.has_frame("funnel")
    pd.testing.assert_frame_equal(copy.funnel, metrics.funnel_frame(results.run))


def test_frames_from_a_source_are_never_kept_so_a_cached_entry_does_not_grow(fresh: Results):
    asked: list[str] = []

    def source(name: str) -> pd.DataFrame:
        asked.append(name)
        return getattr(fresh, name)

    shown = Results(scenario=fresh.scenario, kpis=fresh.kpis, weekly=fresh.weekly, frame_source=source)
    size = len(pickle.dumps(shown))
    pd.testing.assert_frame_equal(shown.survival, fresh.survival)
    pd.testing.assert_frame_equal(shown.survival, fresh.survival)
    assert asked == ["survival", "survival"] and not shown.has_frame("survival")
    assert len(pickle.dumps(shown)) == size  # measured once, stays that size
    copy = pickle.loads(pickle.dumps(shown))
    assert copy.frame_source is None  # the source (a closure over caches) is never pickled
    with pytest.raises(ValueError, match="survival"):
        _ = copy.survival


def test_results_without_run_or_source_say_which_frame_is_missing(fresh: Results):
    bare = Results(scenario=fresh.scenario, kpis=fresh.kpis, weekly=fresh.weekly)
    with pytest.raises(ValueError, match="mechanisms frame was not computed"):
        _ = bare.mechanisms
    with pytest.raises(AttributeError):
        _ = bare.no_such_frame  # type: ignore[attr-defined]


def test_repr_and_copies_neither_compute_nor_lose_the_lazy_frames(fresh: Results):
    import copy

    asked: list[str] = []

    def source(name: str) -> pd.DataFrame:
        asked.append(name)
        return getattr(fresh, name)

    shown = Results(scenario=fresh.scenario, kpis=fresh.kpis, weekly=fresh.weekly, frame_source=source)
    assert "kpis" in repr(shown) and asked == []  # repr computes nothing (it could simulate)
    bare = Results(scenario=fresh.scenario, kpis=fresh.kpis, weekly=fresh.weekly)
    assert "weekly" in repr(bare)  # and does not raise for frames that cannot be computed
    copied = copy.copy(shown)
    pd.testing.assert_frame_equal(copied.funnel, fresh.funnel)  # the source came along
    assert asked == ["funnel"]
