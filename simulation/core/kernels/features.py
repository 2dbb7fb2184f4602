"""Table look-ups for the personalization features (:mod:`simulation.core.personalization.features`).

A feature of a small integer (weeks since a purchase, a purchase count) is evaluated by numpy once
per distinct value and looked up per person: the same bits as evaluating it per person, without
the per-person transcendental functions (which stay in numpy, see the package docstring).
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from simulation.core.kernels.common import JIT


@numba.njit(**JIT)
def lookup_kernel(table: NDArray[np.float32], index: NDArray[np.integer], lo: int,
                  out: NDArray[np.float32]) -> None:  # pragma: no cover - compiled
    """``out[r, c] = table[index[r, c] - lo]`` for a 2-D ``index`` and ``out`` of any strides.

    Every ``index - lo`` must lie in ``[0, table.size)`` (not checked).
    """
    rows, cols = index.shape
    for r in range(rows):
        for c in range(cols):
            out[r, c] = table[np.int64(index[r, c]) - lo]


def lookup(table: NDArray[np.float32], index: NDArray[np.integer], lo: int,
           out: NDArray[np.float32]) -> NDArray[np.float32]:
    """``out[...] = table[index - lo]`` for a 1-D or 2-D ``index`` of the shape of ``out``.

    Parameters
    ----------
    table:
        (T,) values per integer ``lo .. lo + T - 1`` (float32, units of the feature).
    index:
        Integers in that range (any integer dtype).
    lo:
        The integer ``table[0]`` belongs to.
    out:
        Where to write; returned.
    """
    if index.ndim == 1:
        lookup_kernel(table, index[np.newaxis], lo, out[np.newaxis])  # views, never copies
    else:
        lookup_kernel(table, index, lo, out)
    return out


def warm_up() -> None:
    """Compile (or load from the cache) the look-up for the layouts the features use."""
    table = np.zeros(2, dtype=np.float32)
    for dtype in (np.int16, np.uint8):
        index = np.zeros((2, 2), dtype=dtype)
        lookup(table, index, 0, np.zeros((2, 2), dtype=np.float32))  # contiguous
        lookup(table, index, 0, np.zeros((2, 4), dtype=np.float32)[:, ::2])  # strided columns
        lookup(table, index[0], 0, np.zeros(2, dtype=np.float32))


__all__ = ["lookup", "lookup_kernel", "warm_up"]
