"""The engine's wiring of the compiled kernels, checked against the numpy passes they replaced.

``test_kernels.py``, ``test_purchase_kernels.py``, ``test_feature_tables.py``, ``test_select_kernels.py``,
``test_outcome_kernels.py`` and ``test_draw_kernels.py`` compare each kernel with its numpy reference
(``numpy_reference.py``) on arguments the test builds. Here the engine builds them: a run with the
kernels is compared, frame by frame and bit for bit, with a run in which every kernel name an
engine module (the engine, the buyer records, the personalization features, the random streams)
calls is replaced by its numpy reference.

The reference is not given the call's positional arguments (a transposed argument would then reach
the kernel and the reference alike, and both runs would agree). Each row of :data:`WIRING` names
the kernel's arguments itself, from the engine's state and the calling method's locals, and the
reference computes from those. So a wrong or transposed argument in the engine's call changes the
kernel run and not the reference run. The call's arguments are also compared with the named ones,
so a failure says which argument of which call differs.

Adding a kernel to an engine module means adding a row to :data:`WIRING`
(:func:`test_every_kernel_the_engine_calls_is_wired` fails until then). Every row is called in every
scenario of :data:`VARIANTS` but those it lists as unreached (and those are not called there).
"""

from __future__ import annotations

import copy
import inspect
import linecache
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest
from numpy.typing import NDArray

import simulation
from simulation import Scenario, simulate
from simulation.core import engine, random_streams, records
from simulation.core.capabilities import Capability
from simulation.core.kernels import threads
from simulation.core.kernels.common import compared_with_float32
from simulation.core.keys import KeyLayout
from simulation.core.personalization import features
from simulation.core.results import Results
from simulation.core.tallies import JOURNEY_LOSSES, JourneyEnd
from simulation.core.targeting import RandomTargeting, TargetingPolicy
from tests.simulation.core.numpy_reference import (
    numpy_below_at,
    numpy_between,
    numpy_churn,
    numpy_contact_conflicts,
    numpy_count_many,
    numpy_hazard,
    numpy_journey_outcomes,
    numpy_offered_bound,
    numpy_open_candidates,
    numpy_open_journeys,
    numpy_place,
    numpy_purchase_writes,
    numpy_refresh_keys,
    numpy_set_annoyance,
    numpy_set_keys,
    numpy_settle_satisfaction,
    numpy_table_at,
    numpy_uniform_block,
    numpy_unsubscribes,
    numpy_walk_journeys,
    numpy_where_table,
)

ANY = object()
"""A named argument the call may pass anything for (a placeholder behind a flag that is off)."""

_CONSISTENCY = list(Capability).index(Capability.CONSISTENCY)


@dataclass(frozen=True)
class Caller:
    """The locals of the method that called a kernel (``self`` is the engine, records ...)."""

    names: dict[str, Any]
    where: str
    line: str
    """The source line of the call (tells apart calls of one kernel from one method)."""

    def __getitem__(self, name: str) -> Any:
        if name not in self.names:
            raise KeyError(f"{self.where} has no local {name!r}: update its row of WIRING")
        return self.names[name]

    @property
    def sim(self) -> Any:
        """The calling method's ``self`` (the :class:`~simulation.core.engine.Simulation` mostly)."""
        return self["self"]


@dataclass(frozen=True)
class Wire:
    """One kernel name a module calls: its arguments by name, and the numpy reference of the call."""

    module: ModuleType
    name: str
    named: Callable[[Caller], dict[str, Any]]
    """The kernel's arguments, in its parameter order, looked up by name (:data:`ANY` = not read)."""
    reference: Callable[[Caller, dict[str, Any]], Any]
    """The call's result (and writes) computed by the numpy reference from the named arguments."""

    @property
    def label(self) -> str:
        """``module.name`` (the last part of the module's name): two modules call a ``gather``."""
        return f"{self.module.__name__.rsplit('.', 1)[-1]}.{self.name}"


# Arguments by name ----------------------------------------------------------------------------


def _key_books(sim: Any) -> dict[str, Any]:
    """What the key kernels keep up to date, by name (not through ``Simulation._key_books``)."""
    return {"key_flat": sim.keys.flat, "per_key": sim.keys.per_key, "annoyed": sim.annoyed,
            "annoyed_by_key": sim.annoyed_by_key, "cost": sim.state.flat("cost_discounted"),
            "to_date": sim.contact_cost_to_date, "is_customer": sim.layout.is_customer,
            "satisfaction": sim.state.flat("satisfaction"), "n_people": sim.n_people,
            "n_plans": sim.n_plans}


def _offers(sim: Any) -> dict[str, Any]:
    """The pairs' keys and this week's offers, as the step kernels read them."""
    return {"key_flat": sim.keys.flat, "offered": sim.offered, "offered_step": sim.layout.offered_step}


