"""The kernels' thread setting (simulation/core/kernels/threads.py) and what it must not change.

Precedence (set_threads, then OMNICHANNEL_THREADS, then every core), clear messages for bad
values, one thread in analysis workers, and whole runs that are bit for bit the same whichever
variant of the kernels runs them. The kernels themselves are compared variant by variant in
``test_kernels.py`` and ``test_purchase_kernels.py`` (:mod:`tests.simulation.core.kernel_variants`).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import Scenario, simulate
from simulation.analysis import cluster, parallel
from simulation.core.kernels import threads
from simulation.core.kernels.steps import below, contact_conflicts_kernel

ROOT = Path(__file__).resolve().parents[3]
SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True)
def default_setting(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts from the default (no set_threads, no environment variable)."""
    monkeypatch.delenv(threads.THREADS_ENV, raising=False)
    threads.set_threads(None)
    yield
    threads.set_threads(None)


def test_the_default_is_one_thread_and_the_environment_and_the_api_override_it(
        monkeypatch: pytest.MonkeyPatch):
    assert threads.threads() == 1
    assert len(threads.variants()) == 1  # a default process warms up no parallel variant
    monkeypatch.setenv(threads.THREADS_ENV, "2")
    assert threads.threads() == min(2, threads.available())
    threads.set_threads(1)
    assert threads.threads() == 1
    threads.set_threads(None)
    assert threads.threads() == min(2, threads.available())
    monkeypatch.setenv(threads.THREADS_ENV, " 99 ")  # more than there are cores: every core
    assert threads.threads() == threads.available()


@pytest.mark.parametrize("value", ["two", "0", "-1", "1.5", "2 threads"])
def test_a_bad_environment_value_says_what_is_wrong(monkeypatch: pytest.MonkeyPatch, value: str):
    monkeypatch.setenv(threads.THREADS_ENV, value)
    with pytest.raises(threads.ThreadSettingError,
                       match=f"{threads.THREADS_ENV} must be a whole number >= 1.*not '{value}'"):
        threads.threads()


@pytest.mark.parametrize("value", [0, -2, True, "x"])
def test_set_threads_refuses_what_is_not_a_number_of_threads(value: object):
    with pytest.raises(threads.ThreadSettingError, match="number of threads must be a whole number"):
        threads.set_threads(value)  # type: ignore[arg-type]


def test_small_calls_one_thread_and_busy_cores_run_serially(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(threads, "core_is_free", lambda: True)
    threads.set_threads(2)
    assert not threads.parallel(threads.MIN_PARALLEL - 1)
    assert threads.parallel(threads.MIN_PARALLEL) == (threads.available() > 1)
    monkeypatch.setattr(threads, "core_is_free", lambda: False)
    assert not threads.parallel(10**9)
    threads.set_threads(1)
    assert not threads.parallel(10**9)
    assert len(threads.variants()) == 1  # a one-thread process warms up no parallel variant


@pytest.mark.parametrize(("others", "free"), [(0.0, True), (0.4, True), (0.7, False), (1.8, False)])
def test_a_core_is_free_while_other_processes_use_less_than_half_a_core_of_two(
        monkeypatch: pytest.MonkeyPatch, others: float, free: bool):
    # Over one sample: this process used 0.9 s of CPU, all processes 0.9 s + what the others used.
    clock = iter([100.0, 101.0])
    cpu = iter([10.0, 10.9])
    busy = iter([500.0, 500.9 + others])
    monkeypatch.setattr(threads.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(threads.time, "process_time", lambda: next(cpu))
    monkeypatch.setattr(threads, "_busy_seconds", lambda: next(busy))
    monkeypatch.setattr(threads, "available", lambda: 2)
    monkeypatch.setattr(threads, "_sample", None)
    monkeypatch.setattr(threads, "_free", True)
    assert threads.core_is_free()  # the first look has nothing to compare with
    assert threads.core_is_free() == free


@pytest.mark.parametrize("runner", [parallel._indexed, cluster._indexed])
def test_analysis_workers_run_their_kernels_on_one_thread(runner):  # type: ignore[no-untyped-def]
    assert runner(lambda _: threads.threads(), 3, None) == (3, 1)


def test_the_command_line_refuses_a_bad_thread_setting():
    command = [sys.executable, "-m", "simulation", "run", "--population", "200", "--quiet"]
    given_bad = subprocess.run([*command, "--threads", "0"], cwd=ROOT, capture_output=True, text=True)
    assert given_bad.returncode == 2 and "number of threads must be a whole number >= 1" in given_bad.stderr
    env_bad = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                             env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
                                  threads.THREADS_ENV: "many"})
    assert env_bad.returncode == 2 and f"{threads.THREADS_ENV} must be a whole number" in env_bad.stderr


CHUNK = 5
SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 7 * CHUNK + 3]
"""Sizes around the chunk boundaries, and many chunks."""


@SETTINGS
@given(size=st.sampled_from(SIZES), n_threads=st.sampled_from([1, 2]), seed=st.integers(0, 2**32 - 1),
       bound=st.sampled_from([0.0, 0.3, 0.7, 1.0]))
def test_parallel_compaction_keeps_the_serial_order_at_every_chunk_boundary(
        size: int, n_threads: int, seed: int, bound: float):
    rng = np.random.default_rng(seed)
    u = rng.random(size).astype(np.float32)
    keys = rng.integers(0, 4, 2 * size).astype(np.int16)
    offered = rng.random(2 * size) < 0.5
    multi = rng.random(5) < 0.6
    chance = np.array([bound, bound / 2])
    expected = ((u < bound).nonzero()[0], contact_conflicts_kernel(u, chance, keys, offered, 1, multi))
    threads.set_threads(n_threads)
    with threads.always_parallel(CHUNK):
        got = (below(u, bound), contact_conflicts_kernel(u, chance, keys, offered, 1, multi))
    for a, b in zip(got, expected, strict=True):
        assert a.dtype == b.dtype == np.int64 and a.tobytes() == b.tobytes()


def _frames(scenario: Scenario) -> dict[str, bytes]:
    results = simulate(scenario)
    frames = dict(results.frames())
    frames["customers"] = results.customers
    return {name: pd.util.hash_pandas_object(frame.reset_index(drop=True), index=True).to_numpy().tobytes()
            + str(list(frame.columns)).encode() + str(list(frame.dtypes)).encode()
            for name, frame in frames.items()}


def test_a_whole_run_on_two_threads_is_the_serial_run_bit_for_bit():
    scenario = Scenario.preset("benchmark_retailer").replace(market__population=3000)
    threads.set_threads(1)
    serial = _frames(scenario)
    threads.set_threads(2)
    with threads.always_parallel(97):  # every kernel call parallel, across many chunks
        two = _frames(scenario)
    assert serial.keys() == two.keys()
    for name in serial:
        assert serial[name] == two[name], name
