"""Who the business recognises across channels: the gate of the identity-dependent mechanisms.

Orchestration, context carry-over, returns anywhere (service) and unified targeting need the
customer to be known as one person in every channel. A person is recognised with probability

    r = r0 + (1 - r0) x identity

where ``identity`` is the plan's identity level in force that week and ``r0`` =
``behaviour.recognised_without_identity`` the share recognised by other means (a loyalty card,
a login). Each person has one fixed uniform draw (hashed from the seed: kind ``Draw.MODEL``,
week 0, step ``RECOGNITION_STEP``) and is recognised while it is below ``r``; a higher level
recognises a superset, and the same people are recognised by the engine's gate and by the
targeting models' record linking. The gated mechanisms apply their level only to recognised
people (docs/MODEL.md "Identity as the gate").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from simulation.core.capabilities import Capability
from simulation.core.random_streams import Draw

if TYPE_CHECKING:
    from simulation.core.random_streams import RandomStreams

GATED_BY_IDENTITY = (Capability.ORCHESTRATION, Capability.CONTEXT, Capability.SERVICE)
"""Capabilities whose level acts only on recognised people (unified targeting, the fourth, is
identity's own mechanism); the best-plan search moves identity together with each of them."""

RECOGNITION_STEP = 3
"""Step of the hashed ``Draw.MODEL`` uniform that fixes each person's recognition (week 0)."""


def recognised_share(without_identity: float, identity: float | NDArray[np.float64]
                     ) -> float | NDArray[np.float64]:
    """Share of people recognised across channels: r = r0 + (1 - r0) x identity."""
    return without_identity + (1.0 - without_identity) * identity


def recognition_draw(streams: RandomStreams, people: NDArray[np.int64]) -> NDArray[np.float32]:
    """Each person's fixed recognition uniform in [0, 1)."""
    return streams.uniform(Draw.MODEL, 0, RECOGNITION_STEP, people)  # type: ignore[no-any-return]


def recognised(streams: RandomStreams, people: NDArray[np.int64], share: float) -> NDArray[np.bool_]:
    """Whether each person is recognised when a ``share`` of people is (all or nobody at 1, 0)."""
    if share <= 0.0:
        return np.zeros(people.size, dtype=bool)
    if share >= 1.0:
        return np.ones(people.size, dtype=bool)
    return recognition_draw(streams, people) < share  # type: ignore[no-any-return]


__all__ = ["GATED_BY_IDENTITY", "RECOGNITION_STEP", "recognised", "recognised_share", "recognition_draw"]
