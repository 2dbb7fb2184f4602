"""The gathers of the unified customer view (learned targeting's features) in one compiled pass.

:func:`simulation.core.personalization.features.unified_features` read each person's buyer slot
and then every channel's records, their state and their channel masks with a numpy gather each.
Here one pass over the people reads them all and writes the columns that need no arithmetic
beyond a bit test or a table look-up; the logarithms and exponentials stay in numpy (see
:mod:`simulation.core.kernels` for the rules).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from simulation.core.kernels.common import JIT


@numba.njit(**JIT)
def unified_gathers_kernel(people: NDArray[np.int64], slot: NDArray[np.int32],
                           history_slot: NDArray[np.int32],
                           weeks: NDArray[np.int16], counts: NDArray[Any], spend: NDArray[np.float32],
                           channels_used: NDArray[np.uint8], last_purchase_week: NDArray[np.int16],
                           channels_bought: NDArray[np.uint8], customer_since: NDArray[np.int16],
                           channels_in_mask: NDArray[np.uint8], out: NDArray[np.float32],
                           ) -> tuple[NDArray[np.int16], NDArray[Any], NDArray[np.float32],
                                      NDArray[np.int16], NDArray[np.int16]]:
    """Read what the unified view of ``people`` needs; write its bit and count columns.

    Parameters
    ----------
    people:
        (P,) person indices.
    slot, history_slot:
        (N,) each person's buyer slot in the records and in the purchase history.
    weeks, counts, spend:
        (C, S) by slot: latest purchase week + 1 in each channel (0 = none), purchases and spend
        by channel.
    channels_used, last_purchase_week, channels_bought, customer_since:
        (N,) the plan's state.
    channels_in_mask:
        (256,) channels in an 8-bit mask.
    out:
        (P, 4 C + 6) the features (float32); written here: column 4 c + 3 (channel c knows the
        person), 4 C + 2 (channels used), 4 C + 3 (channels bought), 4 C + 5 (is a customer).

    Returns
    -------
    tuple of arrays
        (C, P) latest purchase week in each channel (-1 = none), (C, P) purchases, (C, P)
        spend, and (P,) last purchase week and customer since.
    """
    n_channels = weeks.shape[0]
    n = people.size
    last = np.empty((n_channels, n), dtype=np.int16)
    count = np.empty((n_channels, n), dtype=counts.dtype)
    spent = np.empty((n_channels, n), dtype=np.float32)
    last_any = np.empty(n, dtype=np.int16)
    since = np.empty(n, dtype=np.int16)
    base = 4 * n_channels
    for i in range(n):
        p = people[i]
        s = slot[p]
        h = history_slot[p]
        used = channels_used[p]
        for c in range(n_channels):
            last[c, i] = weeks[c, h] - np.int16(1)
            count[c, i] = counts[c, s]
            spent[c, i] = spend[c, s]
            out[i, 4 * c + 3] = np.float32((used >> c) & 1)
        last_any[i] = last_purchase_week[p]
        since[i] = customer_since[p]
        out[i, base + 2] = channels_in_mask[used]
        out[i, base + 3] = channels_in_mask[channels_bought[p]]
        out[i, base + 5] = np.float32(customer_since[p] >= 0)
    return last, count, spent, last_any, since


def warm_up() -> None:
    """Compile (or load from the cache) the kernel for the count types the records use."""
    one = np.zeros(1, dtype=np.int64)
    slot = np.zeros(1, dtype=np.int32)
    small = np.zeros(1, dtype=np.int16)
    mask = np.zeros(1, dtype=np.uint8)
    for counts in (np.uint8, np.uint16, np.uint32):
        unified_gathers_kernel(one, slot, slot, np.zeros((1, 1), dtype=np.int16),
                               np.zeros((1, 1), dtype=counts),
                               np.zeros((1, 1), dtype=np.float32), mask, small, mask, small,
                               np.zeros(256, dtype=np.uint8), np.zeros((1, 10), dtype=np.float32, order="F"))


__all__ = ["unified_gathers_kernel", "warm_up"]