def _refresh_keys_args(c: Caller) -> dict[str, Any]:
    sim, who = c.sim, c["who"]
    layout, people, state = sim.layout, sim.world.people, sim.state
    return {"flat": who.flat, "plan": who.plan, "person": who.person, "check_aware": not c["aware"],
            "week": c["week"], "lapse_week": state.flat("lapse_week"), "aware_week": people.aware_week,
            "segment": people.segment, "customer_since": state.flat("customer_since"),
            "purchases": state.flat("purchases"), "loyalty": sim.behaviour.loyalty_threshold_purchases,
            "recognition_u": sim.recognition_u, "shares": sim.recognised_shares,
            "channels_used": state.flat("channels_used"), "subscribed": state.flat("subscribed"),
            "steps": np.array([layout.plan_step, layout.segment_step, layout.customer_step,
                               layout.loyal_step, layout.recognised_step]),
            "sentinel": layout.sentinel, **_key_books(sim)}


def _set_keys_args(c: Caller) -> dict[str, Any]:
    sim, flat = c.sim, c["flat"]
    return {"flat": flat, "new": c["keys"], "old": sim.keys.flat.take(flat), **_key_books(sim)}


def _unsubscribes_args(c: Caller) -> dict[str, Any]:
    sim, excess = c.sim, c["tables"]["excess"]
    per_contact = sim.behaviour.unsubscribe_per_excess_contact
    return {"u": c["u_unsub"], "largest": per_contact * float(excess.max()),
            "per_contact": per_contact, "excess": excess, **_offers(sim), "n_plans": sim.n_plans}


def _contact_conflicts_args(c: Caller) -> dict[str, Any]:
    sim = c.sim
    chance = sim.behaviour.conflict_rate * (1 - c["levels"][:, _CONSISTENCY])
    return {"u": c["u_conflict"], "chance": chance, **_offers(sim), "multi": c["tables"]["multi"]}


def _open_candidates_args(c: Caller) -> dict[str, Any]:
    sim, factor = c.sim, c.sim.offer_factor
    return {"u": c["u_open"], "bound": sim.open_bound, "offered": c["offers"].person,
            "offer_bound": sim.offer_bound_factor, "offer_factor": ANY if factor is None else factor,
            "has_offer_factor": factor is not None}


def _open_journeys_args(c: Caller) -> dict[str, Any]:
    sim = c.sim
    people, factor = sim.world.people, sim.offer_factor
    repeat = people.repeat_propensity
    candidates = _open_candidates(c, _open_candidates_args(c))
    return {"u": c["u_open"], "people": candidates, "n_plans": sim.n_plans,
            **_offers(sim), "sentinel": sim.layout.sentinel, "intent_table": c["tables"]["intent"],
            "propensity": people.propensity, "repeat_propensity": ANY if repeat is None else repeat,
            "has_repeat": repeat is not None, "is_customer": sim.layout.is_customer,
            "offer_factor": ANY if factor is None else factor, "has_offer_factor": factor is not None,
            "customer_since": sim.state.flat("customer_since"), "existing": people.existing,
            # the reference computes each pair's boost from the behaviour, not from the table
            "boost_by_since": ANY, "has_boost": sim.behaviour.new_customer_intent_boost > 0,
            "cap": sim.behaviour.max_journeys_per_week}


def _drift_args(c: Caller) -> dict[str, Any]:
    b = c.sim.behaviour
    return {"satisfaction": c.sim.state.flat("satisfaction"), "base": np.float32(b.baseline_satisfaction),
            "keep": np.float32(0.5 ** (1.0 / b.satisfaction_half_life_weeks))}


def _settle_args(c: Caller) -> dict[str, Any]:
    sim, parts = c.sim, c["parts"]
    b = sim.behaviour
    return {"touched_flat": np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64),
            "part_ends": np.cumsum([part.size for part in parts], dtype=np.int64), "touched": sim.touched,
            "experience": sim.experience, "satisfaction": sim.state.flat("satisfaction"),
            "key_flat": sim.keys.flat, "is_customer": sim.layout.is_customer,
            "baseline": np.float32(b.baseline_satisfaction),
            "smoothing": np.float32(b.satisfaction_smoothing), "n_people": sim.n_people,
            "n_plans": sim.n_plans}


def numpy_churn_pairs(people: NDArray[np.int64], n_plans: int, n_people: int, key_flat: NDArray[Any],
                      offered: NDArray[np.bool_], offered_step: int, sentinel: int,
                      customer_since: NDArray[np.int16]) -> tuple[NDArray[Any], ...]:
    """The pairs ``numpy_churn`` examines: flat, plan, person, key (int64), live customer."""
    flat = (np.arange(n_plans)[:, None] * n_people + people[None, :]).ravel()
    key = key_flat.take(flat).astype(np.int64) + offered.take(flat) * np.int64(offered_step)
    live = (key != sentinel) & (customer_since.take(flat) >= 0)
    return flat, np.repeat(np.arange(n_plans), people.size), np.tile(people, n_plans), key, live


