"""Common random numbers: one stream per kind of decision, shared by every plan.

Two kinds of draw are needed:

* Whole-population draws (who opens a journey, who churns this week) come from one numpy
  ``Generator`` (PCG64, ``np.random.default_rng``) per decision kind, drawn for all N people
  every week in a fixed order, and indexed by person. Every plan reads the same array, so
  person *i* faces the same luck everywhere.
* Event draws (what happens at touchpoint *k* of a journey, whether an order is returned) are
  needed only for the people who have the event, and which people that are differs between
  plans. They come from a counter-based hash of ``(decision key, week, step, person)`` built on
  Chris Wellons' 32-bit *lowbias32* finaliser (xor-shift 16, multiply by 0x7FEB352D, xor-shift
  15, multiply by 0x846CA68B, xor-shift 16): the stream offset is
  ``mix(mix(mix(key ^ week) + 0x9E3779B9 * (step + 1)))``, XORed into the person index (as
  uint32) and mixed once more; the top 24 bits give a float32 uniform in [0, 1). So a person's
  draw never depends on who else had an event, on which plans are run together, or on the order
  of evaluation.

All keys come from one ``SeedSequence(scenario.seed)``: one 32-bit key and one generator per
:class:`Draw` kind, spawned in :class:`Draw` order (so adding a kind at the end changes no
existing stream).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from simulation.core.kernels.draws import floats_from_raw, uniforms


class Draw(IntEnum):
    """Kinds of decision; each gets its own independent stream."""

    AWARENESS = 0
    SEGMENT = 1
    PROPENSITY = 2
    EXISTING = 3
    OPEN_JOURNEY = 4
    CHURN = 5
    CONTACT_CONFLICT = 6
    UNSUBSCRIBE = 7
    OFFER = 8
    START_CHANNEL = 9
    BUY = 10
    SWITCH = 11
    NEXT_CHANNEL = 12
    KEEP_CONTEXT = 13
    RESTART = 14
    CONFLICT = 15
    CONFLICT_WALKAWAY = 16
    IN_STOCK = 17
    STOCKOUT_LOST = 18
    NETWORK_STOCK = 19
    ORDER_VALUE = 20
    RETURN = 21
    RETURN_ELSEWHERE = 22
    RETURN_FRICTION = 23
    TARGETING = 24
    MODEL = 25
    PURCHASE_DROPOUT = 26
    REPEAT_PROPENSITY = 27
    SPEND_LEVEL = 28
    RETURN_EXCHANGE = 29
    CHANNEL_BREADTH = 30
    HOME_CHANNEL = 31
    STORE_SHIFT = 32
    SERVICE_REQUEST = 33
    SERVICE_ELSEWHERE = 34
    SERVICE_RECORD_SEEN = 35
    SERVICE_RESOLVED = 36
    SERVICE_ABANDON = 37


OFFSET_WEEKS = 64
"""Weeks of stream offsets :meth:`RandomStreams.uniform_block` computes at once per block of draws."""

_M1 = np.uint32(0x7FEB352D)
_M2 = np.uint32(0x846CA68B)
_TO_UNIT = np.float32(2.0**-24)


def _mix32(x: int) -> int:
    """Wellons' lowbias32 finaliser on a Python int (for scalar stream offsets)."""
    x &= 0xFFFFFFFF
    x ^= x >> 16
    x = (x * 0x7FEB352D) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x846CA68B) & 0xFFFFFFFF
    return x ^ (x >> 16)


