"""What every kernel shares: the compile options, the hashed draw, float32 thresholds."""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

JIT: dict[str, Any] = {"cache": True, "nogil": True, "error_model": "numpy"}
"""Options of every kernel: cached on disk, releasing the GIL, numpy's float error model."""

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


__all__ = ["JIT", "compared_with_float32", "uniform"]
