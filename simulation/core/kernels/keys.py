"""Contact-key bookkeeping as compiled loops over (plan, person) pairs.

:func:`refresh_keys_kernel` recomputes pairs' keys from their state and
:func:`set_keys_kernel` gives pairs new keys, each keeping what
:class:`simulation.core.engine.Simulation` keeps by key (the counts of pairs per key, the
annoyed flags, the contact costs charged, the customers' satisfaction sum) in the same pass.
See :mod:`simulation.core.kernels` for the rules every kernel keeps.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from simulation.core.kernels import threads
from simulation.core.kernels.common import JIT, PARALLEL_JIT, chunk_bounds, n_chunks


@numba.njit(**JIT)
def _assign(f: int, new: int, old: int, key_flat: NDArray[Any], per_key: NDArray[np.int64],
            annoyed: NDArray[np.bool_], annoyed_by_key: NDArray[np.bool_], cost: NDArray[np.float32],
            to_date: NDArray[np.float64], is_customer: NDArray[np.float64],
            satisfaction: NDArray[np.float32], n_people: int, change: NDArray[np.float64]) -> bool:
    """Give pair ``f`` key ``new`` (it holds ``old``); whether its customer status changed."""
    key_flat[f] = new
    per_key[old] -= 1
    per_key[new] += 1
    annoyed[f] = annoyed_by_key[new]
    cost[f] = cost[f] - np.float32(to_date[new] - to_date[old])
    customer = is_customer[new] - is_customer[old]
    change[f // n_people] += customer * np.float64(satisfaction[f])
    return customer != 0.0


@numba.njit(**JIT)
def set_keys_kernel(flat: NDArray[np.int64], new: NDArray[Any], old: NDArray[Any],
                    key_flat: NDArray[Any], per_key: NDArray[np.int64], annoyed: NDArray[np.bool_],
                    annoyed_by_key: NDArray[np.bool_], cost: NDArray[np.float32],
                    to_date: NDArray[np.float64], is_customer: NDArray[np.float64],
                    satisfaction: NDArray[np.float32], n_people: int, n_plans: int,
                    ) -> tuple[NDArray[np.float64], bool]:
    """Give the distinct pairs ``flat`` keys ``new`` (they hold ``old``), in order.

    Writes ``key_flat``, ``per_key`` (pairs per key), ``annoyed`` (``annoyed_by_key`` at the new
    key) and ``cost`` (float32, simulated currency: debited the difference of ``to_date``, the
    contact cost a key has charged so far).

    Returns
    -------
    tuple
        (P,) change of each plan's customers' satisfaction sum (the sum, in order, of
        ``(is_customer[new] - is_customer[old]) x satisfaction`` as ``np.bincount`` adds its
        weights) and whether any pair's customer status changed (if not, nothing is to add).
    """
    change = np.zeros(n_plans)
    any_change = False
    for i in range(flat.size):
        changed = _assign(flat[i], new[i], old[i], key_flat, per_key, annoyed, annoyed_by_key, cost,
                          to_date, is_customer, satisfaction, n_people, change)
        any_change = any_change or changed
    return change, any_change


@numba.njit(**JIT)
def _refresh_range(lo: int, hi: int, flat: NDArray[np.int64], plan: NDArray[np.int64],
                   person: NDArray[np.int64], state: tuple[Any, ...], books: tuple[Any, ...],
                   change: NDArray[np.float64], at: NDArray[np.int64], keys: NDArray[np.int64],
                   apply: bool) -> tuple[int, bool]:
    """Pairs ``lo`` to ``hi`` of :func:`refresh_keys_kernel` (``state``, ``books``: its arguments).

    With ``apply``, each pair whose key changes is given it (in order; the number given a key and
    whether any customer status changed are returned). Without, nothing is written but the pairs
    whose key differs: their index into ``at`` and their key into ``keys``, from position ``lo``
    (returned: how many). The tuples are unpacked here, once per call: unpacking one per pair
    would count references to each array at every pair.
    """
    (check_aware, week, lapse_week, aware_week, segment, customer_since, purchases, loyalty,
     recognition_u, shares, channels_used, subscribed, steps, sentinel) = state
    key_flat, per_key, annoyed, annoyed_by_key, cost, to_date, is_customer, satisfaction, n_people, _ = books
    n = lo
    any_change = False
    for i in range(lo, hi):
        f = flat[i]
        p = person[i]
        s = plan[i]
        alive = lapse_week[f] < 0
        if check_aware:
            alive = alive and aware_week[p] <= week
        key = sentinel
        if alive:
            key = (s * steps[0] + np.int64(segment[p]) * steps[1]
                   + (steps[2] if customer_since[f] >= 0 else 0)
                   + (steps[3] if purchases[f] >= loyalty else 0)
                   + (steps[4] if np.float64(recognition_u[p]) < shares[s] else 0)
                   + (np.int64(channels_used[f]) if subscribed[f] else 0))
        old = np.int64(key_flat[f])
        if key != old:
            if apply:
                changed = _assign(f, key, old, key_flat, per_key, annoyed, annoyed_by_key, cost,
                                  to_date, is_customer, satisfaction, n_people, change)
                any_change = any_change or changed
            else:
                at[n] = i
                keys[n] = key
            n += 1
    return n - lo, any_change


@numba.njit(**JIT)
def _refresh(flat: NDArray[np.int64], plan: NDArray[np.int64], person: NDArray[np.int64],
             state: tuple[Any, ...], books: tuple[Any, ...]) -> tuple[NDArray[np.float64], bool]:
    """:func:`refresh_keys_kernel`, serially (``state`` and ``books``: its other arguments)."""
    change = np.zeros(books[-1])
    none = np.empty(0, dtype=np.int64)
    _, any_change = _refresh_range(0, flat.size, flat, plan, person, state, books, change, none, none, True)
    return change, any_change


@numba.njit(**PARALLEL_JIT)
def _refresh_par(chunk: int, flat: NDArray[np.int64], plan: NDArray[np.int64], person: NDArray[np.int64],
                 state: tuple[Any, ...], books: tuple[Any, ...]) -> tuple[NDArray[np.float64], bool]:
    """:func:`refresh_keys_kernel` with the keys computed on every thread, in chunks of ``chunk``.

    Each chunk lists its pairs whose key differs; they are then given their keys serially, in
    order (a pair listed twice is given its key once, as serially: its key is re-read).
    """
    count = n_chunks(flat.size, chunk)
    at = np.empty(flat.size, dtype=np.int64)
    keys = np.empty(flat.size, dtype=np.int64)
    hits = np.empty(count, dtype=np.int64)
    change = np.zeros(books[-1])
    for c in numba.prange(count):
        lo, hi = chunk_bounds(c, chunk, flat.size)
        hits[c] = _refresh_range(lo, hi, flat, plan, person, state, books, change, at, keys, False)[0]
    return change, _assign_listed(flat, at, keys, hits, chunk, books, change)


@numba.njit(**JIT)
def _assign_listed(flat: NDArray[np.int64], at: NDArray[np.int64], keys: NDArray[np.int64],
                   hits: NDArray[np.int64], chunk: int, books: tuple[Any, ...],
                   change: NDArray[np.float64]) -> bool:
    """Give the pairs :func:`_refresh_range` listed chunk by chunk their keys, in order."""
    key_flat, per_key, annoyed, annoyed_by_key, cost, to_date, is_customer, satisfaction, n_people, _ = books
    any_change = False
    for c in range(hits.size):
        for t in range(c * chunk, c * chunk + hits[c]):
            f = flat[at[t]]
            old = np.int64(key_flat[f])
            if keys[t] != old:
                changed = _assign(f, keys[t], old, key_flat, per_key, annoyed, annoyed_by_key, cost,
                                  to_date, is_customer, satisfaction, n_people, change)
                any_change = any_change or changed
    return any_change


def refresh_keys_kernel(flat: NDArray[np.int64], plan: NDArray[np.int64], person: NDArray[np.int64],
                        *args: Any) -> tuple[NDArray[np.float64], bool]:
    """Recompute the keys of pairs (``flat``, ``plan``, ``person``) from their state.

    A live pair's key is plan, segment, customer (``customer_since`` >= 0), loyal (``purchases``
    >= ``loyalty``), recognised (``recognition_u`` below the plan's share) and the channels that
    know and may message the person, each times its step (``steps``: plan, segment, customer,
    loyal, recognised); lapsed pairs (and, with ``check_aware``, those not aware by ``week``) get
    the ``sentinel``. Pairs whose key changes are given it as by :func:`set_keys_kernel`, in order.

    Parameters
    ----------
    flat, plan, person:
        (M,) the pairs: flat index plan x N + person, plan and person.
    *args:
        The state (:data:`_N_STATE` arguments): ``check_aware``, ``week``; ``lapse_week`` (P x N,
        week, -1 while alive); ``aware_week`` and ``segment`` (N,); ``customer_since`` and
        ``purchases`` (P x N, week and count); ``loyalty`` (purchases); ``recognition_u`` (N,
        fixed uniform draw); ``shares`` (P, recognised share); ``channels_used`` and
        ``subscribed`` (P x N, channel bit mask and flag); ``steps`` (5,) and ``sentinel``.
        Then the books :func:`set_keys_kernel` writes, in its order.

    Returns
    -------
    tuple
        As :func:`set_keys_kernel`.
    """
    state, books = args[:_N_STATE], args[_N_STATE:]
    if threads.parallel(flat.size):
        return _refresh_par(threads.CHUNK, flat, plan, person, state, books)  # type: ignore[no-any-return]
    return _refresh(flat, plan, person, state, books)  # type: ignore[no-any-return]


_N_STATE = 14
"""Arguments of :func:`refresh_keys_kernel` from ``check_aware`` to ``sentinel``."""


def warm_up() -> None:
    """Compile (or load from the cache) these kernels on tiny inputs."""
    flat = np.zeros(1, dtype=np.int64)
    keys = np.zeros(1, dtype=np.int16)
    books = (keys, np.zeros(2, dtype=np.int64), np.zeros(1, dtype=np.bool_), np.zeros(2, dtype=np.bool_),
             np.zeros(1, dtype=np.float32), np.zeros(2), np.zeros(2), np.zeros(1, dtype=np.float32), 1, 1)
    set_keys_kernel(flat, keys, keys, *books)
    refresh_keys_kernel(flat, flat, flat, True, 0, keys, keys, np.zeros(1, dtype=np.int8), keys,
                        np.zeros(1, dtype=np.uint16), 4, np.zeros(1, dtype=np.float32), np.ones(1),
                        np.zeros(1, dtype=np.uint8), np.ones(1, dtype=np.bool_),
                        np.zeros(5, dtype=np.int64), 1, *books)


__all__ = ["refresh_keys_kernel", "set_keys_kernel", "warm_up"]