class RandomStreams:
    """Keys and generators derived from one seed; see the module docstring."""

    def __init__(self, seed: int) -> None:
        root = np.random.SeedSequence(seed)
        children = root.spawn(len(Draw))
        self._keys = [int(child.generate_state(1, dtype=np.uint32)[0]) for child in children]
        self._key_array = np.array(self._keys, dtype=np.uint32)
        self._generators = {kind: np.random.default_rng(children[kind]) for kind in Draw}
        self._offset_tables: dict[tuple[tuple[tuple[Draw, int], ...], int], NDArray[np.uint32]] = {}

    def generator(self, kind: Draw) -> np.random.Generator:
        """The sequential generator of a whole-population decision kind."""
        return self._generators[kind]

    def seed_for(self, kind: Draw) -> int:
        """A 31-bit integer seed for a library that wants one (e.g. scikit-learn)."""
        return self._keys[kind] & 0x7FFFFFFF

    def _offset(self, kind: Draw, week: int, step: int) -> int:
        return _mix32(_mix32(_mix32(self._keys[kind] ^ week) + 0x9E3779B9 * (step + 1)))

    def offsets(self, draws: tuple[tuple[Draw, int], ...], week: int) -> NDArray[np.uint32]:
        """The stream offset of each (kind, step) of ``draws`` in ``week``: (len(draws),) uint32.

        What :meth:`uniform` XORs into the person index, for a compiled kernel that hashes the draws
        itself (:func:`simulation.core.kernels.common.uniform`). Computed for
        :data:`OFFSET_WEEKS` weeks at once, as (weeks, draws) uint32 arithmetic (which wraps
        like the mask), and kept: a run asks for the same few blocks every week.
        """
        chunk = week // OFFSET_WEEKS
        table = self._offset_tables.get((draws, chunk))
        if table is None:
            kinds, steps = _draw_arrays(draws)
            first = chunk * OFFSET_WEEKS
            weeks = (np.arange(first, first + OFFSET_WEEKS) & 0xFFFFFFFF).astype(np.uint32)
            x = _mix_bits(self._key_array[kinds][None, :] ^ weeks[:, None])
            x += np.uint32(0x9E3779B9) * (steps + np.uint32(1))
            table = _mix_bits(_mix_bits(x))
            self._offset_tables[draws, chunk] = table
        return table[week - chunk * OFFSET_WEEKS]

    @staticmethod
    def _mix(x: NDArray[np.uint32]) -> NDArray[np.float32]:
        # The top 24 bits: exactly representable in float32, half the memory of float64.
        return np.multiply(_mix_bits(x) >> np.uint32(8), _TO_UNIT, dtype=np.float32)

    def uniform(self, kind: Draw, week: int, step: int, person: NDArray[np.integer]) -> NDArray[np.float32]:
        """Uniform [0, 1) draws for ``person`` at ``(week, step)``; a pure function of its inputs.

        The stream offset ``mix(key, week, step)`` is XORed into the person index and the result
        passed through the lowbias32 finaliser (a bijection with strong avalanche), so draws of
        different people, weeks, steps and decision kinds are unrelated. 24-bit resolution (the
        top bits of the hash), float32.
        """
        offset = self._offset(kind, week, step)
        if person.ndim == 1 and person.dtype.kind in "iu":
            return uniforms(np.array([offset], dtype=np.uint32), person)[0]
        x = person.astype(np.uint32)
        x ^= np.uint32(offset)
        return self._mix(x)

    def uniform_block(self, draws: Sequence[tuple[Draw, int]], week: int,
                      person: NDArray[np.integer]) -> NDArray[np.float32]:
        """(len(draws), len(person)) array: row j equals ``uniform(*draws[j], week, person)``.

        One vectorized pass instead of one call per (kind, step): the same numbers, cheaper.
        """
        offsets = self.offsets(tuple(draws), week)
        if person.ndim == 1 and person.dtype.kind in "iu":
            return uniforms(offsets, person)
        x = offsets[:, None] ^ person.astype(np.uint32)[None, :]
        return self._mix(x)


