"""Whole-population draws: the fast path gives exactly the generators' own float32 uniforms."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from simulation.core import random_streams
from simulation.core.random_streams import Draw, PopulationDraws, RandomStreams, SharedPopulationDraws

_ORDER = (Draw.UNSUBSCRIBE, Draw.CONTACT_CONFLICT, Draw.OPEN_JOURNEY, Draw.CHURN)


def _expected(seed: int, n_people: int, weeks: int) -> list[np.ndarray]:
    """The draws as ``Generator.random(dtype=float32)`` makes them, kind by kind in turn."""
    generators = {kind: RandomStreams(seed).generator(kind) for kind in _ORDER}
    return [generators[kind].random(n_people, dtype=np.float32) for _ in range(weeks) for kind in _ORDER]


@pytest.mark.parametrize("n_people", [2, 1000, 20_001, 65_536])
@pytest.mark.parametrize("ahead", [False, True])
def test_population_draws_equal_the_generators_float32_uniforms(n_people, ahead):
    weeks = 3
    draws = PopulationDraws(RandomStreams(7), _ORDER, n_people, weeks, ahead=ahead)
    # both paths are exercised, each with and without a thread
    assert draws._drawer._raw is (n_people % 2 == 0)
    try:
        got = [draws.take(kind).copy() for _ in range(weeks) for kind in _ORDER]
    finally:
        draws.close()
    for got_draw, want in zip(got, _expected(7, n_people, weeks), strict=True):
        assert got_draw.dtype == np.float32
        assert np.array_equal(got_draw, want)


def test_a_generator_with_half_an_output_waiting_takes_the_general_path():
    streams = RandomStreams(3)
    streams.generator(Draw.CHURN).random(1, dtype=np.float32)  # leaves the high half waiting
    reference = RandomStreams(3)
    reference.generator(Draw.CHURN).random(1, dtype=np.float32)
    draws = PopulationDraws(streams, _ORDER, 10, 1, ahead=False)
    got = [draws.take(kind).copy() for kind in _ORDER]
    want = [reference.generator(kind).random(10, dtype=np.float32) for kind in _ORDER]
    for got_draw, want_draw in zip(got, want, strict=True):
        assert np.array_equal(got_draw, want_draw)


def test_drawing_out_of_order_is_refused():
    draws = PopulationDraws(RandomStreams(1), _ORDER, 4, 1, ahead=False)
    with pytest.raises(RuntimeError, match="CHURN taken where UNSUBSCRIBE"):
        draws.take(Draw.CHURN)


def _kinds(weeks: int) -> list[Draw]:
    return [kind for _ in range(weeks) for kind in _ORDER]


@pytest.mark.parametrize("n_people", [10, 1001])
def test_shared_draws_give_every_reader_the_runs_draws_and_keep_each_valid_two_draws(n_people: int):
    """Readers at different paces (one up to two draws ahead) all see the run's draws in order."""
    weeks = 3
    want = _expected(5, n_people, weeks)
    shared = SharedPopulationDraws(RandomStreams(5), _ORDER, n_people, weeks, readers=2)
    fast, slow = shared.reader(0), shared.reader(1)
    kinds = _kinds(weeks)
    try:
        held = [fast.take(kinds[0]), fast.take(kinds[1])]  # two ahead of the slow reader
        for i, kind in enumerate(kinds):
            got = slow.take(kind)
            assert np.array_equal(got, want[i])
            # the fast reader's last two draws are still intact, whatever has been drawn since
            last = len(held) - 1
            assert np.array_equal(held[last], want[last]) and np.array_equal(held[last - 1], want[last - 1])
            if i + 2 < len(kinds):
                held.append(fast.take(kinds[i + 2]))
    finally:
        shared.close()
    assert not shared._thread.is_alive()


def test_shared_draws_from_reader_threads_equal_the_runs_draws():
    weeks, n_people = 20, 64
    want = _expected(9, n_people, weeks)
    shared = SharedPopulationDraws(RandomStreams(9), _ORDER, n_people, weeks, readers=3)
    got: dict[int, list[np.ndarray]] = {}

    def read(index: int) -> None:
        reader = shared.reader(index)
        try:
            got[index] = [reader.take(kind).copy() for kind in _kinds(weeks)]
        finally:
            reader.close()

    threads = [threading.Thread(target=read, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    shared.close()
    assert sorted(got) == [0, 1, 2]
    for draws in got.values():
        assert all(np.array_equal(a, b) for a, b in zip(draws, want, strict=True))


def test_a_closed_reader_holds_nobody_back():
    """A group whose run ended or failed closes its reader: the others read on to the end."""
    weeks = 4
    shared = SharedPopulationDraws(RandomStreams(2), _ORDER, 8, weeks, readers=2)
    shared.reader(1).close()
    reader = shared.reader(0)
    got = [reader.take(kind).copy() for kind in _kinds(weeks)]
    shared.close()
    assert all(np.array_equal(a, b) for a, b in zip(got, _expected(2, 8, weeks), strict=True))


def test_an_error_while_drawing_reaches_the_readers(monkeypatch: pytest.MonkeyPatch):
    fill = random_streams._Drawer.fill

    def failing(self, index, out):  # type: ignore[no-untyped-def]
        if index == 2:
            raise MemoryError("no room for the draw")
        return fill(self, index, out)

    monkeypatch.setattr(random_streams._Drawer, "fill", failing)
    shared = SharedPopulationDraws(RandomStreams(1), _ORDER, 8, 1, readers=1)
    reader = shared.reader(0)
    reader.take(_ORDER[0])
    reader.take(_ORDER[1])
    with pytest.raises(RuntimeError, match="draws failed") as raised:
        reader.take(_ORDER[2])
    assert isinstance(raised.value.__cause__, MemoryError)
    shared.close()
    assert not shared._thread.is_alive()


def test_a_shared_draw_out_of_order_is_refused():
    shared = SharedPopulationDraws(RandomStreams(1), _ORDER, 4, 1, readers=1)
    try:
        with pytest.raises(RuntimeError, match="CHURN taken where UNSUBSCRIBE"):
            shared.reader(0).take(Draw.CHURN)
    finally:
        shared.close()


@pytest.mark.parametrize("week", [0, 1, 63, 64, 155, 1000, -1])
def test_a_block_of_draws_equals_its_rows_drawn_one_by_one(week):
    streams = RandomStreams(11)
    person = np.array([0, 5, 17, 4_000_000, 2**32 - 1], dtype=np.int64)
    draws = [(Draw.BUY, 0), (Draw.SWITCH, 3), (Draw.ORDER_VALUE, 7), (Draw.BUY, 2**20)]
    block = streams.uniform_block(draws, week, person)
    again = streams.uniform_block(draws, week, person)  # from the kept offsets
    for row, (kind, step) in enumerate(draws):
        assert np.array_equal(block[row], streams.uniform(kind, week, step, person))
    assert np.array_equal(block, again)
