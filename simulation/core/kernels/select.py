"""Selections and gathers over whole populations, one compiled pass each.

The engine's weekly steps and the learned targeting picked people with numpy chains such as
``(u < bound).nonzero()[0]`` or ``table.take(keys).nonzero()[0]``: a boolean temporary of every
person, then a second pass to list its hits. Gathers through narrow indices (int16 contact keys,
int32 buyer slots) made numpy convert the whole index array to ``intp`` first. These kernels do
each in one pass, computing exactly what the numpy expressions computed (integer work,
gathers and comparisons only; see :mod:`simulation.core.kernels` for the rules).

Positions are listed branch-free (a count, then a fill that writes every position and advances
on a hit): the hits are too frequent and too scattered for a branch to be predicted.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from simulation.core.kernels.common import JIT


@numba.njit(**JIT)
def gather_kernel(table: NDArray[Any], index: NDArray[np.integer], out: NDArray[Any]) -> None:
    """``out[i] = table[index[i]]`` (every index valid, not checked)."""
    for i in range(index.size):
        out[i] = table[index[i]]


def gather(table: NDArray[Any], index: NDArray[np.integer]) -> NDArray[Any]:
    """``table.take(index)`` for a 1-D ``table`` and a 1-D ``index`` of any integer type.

    Parameters
    ----------
    table:
        (T,) values (any dtype numba handles: bool, integers, floats).
    index:
        (M,) positions in ``table``, each in ``[0, T)`` (not checked).

    Returns
    -------
    NDArray
        (M,) a fresh array of ``table``'s dtype.
    """
    out = np.empty(index.size, dtype=table.dtype)
    gather_kernel(table, index, out)
    return out


@numba.njit(**JIT)
def where_table(table: NDArray[np.bool_], index: NDArray[np.integer]) -> NDArray[np.int64]:
    """``table.take(index).nonzero()[0]``: positions ``i`` whose ``table[index[i]]`` holds."""
    n = 0
    for i in range(index.size):
        n += table[index[i]]
    out = np.empty(n + 1, dtype=np.int64)
    n = 0
    for i in range(index.size):
        out[n] = i
        n += table[index[i]]
    return out[:n]


@numba.njit(**JIT)
def table_at(table: NDArray[np.bool_], index: NDArray[np.integer],
             at: NDArray[np.int64]) -> NDArray[np.bool_]:
    """``table.take(index.take(at))``: whether ``table`` holds at the index of each position ``at``."""
    out = np.empty(at.size, dtype=np.bool_)
    for i in range(at.size):
        out[i] = table[index[at[i]]]
    return out


@numba.njit(**JIT)
def below_or_listed(u: NDArray[np.float32], bound: NDArray[np.float32], listed: NDArray[np.int64],
                    hit: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Positions ``i`` where ``u[i] < bound[i]`` (float32), or listed with a ``hit``.

    What ``candidate = u < bound; candidate[listed] |= hit; candidate.nonzero()[0]`` gives
    (``listed`` may repeat a position; its hits then agree, as each depends on the position).
    """
    flag = np.zeros(u.size, dtype=np.bool_)
    for j in range(listed.size):
        flag[listed[j]] |= hit[j]
    out = np.empty(u.size + 1, dtype=np.int64)  # one pass, as in steps.below
    n = 0
    for i in range(u.size):
        out[n] = i
        n += (u[i] < bound[i]) | flag[i]
    return out[:n].copy()