def _churn_pairs_args(c: Caller) -> dict[str, Any]:
    sim = c.sim
    return {"people": (c["u_churn"] < np.float64(c["bound"])).nonzero()[0], "n_plans": sim.n_plans,
            "n_people": sim.n_people, **_offers(sim), "sentinel": sim.layout.sentinel,
            "customer_since": sim.state.flat("customer_since")}


def _churn_args(c: Caller) -> dict[str, Any]:
    sim = c.sim
    flat, plan, person, key, live = numpy_churn_pairs(*_churn_pairs_args(c).values())
    at = live.nonzero()[0]
    b, state = sim.behaviour, sim.state
    hazard = numpy_hazard(flat.take(at), person.take(at), sim.world.people.segment, sim.segment_hazard,
                          state.flat("satisfaction"), b.baseline_satisfaction,
                          b.satisfaction_churn_elasticity, state.flat("purchases"),
                          b.loyalty_threshold_purchases, b.loyal_hazard_multiplier)
    return {"u": c["u_churn"], "flat": flat, "plan": plan, "person": person, "key": key,
            "live_customer": live, "hazard": hazard, "per_excess": sim.behaviour.churn_per_excess_contact,
            "excess": c["tables"]["excess"],
            "dropout": compared_with_float32(sim.world.scenario.market.prospect_dropout_weekly),
            "sentinel": sim.layout.sentinel, "week": c["week"], "lapse_week": sim.state.flat("lapse_week"),
            "lapse_overmessaging": sim.state.flat("lapse_overmessaging"), "n_plans": sim.n_plans}


_PURCHASE_RECORDS = {"revenue": "revenue_discounted", "remote_revenue": "remote_revenue_discounted",
                     "counts": "purchases_by_channel", "spend": "spend_by_channel",
                     "orders": "orders_discounted", "network": "network_discounted"}
_PURCHASE_STATE = {"customer_since": "customer_since", "purchases": "purchases",
                   "second_week": "second_purchase_week", "last_week": "last_purchase_week",
                   "channels_bought": "channels_bought"}


def _buyer_slots(c: Caller) -> NDArray[np.int64]:
    return c.sim.state.records.slot.take(c["buyers"].person).astype(np.int64)  # type: ignore[no-any-return]


def _counts_overflow_args(c: Caller) -> dict[str, Any]:
    return {"counts": c.sim.state.records.table("purchases_by_channel"), "plan": c["buyers"].plan,
            "channel": c["channel"], "slot": _buyer_slots(c)}


def _purchase_writes_args(c: Caller) -> dict[str, Any]:
    sim, buyers, week = c.sim, c["buyers"], c["week"]
    table, state = sim.state.records.table, sim.state.flat
    gain = sim.behaviour.purchase_satisfaction_gain
    return {"flat": buyers.flat, "plan": buyers.plan, "slot": _buyer_slots(c), "channel": c["channel"],
            "net": c["net"], "from_network": c["from_network"], "physical": sim.world.channels.physical,
            "discount": float(sim.discount[week]), "week": week,
            "gain": np.result_type(np.float32, gain).type(gain),
            **{arg: table(name) for arg, name in _PURCHASE_RECORDS.items()},
            **{arg: state(name) for arg, name in _PURCHASE_STATE.items()},
            "experience": sim.experience, "channel_weekly": sim.channel_weekly[:, week]}


def _walk_args(c: Caller) -> dict[str, Any]:
    sim, journeys = c.sim, c["journeys"]
    return {"world": sim.world, "paths": sim.paths, "streams": sim.streams, "week": c["week"],
            "person": journeys.person, "plan": journeys.plan, "levels": c["levels"],
            "recognised": c["recognised"], "repeat": c["repeat"]}


def _place_args(c: Caller) -> dict[str, Any]:
    store = c.sim._store
    return {"slot": store.slot, "used": store.used, "person": c["person"]}


def _lookup_args(c: Caller) -> dict[str, Any]:
    return {"table": c["table"], "index": c["last_week"], "lo": c["lo"], "out": c["out"]}


def _below_args(c: Caller) -> dict[str, Any]:
    return {"u": c["u_churn"], "bound": c["bound"]}


def _between_args(c: Caller) -> dict[str, Any]:
    sim, s = c.sim, c["s"]
    low, high = sorted((sim.recognised_shares[s], c["shares"][s]))
    return {"u": sim.recognition_u, "low": low, "high": high}


def _below_at_args(c: Caller) -> dict[str, Any]:
    sim, who = c.sim, c["who"]
    return {"u": sim.recognition_u, "person": who.person, "threshold": sim._recognised_shares(c["levels"]),
            "plan": who.plan}


