"""The offer lists and how they share the budget.

Linked people are on the unified model's list, the others on the lists of the channels that
know them. The budget is shared among the lists in proportion to the people on them
(:func:`list_quotas`: the linked people; then the unlinked, split by channel), so no comparison
of scores from different models is needed; linking is random, so neither group is favoured. As
in a business run by channel teams, each channel spends its own part of the budget on the top
of its own list. A person on two lists gets one offer (the engine sends at most one a week) and
the slot passes to the next name, so the budget is always spent on distinct people
(:func:`merged_priority`). That ordering is also what the held-out AUC and top-decile precision
measure (:mod:`simulation.core.personalization.quality`), so the reported model quality is the
quality of the targeting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulation.core.personalization.features import ChannelRecords
from simulation.core.personalization.models import LinearScorer


@dataclass(frozen=True)
class ListEntries:
    """Scored entries of the offer lists; one person may sit on several lists.

    List 0 is the unified model's (linked people), list 1 + c is channel c's (unlinked people it
    knows).
    """

    list_id: NDArray[np.int64]
    person: NDArray[np.int64]
    """Position of the entry's person in the array of people scored."""
    logit: NDArray[np.float64]

    @classmethod
    def concat(cls, parts: list[ListEntries]) -> ListEntries:
        """The entries of ``parts`` one after another, as one set of entries."""
        return cls(list_id=np.concatenate([p.list_id for p in parts]),
                   person=np.concatenate([p.person for p in parts]),
                   logit=np.concatenate([p.logit for p in parts]))


def list_entries(unified: LinearScorer | None, siloed: LinearScorer | None,
                 unified_x: NDArray[np.float32] | None, records: ChannelRecords | None,
                 is_linked: NDArray[np.bool_], offset: int = 0) -> ListEntries:
    """Entries for a block of people: the linked by the unified model, the others by their channels'.

    The unlinked people are scored by each channel model that knows them. ``unified_x`` holds the
    linked people's unified features and ``records`` the unlinked people's channel records
    (``person_pos`` counting among the unlinked), both in the order of the block; ``offset`` is
    added to positions (blocks of a larger array).
    """
    parts = [ListEntries(list_id=np.zeros(0, dtype=np.int64), person=np.zeros(0, dtype=np.int64),
                         logit=np.zeros(0))]
    if unified is not None and unified_x is not None and unified_x.shape[0]:
        linked_pos = np.flatnonzero(is_linked)
        parts.append(ListEntries(list_id=np.zeros(linked_pos.size, dtype=np.int64),
                                 person=linked_pos + offset, logit=unified.logit(unified_x)))
    if siloed is not None and records is not None and records.person_pos.size:
        unlinked = np.flatnonzero(~is_linked)
        parts.append(ListEntries(list_id=1 + records.channel.astype(np.int64),
                                 person=unlinked[records.person_pos] + offset,
                                 logit=siloed.logit(records.design)))
    return ListEntries.concat(parts)


def list_quotas(n_linked: int, known_unlinked: NDArray[np.int64], n_people: int) -> NDArray[np.float64]:
    """Share of the offer budget each list spends, unified list first (shares sum to at most 1).

    The unified list gets the linked people's share; the channel lists split the unlinked
    people's share in proportion to the people each channel knows (each siloed channel team
    runs its own part of the budget).
    """
    n_unlinked_share = 1.0 - n_linked / max(n_people, 1)
    known = known_unlinked.astype(np.float64)
    split = known / known.sum() if known.sum() > 0 else known
    return np.concatenate([[n_linked / max(n_people, 1)], n_unlinked_share * split])


_TIE_BITS = 24
"""Resolution of a tie-break draw (:meth:`RandomStreams.uniform`: k / 2**24)."""
_POSITION_BITS = 63 - _TIE_BITS
"""Bits left for positions in :func:`descending_order`'s packed keys."""
_SMALL = 2048
"""Below this many entries lexsort itself is cheaper than :func:`descending_order`'s extra calls."""


