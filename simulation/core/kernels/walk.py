"""The journey walk as one compiled loop over journeys (:func:`walk_kernel`).

See :mod:`simulation.core.kernels` for the rules every kernel keeps (bit-identical results).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from simulation.core.kernels import threads
from simulation.core.kernels.common import JIT, PARALLEL_JIT, chunk_bounds, n_chunks, uniform

N_TOUCHPOINT_DRAWS = 9
"""Draws per touchpoint (:data:`simulation.core.journey.TOUCHPOINT_DRAWS`), in their order."""
(_SWITCH, _NEXT_CHANNEL, _KEEP_CONTEXT, _RESTART, _CONFLICT, _CONFLICT_WALKAWAY, _BUY, _IN_STOCK,
 _STOCKOUT_LOST) = range(N_TOUCHPOINT_DRAWS)
N_EVENTS = 7
"""Touchpoint events counted per journey (:data:`simulation.core.journey.TOUCHPOINT_EVENTS`)."""


@numba.njit(**JIT)
def _first_above(u: float, cdf: NDArray[np.float64]) -> int:
    """``argmax(u < cdf)``: the first column above ``u``, 0 if none (as numpy's argmax)."""
    for c in range(cdf.size):
        if u < cdf[c]:
            return c
    return 0


@numba.njit(**JIT)
def _walk_range(lo: int, hi: int, inputs: tuple[Any, ...], outputs: tuple[Any, ...]) -> None:
    """Walk journeys ``lo`` to ``hi``.

    ``inputs`` are :func:`walk_kernel`'s arguments, ``outputs`` its results: unpacked once here;
    per journey, every array's reference count would be touched at every journey.
    """
    (person, plan, seg, recognised, offsets, n_touch, breadth, favourite, has_breadth,
     preference_cdf, switch_cdf, can_switch, switch_probability, may_switch, context_level, kept,
     abandon_share, conflict_chance, conflict_sensitivity, conversion, service_level, uplift, stock,
     pooled, lost_share, codes) = inputs
    start, final, end, events, used, network_out = outputs
    bought_code, context_code, stock_code, conflict_code, abandoned_code = (
        codes[1], codes[2], codes[3], codes[4], codes[5])
    for j in range(lo, hi):
        who = person[j]
        g = seg[j]
        s = plan[j]
        rec = 1.0 if recognised[j] else 0.0
        u0 = uniform(np.uint64(offsets[0]), who)
        if has_breadth:
            u_start = np.float32(u0) / breadth[who]
            here = _first_above(np.float64(u_start), preference_cdf[g])
            if u_start >= np.float32(1.0):
                here = np.intp(favourite[who])
        else:
            here = _first_above(u0, preference_cdf[g])
        start[j] = here
        keep_context = kept + (1.0 - kept) * (context_level[s] * rec)
        policy = 1.0 + uplift * (service_level[s] * rec)
        code = np.int8(0)
        mask = 0
        for k in range(n_touch):
            base = 1 + k * N_TOUCHPOINT_DRAWS
            switch = False
            if k > 0 and may_switch:
                switch = (uniform(np.uint64(offsets[base + _SWITCH]), who) < switch_probability[g]
                          and can_switch[g, here])
                if switch:
                    here = _first_above(uniform(np.uint64(offsets[base + _NEXT_CHANNEL]), who),
                                        switch_cdf[g, here])
            mask |= 1 << here
            lost = switch and uniform(np.uint64(offsets[base + _KEEP_CONTEXT]), who) >= keep_context
            gives_up = lost and uniform(np.uint64(offsets[base + _RESTART]), who) < abandon_share
            met = switch and not gives_up
            meets = met and uniform(np.uint64(offsets[base + _CONFLICT]), who) < conflict_chance[s]
            walks = meets and (uniform(np.uint64(offsets[base + _CONFLICT_WALKAWAY]), who)
                               < conflict_sensitivity[g])
            decide = (not (lost or walks)) and (
                uniform(np.uint64(offsets[base + _BUY]), who) < conversion[here] * policy)
            bought = False
            network = False
            stockout = False
            lost_sale = False
            if decide:
                own = stock[here]
                u_in = uniform(np.uint64(offsets[base + _IN_STOCK]), who)
                bought = u_in < own + (1.0 - own) * pooled[s]
                network = bought and u_in >= own
                stockout = not bought
                lost_sale = stockout and (uniform(np.uint64(offsets[base + _STOCKOUT_LOST]), who)
                                          < lost_share)
            events[0, j] += switch
            events[1, j] += lost
            events[2, j] += met
            events[3, j] += meets
            events[4, j] += decide
            events[5, j] += network
            events[6, j] += stockout
            if network:
                network_out[j] = True
            code = np.int8(bought * bought_code + gives_up * context_code + lost_sale * stock_code
                           + walks * conflict_code)
            if code > 0:
                break
        final[j] = here
        end[j] = code if code > 0 else abandoned_code
        used[j] = mask


@numba.njit(**JIT)
def _outputs(n_j: int) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.int8], NDArray[np.int32],
                                NDArray[np.intp], NDArray[np.bool_]]:
    """:func:`walk_kernel`'s results for ``n_j`` journeys, before the walk."""
    return (np.empty(n_j, dtype=np.intp), np.empty(n_j, dtype=np.intp), np.empty(n_j, dtype=np.int8),
            np.zeros((N_EVENTS, n_j), dtype=np.int32), np.empty(n_j, dtype=np.intp),
            np.zeros(n_j, dtype=np.bool_))


