"""Whole-population draws: the fast path gives exactly the generators' own float32 uniforms."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.core.random_streams import Draw, PopulationDraws, RandomStreams

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
    assert draws._raw is (n_people % 2 == 0)  # both paths are exercised, each with and without a thread
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
