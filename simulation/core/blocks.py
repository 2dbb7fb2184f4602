"""Work over every person or customer a block at a time, with the sums of one pass over all.

The result frames read arrays over every person after a run. A temporary over all people costs
bytes per person (a float64 array: 8), and a dozen of them at once took the whole
:func:`simulation.simulate` call past issue 19's budget of 300 bytes per person at 1M and 10M
people; taken a block of :data:`BLOCK` people at a time, they cost a fixed amount instead.

Element-wise arithmetic gives the same numbers in blocks. Sums need care, since the numbers
must stay the same bit for bit: ``np.sum`` of a whole array adds pairwise, and totals of blocks
added up round differently. Sums that feed results are therefore either taken once on a small
array kept whole (one value per customer, say) or, for per-group totals, continued from block
to block in np.bincount's own order (:func:`add_bincount`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

BLOCK = 65_536
"""Least people (or customers) per block, unless there are fewer in all: a float64 temporary of a
block is 0.5 to 1 MiB.

A multiple of 256, the rows scikit-learn's KMeans assigns at once, so the segment labels
predicted block by block are the ones predicted for every buyer at once. Above 16,384: the
products over channels (costs to serve) are single-precision matrix-vector products, and
OpenBLAS (SkylakeX kernels, this project's machines) rounds them one way in a call of more than
16,384 people and another way in a smaller call; a block is never smaller than this unless it
is the whole array, so every product is taken on the path the whole array's took."""


def blocks(n: int) -> Iterator[slice]:
    """Consecutive slices covering ``range(n)``, each of :data:`BLOCK` to 2 x BLOCK - 1 items.

    One slice of everything when ``n`` is below :data:`BLOCK` (none when it is 0): the last block
    takes the remainder, so no block is shorter than :data:`BLOCK` unless it is everything.
    """
    size = BLOCK  # read at each call: tests lower it to reach the blocked path at small sizes
    if n <= 0:
        return
    count = max(n // size, 1)
    for i in range(count):
        yield slice(i * size, (i + 1) * size if i < count - 1 else n)


def add_bincount(totals: NDArray[np.float64], labels: NDArray[np.integer[Any]],
                 weights: NDArray[Any]) -> None:
    """Add ``weights`` into ``totals[labels]`` in place, as one np.bincount over every block does.

    np.bincount adds each weight to its group's running total in order, starting from 0; here
    each group's total so far goes first, so the running totals continue exactly where the
    previous block left them (``0 + total`` is ``total``), bit for bit.
    """
    n_groups = totals.size
    totals[:] = np.bincount(np.concatenate([np.arange(n_groups), labels]),
                            weights=np.concatenate([totals, weights]), minlength=n_groups)


__all__ = ["BLOCK", "add_bincount", "blocks"]
