"""The journey-outcome kernel (kernels/outcomes.py) writes what the engine's numpy passes wrote, bit for bit.

Reference: ``numpy_reference.numpy_journey_outcomes`` (the engine's code as it was). The new path
is the engine's: the kernel, its integer counts added to the tallies, numpy's pairwise sums of
the lost value rows. Compared byte for byte: tallies, flows, experience, channels used, the hurt
and bought journeys; on random walks (hypothesis), a long one (pairwise sums over many blocks)
and no journeys at all.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.core.kernels.outcomes import journey_outcomes_kernel
from simulation.core.tallies import JourneyEnd
from tests.simulation.core.numpy_reference import numpy_count_many, numpy_journey_outcomes

LOSS_ENDS = np.array([2, 3, 4, 5], dtype=np.int8)
N_EVENTS = 7
EVENT_ROWS = list(range(N_EVENTS))
LOSS_ROWS = list(range(N_EVENTS, N_EVENTS + 2 * LOSS_ENDS.size))


def same(a: Any, b: Any) -> None:
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    assert a.tobytes() == b.tobytes()


def _case(seed: int, n_people: int, n_plans: int, n_channels: int, n_journeys: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    pairs = n_people * n_plans
    flat = np.sort(rng.choice(pairs, size=min(n_journeys, pairs), replace=False)).astype(np.int64)
    j = flat.size
    loss = rng.random(j, dtype=np.float32) * np.float32(0.3)
    loss[rng.random(j) < 0.6] = 0.0
    walk = SimpleNamespace(
        start=rng.integers(0, n_channels, j).astype(np.intp),
        final=rng.integers(0, n_channels, j).astype(np.intp),
        end=rng.integers(1, 6, j).astype(np.int8),
        segment=rng.integers(0, 3, j).astype(np.int8),
        satisfaction_loss=loss,
        channels_used=rng.integers(0, 2**n_channels, j).astype(np.intp),
        events=rng.integers(0, 3, (N_EVENTS, j)).astype(np.int32),
    )
    return dict(
        flat=flat, plan=flat // n_people, walk=walk, n_plans=n_plans,
        expected_order_value=rng.random((3, n_channels)) * 180.0,
        tally=rng.random((n_plans, N_EVENTS + 2 * LOSS_ENDS.size)) * 1000.0,
        flows=np.floor(rng.random(n_plans * n_channels * (n_channels + 4)) * 50).reshape(
            n_plans, n_channels, n_channels + 4),
        experience=rng.normal(size=pairs).astype(np.float32),
        channels_used=rng.integers(0, 2**n_channels, pairs).astype(np.uint8),
    )


def _check(case: dict[str, Any]) -> None:
    old = {k: v.copy() for k, v in case.items() if k in ("tally", "flows", "experience", "channels_used")}
    new = {k: v.copy() for k, v in old.items()}
    flat, plan, walk, n_plans = case["flat"], case["plan"], case["walk"], case["n_plans"]
    hurt_old, bought_mask = numpy_journey_outcomes(
        old["tally"], EVENT_ROWS, LOSS_ROWS, flat, plan, walk, case["expected_order_value"], LOSS_ENDS,
        old["experience"], old["channels_used"], old["flows"], n_plans)
    hurt, bought, events, losses, lost_value = journey_outcomes_kernel(
        flat, plan, walk.start, walk.final, walk.end, walk.segment, walk.satisfaction_loss,
        walk.channels_used, walk.events, case["expected_order_value"], LOSS_ENDS, int(JourneyEnd.BOUGHT),
        new["experience"], new["channels_used"], new["flows"].reshape(-1), n_plans)
    new["tally"][:, EVENT_ROWS] += events
    new["tally"][:, LOSS_ROWS[:LOSS_ENDS.size]] += losses
    numpy_count_many(new["tally"], LOSS_ROWS[LOSS_ENDS.size:], plan, lost_value, n_plans)
    for name in old:
        same(new[name], old[name])
    same(hurt, hurt_old)
    same(bought, bought_mask.nonzero()[0])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n_people=st.integers(1, 60), n_plans=st.integers(1, 3),
       n_channels=st.integers(1, 4), n_journeys=st.integers(0, 200))
def test_journey_outcomes_are_the_numpy_writes(seed: int, n_people: int, n_plans: int, n_channels: int,
                                               n_journeys: int):
    _check(_case(seed, n_people, n_plans, n_channels, n_journeys))


def test_journey_outcomes_of_many_journeys_keep_numpys_pairwise_lost_value():
    _check(_case(7, 40_000, 3, 4, 70_000))  # tens of thousands per plan: many pairwise blocks


def test_journey_outcomes_of_no_journeys_write_nothing():
    _check(_case(3, 10, 2, 3, 0))


def test_journey_outcomes_of_one_journey():
    _check(_case(5, 1, 1, 1, 1))
