"""Analyses on a Dask cluster give the local run's numbers, and fail fast when it is away."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pandas as pd
import pytest

from simulation import Scenario
from simulation.analysis.cluster import ClusterUnavailable, DaskRunner
from simulation.analysis.parallel import AnalysisCancelled, Task, run_tasks, use_runner
from simulation.analysis.runs import Execution
from simulation.analysis.shapley import capability_value
from simulation.analysis.uncertainty import uncertainty

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster() -> Iterator[DaskRunner]:
    """A LocalCluster of two single-threaded worker processes, stopped after the module."""
    with DaskRunner("local", n_workers=2) as runner:
        yield runner


@pytest.fixture(scope="module")
def small(tiny_scenario: Scenario) -> Scenario:
    return tiny_scenario.replace(market__population=600, market__horizon_weeks=26)


def _frames_equal(local: dict[str, object], remote: dict[str, object]) -> None:
    assert local.keys() == remote.keys()
    for name, frame in local.items():
        if isinstance(frame, pd.DataFrame):
            pd.testing.assert_frame_equal(frame, remote[name])  # type: ignore[arg-type]


def test_replications_on_a_local_cluster_equal_the_local_run(cluster: DaskRunner, small: Scenario):
    local = uncertainty(small, replications=4, execution=Execution(n_jobs=1))
    with use_runner(cluster):
        remote = uncertainty(small, replications=4, execution=Execution(n_jobs=1))
    _frames_equal(local.frames(), remote.frames())


def test_shapley_subsets_on_a_local_cluster_equal_the_local_run(cluster: DaskRunner, small: Scenario):
    local = capability_value(small, execution=Execution(n_jobs=1))
    with use_runner(cluster):
        remote = capability_value(small, execution=Execution(n_jobs=1))
    _frames_equal(local.frames(), remote.frames())


def _slow_square(x: int) -> int:
    time.sleep(0.2)
    return x * x


def test_cancelling_stops_the_cluster_tasks_and_keeps_nothing(cluster: DaskRunner):
    seen: list[float] = []
    with use_runner(cluster), pytest.raises(AnalysisCancelled):
        run_tasks(_slow_square, [Task(i) for i in range(40)],
                  progress=lambda done, _: seen.append(done), should_cancel=lambda: len(seen) > 2)
    assert 0 < seen[-1] < 1
    # Nothing is left running on the cluster for the cancelled analysis.
    deadline = time.monotonic() + 10
    while cluster.client.processing() and any(cluster.client.processing().values()):
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_an_unreachable_scheduler_fails_with_a_clear_message_not_a_hang():
    started = time.monotonic()
    with pytest.raises(ClusterUnavailable, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"):
        DaskRunner("tcp://127.0.0.1:9", connect_timeout=2)
    assert time.monotonic() - started < 30


def test_local_cluster_workers_allocate_like_a_process_of_their_own(cluster: DaskRunner):
    # Dask sets glibc's trim threshold; setting any malloc threshold also freezes the mmap
    # threshold at 128 KiB unless it is set too (a 1M-people run then took 1.5x the CPU).
    import os

    environ = cluster.client.run(lambda: {k: os.environ.get(k) for k in (
        "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")})
    assert len(environ) == 2
    for worker in environ.values():
        assert int(worker["MALLOC_TRIM_THRESHOLD_"]) >= 32 * 1024 * 1024
        assert int(worker["MALLOC_MMAP_THRESHOLD_"]) == 32 * 1024 * 1024
