"""Per-person purchase records kept for the people who bought, by buyer slot.

The engine keeps, for every (plan, person), records that only purchases write: purchases, net
spend and discounted orders by channel, and discounted net revenue, digital revenue, network
orders and service contacts. Most people never buy within a horizon (55% of the default preset's
people buy in no plan), yet dense (plan, channel, person) arrays cost their full size: each
4 KiB page of such an array holds a thousand people, so a few buyers touch every page.

Here a person gets a *slot* at their first purchase in any plan (slots count up from 1; slot 0
means "never bought" and its records stay 0), and each record is a (plan, [channel,] slot)
array with room for every person. The arrays are fresh anonymous memory maps
(:func:`lazy_zeros`), whose pages the operating system provides only when first written, so
only the pages of the slots handed out take memory: at the default preset about 45% of what
dense arrays took, plus a 4-byte slot per person (issue 19's memory budget). Values are the
same: each record sees the same additions in the same order as a dense array would, only at
another address.

Readers use :meth:`BuyerRecords.take` for some people (the hot path: learned targeting reads
a few thousand people a week) or :meth:`BuyerRecords.dense` for everyone (frames after a run;
:class:`~simulation.core.state.PlanState` offers the dense arrays under their old names).
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from simulation.core.kernels.purchases import place_kernel
from simulation.core.kernels.select import gather_columns

COUNT_RECORDS = ("purchases_by_channel",)
"""Records that count purchases (unsigned integers, widened when a count would overflow)."""
CHANNEL_RECORDS = ("purchases_by_channel", "spend_by_channel", "orders_discounted")
"""Records kept by channel: (plan, channel, slot)."""
PERSON_RECORDS = ("revenue_discounted", "remote_revenue_discounted", "network_discounted",
                  "service_contacts_discounted")
"""Records kept by person alone: (plan, slot)."""
RECORDS = CHANNEL_RECORDS + PERSON_RECORDS


def lazy_zeros(shape: tuple[int, ...], dtype: type[Any]) -> NDArray[Any]:
    """A zeroed array whose memory pages are taken only when first written.

    ``np.zeros`` of a large array is lazy too, but numpy asks the kernel for transparent huge
    pages on it (``MADV_HUGEPAGE``), and then the first write anywhere in a 2 MiB region takes
    all of it: writing the first 45% of each row of a (15, 1M) float32 array took 53 of its 57
    MiB. An anonymous map without that advice is provided 4 KiB at a time (26 MiB).
    """
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if size == 0:
        return np.zeros(shape, dtype=dtype)
    return np.frombuffer(mmap.mmap(-1, size), dtype=dtype).reshape(shape)


@dataclass
class _Store:
    """The arrays behind every plan's :class:`BuyerRecords`.

    Shared, so a counter widened through one view is seen by every view.
    """

    slot: NDArray[np.int32]
    """(N,) each person's slot, 0 if they never bought."""
    used: int
    """Slots handed out so far, counting the empty slot 0."""
    tables: dict[str, NDArray[Any]]
    """Each record: (P, C, S) or (P, S) over S slots (capacity)."""