@numba.njit(**JIT)
def _walk(inputs: tuple[Any, ...]) -> tuple[Any, ...]:
    """:func:`walk_kernel` of the arguments ``inputs``, serially."""
    outputs = _outputs(inputs[0].size)
    _walk_range(0, inputs[0].size, inputs, outputs)
    return outputs


@numba.njit(**PARALLEL_JIT)
def _walk_par(chunk: int, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
    """:func:`walk_kernel` of the arguments ``inputs`` on every thread, ``chunk`` journeys at a time."""
    n_j = inputs[0].size
    outputs = _outputs(n_j)
    for c in numba.prange(n_chunks(n_j, chunk)):
        lo, hi = chunk_bounds(c, chunk, n_j)
        _walk_range(lo, hi, inputs, outputs)
    return outputs


def walk_kernel(person: NDArray[np.int64], *args: Any) -> tuple[Any, ...]:
    """Walk each journey touchpoint by touchpoint until its first terminal event.

    The fused form of :func:`simulation.core.journey.walk_journeys`' (touchpoint, journey)
    arrays: a journey's draws are hashed only for the touchpoints it reaches.

    Parameters
    ----------
    person, plan, seg, recognised:
        (J,) each journey's person, plan index, segment and whether the person is recognised.
    offsets:
        (1 + 9 x n_touch,) stream offsets of the start-channel draw, then each touchpoint's
        nine draws in :data:`~simulation.core.journey.TOUCHPOINT_DRAWS` order.
    n_touch:
        Touchpoints per journey (>= 1).
    breadth, favourite, has_breadth:
        (N,) channel breadth (float32) and favourite channel of each person, used when
        ``has_breadth``.
    preference_cdf, switch_cdf, can_switch:
        :class:`~simulation.core.journey.JourneyPaths` tables, (G, C), (G, C, C), (G, C).
    switch_probability, may_switch:
        (G,) chance to switch at a touchpoint (share), and whether switching exists (C > 1).
    context_level:
        (P,) the plan's ``context`` level (0-1); ``kept``: context kept without it (share).
    abandon_share, lost_share:
        Give-up share after lost context and lost-sale share of a stock-out, as compared with a
        float32 draw (:func:`compared_with_float32`).
    conflict_chance:
        (P,) chance of a conflict after a switch; ``conflict_sensitivity`` (G,) walk-away chance.
    conversion:
        (C,) chance to buy at a touchpoint; ``service_level`` (P,) the plan's ``service``
        level and ``uplift`` the returns-policy uplift (share) it scales.
    stock, pooled:
        (C,) own stock availability (share) and (P,) the plan's pooled fill chance (share).
    codes:
        JourneyEnd codes (OPEN, BOUGHT, LOST_CONTEXT, STOCK_OUT, CONFLICT, ABANDONED).

    Returns
    -------
    tuple of arrays
        Start channel, channel of the ending touchpoint, end code, (7, J) event counts,
        channels-used bit mask and whether the purchase was served from the network.
    """
    if threads.parallel(person.size):
        return _walk_par(threads.CHUNK, (person, *args))  # type: ignore[no-any-return]
    return _walk((person, *args))  # type: ignore[no-any-return]


def warm_up() -> None:
    """Compile (or load from the cache) :func:`walk_kernel` on tiny inputs."""
    one = np.zeros(1, dtype=np.int64)
    f = np.ones(1)
    walk_kernel(one, one, np.zeros(1, dtype=np.int8), np.ones(1, dtype=np.bool_),
                np.zeros(1 + N_TOUCHPOINT_DRAWS, dtype=np.uint32), 1, np.ones(1, dtype=np.float32),
                np.zeros(1, dtype=np.int8), False, np.full((1, 1), np.inf),
                np.full((1, 1, 1), np.inf), np.zeros((1, 1), dtype=np.bool_), f, False, f, 0.5, 0.5,
                f, f, f, f, 0.0, f, f, 0.5, np.arange(6, dtype=np.int8))


__all__ = ["N_EVENTS", "N_TOUCHPOINT_DRAWS", "walk_kernel", "warm_up"]
