"""What every kernel shares: the compile options, the hashed draw, float32 thresholds."""

from __future__ import annotations

import warnings
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray


def _probe() -> int:  # pragma: no cover - compiled only to see whether it could be cached
    return 0


def disk_cache_available() -> bool:
    """Whether numba can cache this package's kernels on disk.

    numba looks for a writable place when a kernel is decorated (``NUMBA_CACHE_DIR``, the
    ``__pycache__`` beside the module, the user's cache directory) and raises if there is none,
    as in a read-only install run by a user without a writable home (a container, a cluster's
    worker image): the engine would then fail to import. Without one the kernels are compiled
    once per process instead (seconds of CPU at each process's start), with a warning.
    """
    try:
        numba.njit(cache=True)(_probe)
    except RuntimeError as error:  # "cannot cache function ...: no locator available"
        warnings.warn(f"numba cannot cache the engine's kernels on disk ({error}); they are "
                      "compiled once in each process. Set NUMBA_CACHE_DIR to a writable "
                      "directory to keep them.", RuntimeWarning, stacklevel=2)
        return False
    return True


JIT: dict[str, Any] = {"cache": disk_cache_available(), "nogil": True, "error_model": "numpy"}
"""Options of every kernel: cached on disk (where numba can), releasing the GIL, numpy's float
error model."""

_MASK32 = np.uint64(0xFFFFFFFF)
_M1 = np.uint64(0x7FEB352D)
_M2 = np.uint64(0x846CA68B)
_TO_UNIT = 2.0**-24


def compared_with_float32(value: Any) -> float:
    """The value a float32 array is compared against when numpy compares it with ``value``.

    A Python float (weak, NEP 50) is rounded to float32; a numpy float64 scalar is not. Returned
    as a Python float (float64), which compares with a float32 draw exactly as numpy did.
    """
    if type(value) is float:  # the usual case, without np.result_type's cost (it runs every week)
        return float(np.float32(value))
    dtype = np.result_type(np.float32, value)
    return float(dtype.type(value))


@numba.njit(**JIT)
def uniform(offset: np.uint64, person: np.int64) -> float:
    """:meth:`RandomStreams.uniform` of one person at a stream offset, exact, as a float64.

    The lowbias32 finaliser of ``offset ^ person`` on 32 bits; its top 24 bits x 2**-24.
    """
    x = (offset ^ np.uint64(person)) & _MASK32
    x ^= x >> np.uint64(16)
    x = (x * _M1) & _MASK32
    x ^= x >> np.uint64(15)
    x = (x * _M2) & _MASK32
    x ^= x >> np.uint64(16)
    return float(x >> np.uint64(8)) * _TO_UNIT


PARALLEL_JIT: dict[str, Any] = {**JIT, "parallel": True}
"""Options of the parallel variants (:mod:`simulation.core.kernels.threads`)."""


@numba.njit(**JIT)
def chunk_offsets(counts: NDArray[np.int64]) -> NDArray[np.int64]:
    """Exclusive prefix sum of ``counts`` with the total at the end: where each chunk writes."""
    offsets = np.empty(counts.size + 1, dtype=np.int64)
    offsets[0] = 0
    for c in range(counts.size):
        offsets[c + 1] = offsets[c] + counts[c]
    return offsets


@numba.njit(**PARALLEL_JIT)
def gather_chunks(scratch: NDArray[Any], starts: NDArray[np.int64],
                  counts: NDArray[np.int64]) -> NDArray[Any]:
    """The chunks' hits one after another: ``counts[c]`` items of ``scratch`` from ``starts[c]``.

    The second pass of a parallel compaction: each chunk wrote its hits, in order, at the start
    of its own region of ``scratch``; here each is copied to its offset, so the result is the
    serial order whatever the threads.
    """
    offsets = chunk_offsets(counts)
    out = np.empty(offsets[-1], dtype=scratch.dtype)
    for c in numba.prange(counts.size):
        at, start = offsets[c], starts[c]
        for k in range(counts[c]):
            out[at + k] = scratch[start + k]
    return out


@numba.njit(**JIT)
def chunk_bounds(c: int, chunk: int, size: int) -> tuple[int, int]:
    """Items ``[lo, hi)`` of chunk ``c`` of ``size`` items in chunks of ``chunk``."""
    lo = c * chunk
    return lo, min(lo + chunk, size)


@numba.njit(**JIT)
def n_chunks(size: int, chunk: int) -> int:
    """Chunks of ``chunk`` items that ``size`` items take."""
    return (size + chunk - 1) // chunk


__all__ = ["JIT", "PARALLEL_JIT", "chunk_bounds", "chunk_offsets", "compared_with_float32", "gather_chunks",
           "n_chunks", "uniform"]
