"""What a week's walked journeys write, in one compiled pass over the journeys.

The engine wrote a walk's results (:func:`simulation.core.journey.walk_journeys`) with a dozen
numpy passes over the journeys: satisfaction losses, channels used, the journey flows, the
touchpoint events and the lost journeys counted per plan, the bought ones listed. Every count
here is an integer, added to the float64 tallies as numpy added its exact integer sums; the
lost value is left to numpy's pairwise sum (a float sum in another order rounds differently):
this pass writes the rows that sum reads. See :mod:`simulation.core.kernels` for the rules.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from simulation.core.kernels.common import JIT


@numba.njit(**JIT)
def journey_outcomes_kernel(flat: NDArray[np.int64], plan: NDArray[np.int64], start: NDArray[np.intp],
                            final: NDArray[np.intp], end: NDArray[np.int8], segment: NDArray[np.int8],
                            satisfaction_loss: NDArray[np.float32], used: NDArray[np.intp],
                            events: NDArray[np.int32], expected_order_value: NDArray[np.float64],
                            loss_ends: NDArray[np.int8], bought_end: int, experience: NDArray[np.float32],
                            channels_used: NDArray[np.uint8], flows: NDArray[np.float64], n_plans: int,
                            ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64],
                                       NDArray[np.int64], NDArray[np.float64]]:
    """Write the walked journeys' satisfaction losses, channels used and flows; count their events.

    Parameters
    ----------
    flat, plan:
        (J,) each journey's flat (plan, person) index and plan, sorted by plan (as a cohort is).
    start, final, end, segment, satisfaction_loss, used, events:
        The walk's results (:class:`~simulation.core.journey.WalkedJourneys`); ``events`` (E, J).
    expected_order_value:
        (segments, C) the value a lost journey would have had (simulated currency).
    loss_ends:
        (L,) the end codes of lost journeys, in the order of the lost-journey tallies.
    bought_end:
        The end code of a purchase.
    experience, channels_used:
        (P x N,) this week's satisfaction experience (lowered by each positive loss) and the
        channels each pair used (or-ed with the journey's).
    flows:
        (P x C x (C + 4),) the flat journey flows: (plan, start channel, destination) where the
        destination is the purchase channel or C + end - 2; one added per journey.
    n_plans:
        Plans (P).

    Returns
    -------
    tuple of arrays
        Flat indices of the journeys with a satisfaction loss (in order), positions of the
        bought journeys, (P, E) events per plan, (P, L) lost journeys per plan, and (L, J) each
        journey's expected order value in the row of its loss end (0 x value elsewhere), the
        rows numpy sums per plan for the lost value.
    """
    n_j = flat.size
    n_channels = expected_order_value.shape[1]
    width = n_channels + 4
    hurt = np.empty(n_j + 1, dtype=np.int64)
    bought = np.empty(n_j + 1, dtype=np.int64)
    value = np.empty(n_j, dtype=np.float64)
    bounds = np.zeros(n_plans + 1, dtype=np.int64)
    n_hurt = 0
    n_bought = 0
    for j in range(n_j):
        f = flat[j]
        s = plan[j]
        bounds[s + 1] += 1
        loss = satisfaction_loss[j]
        if loss > 0:
            experience[f] -= loss
            hurt[n_hurt] = f
            n_hurt += 1
        channels_used[f] |= np.uint8(used[j] & 0xFF)
        e = end[j]
        is_bought = e == bought_end
        destination = final[j] if is_bought else np.int64(np.int8(n_channels + e - 2))
        flows[(s * n_channels + start[j]) * width + destination] += 1.0
        bought[n_bought] = j
        n_bought += is_bought
        value[j] = expected_order_value[segment[j], final[j]]
    for s in range(n_plans):
        bounds[s + 1] += bounds[s]
    # Row by row over each plan's journeys (contiguous, as the cohort is sorted by plan).
    event_counts = np.zeros((n_plans, events.shape[0]), dtype=np.int64)
    loss_counts = np.zeros((n_plans, loss_ends.size), dtype=np.int64)
    lost_value = np.empty((loss_ends.size, n_j), dtype=np.float64)
    for s in range(n_plans):
        a, b = bounds[s], bounds[s + 1]
        for k in range(events.shape[0]):
            total = 0
            for j in range(a, b):
                total += events[k, j]
            event_counts[s, k] = total
        for ell in range(loss_ends.size):
            code = loss_ends[ell]
            lost_count = 0
            for j in range(a, b):
                lost = end[j] == code
                lost_count += lost
                lost_value[ell, j] = np.float64(lost) * value[j]
            loss_counts[s, ell] = lost_count
    return hurt[:n_hurt], bought[:n_bought], event_counts, loss_counts, lost_value


def warm_up() -> None:
    """Compile (or load from the cache) the kernel for the types the engine passes."""
    one = np.zeros(1, dtype=np.int64)
    small = np.zeros(1, dtype=np.int8)
    journey_outcomes_kernel(one, one, one.astype(np.intp), one.astype(np.intp), small, small,
                            np.zeros(1, dtype=np.float32), one.astype(np.intp),
                            np.zeros((1, 1), dtype=np.int32), np.ones((1, 1)), small, 1,
                            np.zeros(1, dtype=np.float32), np.zeros(1, dtype=np.uint8), np.zeros(5), 1)


__all__ = ["journey_outcomes_kernel", "warm_up"]