@numba.njit(**JIT)
def open_candidates(u: NDArray[np.float32], bound: NDArray[np.float32], offered: NDArray[np.int64],
                    offer_bound: float, offer_factor: NDArray[np.float32],
                    has_offer_factor: bool) -> NDArray[np.int64]:
    """People whose open draw ``u`` is below their ``bound``, or, if ``offered``, below their offer's.

    An offered person's bound is ``float64(bound) x offer_bound`` (x their ``offer_factor`` when
    ``has_offer_factor``), compared with the draw in float64, as numpy did; ``offered`` may repeat
    a person (one per plan). :func:`below_or_listed` of those hits.
    """
    hit = np.empty(offered.size, dtype=np.bool_)
    for j in range(offered.size):
        p = offered[j]
        b = np.float64(bound[p]) * offer_bound
        if has_offer_factor:
            b *= np.float64(offer_factor[p])
        hit[j] = np.float64(u[p]) < b
    return below_or_listed(u, bound, offered, hit)


@numba.njit(**JIT)
def between(u: NDArray[np.float32], low: float, high: float) -> NDArray[np.int64]:
    """``((u >= low) & (u < high)).nonzero()[0]`` for float64 ``low`` and ``high``.

    A float32 draw meets numpy float64 scalars in float64 (they are not weak, NEP 50), as here.
    """
    out = np.empty(u.size + 1, dtype=np.int64)  # one pass, as in steps.below
    n = 0
    for i in range(u.size):
        x = float(u[i])
        out[n] = i
        n += (x >= low) & (x < high)
    return out[:n].copy()


@numba.njit(**JIT)
def below_at(u: NDArray[np.float32], person: NDArray[np.int64], threshold: NDArray[np.float64],
             plan: NDArray[np.int64]) -> NDArray[np.bool_]:
    """``u.take(person) < threshold.take(plan)``: a float32 draw against a float64 threshold."""
    out = np.empty(person.size, dtype=np.bool_)
    for i in range(person.size):
        out[i] = np.float64(u[person[i]]) < threshold[plan[i]]
    return out


@numba.njit(**JIT)
def gather_columns_kernel(table: NDArray[Any], slots: NDArray[np.integer],
                          out: NDArray[Any]) -> None:
    """``out[c, i] = table[c, slots[i]]`` for every row ``c`` of a 2-D ``table``."""
    for c in range(table.shape[0]):
        row = table[c]
        for i in range(slots.size):
            out[c, i] = row[slots[i]]


def gather_columns(table: NDArray[Any], slots: NDArray[np.integer]) -> NDArray[Any]:
    """``np.take(table, slots, axis=-1)`` for a 2-D ``table``, as a fresh C-ordered array.

    Parameters
    ----------
    table:
        (C, S) values by row and slot.
    slots:
        (M,) slots in ``[0, S)`` (not checked), any integer type.

    Returns
    -------
    NDArray
        (C, M) of ``table``'s dtype.
    """
    out = np.empty((table.shape[0], slots.size), dtype=table.dtype)
    gather_columns_kernel(table, slots, out)
    return out


@numba.njit(**JIT)
def set_annoyance(annoyed: NDArray[np.bool_], key: NDArray[np.integer], annoyance: NDArray[np.float32],
                  experience: NDArray[np.float32]) -> NDArray[np.int64]:
    """Set ``experience[i] = -annoyance[key[i]]`` where ``annoyed[i]``; returns those ``i``, sorted.

    What ``i = annoyed.nonzero()[0]; experience[i] = -annoyance.take(key.take(i))`` did.
    """
    n = 0
    for i in range(annoyed.size):
        n += annoyed[i]
    out = np.empty(n + 1, dtype=np.int64)
    n = 0
    for i in range(annoyed.size):
        out[n] = i
        n += annoyed[i]
    for j in range(n):
        experience[out[j]] = -annoyance[key[out[j]]]
    return out[:n]


@numba.njit(**JIT)
def set_by_slot(table: NDArray[Any], row: NDArray[np.integer], person: NDArray[np.integer],
                slot: NDArray[np.int32], value: int) -> None:
    """``table[row, slot.take(person)] = value`` (a 2-D ``table``; every index valid)."""
    for i in range(person.size):
        table[row[i], slot[person[i]]] = value


