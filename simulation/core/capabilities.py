"""The integration capabilities and the mechanisms they drive, declared once.

Each capability is a :class:`CapabilitySpec`: its key (the scenario's field name in
``custom_plan``, ``existing_capabilities`` and ``capability_costs``), the mechanisms whose rate
it moves and its default costs. Each mechanism is a :class:`Mechanism`: the weekly tallies that
count its opportunities and events (their ratio is its rate, ``Results.mechanisms``).

What a capability or mechanism is *called* is display text: it lives in the text catalog
(``simulation/display/catalogs/en.toml``, keys ``capability.<key>.name`` and ``.meaning``,
``mechanism.<key>``), never here, so the engine emits keys only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from simulation.core.tallies import Tally


class Capability(StrEnum):
    """The integration capabilities (0 = siloed, 1 = integrated), in :data:`CAPABILITIES` order."""

    IDENTITY = "identity"
    CONTEXT = "context"
    CONSISTENCY = "consistency"
    ORCHESTRATION = "orchestration"
    INVENTORY = "inventory"
    SERVICE = "service"


@dataclass(frozen=True)
class Mechanism:
    """A way integration changes behaviour, counted as events per opportunity.

    Attributes
    ----------
    key:
        Stable key (``Results.mechanisms["mechanism"]``; its text is ``mechanism.<key>``).
    opportunity, event:
        Weekly tallies of the chances for the event and of the events; the rate is their ratio.
    loss:
        True when the event is a loss the driving capability prevents (its level lowers the
        rate); False when integration raises the rate instead (offer response).
    """

    key: str
    opportunity: Tally
    event: Tally
    loss: bool = True

    @property
    def opportunity_key(self) -> str:
        """Stable key of the opportunity (the weekly frame's column of that tally)."""
        return self.opportunity.name.lower()


MECHANISMS: tuple[Mechanism, ...] = (
    Mechanism("lost_context", Tally.SWITCHES, Tally.CONTEXT_LOSSES),
    Mechanism("journey_conflict", Tally.JOURNEY_CONFLICT_CHANCES, Tally.JOURNEY_CONFLICTS),
    Mechanism("contact_conflict", Tally.CONTACT_CONFLICT_CHANCES, Tally.CONTACT_CONFLICTS),
    Mechanism("stock_out", Tally.BUY_ATTEMPTS, Tally.STOCKOUTS),
    Mechanism("over_messaging", Tally.CONTACTS, Tally.EXCESS_CONTACTS),
    Mechanism("return_friction", Tally.CROSS_CHANNEL_RETURNS, Tally.RETURN_FRICTIONS),
    Mechanism("offer_response", Tally.OFFERS, Tally.OFFER_JOURNEYS, loss=False),
    Mechanism("return_exchange", Tally.STORE_RETURNS_OF_REMOTE, Tally.RETURN_EXCHANGES, loss=False),
    Mechanism("unseen_service_request", Tally.SERVICE_REQUESTS_ELSEWHERE, Tally.SERVICE_REQUESTS_UNSEEN),
)
"""Every mechanism, in the order of ``Results.mechanisms``."""

MECHANISM_BY_KEY: Mapping[str, Mechanism] = MappingProxyType({m.key: m for m in MECHANISMS})


@dataclass(frozen=True)
class CapabilitySpec:
    """One integration capability.

    Attributes
    ----------
    key:
        The capability (its value is the scenario's field name).
    mechanisms:
        Keys of the mechanisms it drives (:data:`MECHANISMS`); docs/MODEL.md gives the
        equations. Identity drives offer targeting (``offer_response``) and, through the unified
        profile, the learned targeting of ``simulation.core.personalization``.
    default_cost:
        Its ``CapabilityCost`` fields that differ from the field defaults, at full level
        (currency; the benchmark retailer's sources are in data/presets/benchmark_retailer.toml).
    """

    key: Capability
    mechanisms: tuple[str, ...]
    default_cost: Mapping[str, float] = field(default_factory=dict)


CAPABILITIES: tuple[CapabilitySpec, ...] = (
    CapabilitySpec(Capability.IDENTITY, ("offer_response",), MappingProxyType(
        {"one_off_cost": 60_000, "running_cost_weekly": 800, "ramp_weeks": 39,
         "cost_per_profile_yearly": 0.20})),
    CapabilitySpec(Capability.CONTEXT, ("lost_context",), MappingProxyType(
        {"one_off_cost": 80_000, "running_cost_weekly": 500, "ramp_weeks": 26,
         "one_off_per_store": 1_500, "running_per_store_weekly": 20.5})),
    CapabilitySpec(Capability.CONSISTENCY, ("journey_conflict", "contact_conflict"), MappingProxyType(
        {"one_off_cost": 30_000, "running_cost_weekly": 300, "ramp_weeks": 13})),
    CapabilitySpec(Capability.ORCHESTRATION, ("over_messaging",), MappingProxyType(
        {"one_off_cost": 40_000, "running_cost_weekly": 400, "ramp_weeks": 26,
         "cost_per_profile_yearly": 0.10})),
    CapabilitySpec(Capability.INVENTORY, ("stock_out",), MappingProxyType(
        {"one_off_cost": 250_000, "running_cost_weekly": 1_000, "ramp_weeks": 52,
         "one_off_per_store": 5_000, "running_per_store_weekly": 25.0, "cost_per_order": 0.10})),
    CapabilitySpec(Capability.SERVICE, ("return_friction", "return_exchange", "unseen_service_request"),
                   MappingProxyType(
        {"one_off_cost": 40_000, "running_cost_weekly": 300, "ramp_weeks": 26,
         "one_off_per_store": 1_000})),
)
"""Every capability, in the order of :class:`Capability` (the engine's level columns)."""

CAPABILITY_BY_KEY: Mapping[str, CapabilitySpec] = MappingProxyType(
    {spec.key.value: spec for spec in CAPABILITIES})
N_CAPABILITIES = len(CAPABILITIES)


def spec(capability: Capability | str) -> CapabilitySpec:
    """The registry entry of ``capability`` (a :class:`Capability` or its key)."""
    return CAPABILITY_BY_KEY[str(capability)]


def own_mechanisms(capability: Capability | str) -> tuple[str, ...]:
    """Keys of the mechanisms whose rate ``capability`` lowers (its own losses)."""
    return tuple(m for m in spec(capability).mechanisms if MECHANISM_BY_KEY[m].loss)


__all__ = ["CAPABILITIES", "CAPABILITY_BY_KEY", "MECHANISMS", "MECHANISM_BY_KEY", "N_CAPABILITIES",
           "Capability", "CapabilitySpec", "Mechanism", "own_mechanisms", "spec"]
