"""What a week's marketing contacts do to a pair holding each contact key (docs/MODEL.md section 3, step 2).

Each channel that knows a subscribed person sends its own ``contact_frequency_weekly`` messages
(siloed); ``orchestration`` caps the total at ``behaviour.contact_cap_weekly`` for people the plan
recognises across channels (identity as the gate: channels can only coordinate messages to a
person they know is the same person; others get the siloed contacts), and a targeted offer adds
one contact. Contacts remind: the journey rate is multiplied by
1 - max uplift x expm1(-contacts / half saturation), i.e. it rises towards 1 + max uplift with
diminishing returns, and by 1 + ``offer_uplift`` with an offer. Contacts above the segment's
tolerance annoy (satisfaction falls by ``overmessaging_satisfaction_loss`` per excess contact).
Since all of this depends only on the pair's key (:mod:`simulation.core.keys`),
:func:`contact_tables` computes it once per key, for the levels in force this week.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from simulation.core.capabilities import Capability
from simulation.core.keys import KeyLayout
from simulation.core.world import CHANNELS_IN_MASK, World

_ORCHESTRATION = list(Capability).index(Capability.ORCHESTRATION)


@dataclass(frozen=True)
class MaskContacts:
    """Siloed contacts of a person known to the channels of each mask, arrays of shape (M,)."""

    contacts: NDArray[np.float64]
    """Messages per week before any cap."""
    cost: NDArray[np.float64]
    """Their cost per week, simulated currency."""
    multi_channel: NDArray[np.bool_]
    """Whether two or more channels know the person (their messages can conflict)."""

    @classmethod
    def of(cls, world: World) -> MaskContacts:
        """The masks of ``world``'s channels."""
        channels = world.channels
        n_channels = len(channels.names)
        masks = np.arange(2**n_channels)
        bits = (masks[:, None] >> np.arange(n_channels)) & 1
        return cls(contacts=bits @ channels.contact_frequency_weekly,
                   cost=bits @ (channels.contact_frequency_weekly * channels.contact_cost),
                   multi_channel=CHANNELS_IN_MASK[: 2**n_channels] >= 2)


def contact_tables(world: World, layout: KeyLayout, masks: MaskContacts,
                   levels: NDArray[np.float64]) -> dict[str, NDArray[Any]]:
    """Per-key outcomes of contacts this week, flattened in key order, sentinel last.

    Parameters
    ----------
    world, layout, masks:
        The run's world, key layout and :class:`MaskContacts`.
    levels:
        (P, K) capability levels in force this week.

    Returns
    -------
    dict of str to array
        Each (sentinel + 1,) in key order: ``intent`` (weekly journey rate before the person's
        propensity), ``excess`` (contacts above tolerance), ``annoyed`` (excess > 0),
        ``annoyance`` (satisfaction lost), ``contacts`` and ``contact_cost`` (without the
        offer's cost, simulated currency), ``customer_cost`` (contacts and offer charged to a
        customer's CLV), ``multi`` (exposed to conflicting messages), ``offers``, ``customer``,
        ``loyal_customer``, ``known`` (may be contacted) and ``alive`` (1 for every key but the
        sentinel). Axes before flattening: (plan P, segment G, customer 2, loyal 2,
        recognised 2, offered 2, mask M).
    """
    behaviour, economics = world.scenario.behaviour, world.scenario.economics
    n_p, n_g, n_m = layout.n_plans, layout.n_segments, layout.n_masks
    siloed = masks.contacts[None, None, :]
    # Orchestration reaches only recognised people (axis 1: not recognised, recognised).
    orchestration = levels[:, _ORCHESTRATION, None, None] * np.array([0.0, 1.0])[None, :, None]
    contacts = siloed - orchestration * (siloed - np.minimum(siloed, behaviour.contact_cap_weekly))
    scale = np.divide(contacts, siloed, out=np.zeros_like(contacts), where=siloed > 0)  # (P, 2, M)
    offered = np.array([0.0, 1.0])[None, None, :, None]
    contacts = contacts[:, :, None, :] + offered  # (P, R 2, O 2, M)
    cost = masks.cost[None, None, None, :] * scale[:, :, None, :] + economics.offer_cost * offered
    reminder = 1.0 - behaviour.reminder_max_uplift * np.expm1(
        -contacts / behaviour.reminder_half_saturation)
    segs = world.segments
    intent = (segs.intent_rate_weekly[None, :, None, None, None] * reminder[:, None]
              * (1.0 + economics.offer_uplift * offered)[:, None])  # (P, G, 2, 2, M)
    excess = np.maximum(contacts[:, None] - segs.contact_tolerance_weekly[None, :, None, None, None], 0.0)
    full = (n_p, n_g, 2, 2, 2, 2, n_m)

    def grid(values: NDArray[Any], dims: str, dtype: type) -> NDArray[Any]:
        """Broadcast ``values`` (axes named by ``dims`` out of 'pgclrom') to the key grid."""
        shape = [size if axis in dims else 1 for axis, size in zip("pgclrom", full, strict=True)]
        out: NDArray[Any] = np.zeros(int(np.prod(full)) + 1, dtype=dtype)
        out[:-1] = np.broadcast_to(values.reshape(shape), full).ravel()
        return out

    customer = np.array([0.0, 1.0])
    known = (np.arange(n_m) > 0).astype(float)
    multi = masks.multi_channel[None, None, None, :] & (contacts > 0)
    annoyance = (behaviour.overmessaging_satisfaction_loss * excess).astype(np.float32)
    return {
        "intent": grid(intent.astype(np.float32), "pgrom", np.float32),
        "excess": grid(excess, "pgrom", np.float64),
        "annoyed": grid(excess > 0, "pgrom", np.bool_),
        "annoyance": grid(annoyance, "pgrom", np.float32),
        "contacts": grid(contacts, "prom", np.float64),
        "contact_cost": grid(cost - economics.offer_cost * offered, "prom", np.float64),
        "customer_cost": grid(cost[:, None] * customer[None, :, None, None, None], "pcrom", np.float32),
        "multi": grid(multi, "prom", np.bool_),
        "offers": grid(np.array([0.0, 1.0]), "o", np.float64),
        "customer": layout.is_customer,
        "loyal_customer": grid(np.outer(customer, [0.0, 1.0]), "cl", np.float64),
        "known": grid(known, "m", np.bool_),
        "alive": grid(np.ones(1), "", np.float64),
    }


__all__ = ["MaskContacts", "contact_tables"]