def _annoyed_args(c: Caller) -> dict[str, Any]:
    sim = c.sim
    return {"table": sim._tables_cache["annoyed"], "index": sim.keys.flat}


def _hazard_inputs_args(c: Caller) -> dict[str, Any]:
    sim, who = c.sim, c["who"]
    b, state = sim.behaviour, sim.state
    return {"flat": who.flat, "person": who.person, "segment": sim.world.people.segment,
            "segment_hazard": sim.segment_hazard, "satisfaction": state.flat("satisfaction"),
            "baseline": np.float32(b.baseline_satisfaction), "purchases": state.flat("purchases"),
            "loyalty_threshold": b.loyalty_threshold_purchases}


def _scale_where_args(c: Caller) -> dict[str, Any]:
    return {"values": c["hazard"], "where": c["loyal"],
            "factor": np.float32(c.sim.behaviour.loyal_hazard_multiplier)}


def _mark_args(c: Caller) -> dict[str, Any]:
    return {"flags": c.sim.touched, "at": c["flat"]}


def _set_annoyance_args(c: Caller) -> dict[str, Any]:
    sim = c.sim
    return {"annoyed": sim.annoyed, "key": sim.keys.flat, "annoyance": c["tables"]["annoyance"],
            "experience": sim.experience}


def _table_at_args(c: Caller) -> dict[str, Any]:
    return {"table": c["known"], "index": c["keys"], "at": np.asarray(c["person"], dtype=np.int64)}


def _where_table_args(c: Caller) -> dict[str, Any]:
    return {"table": c["known"], "index": c["keys"]}


def _totals_by_plan_args(c: Caller) -> dict[str, Any]:
    sim = c.sim
    return {"plan": c["plan"], "count": c["count"], "flag": sim.offered.take(c["flat"]),
            "n_plans": sim.n_plans}


_LOSS_ENDS = np.array([end for end, *_ in JOURNEY_LOSSES], dtype=np.int8)


def _journey_outcomes_args(c: Caller) -> dict[str, Any]:
    sim, journeys, walk = c.sim, c["journeys"], c["walk"]
    return {"flat": journeys.flat, "plan": journeys.plan, "start": walk.start, "final": walk.final,
            "end": walk.end, "segment": walk.segment, "satisfaction_loss": walk.satisfaction_loss,
            "used": walk.channels_used, "events": walk.events,
            "expected_order_value": sim.paths.expected_order_value, "loss_ends": _LOSS_ENDS,
            "bought_end": int(JourneyEnd.BOUGHT), "experience": sim.experience,
            "channels_used": sim.state.flat("channels_used"), "flows": sim.flows.reshape(-1),
            "n_plans": sim.n_plans}


def _take_slots_args(c: Caller) -> dict[str, Any]:
    return {"table": c.sim.table(c["name"]), "slots": c["slots"]}


def _history_weeks_args(c: Caller) -> dict[str, Any]:
    return {"table": c.sim.weeks, "slots": c["slots"]}


_FEATURE_GATHERS: dict[str, Callable[[Caller], tuple[Any, Any]]] = {
    "history.weeks": lambda c: (c["history"].weeks[c["channel"]], c["history_slots"]),
    "purchases_by_channel": lambda c: (c["records"].table("purchases_by_channel")[c["channel"]], c["slots"]),
    "spend_by_channel": lambda c: (c["records"].table("spend_by_channel")[c["channel"]], c["slots"]),
}
"""The record each gather of ``_channel_features_of_slots`` reads, told apart by its line."""


def _feature_gather_args(c: Caller) -> dict[str, Any]:
    which = [record for record in _FEATURE_GATHERS if record in c.line]
    if len(which) != 1:
        raise KeyError(f"{c.where}: which record does {c.line.strip()!r} gather? update _FEATURE_GATHERS")
    table, index = _FEATURE_GATHERS[which[0]](c)
    return {"table": table, "index": index}


def _set_by_slot_args(c: Caller) -> dict[str, Any]:
    history, purchases = c.sim, c["purchases"]
    return {"table": history.weeks, "row": purchases.channel, "person": purchases.person,
            "slot": history.slot, "value": c["week"] + 1}


def _uniforms_args(c: Caller) -> dict[str, Any]:
    streams = c.sim
    if "draws" in c.names:  # uniform_block
        offsets = streams.offsets(tuple(c["draws"]), c["week"])
    else:  # uniform
        offsets = np.array([streams._offset(c["kind"], c["week"], c["step"])], dtype=np.uint32)
    return {"offsets": offsets, "person": c["person"]}


def _rewound(generator: np.random.Generator, outputs: int) -> np.random.PCG64:
    """A copy of ``generator``'s PCG64 as it was ``outputs`` raw outputs ago."""
    bit_generator = copy.deepcopy(generator.bit_generator)
    assert isinstance(bit_generator, np.random.PCG64)
    bit_generator.advance(-outputs)
    return bit_generator


