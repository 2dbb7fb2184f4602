"""Feature look-up tables give the bits the per-person numpy expressions gave."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.core.kernels.features import lookup
from simulation.core.personalization.features import exact_recency, recency


def test_recency_table_matches_every_week_and_age() -> None:
    """Every week up to 10 years and every purchase week before it, in the layouts the features use."""
    rng = np.random.default_rng(5)
    for week in range(0, 521):
        last = np.r_[np.arange(-1, week + 1), rng.integers(-1, week + 1, size=5000)].astype(np.int16)
        np.testing.assert_array_equal(recency(last, week).view(np.int32),
                                      exact_recency(last, week).view(np.int32))
        wide = np.empty((last.size, 12), dtype=np.float32, order="F")
        channels = wide[:, :8].T.reshape(2, 4, last.size)[:, 0]  # unified_features' strided view
        both = np.stack([last, last[::-1]])
        recency(both, week, out=channels)
        np.testing.assert_array_equal(channels.view(np.int32), exact_recency(both, week).view(np.int32))


def test_recency_of_nobody_and_of_never() -> None:
    assert recency(np.zeros(0, dtype=np.int16), 3).size == 0
    np.testing.assert_array_equal(recency(np.full(50, -1, dtype=np.int16), 7), np.zeros(50, np.float32))


def test_recency_beyond_the_table_is_exact() -> None:
    last = np.array([-1, 0, 30000, 5], dtype=np.int16)
    np.testing.assert_array_equal(recency(last, 30000), exact_recency(last, 30000))


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(0, 4), cols=st.integers(0, 300),
       lo=st.integers(-5, 5), span=st.integers(1, 300), dtype=st.sampled_from([np.int16, np.uint8]),
       strided=st.booleans())
def test_lookup_is_numpy_take(seed: int, rows: int, cols: int, lo: int, span: int,
                              dtype: type, strided: bool) -> None:
    rng = np.random.default_rng(seed)
    low = max(lo, 0) if dtype is np.uint8 else lo
    table = rng.normal(size=span).astype(np.float32)
    index: np.ndarray = rng.integers(low, low + span, size=(rows, cols)).astype(dtype)
    out = np.zeros((rows, 2 * cols), dtype=np.float32)
    out = out[:, ::2] if strided else out[:, :cols]
    lookup(table, index, low, out)
    np.testing.assert_array_equal(out, table.take(index.astype(np.int64) - low))
    if rows:
        flat = np.zeros(cols, dtype=np.float32)
        lookup(table, index[0], low, flat)
        np.testing.assert_array_equal(flat, table.take(index[0].astype(np.int64) - low))