@numba.njit(**JIT)
def mark(flags: NDArray[np.bool_], at: NDArray[np.integer]) -> None:
    """``flags[at] = True`` (every index valid, not checked)."""
    for i in range(at.size):
        flags[at[i]] = True


@numba.njit(**JIT)
def hazard_inputs(flat: NDArray[np.int64], person: NDArray[np.int64], segment: NDArray[np.integer],
                  segment_hazard: NDArray[np.float32], satisfaction: NDArray[np.float32],
                  baseline: np.float32, purchases: NDArray[np.integer], loyalty_threshold: int,
                  ) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.bool_]]:
    """The gathers of a churn hazard: segment hazard, satisfaction gap to ``baseline``, loyalty.

    ``segment_hazard.take(segment.take(person))``, ``satisfaction.take(flat) - baseline``
    (float32) and ``purchases.take(flat) >= loyalty_threshold``.
    """
    n = flat.size
    base = np.empty(n, dtype=np.float32)
    gap = np.empty(n, dtype=np.float32)
    loyal = np.empty(n, dtype=np.bool_)
    for i in range(n):
        f = flat[i]
        base[i] = segment_hazard[segment[person[i]]]
        gap[i] = satisfaction[f] - baseline
        loyal[i] = purchases[f] >= loyalty_threshold
    return base, gap, loyal


@numba.njit(**JIT)
def scale_where(values: NDArray[np.float32], where: NDArray[np.bool_], factor: np.float32) -> None:
    """``values[where] *= factor`` (float32)."""
    for i in range(values.size):
        if where[i]:
            values[i] *= factor


@numba.njit(**JIT)
def totals_by_plan(plan: NDArray[np.int64], count: NDArray[np.int64], flag: NDArray[np.bool_],
                   n_plans: int) -> NDArray[np.int64]:
    """(P, 2) per plan: the sum of ``count``, and of ``count`` where ``flag`` (exact integers)."""
    out = np.zeros((n_plans, 2), dtype=np.int64)
    for i in range(plan.size):
        s = plan[i]
        out[s, 0] += count[i]
        out[s, 1] += count[i] * flag[i]
    return out


def warm_up() -> None:
    """Compile (or load from the cache) these kernels for the types the engine passes."""
    u = np.zeros(2, dtype=np.float32)
    people = np.zeros(1, dtype=np.int64)
    flags = np.zeros(3, dtype=np.bool_)
    for index in (np.zeros(2, dtype=np.int16), np.zeros(2, dtype=np.int32), people):
        where_table(flags, index)
        table_at(flags, index, people)
        gather(flags, index)
    below_or_listed(u, u, people, flags[:1])
    open_candidates(u, u, people, 1.5, u, False)
    totals_by_plan(people, people, flags[:1], 1)
    between(u, 0.0, 1.0)
    below_at(u, people, np.ones(1), people)
    mark(flags, people)
    for counts in (np.uint8, np.uint16, np.uint32):
        hazard_inputs(people, people, np.zeros(1, dtype=np.int8), u, u, np.float32(0.5),
                      np.zeros(1, dtype=counts), 2)
    scale_where(u, flags[:2], np.float32(0.5))
    set_annoyance(flags, np.zeros(3, dtype=np.int16), u, np.zeros(3, dtype=np.float32))
    slots = np.zeros(2, dtype=np.int32)
    set_by_slot(np.zeros((2, 3), dtype=np.int16), people, people, slots, 1)
    for dtype in (np.int16, np.uint8, np.uint16, np.uint32, np.float32):
        gather_columns(np.zeros((2, 3), dtype=dtype), slots)


__all__ = [
    "below_at",
    "below_or_listed",
    "between",
    "gather",
    "gather_columns",
    "gather_kernel",
    "hazard_inputs",
    "mark",
    "open_candidates",
    "scale_where",
    "set_annoyance",
    "set_by_slot",
    "table_at",
    "totals_by_plan",
    "warm_up",
    "where_table",
]