def descending_order(score: NDArray[np.floating], tie: NDArray[np.floating]) -> NDArray[np.intp]:
    """``np.lexsort((-tie, -score))``: highest ``score`` first, then highest ``tie``, then position.

    Two stable sorts instead of lexsort's: the first (by tie, then position) sorts distinct packed
    integers, unstable and fast, where ``tie`` holds 24-bit draws as the tie-breaks do; the second
    is a stable sort by score. Both give the one order lexsort gives (the keys and position
    decide every comparison). Short lists are sorted by lexsort itself.
    """
    n = score.size
    if n < _SMALL:
        return np.lexsort((-tie, -score))  # type: ignore[no-any-return]
    ties = tie.astype(np.float64) * float(1 << _TIE_BITS)
    whole = ties.astype(np.int64)
    if n >= 1 << _POSITION_BITS or not np.array_equal(whole, ties) or (
            n and (whole.min() < 0 or whole.max() >= 1 << _TIE_BITS)):
        return np.lexsort((-tie, -score))  # type: ignore[no-any-return]
    packed = (((1 << _TIE_BITS) - 1 - whole) << _POSITION_BITS) | np.arange(n)
    packed.sort()
    by_tie = packed & ((1 << _POSITION_BITS) - 1)
    return by_tie.take(np.argsort(-score.take(by_tie), kind="stable"))  # type: ignore[no-any-return]


