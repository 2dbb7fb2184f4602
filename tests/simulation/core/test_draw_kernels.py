"""Hashed uniform draws from the compiled pass (kernels/draws.py) are numpy's, bit for bit.

Reference: ``numpy_reference.numpy_uniform_block`` (the streams' numpy hashing as it was);
compared byte for byte on random people of every index type, on the edges (nobody, one person,
indices beyond 32 bits, negative ones) and through both entry points of the streams.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.core.kernels.draws import floats_from_raw
from simulation.core.random_streams import Draw, RandomStreams
from tests.simulation.core.numpy_reference import numpy_floats_from_raw, numpy_uniform_block


def same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    assert a.tobytes() == b.tobytes()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), week=st.integers(0, 600),
       steps=st.lists(st.integers(0, 50), max_size=5),
       kind=st.sampled_from(list(Draw)), n=st.integers(0, 300),
       dtype=st.sampled_from([np.int64, np.int32, np.int16, np.uint32, np.uint64]))
def test_hashed_uniforms_are_numpys(seed: int, week: int, steps: list[int], kind: Draw, n: int, dtype: type):
    streams = RandomStreams(seed)
    rng = np.random.default_rng(seed)
    person = rng.integers(0, np.iinfo(dtype).max, size=n, endpoint=True, dtype=dtype)
    draws = [(kind, step) for step in steps]
    same(streams.uniform_block(draws, week, person), numpy_uniform_block(streams, draws, week, person))
    same(streams.uniform(kind, week, steps[0] if steps else 0, person),
         numpy_uniform_block(streams, [(kind, steps[0] if steps else 0)], week, person)[0])


def test_hashed_uniforms_at_the_edges():
    streams = RandomStreams(3)
    for person in (np.zeros(0, dtype=np.int64), np.array([0]), np.array([2**40 + 5, -1, -(2**40)]),
                   np.arange(10**5)):
        same(streams.uniform(Draw.CHURN, 7, 2, person),
             numpy_uniform_block(streams, [(Draw.CHURN, 2)], 7, person)[0])
    grid = np.arange(12).reshape(3, 4)  # not 1-D: the numpy path
    same(streams.uniform(Draw.MODEL, 1, 1, grid).ravel(),
         numpy_uniform_block(streams, [(Draw.MODEL, 1)], 1, grid.ravel())[0])


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**64 - 1), n=st.integers(0, 500))
def test_floats_from_raw_are_numpys_words(seed: int, n: int):
    raw = np.random.default_rng(seed % 2**32).integers(0, 2**64, size=n, dtype=np.uint64, endpoint=False)
    raw[: min(n, 2)] = [2**64 - 1, 0][: min(n, 2)]  # every bit set, and none
    got = floats_from_raw(raw.copy(), np.empty(2 * n, dtype=np.float32))
    same(got, numpy_floats_from_raw(raw.copy(), np.empty(2 * n, dtype=np.float32)))


def test_floats_from_raw_are_the_generators_uniforms():
    for n in (0, 2, 10_000):
        want = np.random.default_rng(11).random(n, dtype=np.float32)
        raw = np.random.default_rng(11).bit_generator.random_raw(n // 2)
        same(floats_from_raw(raw, np.empty(n, dtype=np.float32)), want)
