"""Common random numbers: one stream per kind of decision, shared by every strategy.

Two kinds of draw are needed:

* Whole-population draws (who opens a journey, who churns this week) come from one numpy
  ``Generator`` per decision kind, drawn for all N people every week in a fixed order, and indexed
  by person. Every strategy reads the same array, so person *i* faces the same luck everywhere.
* Event draws (what happens at touchpoint *k* of a journey, whether an order is returned) are
  needed only for the people who have the event, and which people that are differs between
  strategies. They come from a counter-based hash of ``(decision key, week, step, person)``
  (SplitMix64 finaliser), so a person's draw never depends on who else had an event, on which
  strategies are run together, or on the order of evaluation.

All keys come from one ``SeedSequence(scenario.seed)``.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from numpy.typing import NDArray


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


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 2.0**-53


class RandomStreams:
    """Keys and generators derived from one seed; see the module docstring."""

    def __init__(self, seed: int) -> None:
        root = np.random.SeedSequence(seed)
        children = root.spawn(len(Draw))
        self._keys = np.array(
            [child.generate_state(1, dtype=np.uint64)[0] for child in children], dtype=np.uint64
        )
        self._generators = {kind: np.random.default_rng(children[kind]) for kind in Draw}

    def generator(self, kind: Draw) -> np.random.Generator:
        """The sequential generator of a whole-population decision kind."""
        return self._generators[kind]

    def seed_for(self, kind: Draw) -> int:
        """A 31-bit integer seed for a library that wants one (e.g. scikit-learn)."""
        return int(self._keys[kind] & np.uint64(0x7FFFFFFF))

    def uniform(self, kind: Draw, week: int, step: int, person: NDArray[np.integer]) -> NDArray[np.float64]:
        """Uniform [0, 1) draws for ``person`` at ``(week, step)``; pure function of its inputs."""
        counter = (
            (np.uint64(week) << np.uint64(40))
            | (np.uint64(step) << np.uint64(32))
            | person.astype(np.uint64, copy=False)
        )
        z = counter * _GOLDEN + self._keys[kind]
        z ^= z >> np.uint64(30)
        z *= _MIX1
        z ^= z >> np.uint64(27)
        z *= _MIX2
        z ^= z >> np.uint64(31)
        return (z >> np.uint64(11)).astype(np.float64) * _TO_UNIT

    def normal(self, kind: Draw, week: int, step: int, person: NDArray[np.integer]) -> NDArray[np.float64]:
        """Standard normal draws by the Box-Muller transform of two hashed uniforms."""
        u1 = self.uniform(kind, week, 2 * step, person)
        u2 = self.uniform(kind, week, 2 * step + 1, person)
        return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)