def _floats_from_raw_args(c: Caller) -> dict[str, Any]:
    out = c["out"]
    # The call drew the raw outputs already: read them again from a rewound copy of the generator.
    return {"raw": _rewound(c["generator"], out.size // 2).random_raw(out.size // 2), "out": out}


# References from the named arguments ----------------------------------------------------------


def _unsubscribes(c: Caller, a: dict[str, Any]) -> Any:
    largest = a["per_contact"] * float(a["excess"].max())
    return numpy_unsubscribes(a["u"], largest, *list(a.values())[2:])


def _open_journeys(c: Caller, a: dict[str, Any]) -> Any:
    return numpy_open_journeys(
        a["u"], a["people"], a["n_plans"], a["key_flat"], a["offered"], a["offered_step"], a["sentinel"],
        a["intent_table"], a["propensity"], a["repeat_propensity"] if a["has_repeat"] else None,
        a["is_customer"], a["offer_factor"] if a["has_offer_factor"] else None, a["cap"],
        (a["customer_since"], a["existing"], c.sim.behaviour.new_customer_intent_boost,
         c.sim.behaviour.new_customer_boost_half_life, c["week"]) if a["has_boost"] else None)


def _drift(c: Caller, a: dict[str, Any]) -> None:
    satisfaction = a["satisfaction"]
    satisfaction -= a["base"]
    satisfaction *= a["keep"]
    satisfaction += a["base"]


def _settle(c: Caller, a: dict[str, Any]) -> Any:
    b = c.sim.behaviour
    return numpy_settle_satisfaction(c["parts"], a["touched"], a["experience"], a["satisfaction"],
                                     a["key_flat"], a["is_customer"], b.baseline_satisfaction,
                                     b.satisfaction_smoothing, a["n_people"], a["n_plans"])


def _churn(c: Caller, a: dict[str, Any]) -> Any:
    sim = c.sim
    hazard_of = np.zeros(sim.n_plans * sim.n_people, dtype=np.float32)
    hazard_of[a["flat"][a["live_customer"]]] = a["hazard"]
    return numpy_churn(a["u"], c["bound"], a["n_plans"], sim.keys.flat, sim.offered, sim.layout.offered_step,
                       a["sentinel"], sim.state.flat("customer_since"), hazard_of, a["per_excess"],
                       a["excess"], sim.world.scenario.market.prospect_dropout_weekly, a["week"],
                       a["lapse_week"], a["lapse_overmessaging"])


def _counts_overflow(c: Caller, a: dict[str, Any]) -> bool:
    counts = a["counts"]
    return bool((counts[a["plan"], a["channel"], a["slot"]] >= np.iinfo(counts.dtype).max).any())


def _purchase_writes(c: Caller, a: dict[str, Any]) -> Any:
    sim = c.sim
    state = {name: a[arg] for arg, name in _PURCHASE_STATE.items()}
    return numpy_purchase_writes(
        sim.state.records, a["flat"], a["plan"], c["buyers"].person, a["channel"], a["net"],
        a["from_network"], a["physical"], sim.discount[a["week"]], a["week"],
        sim.behaviour.purchase_satisfaction_gain, state, a["experience"], a["channel_weekly"])


def _lookup(c: Caller, a: dict[str, Any]) -> Any:
    return features.exact_recency(a["index"], c["week"], a["out"])


def _open_candidates(c: Caller, a: dict[str, Any]) -> Any:
    factor = a["offer_factor"] if a["has_offer_factor"] else None
    return numpy_open_candidates(a["u"], a["bound"], a["offered"],
                                 numpy_offered_bound(a["bound"], a["offered"], a["offer_bound"], factor))


def _below(c: Caller, a: dict[str, Any]) -> Any:
    return (a["u"] < np.float64(c["bound"])).nonzero()[0]  # exactly, in float64


def _take(c: Caller, a: dict[str, Any]) -> Any:
    return a["table"].take(a["index"])


def _hazard_inputs(c: Caller, a: dict[str, Any]) -> Any:
    return (a["segment_hazard"].take(a["segment"].take(a["person"])),
            a["satisfaction"].take(a["flat"]) - a["baseline"],
            a["purchases"].take(a["flat"]) >= a["loyalty_threshold"])


def _scale_where(c: Caller, a: dict[str, Any]) -> None:
    a["values"][a["where"]] *= a["factor"]


def _mark(c: Caller, a: dict[str, Any]) -> None:
    a["flags"][a["at"]] = True


def _totals_by_plan(c: Caller, a: dict[str, Any]) -> Any:
    totals = np.zeros((a["n_plans"], 2))
    numpy_count_many(totals, [0, 1], a["plan"], np.stack([a["count"], a["count"] * a["flag"]]), a["n_plans"])
    return totals


def _journey_outcomes(c: Caller, a: dict[str, Any]) -> Any:
    """``numpy_journey_outcomes`` into a scratch tally, returned as the kernel returns it."""
    walk, n_plans, losses = c["walk"], a["n_plans"], a["loss_ends"].size
    n_events = walk.events.shape[0]
    tally = np.zeros((n_plans, n_events + 2 * losses))
    hurt, bought = numpy_journey_outcomes(
        tally, list(range(n_events)), list(range(n_events, n_events + 2 * losses)), a["flat"], a["plan"],
        walk, a["expected_order_value"], a["loss_ends"], a["experience"], a["channels_used"], c.sim.flows,
        n_plans)
    lost_by = walk.end[None, :] == a["loss_ends"][:, None]
    lost_value = lost_by * a["expected_order_value"][walk.segment, walk.final]
    return (hurt, bought.nonzero()[0], tally[:, :n_events].astype(np.int64),
            tally[:, n_events:n_events + losses].astype(np.int64), lost_value)


def _take_columns(c: Caller, a: dict[str, Any]) -> Any:
    return np.take(a["table"], a["slots"], axis=-1)


def _set_by_slot(c: Caller, a: dict[str, Any]) -> None:
    a["table"][a["row"], a["slot"].take(a["person"])] = a["value"]


def _uniforms(c: Caller, a: dict[str, Any]) -> Any:
    draws = c["draws"] if "draws" in c.names else [(c["kind"], c["step"])]
    return numpy_uniform_block(c.sim, draws, c["week"], a["person"])


def _floats_from_raw(c: Caller, a: dict[str, Any]) -> Any:
    """What ``Generator.random`` draws from the same outputs (the path without the kernel)."""
    out = a["out"]
    generator = np.random.Generator(_rewound(c["generator"], out.size // 2))
    return generator.random(dtype=np.float32, out=out)


def _in_order(reference: Callable[..., Any]) -> Callable[[Caller, dict[str, Any]], Any]:
    """A reference that takes the kernel's arguments in the kernel's order."""
    return lambda c, a: reference(*a.values())


WIRING: tuple[Wire, ...] = (
    Wire(engine, "refresh_keys_kernel", _refresh_keys_args, _in_order(numpy_refresh_keys)),
    Wire(engine, "set_keys_kernel", _set_keys_args, _in_order(numpy_set_keys)),
    Wire(engine, "between", _between_args, _in_order(numpy_between)),
    Wire(engine, "gather", _annoyed_args, _take),
    Wire(engine, "set_annoyance", _set_annoyance_args, _in_order(numpy_set_annoyance)),
    Wire(engine, "mark", _mark_args, _mark),
    Wire(engine, "table_at", _table_at_args, _in_order(numpy_table_at)),
    Wire(engine, "where_table", _where_table_args, _in_order(numpy_where_table)),
    Wire(engine, "unsubscribes_kernel", _unsubscribes_args, _unsubscribes),
    Wire(engine, "contact_conflicts_kernel", _contact_conflicts_args, _in_order(numpy_contact_conflicts)),
    Wire(engine, "open_candidates", _open_candidates_args, _open_candidates),
    Wire(engine, "open_journeys_kernel", _open_journeys_args, _open_journeys),
    Wire(engine, "totals_by_plan", _totals_by_plan_args, _totals_by_plan),
    Wire(engine, "below_at", _below_at_args, _in_order(numpy_below_at)),
    # The walk is replaced where the engine calls it: walk_journeys' own call of walk_kernel is
    # compared with numpy_walk_journeys in test_kernels.py.
    Wire(engine, "walk_journeys", _walk_args, lambda c, a: numpy_walk_journeys(**a)),
    Wire(engine, "journey_outcomes_kernel", _journey_outcomes_args, _journey_outcomes),
    Wire(engine, "counts_overflow", _counts_overflow_args, _counts_overflow),
    Wire(engine, "purchase_writes_kernel", _purchase_writes_args, _purchase_writes),
    Wire(engine, "drift_kernel", _drift_args, _drift),
    Wire(engine, "settle_satisfaction_kernel", _settle_args, _settle),
    Wire(engine, "below", _below_args, _below),
    Wire(engine, "churn_pairs_kernel", _churn_pairs_args, _in_order(numpy_churn_pairs)),
    Wire(engine, "hazard_inputs", _hazard_inputs_args, _hazard_inputs),
    Wire(engine, "scale_where", _scale_where_args, _scale_where),
    Wire(engine, "churn_kernel", _churn_args, _churn),
    Wire(records, "place_kernel", _place_args, _in_order(numpy_place)),
    Wire(records, "gather_columns", _take_slots_args, _take_columns),
    Wire(features, "lookup", _lookup_args, _lookup),
    Wire(features, "gather", _feature_gather_args, _take),
    Wire(features, "gather_columns", _history_weeks_args, _take_columns),
    Wire(features, "set_by_slot", _set_by_slot_args, _set_by_slot),
    Wire(random_streams, "uniforms", _uniforms_args, _uniforms),
    Wire(random_streams, "floats_from_raw", _floats_from_raw_args, _floats_from_raw),
)
"""Each kernel name an engine module calls, the kernel's arguments by name, and its numpy reference."""

NOT_WIRED = {("simulation.core.journey", "walk_kernel"), ("simulation.core.engine", "compared_with_float32"),
             ("simulation.core.journey", "compared_with_float32")}
"""Kernel-package names the engine modules import that :data:`WIRING` leaves alone: the walk kernel
(see its row) and a helper that rounds a threshold (``test_kernels.py``)."""


# Running with the references --------------------------------------------------------------------


def _same(given: Any, named: Any) -> bool:
    """Whether the call passed what the row names: equal arrays, equal numbers, the same object."""
    if isinstance(given, np.ndarray) or isinstance(named, np.ndarray):
        given, named = np.asarray(given), np.asarray(named)
        return given.dtype == named.dtype and given.shape == named.shape and bool(
            np.array_equal(given, named, equal_nan=given.dtype.kind == "f"))
    if isinstance(given, (bool, int, float, np.number, np.bool_)):
        return bool(given == named)
    return given is named


def _serial_names(dispatcher: Callable[..., Any], n_args: int) -> list[str] | None:
    """The parameter names of the serial variant a ``*args`` dispatcher calls, if it takes them flat.

    The compiled function (not a ``_par`` one) of the dispatcher's module that it names and that
    takes ``n_args`` parameters; None if there is none (the key kernels pack theirs in tuples).
    """
    module = sys.modules[dispatcher.__module__]
    for name in dispatcher.__code__.co_names:
        serial = getattr(getattr(module, name, None), "py_func", None)
        if serial is not None and not name.endswith("_par"):
            names = list(inspect.signature(serial).parameters)
            if len(names) == n_args:
                return names
    return None


def _bound(wire: Wire, function: Callable[..., Any], named: dict[str, Any], args: tuple[Any, ...],
           kwargs: dict[str, Any]) -> dict[str, Any]:
    """The call's arguments by the kernel's parameter names (the row must name them in order).

    A kernel that takes ``*args`` after its first parameters (a dispatcher between a serial and a
    parallel variant, :mod:`simulation.core.kernels.threads`) is checked against its serial
    variant's names where that takes them flat, else against the names before ``*args``; the
    call's arguments are then taken in the order the row names them.
    """
    signature = inspect.signature(function)
    parameters = list(signature.parameters.values())
    names = [p.name for p in parameters]
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        assert not kwargs and len(args) == len(named), (wire.name, len(args), list(named))
        first = names[:[p.kind for p in parameters].index(inspect.Parameter.VAR_POSITIONAL)]
        expected = _serial_names(function, len(args)) or [*first, *list(named)[len(first):]]
        assert list(named) == expected, (wire.name, list(named), expected)
        return dict(zip(named, args, strict=True))
    assert list(named) == names[:len(named)], (wire.name, list(named))
    assert all(p.default is not p.empty for p in parameters[len(named):]), wire.name
    given = signature.bind(*args, **kwargs)
    given.apply_defaults()
    return dict(given.arguments)


def _patched(wire: Wire, calls: Counter[str], mismatches: list[str]) -> Callable[..., Any]:
    """What the module calls instead of ``wire.name``: the reference, from the named arguments."""
    original = getattr(wire.module, wire.name)
    function = getattr(original, "py_func", original)

    def call(*args: Any, **kwargs: Any) -> Any:
        frame = sys._getframe(1)
        caller = Caller(dict(frame.f_locals), f"{frame.f_code.co_name} (calling {wire.name})",
                        linecache.getline(frame.f_code.co_filename, frame.f_lineno))
        named = wire.named(caller)
        given = _bound(wire, function, named, args, kwargs)
        mismatches.extend(f"{wire.label}({name}=...) is not the row's {name}"
                          for name, value in named.items()
                          if value is not ANY and not _same(given[name], value))
        calls[wire.label] += 1
        return wire.reference(caller, named)

    return call


def _frames(results: Results) -> dict[str, pd.DataFrame]:
    return {**results.frames(), "customers": results.customers}


def _run(scenario: Scenario, targeting: Callable[[], TargetingPolicy] | None) -> dict[str, pd.DataFrame]:
    return _frames(simulate(scenario, targeting=None if targeting is None else targeting()))


def _eight_channels(scenario: Scenario) -> Scenario:
    """Three more digital channels (3 plans x 3 segments x 16 x 2^8 keys: int32 keys)."""
    extra = ["email", "sms", "catalogue"]
    web = next(c for c in scenario.channels if c.name == "web")
    channels = [*scenario.channels, *(web.model_copy(update={"name": n}) for n in extra)]
    segments = [s.model_copy(update={"channel_preference": s.channel_preference | dict.fromkeys(extra, 0.05)})
                for s in scenario.segments]
    return scenario.replace(channels=channels, segments=segments)


def _changed(**changes: Any) -> Callable[[Scenario], Scenario]:
    return lambda scenario: scenario.replace(**changes)


@dataclass(frozen=True)
class Variant:
    """A scenario that reaches some of the engine's paths."""

    scenario: Callable[[Scenario], Scenario]
    targeting: Callable[[], TargetingPolicy] | None = None
    """None: the default policy (learned targeting)."""
    unreached: frozenset[str] = frozenset()
    """Kernels the variant does not call (so their rows are not checked to be called)."""
    parallel: bool = False
    """Whether the kernel run takes the kernels' parallel variants (two threads, small chunks)."""


_LEARNING = frozenset({"features.lookup", "features.gather", "features.gather_columns",
                       "features.set_by_slot", "records.gather_columns", "engine.where_table"})
"""What only the learned targeting calls: its features, and the list of everyone eligible (random
targeting asks whether drawn people are eligible, ``table_at``)."""

VARIANTS = {
    "default": Variant(_changed()),
    "one journey a week, random offers": Variant(
        _changed(behaviour__max_journeys_per_week=1), RandomTargeting, _LEARNING),
    "new-customer boost, drop-out after purchase": Variant(
        _changed(behaviour__new_customer_intent_boost=0.8, behaviour__dropout_after_purchase=0.15)),
    "heavy messaging, no drift, people's own traits": Variant(
        _changed(behaviour__unsubscribe_per_excess_contact=0.2, behaviour__churn_per_excess_contact=0.05,
                 behaviour__satisfaction_half_life_weeks=0.0, behaviour__repeat_propensity_correlation=0.5,
                 behaviour__channel_breadth_mean=0.5, economics__offer_response_intent_elasticity=0.5),
        unreached=frozenset({"engine.drift_kernel"})),
    "eight channels (int32 keys)": Variant(_eight_channels, RandomTargeting, _LEARNING),
    "default, parallel kernels": Variant(_changed(), parallel=True),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_engine_matches_numpy_reference_steps(small_scenario: Scenario, variant: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    case = VARIANTS[variant]
    scenario = case.scenario(small_scenario)
    if variant.startswith("eight channels"):
        assert KeyLayout.of(3, len(scenario.segments), len(scenario.channels)).dtype == np.int32
    if case.parallel:
        threads.set_threads(2)
        try:
            with threads.always_parallel(64):  # small chunks: a 4000-person run crosses many
                kernels = _run(scenario, case.targeting)
        finally:
            threads.set_threads(None)
    else:
        kernels = _run(scenario, case.targeting)

    calls: Counter[str] = Counter()
    mismatches: list[str] = []
    for wire in WIRING:
        monkeypatch.setattr(wire.module, wire.name, _patched(wire, calls, mismatches))
    references = _run(scenario, case.targeting)

    problems = sorted(set(mismatches))
    assert kernels.keys() == references.keys()
    for name, frame in kernels.items():
        try:
            pd.testing.assert_frame_equal(frame, references[name], check_exact=True)
        except AssertionError as error:
            problems.append(f"frame {name}: {str(error).splitlines()[0]}")
    assert not problems, "\n".join(problems)
    expected = {wire.label for wire in WIRING} - case.unreached
    assert {name for name in expected if calls[name] == 0} == set(), calls
    assert {name for name in case.unreached if calls[name]} == set(), calls  # no stale entry


def _kernel_like(value: Any) -> bool:
    """Whether ``value`` is a function of the kernels package (compiled or not).

    Not the thread setting's (:mod:`simulation.core.kernels.threads`: ``one_thread``, which the
    analyses' workers call, computes nothing).
    """
    module = getattr(getattr(value, "py_func", value), "__module__", "") or ""
    return callable(value) and module.startswith("simulation.core.kernels") and module != threads.__name__


def test_every_kernel_the_engine_calls_is_wired(small_scenario: Scenario) -> None:
    """Every kernel-package name a simulation module holds has a row (or is left alone on purpose)."""
    simulate(small_scenario.replace(market__population=200, market__horizon_weeks=8))  # imports all
    wired = {(wire.module.__name__, wire.name) for wire in WIRING}
    used = {(module, name) for module, loaded in list(sys.modules.items())
            if module.startswith(simulation.__name__ + ".") and ".kernels" not in module
            for name, value in vars(loaded).items() if _kernel_like(value)}
    assert used - wired - NOT_WIRED == set()
    assert {(m, n) for m, n in wired if n != "walk_journeys"} <= used