class BuyerRecords:
    """Purchase records of one plan, or of every plan (a leading plan axis), by buyer slot.

    Money is simulated currency, discounted records are discounted to week 0 (see
    :class:`~simulation.core.state.PlanState` for each record's meaning).
    """

    def __init__(self, store: _Store, plan: int | None = None) -> None:
        self._store = store
        self._plan = plan

    @classmethod
    def empty(cls, n_plans: int, n_channels: int, n_people: int) -> BuyerRecords:
        """No purchases yet, room for every one of ``n_people`` to buy (arrays of every plan)."""
        room = n_people + 1
        tables: dict[str, NDArray[Any]] = {}
        for name in RECORDS:
            shape = (n_plans, n_channels, room) if name in CHANNEL_RECORDS else (n_plans, room)
            tables[name] = lazy_zeros(shape, np.uint8 if name in COUNT_RECORDS else np.float32)
        return cls(_Store(slot=np.zeros(n_people, dtype=np.int32), used=1, tables=tables))

    @classmethod
    def from_dense(cls, **records: NDArray[Any]) -> BuyerRecords:
        """One plan's records from dense arrays, (C, N) by channel or (N,) (for tests and tools).

        Records not given are zero; at least one by-channel record must be given (it sets C
        and N).
        """
        given = next(v for k, v in records.items() if k in CHANNEL_RECORDS)
        n_channels, n_people = np.shape(given)
        out = cls.empty(1, n_channels, n_people)
        store = out._store
        store.slot[:] = np.arange(1, n_people + 1)
        store.used = n_people + 1
        for name, values in records.items():
            table = store.tables[name]
            values = np.asarray(values)
            if name in COUNT_RECORDS:
                table = store.tables[name] = lazy_zeros(table.shape, values.dtype.type)
            table[0, ..., 1:] = values
        return out[0]

    # --- reading --------------------------------------------------------------------------

    @property
    def n_people(self) -> int:
        """People the records cover (N)."""
        return int(self._store.slot.size)

    @property
    def n_channels(self) -> int:
        """Channels the records cover (C)."""
        return int(self._store.tables[CHANNEL_RECORDS[0]].shape[1])

    @property
    def slot(self) -> NDArray[np.int32]:
        """(N,) each person's slot; 0 for people who never bought (whose records are 0)."""
        return self._store.slot

    def table(self, name: str) -> NDArray[Any]:
        """The record ``name`` by slot: (C, S) or (S,), with a plan axis first for every plan."""
        table = self._store.tables[name]
        return table if self._plan is None else table[self._plan]

    def take(self, name: str, people: NDArray[np.integer[Any]],
             channel: int | None = None) -> NDArray[Any]:
        """Record ``name`` of ``people``: (C, len(people)), or (len(people),) in ``channel``.

        The values a dense (C, N) array would give with ``np.take(dense, people, axis=1)``
        (``np.take(dense[channel], people)``), as a fresh array.
        """
        table = self.table(name)
        slots = self._store.slot.take(people)
        if channel is not None:
            table = table[..., channel, :]
        return np.take(table, slots, axis=-1)

    def take_slots(self, name: str, slots: NDArray[np.integer[Any]]) -> NDArray[Any]:
        """:meth:`take` of a (C, S) record for people whose slots (``slot.take(people)``) are ``slots``.

        One compiled gather (:func:`~simulation.core.kernels.select.gather_columns`), with no
        conversion of the int32 slots to ``intp``; the values and layout of :meth:`take`.
        """
        return gather_columns(self.table(name), slots)

    def select(self, name: str, people: NDArray[np.integer[Any]]) -> NDArray[Any]:
        """Record ``name`` of ``people`` in the memory layout of ``dense[..., people]``.

        The values of :meth:`take`; numpy lays out that fancy index column-major for (C, N), and
        a matrix product over channels rounds differently by layout, so readers that had
        ``dense[:, people]`` use this to keep every bit.
        """
        return self.table(name)[..., self._store.slot[people]]

    def dense(self, name: str) -> NDArray[Any]:
        """Record ``name`` of every person: (C, N) or (N,), a fresh array.

        With a plan axis first for the records of every plan.
        """
        return np.take(self.table(name), self._store.slot, axis=-1)

    def channel_total(self, name: str) -> NDArray[np.float64]:
        """(N,) one plan's record ``name`` summed over channels in float64, 0 without records.

        What ``dense(name).sum(axis=0, dtype=np.float64)`` gives, reading only the people who
        bought.
        """
        people = np.flatnonzero(self._store.slot)
        out = np.zeros(self.n_people)
        out[people] = self.take(name, people).sum(axis=0, dtype=np.float64)
        return out

    def __getitem__(self, plan: int) -> BuyerRecords:
        """The records of plan ``plan`` (a view: the engine's later writes show through)."""
        if self._plan is not None:
            raise IndexError("these are one plan's records already")
        return BuyerRecords(self._store, plan)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled compactly: the slots handed out, not the room left for everyone, and only
        # this plan's records (a plan's run is cached and sent between processes alone).
        store = self._store
        tables = {name: np.ascontiguousarray(self.table(name)[..., :store.used])
                  for name in store.tables}
        return (_restore, (store.slot, store.used, tables, self._plan is None))

    # --- writing (the engine, on the records of every plan) ---------------------------------

    def place(self, person: NDArray[np.int64]) -> NDArray[np.int64]:
        """The slots of ``person`` (buyers), handing out new ones to first-time buyers.

        New slots go to the new buyers in the order of their person index, one per person
        (compiled: :func:`~simulation.core.kernels.purchases.place_kernel`).
        """
        store = self._store
        slots, store.used = place_kernel(store.slot, store.used, person)
        return slots

    def add(self, name: str, plan: NDArray[np.int64], slot: NDArray[np.int64],
            values: NDArray[Any] | Any, channel: NDArray[np.int64] | int | None = None) -> None:
        """Add ``values`` to record ``name`` of (``plan``, [``channel``,] ``slot``), each distinct.

        A count record is widened first if one of these counts would overflow its type.
        """
        table = self._store.tables[name]
        rows = plan if channel is None else plan * table.shape[1] + channel
        at = rows * table.shape[-1] + slot
        if name in COUNT_RECORDS and at.size:
            top = np.iinfo(table.dtype).max
            if int(table.reshape(-1).take(at).max()) + int(np.max(values)) > top:
                table = self.widen(name)
        flat = table.reshape(-1)
        flat[at] += values

    def widen(self, name: str) -> NDArray[Any]:
        """Record ``name`` in the next wider unsigned type (the slots in use copied)."""
        store = self._store
        old = store.tables[name]
        wider = lazy_zeros(old.shape, np.min_scalar_type(int(np.iinfo(old.dtype).max) + 1).type)
        wider[..., :store.used] = old[..., :store.used]
        store.tables[name] = wider
        return wider


def _restore(slot: NDArray[np.int32], used: int, tables: dict[str, NDArray[Any]],
             every_plan: bool) -> BuyerRecords:
    if not every_plan:
        tables = {name: table[None] for name, table in tables.items()}
    records = BuyerRecords(_Store(slot=slot, used=used, tables=tables))
    return records if every_plan else records[0]


__all__ = ["CHANNEL_RECORDS", "COUNT_RECORDS", "PERSON_RECORDS", "RECORDS", "BuyerRecords", "lazy_zeros"]
