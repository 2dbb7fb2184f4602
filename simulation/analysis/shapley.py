"""What each capability is worth: exact Shapley values of the gain over the 2^6 plans.

The gain of a plan over multichannel is split among the six capabilities by their Shapley values:
each capability's marginal contribution to the gain, averaged over every order in which the
capabilities could be added,

    phi_i = sum over S not containing i of |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S)),

where v(S) is the NPV (or CLV) of the plan with the capabilities in S switched on minus that of the
plan with none. The values add up to v(all) - v(none) exactly, and a capability that changes
nothing gets exactly 0 (Shapley 1953; efficiency, null player).

"Switched on" means the capability at level 1 (:attr:`SwitchedOn.FULL`: the split of the
omnichannel gain) or at the scenario's custom-plan level (:attr:`SwitchedOn.CUSTOM`: the split
of the hybrid plan's gain); "off" is level 0. A capability whose on and off levels are equal is a
null player by construction and is left out of the enumeration, so a custom plan with k
capabilities above 0 needs 2^k runs instead of 64.

All subsets run on the same people and draws (common random numbers): the differences
v(S + i) - v(S) carry no seed-to-seed noise, only the effect of the capability.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import combinations

import pandas as pd

from simulation.analysis.runs import (
    Execution,
    PlanLevels,
    PlanOutcome,
    PlanTask,
    levels_tuple,
    run_plan_tasks,
)
from simulation.core.scenario import Capability, CapabilityLevels, Scenario
from simulation.inputs.problems import Progress


class SwitchedOn(StrEnum):
    """The level of a capability that is 'on' in a Shapley subset."""

    FULL = "full"
    CUSTOM = "custom"


def shapley_values(values: Mapping[frozenset[str], float], players: Sequence[str]) -> dict[str, float]:
    """Exact Shapley values of a cooperative game.

    Parameters
    ----------
    values:
        v(S) for every subset S of ``players`` (as frozensets), including the empty set.
    players:
        The players.

    Returns
    -------
    dict
        Player -> Shapley value, in ``players`` order; they sum to v(all) - v(empty).
    """
    n = len(players)
    weight = [math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n) for k in range(n)]
    out = {}
    for player in players:
        others = [p for p in players if p != player]
        total = 0.0
        for k in range(n):
            for subset in combinations(others, k):
                s = frozenset(subset)
                total += weight[k] * (values[s | {player}] - values[s])
        out[player] = total
    return out


def subset_name(subset: frozenset[str]) -> str:
    """``identity+context`` in :class:`Capability` order, ``none`` for the empty set."""
    ordered = [c.value for c in Capability if c.value in subset]
    return "+".join(ordered) if ordered else "none"


def subset_plans(on: CapabilityLevels, off: CapabilityLevels | None = None
                 ) -> tuple[list[str], dict[str, PlanLevels]]:
    """The players (capabilities whose on and off levels differ) and a plan per subset of them.

    The first plan is the empty subset (every capability off).
    """
    off = off or CapabilityLevels.uniform(0.0)
    players = [c.value for c in Capability if on.of(c) != off.of(c)]
    plans = {}
    for k in range(len(players) + 1):
        for subset in combinations(players, k):
            levels = {c.value: (on if c.value in subset else off).of(c) for c in Capability}
            plans[subset_name(frozenset(subset))] = levels_tuple(CapabilityLevels(**levels))
    return players, plans


def shapley_tasks(scenario: Scenario, plans: Mapping[str, PlanLevels], *,
                  chunk_size: int = 8) -> list[PlanTask]:
    """The subset plans in chunks of ``chunk_size`` (one run each, so cores can share them).

    Common random numbers make a plan's numbers independent of its chunk: the chunks give
    exactly what one run of every plan would.
    """
    items = list(plans.items())
    return [PlanTask.of(scenario, dict(items[i : i + chunk_size]))
            for i in range(0, len(items), chunk_size)]


@dataclass(frozen=True)
class CapabilityValue:
    """The gain split across the capabilities.

    Attributes
    ----------
    values:
        One row per capability (every one in the registry): level_on, npv_value, clv_value (Shapley values in
        currency and currency per customer), share_of_gain, alone (NPV gain of that capability
        on its own), last_in (NPV lost if it alone were dropped), rank (1 = largest npv_value).
    subsets:
        One row per simulated subset: subset, size, npv, npv_gain, clv, clv_gain.
    total_npv_gain, total_clv_gain:
        v(all) - v(none): what the values add up to.
    """

    values: pd.DataFrame
    subsets: pd.DataFrame
    total_npv_gain: float
    total_clv_gain: float

    def frames(self) -> dict[str, pd.DataFrame]:
        """The values and the simulated subsets as tables, by export name."""
        return {"shapley_values": self.values, "shapley_subsets": self.subsets}


def capability_value_frame(players: Sequence[str], on: CapabilityLevels, subsets: pd.DataFrame
                           ) -> tuple[pd.DataFrame, float, float]:
    """Shapley values of the NPV and CLV gain from the subset KPIs (index: subset name)."""
    def game(kpi: str) -> dict[frozenset[str], float]:
        values = {}
        for k in range(len(players) + 1):
            for s in combinations(players, k):
                values[frozenset(s)] = float(subsets.loc[subset_name(frozenset(s)), kpi])
        return values

    npv, clv = game("npv_gain"), game("clv_gain")
    phi_npv, phi_clv = shapley_values(npv, players), shapley_values(clv, players)
    everyone = frozenset(players)
    total_npv = npv[everyone] - npv[frozenset()]
    total_clv = clv[everyone] - clv[frozenset()]
    rows = []
    for c in Capability:
        name = c.value
        playing = name in players
        rows.append({
            "capability": name, "level_on": on.of(c),
            "npv_value": phi_npv.get(name, 0.0), "clv_value": phi_clv.get(name, 0.0),
            "share_of_gain": phi_npv.get(name, 0.0) / total_npv if total_npv else float("nan"),
            "alone": npv[frozenset({name})] - npv[frozenset()] if playing else 0.0,
            "last_in": npv[everyone] - npv[everyone - {name}] if playing else 0.0,
        })
    values = pd.DataFrame(rows).sort_values("npv_value", ascending=False, kind="stable")
    values["rank"] = range(1, len(values) + 1)
    return values.reset_index(drop=True), total_npv, total_clv


def shapley_plans(scenario: Scenario, switched_on: SwitchedOn = SwitchedOn.FULL
                  ) -> tuple[list[str], CapabilityLevels, dict[str, PlanLevels]]:
    """Players, the 'on' levels and one plan per subset (first: none) for ``switched_on``."""
    on = CapabilityLevels.uniform(1.0) if switched_on is SwitchedOn.FULL else scenario.custom_plan
    players, plans = subset_plans(on)
    return players, on, plans


def capability_value_from(players: Sequence[str], on: CapabilityLevels,
                          runs: Sequence[PlanOutcome]) -> CapabilityValue:
    """Shapley values from the runs of :func:`shapley_tasks` (plans named by :func:`subset_name`)."""
    kpis = pd.concat([r.kpis for r in runs])
    none = kpis.loc["none"]
    subsets = pd.DataFrame({
        "subset": kpis.index,
        "size": [0 if s == "none" else s.count("+") + 1 for s in kpis.index],
        "npv": kpis["npv"].to_numpy(),
        "npv_gain": (kpis["npv"] - none["npv"]).to_numpy(),
        "clv": kpis["clv"].to_numpy(),
        "clv_gain": (kpis["clv"] - none["clv"]).to_numpy(),
    }).set_index("subset", drop=False)
    values, total_npv, total_clv = capability_value_frame(players, on, subsets)
    return CapabilityValue(values=values, subsets=subsets.reset_index(drop=True),
                           total_npv_gain=total_npv, total_clv_gain=total_clv)


def capability_value(
    scenario: Scenario,
    *,
    switched_on: SwitchedOn = SwitchedOn.FULL,
    chunk_size: int = 8,
    execution: Execution | None = None,
) -> CapabilityValue:
    """Shapley values of the NPV and CLV gain for every capability.

    Parameters
    ----------
    scenario:
        The scenario (one seed: all subsets share its random numbers).
    switched_on:
        Level of a capability that is on: 1 (omnichannel gain) or the custom plan's level.
    chunk_size:
        Plans per run; chunks run in parallel and give the numbers one run would.
    execution:
        Workers, progress, cancellation and cache.
    """
    players, on, plans = shapley_plans(scenario, switched_on)
    runs = run_plan_tasks(shapley_tasks(scenario, plans, chunk_size=chunk_size), execution,
                          label=Progress("progress.label.subsets"))
    return capability_value_from(players, on, runs)
