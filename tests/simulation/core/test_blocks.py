"""Result frames taken a block of people at a time equal those over everyone at once (issue 19).

At the default block size the frames of a CI-sized run are computed in one block; lowering
:data:`simulation.core.blocks.BLOCK` sends the same run down the blocked path, which must give
the same numbers bit for bit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation import Scenario
from simulation.core import blocks as blocks_module
from simulation.core.api import UnvaluedRun, run_plans, valued
from simulation.core.blocks import add_bincount, blocks
from simulation.core.metrics import customer_values

SMALL_BLOCK = 65 * 256
"""Above OpenBLAS's 16,384-column switch of matrix-vector kernels and a multiple of 256 (see
:data:`simulation.core.blocks.BLOCK`)."""


@pytest.mark.parametrize("n", [0, 1, 5, 16, 17, 33, 100])
def test_blocks_cover_everything_once_and_are_never_short(monkeypatch, n):
    monkeypatch.setattr(blocks_module, "BLOCK", 16)
    parts = list(blocks(n))
    covered = np.concatenate([np.arange(n)[part] for part in parts]) if parts else np.array([])
    np.testing.assert_array_equal(covered, np.arange(n))
    sizes = [part.stop - part.start for part in parts]
    assert all(16 <= size < 32 for size in sizes) or sizes == ([n] if n else [])


def test_bincount_continued_block_by_block_is_one_bincount_bit_for_bit():
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 4, 100_000)
    weights = rng.lognormal(0.0, 3.0, labels.size) * rng.choice([-1.0, 1.0], labels.size)
    whole = np.bincount(labels, weights=weights, minlength=4)
    continued, added = np.zeros(4), np.zeros(4)
    for start in range(0, labels.size, 999):
        part = slice(start, start + 999)
        add_bincount(continued, labels[part], weights[part])
        added += np.bincount(labels[part], weights=weights[part], minlength=4)
    assert continued.tobytes() == whole.tobytes()
    assert added.tobytes() != whole.tobytes()  # what a plain sum of block totals would give


@pytest.fixture(scope="module")
def run_and_scenario() -> tuple[UnvaluedRun, Scenario]:
    # Enough people for several blocks of SMALL_BLOCK customers under every plan.
    scenario = Scenario.preset("benchmark_retailer").replace(market__population=90_000)
    return run_plans(scenario, None), scenario


def test_frames_in_blocks_equal_frames_in_one_pass(run_and_scenario, monkeypatch):
    part, scenario = run_and_scenario
    assert all(np.count_nonzero(state.customer_since >= 0) >= 2 * SMALL_BLOCK
               for state in part.run.states)
    whole = valued(part, scenario)
    monkeypatch.setattr(blocks_module, "BLOCK", SMALL_BLOCK)
    assert len(list(blocks(part.run.world.n_people))) >= 4
    blocked = valued(part, scenario)
    for name, frame in whole.frames().items():
        pd.testing.assert_frame_equal(blocked.frames()[name], frame, check_exact=True, obj=name)
    assert not whole.extras["segments"].empty
    for s in range(len(part.run.states)):
        monkeypatch.setattr(blocks_module, "BLOCK", SMALL_BLOCK)
        some = customer_values(part.run, s)
        monkeypatch.setattr(blocks_module, "BLOCK", 10**9)
        every = customer_values(part.run, s)
        for field in ("who", "horizon", "tail"):
            assert getattr(some, field).tobytes() == getattr(every, field).tobytes()
        assert some.terminal == every.terminal