class _Drawer:
    """Takes a run's whole-population draws in their fixed order (see :class:`PopulationDraws`)."""

    def __init__(self, streams: RandomStreams, order: tuple[Draw, ...], n_people: int) -> None:
        self._generators = {kind: streams.generator(kind) for kind in order}
        self._raw = np.little_endian and n_people % 2 == 0 and all(
            _no_half_waiting(g) for g in self._generators.values())
        self._order = order

    def check(self, index: int, kind: Draw) -> None:
        """Raise if draw number ``index`` of the run is not of ``kind`` (the order is fixed)."""
        expected = self._order[index % len(self._order)]
        if kind is not expected:
            raise RuntimeError(f"draw {kind.name} taken where {expected.name} comes next")

    def fill(self, index: int, out: NDArray[np.float32]) -> NDArray[np.float32]:
        """Draw number ``index`` of the run (0, 1, ... in turn) into ``out``."""
        generator = self._generators[self._order[index % len(self._order)]]
        if self._raw:
            return floats_from_raw(generator.bit_generator.random_raw(out.size // 2), out)  # type: ignore[no-any-return]
        return generator.random(dtype=np.float32, out=out)


class PopulationDraws:
    """A run's whole-population uniform draws, taken in a fixed order (one generator per kind).

    Draws are written into two buffers in turn, so a draw stays valid until the draw after the
    next one is taken (each step of the week uses its draw before the next step). With
    ``ahead``, each draw is prepared in a background thread while the engine works on the step
    before it (numpy fills the buffer without holding the GIL), which pays at large N. The
    numbers are the same either way: every generator is used in the same order, by one thread
    at a time, and nothing is drawn beyond the run.

    ``Generator.random(dtype=float32)`` takes each value from 32 bits of PCG64's 64-bit output,
    the low half first (the high half waits in the bit generator for the next value), and keeps
    the top 24 bits. For an even N, generators with no half waiting and a little-endian machine,
    the same floats come from the raw 64-bit outputs viewed as pairs of 32-bit words
    (:func:`~simulation.core.kernels.draws.floats_from_raw`, one compiled pass), about a quarter
    of the CPU cheaper at 1M people, also when drawing ahead; otherwise ``random`` itself is
    called.
    """

    def __init__(self, streams: RandomStreams, order: tuple[Draw, ...], n_people: int,
                 weeks: int, *, ahead: bool) -> None:
        self._drawer = _Drawer(streams, order, n_people)
        self._total, self._taken = weeks * len(order), 0
        self._buffers = (np.empty(n_people, dtype=np.float32), np.empty(n_people, dtype=np.float32))
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="draws") if ahead else None
        self._pending: Future[NDArray[np.float32]] | None = (
            self._pool.submit(self._fill, 0) if self._pool is not None and self._total else None)

    def _fill(self, index: int) -> NDArray[np.float32]:
        return self._drawer.fill(index, self._buffers[index % 2])

    def take(self, kind: Draw) -> NDArray[np.float32]:
        """The next draw, which must be of ``kind`` (the order is fixed for the run)."""
        self._drawer.check(self._taken, kind)
        if self._pending is None:
            drawn = self._fill(self._taken)
        else:
            drawn = self._pending.result()
            following = self._taken + 1
            self._pending = (self._pool.submit(self._fill, following)
                             if self._pool is not None and following < self._total else None)
        self._taken += 1
        return drawn

    def close(self) -> None:
        """Wait for a draw prepared ahead and stop the background thread, if there is one."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)


class SharedPopulationDraws:
    """One run's whole-population draws, taken once for several groups of plans run side by side.

    The plan groups of a split run (:mod:`simulation.core.plan_threads`) need the same draws in
    the same order. One background thread takes each draw once, with the generators and in the
    order of :class:`PopulationDraws` (so the same numbers), into a ring of :attr:`RING`
    buffers; each group reads them through its own :meth:`reader`, which keeps
    :class:`PopulationDraws`' promise: a draw stays valid until the draw after the next one is
    taken. A buffer is refilled only when no reader can still be using the draw it holds, so a
    group that runs ahead waits for the slowest one, and the slowest finds its next draw
    prepared while it worked on the step before, as with :class:`PopulationDraws`.

    A reader that is closed (its run ended or failed) no longer holds the others back; once
    every reader is closed the thread stops. An error in the thread is raised by every reader
    that waits for a draw.

    Parameters
    ----------
    streams, order, n_people, weeks:
        As for :class:`PopulationDraws`.
    readers:
        How many groups read the draws.
    """

    RING = 4
    """Buffers in the ring: the two draws each reader may be using, plus the slowest reader's
    next draw and the one being drawn. The same memory as two :class:`PopulationDraws`."""

    def __init__(self, streams: RandomStreams, order: tuple[Draw, ...], n_people: int,
                 weeks: int, *, readers: int) -> None:
        self._drawer = _Drawer(streams, order, n_people)
        self._total = weeks * len(order)
        self._ring = tuple(np.empty(n_people, dtype=np.float32) for _ in range(self.RING))
        self._taken = [0] * readers
        self._open = readers
        self._drawn = 0
        self._error: BaseException | None = None
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._draw_all, name="draws-shared", daemon=True)
        self._thread.start()

    def reader(self, index: int) -> SharedDrawsReader:
        """Reader ``index`` (0 to ``readers`` - 1), for one group's run."""
        return SharedDrawsReader(self, index)

    def _draw_all(self) -> None:
        try:
            for j in range(self._total):
                with self._changed:
                    # Draw j replaces draw j - RING, which a reader may still use until it has
                    # taken the draw two after it (j - RING + 2, so RING - 3 draws more).
                    self._changed.wait_for(functools.partial(self._may_draw, j))
                    if self._open == 0:
                        return
                self._drawer.fill(j, self._ring[j % self.RING])
                with self._changed:
                    self._drawn = j + 1
                    self._changed.notify_all()
        except BaseException as error:  # e.g. MemoryError: every reader raises it
            with self._changed:
                self._error = error
                self._changed.notify_all()

    def _may_draw(self, j: int) -> bool:
        return self._open == 0 or j < self.RING or min(self._taken) >= j - self.RING + 3

    def take(self, index: int, kind: Draw) -> NDArray[np.float32]:
        """Reader ``index``'s next draw, which must be of ``kind`` (waits until it is drawn)."""
        i = self._taken[index]
        self._drawer.check(i, kind)
        with self._changed:
            self._changed.wait_for(lambda: self._drawn > i or self._error is not None)
            if self._drawn <= i:
                raise RuntimeError("the shared whole-population draws failed") from self._error
            self._taken[index] = i + 1
            self._changed.notify_all()
        return self._ring[i % self.RING]

    def close_reader(self, index: int) -> None:
        """Reader ``index`` takes no more draws and no longer holds the others back."""
        with self._changed:
            if self._taken[index] <= self._total:
                self._taken[index] = self._total + self.RING  # holds nobody back any more
                self._open -= 1
                self._changed.notify_all()

    def close(self) -> None:
        """Close every reader and wait for the background thread to end."""
        for index in range(len(self._taken)):
            self.close_reader(index)
        self._thread.join()


class SharedDrawsReader:
    """One group's view of :class:`SharedPopulationDraws`, used as a :class:`PopulationDraws`."""

    def __init__(self, shared: SharedPopulationDraws, index: int) -> None:
        self._shared, self._index = shared, index

    def take(self, kind: Draw) -> NDArray[np.float32]:
        """The next draw, which must be of ``kind``; valid until the draw after the next is taken."""
        return self._shared.take(self._index, kind)

    def close(self) -> None:
        """Take no more draws (the group's run ended or failed)."""
        self._shared.close_reader(self._index)


def _no_half_waiting(generator: np.random.Generator) -> bool:
    """Whether ``generator`` is PCG64 with no 32-bit half of an output kept for its next value."""
    state = generator.bit_generator.state
    return state.get("bit_generator") == "PCG64" and state.get("has_uint32") == 0


def _mix_bits(x: NDArray[np.uint32]) -> NDArray[np.uint32]:
    """Wellons' lowbias32 finaliser, in place on a uint32 array."""
    x ^= x >> np.uint32(16)
    x *= _M1
    x ^= x >> np.uint32(15)
    x *= _M2
    x ^= x >> np.uint32(16)
    return x


@functools.lru_cache(maxsize=64)
def _draw_arrays(draws: tuple[tuple[Draw, int], ...]) -> tuple[NDArray[np.intp], NDArray[np.uint32]]:
    """Kinds and steps of a block of draws as arrays (the same few blocks recur every week)."""
    return (np.array([kind for kind, _ in draws], dtype=np.intp),
            np.array([step for _, step in draws], dtype=np.uint32))


def normal_from_uniforms(u1: NDArray[np.floating], u2: NDArray[np.floating]) -> NDArray[np.floating]:
    """Box-Muller: two independent uniforms on [0, 1) to one standard normal deviate."""
    return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)  # type: ignore[no-any-return]
