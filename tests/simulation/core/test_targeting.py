"""Random offer recipients: a Bernoulli draw per person, found by geometric gaps."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.core.random_streams import RandomStreams
from simulation.core.targeting import bernoulli_positions


@pytest.mark.parametrize("p", [0.003, 0.02, 0.3, 0.9])
def test_each_person_is_chosen_independently_with_probability_p(p: float):
    streams, n, weeks = RandomStreams(11), 2000, 400
    chosen = np.zeros((weeks, n), dtype=bool)
    for week in range(weeks):
        found = bernoulli_positions(streams, week, n, p)
        assert np.all(np.diff(found) > 0) and (found.size == 0 or (found[0] >= 0 and found[-1] < n))
        chosen[week, found] = True
    per_person = chosen.mean(axis=0)
    assert abs(per_person.mean() - p) < 4 * np.sqrt(p * (1 - p) / (n * weeks))
    # per-person frequencies spread as independent Bernoulli trials would
    assert per_person.std() == pytest.approx(np.sqrt(p * (1 - p) / weeks), rel=0.15)
    # neighbours are not correlated (gaps are memoryless)
    a, b = chosen[:, :-1].ravel(), chosen[:, 1:].ravel()
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.01


def test_draws_depend_only_on_seed_week_and_size():
    one, two = RandomStreams(5), RandomStreams(5)
    week3 = bernoulli_positions(one, 3, 10_000, 0.05)
    assert np.array_equal(week3, bernoulli_positions(two, 3, 10_000, 0.05))
    assert not np.array_equal(week3, bernoulli_positions(one, 4, 10_000, 0.05))
    assert bernoulli_positions(one, 0, 100, 0.0).size == 0
    assert bernoulli_positions(one, 0, 100, 4e-275).size == 0  # no overflow on a vanishing rate
    assert np.array_equal(bernoulli_positions(one, 0, 100, 1.0), np.arange(100))
