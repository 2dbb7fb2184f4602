"""The candidate pool ranks exactly as the per-block and final ``top_per_list`` it replaced."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.core.personalization.lists import (
    CandidatePool,
    ListEntries,
    merge_lists,
    top_per_list,
)


def _reference(blocks: list[ListEntries], limit: np.ndarray, tie: np.ndarray, quotas: np.ndarray,
               n_people: int) -> tuple[np.ndarray, np.ndarray]:
    """What the policy computed before the pool: each block's top_per_list, then the merge."""
    kept = [ListEntries(list_id=np.zeros(0, np.int64), person=np.zeros(0, np.int64), logit=np.zeros(0))]
    for entries in blocks:
        rows, _ = top_per_list(entries, tie, limit)
        kept.append(ListEntries(list_id=entries.list_id[rows], person=entries.person[rows],
                                logit=entries.logit[rows]))
    # merged_priority(keep=...) did this with limits ceil(keep x quota); the pool takes limits.
    entries = ListEntries.concat(kept)
    rows, rank = top_per_list(entries, tie, limit)
    return merge_lists(entries.person[rows], entries.list_id[rows], rank, quotas, tie, n_people)


def _blocks(rng: np.random.Generator, n_people: int, n_lists: int, block: int, distinct: int,
            grouped: bool) -> list[ListEntries]:
    """Entries of ``n_people`` people in blocks: each on one to all lists, few distinct scores."""
    values = np.r_[rng.normal(size=distinct), 0.0, -0.0, np.inf, -np.inf]
    out = []
    for start in range(0, n_people, block):
        people = np.arange(start, min(start + block, n_people))
        on = rng.random((n_lists, people.size)) < 0.6
        ids = np.concatenate([np.full(np.count_nonzero(r), i) for i, r in enumerate(on)]).astype(np.int64)
        person = np.concatenate([people[r] for r in on]).astype(np.int64)
        if not grouped:
            shuffle = rng.permutation(ids.size)
            ids, person = ids[shuffle], person[shuffle]
        logit = rng.choice(values, size=ids.size).astype(np.float64)
        out.append(ListEntries(list_id=ids, person=person, logit=logit))
    return out


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_people=st.integers(0, 5000), n_lists=st.integers(1, 4),
       block=st.sampled_from([1, 7, 300, 3000]), distinct=st.sampled_from([1, 3, 50, 100000]),
       tie_levels=st.sampled_from([1, 4, 1 << 24]), grouped=st.booleans(),
       limits=st.lists(st.integers(0, 6000), min_size=4, max_size=4))
def test_pool_ranks_as_top_per_list_of_blocks(seed: int, n_people: int, n_lists: int, block: int,
                                              distinct: int, tie_levels: int, grouped: bool,
                                              limits: list[int]) -> None:
    """Same people, same keys, same order, with ties of scores and of tie-breaks, k=0, k>=n."""
    rng = np.random.default_rng(seed)
    blocks = _blocks(rng, n_people, n_lists, block, distinct, grouped)
    tie = rng.integers(0, tie_levels, size=n_people) / float(1 << 24)
    limit = np.array(limits[:n_lists], dtype=np.int64)
    quotas = rng.dirichlet(np.ones(n_lists))
    pool = CandidatePool(limit, tie)
    for entries in blocks:
        pool.add(entries)
    order, key = pool.merged_priority(quotas, n_people)
    want_order, want_key = _reference(blocks, limit, tie, quotas, n_people)
    np.testing.assert_array_equal(order, want_order)
    np.testing.assert_array_equal(key, want_key)


def test_pool_of_no_blocks_is_empty() -> None:
    pool = CandidatePool(np.array([5, 5], dtype=np.int64), np.zeros(3))
    order, key = pool.merged_priority(np.array([0.5, 0.5]), 3)
    assert order.size == 0 and np.isinf(key).all()


def test_all_equal_scores_take_the_slow_path_and_agree() -> None:
    """Equal scores at the last place: argpartition's input order decides, so the pool sorts blocks."""
    rng = np.random.default_rng(3)
    n = 4000
    blocks = [ListEntries(list_id=np.zeros(1000, np.int64), person=np.arange(s, s + 1000),
                          logit=np.ones(1000)) for s in range(0, n, 1000)]
    tie = rng.integers(0, 1 << 24, size=n) / float(1 << 24)
    limit = np.array([700], dtype=np.int64)
    pool = CandidatePool(limit, tie)
    for entries in blocks:
        pool.add(entries)
    order, key = pool.merged_priority(np.array([1.0]), n)
    assert pool.slow_lists == 1
    want = _reference(blocks, limit, tie, np.array([1.0]), n)
    np.testing.assert_array_equal(order, want[0])
    np.testing.assert_array_equal(key, want[1])


def test_distinct_scores_take_the_fast_path() -> None:
    rng = np.random.default_rng(4)
    n = 5000
    blocks = [ListEntries(list_id=np.zeros(1000, np.int64), person=np.arange(s, s + 1000),
                          logit=rng.normal(size=1000)) for s in range(0, n, 1000)]
    tie = rng.integers(0, 1 << 24, size=n) / float(1 << 24)
    limit = np.array([1200], dtype=np.int64)
    pool = CandidatePool(limit, tie)
    for entries in blocks:
        pool.add(entries)
    order, key = pool.merged_priority(np.array([1.0]), n)
    assert pool.slow_lists == 0
    want = _reference(blocks, limit, tie, np.array([1.0]), n)
    np.testing.assert_array_equal(order, want[0])
    np.testing.assert_array_equal(key, want[1])
    assert order.size == 1200