def top_per_list(entries: ListEntries, tie: NDArray[np.floating], limit: NDArray[np.int64]
                  ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Row indices of each list's best ``limit[list]`` entries (best first) and their rank."""
    rows_out, ranks_out = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    ids = entries.list_id
    # list_entries stacks the lists one after the other, so each list is usually one run of rows:
    # its rows are then a range, found without a pass over every entry per list.
    grouped = bool((ids[1:] >= ids[:-1]).all())
    bounds = np.searchsorted(ids, np.arange(limit.size + 1)) if grouped else None
    for list_id in np.flatnonzero(np.bincount(ids, minlength=limit.size)):
        if bounds is not None:
            rows = np.arange(bounds[list_id], bounds[list_id + 1])
        else:
            rows = np.flatnonzero(ids == list_id)
        m = int(min(rows.size, limit[list_id]))
        if m <= 0:
            continue
        if m < rows.size:
            rows = rows[np.argpartition(-entries.logit[rows], m - 1)[:m]]
        rows = rows[descending_order(entries.logit[rows], tie[entries.person[rows]])]
        rows_out.append(rows)
        ranks_out.append(np.arange(rows.size))
    return np.concatenate(rows_out), np.concatenate(ranks_out)


def merged_priority(entries: ListEntries, quotas: NDArray[np.float64], tie: NDArray[np.floating],
                    n_people: int, *, keep: int | None = None
                    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Merge the lists so each spends its quota: people best first, and each person's key.

    The i-th entry (from 0) of a list with quota q gets key (i + 1) / q; walking the merged
    list by key takes entries from each list in proportion to its quota. A person on several
    lists keeps their best key (one offer; the next entry takes the other slot). With ``keep``
    each list contributes at most ceil(keep x q) entries. Keys are +inf for unlisted people.
    """
    limit = np.full(quotas.size, np.iinfo(np.int64).max, dtype=np.int64)
    if keep is not None:
        limit = np.ceil(keep * quotas).astype(np.int64)
    rows, rank = top_per_list(entries, tie, limit)
    return merge_lists(entries.person[rows], entries.list_id[rows], rank, quotas, tie, n_people)


def merge_lists(person: NDArray[np.int64], lists: NDArray[np.int64], rank: NDArray[np.int64],
                quotas: NDArray[np.float64], tie: NDArray[np.floating], n_people: int
                ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """:func:`merged_priority` of ranked lists: ``person``, ``lists`` and ``rank`` per entry.

    The entries come list after list (ascending list id), each list best first (``rank`` 0, 1,
    ...), as :func:`top_per_list` gives them.
    """
    with np.errstate(divide="ignore"):
        key = (rank + 1) / quotas[lists]
    if lists.size and quotas[lists[0]] > 0 and (lists == lists[0]).all():
        # One list: keys rise along it and nobody is on it twice, so it is already merged.
        best = np.full(n_people, np.inf)
        best[person] = key
        return person, best
    order = descending_order(-key, tie[person])
    person, key = person[order], key[order]
    _, first = np.unique(person, return_index=True)
    first.sort()
    best = np.full(n_people, np.inf)
    best[person[first]] = key[first]
    return person[first], best


class CandidatePool:
    """Each list's best entries over blocks of people: ``top_per_list`` of the blocks' ``top_per_list``.

    :meth:`add` keeps a block's best ``limit[list]`` entries of each list, the set
    :func:`top_per_list` keeps, but without ordering them; :meth:`ranked` then gives exactly
    what :func:`top_per_list` of the concatenated, ordered blocks gives. The blocks' order only
    matters when it can decide the result: when the last place of a list is shared by equal
    scores (argpartition's choice among them follows its input order) or when two chosen
    entries have equal score and tie-break (their order follows position). Such a list is
    ranked the slow way, from the ordered blocks; every other list is ranked once, from its
    chosen entries, and the blocks' sorts are saved.

    Parameters
    ----------
    limit:
        (L,) most entries kept per list.
    tie:
        (N,) each person's tie-break draw, indexed by the entries' ``person``.
    """

    def __init__(self, limit: NDArray[np.int64], tie: NDArray[np.floating]) -> None:
        self.limit = limit
        self.tie = tie
        self._parts: list[list[tuple[NDArray[np.int64], NDArray[np.float64]]]] = [
            [] for _ in range(limit.size)]
        self.slow_lists = 0
        """Lists ranked the slow way (for benchmarks and tests)."""

    def add(self, entries: ListEntries) -> None:
        """Keep each list's best ``limit`` entries of a block of entries, in no particular order.

        The block's lists may come one after the other, as :func:`list_entries` stacks them, or
        mixed.
        """
        ids = entries.list_id
        grouped = bool((ids[1:] >= ids[:-1]).all())
        bounds = np.searchsorted(ids, np.arange(self.limit.size + 1)) if grouped else None
        for list_id in np.flatnonzero(np.bincount(ids, minlength=self.limit.size)):
            if bounds is not None:
                rows = np.arange(bounds[list_id], bounds[list_id + 1])
            else:
                rows = np.flatnonzero(ids == list_id)
            m = int(min(rows.size, self.limit[list_id]))
            if m <= 0:
                continue
            if m < rows.size:
                rows = rows[np.argpartition(-entries.logit[rows], m - 1)[:m]]
            self._parts[list_id].append((entries.person[rows], entries.logit[rows]))

    def ranked(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """Person, list and rank of each list's best entries, list after list, best first.

        The same as :func:`top_per_list` (then indexed) of the concatenated per-block results of
        :func:`top_per_list` with the same limits.
        """
        people, lists, ranks = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)], [
            np.zeros(0, dtype=np.int64)]
        for list_id, parts in enumerate(self._parts):
            if not parts:
                continue
            person = self._fast(list_id, parts)
            if person is None:
                self.slow_lists += 1
                person = self._slow(list_id, parts)
            if not person.size:
                continue
            people.append(person)
            lists.append(np.full(person.size, list_id, dtype=np.int64))
            ranks.append(np.arange(person.size))
        return np.concatenate(people), np.concatenate(lists), np.concatenate(ranks)

    def merged_priority(self, quotas: NDArray[np.float64], n_people: int
                        ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """:func:`merged_priority` of the blocks added (with ``keep`` giving this pool's limits)."""
        person, lists, rank = self.ranked()
        return merge_lists(person, lists, rank, quotas, self.tie, n_people)

    def _fast(self, list_id: int, parts: list[tuple[NDArray[np.int64], NDArray[np.float64]]]
              ) -> NDArray[np.int64] | None:
        """The list's best entries, best first, if the blocks' order cannot change them; else None."""
        person = np.concatenate([p for p, _ in parts])
        logit = np.concatenate([s for _, s in parts])
        if np.isnan(logit).any():
            return None
        m = int(min(person.size, self.limit[list_id]))
        if m < person.size:
            negated = -logit
            chosen = np.argpartition(negated, m - 1)
            last = negated[chosen[m - 1]]
            if not negated[chosen[m:]].min() > last:
                return None  # equal scores share the last place
            chosen = chosen[:m]
            person, logit = person[chosen], logit[chosen]
        tie = self.tie[person]
        order = descending_order(logit, tie)
        logit, tie = logit[order], tie[order]
        if ((logit[1:] == logit[:-1]) & (tie[1:] == tie[:-1])).any():
            return None  # two entries only their positions order
        return person[order]  # type: ignore[no-any-return]

    def _slow(self, list_id: int, parts: list[tuple[NDArray[np.int64], NDArray[np.float64]]]
              ) -> NDArray[np.int64]:
        """The list's best entries as :func:`top_per_list` finds them from the ordered blocks."""
        orders = [descending_order(s, self.tie[p]) for p, s in parts]
        person = np.concatenate([p[o] for (p, _), o in zip(parts, orders, strict=True)])
        logit = np.concatenate([s[o] for (_, s), o in zip(parts, orders, strict=True)])
        m = int(min(person.size, self.limit[list_id]))
        if m < person.size:
            chosen = np.argpartition(-logit, m - 1)[:m]
            person, logit = person[chosen], logit[chosen]
        return person[descending_order(logit, self.tie[person])]  # type: ignore[no-any-return]


__all__ = ["CandidatePool", "ListEntries", "descending_order", "list_entries", "list_quotas",
           "merge_lists", "merged_priority", "top_per_list"]
