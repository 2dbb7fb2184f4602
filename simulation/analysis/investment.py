"""How much integration may cost: break-even budget, payback against investment, best plan.

Break-even and payback need no re-simulation. Integration costs are deterministic cash flows that
do not change anyone's behaviour, so scaling every one-off cost by a factor ``k`` changes a plan's
weekly net contribution by ``-(k - 1) x`` its one-off schedule and nothing else. With ``G`` the
NPV gain at today's costs and ``P`` the present value of the extra one-off spend of the plan over
the baseline,

    NPV gain(k) = G - (k - 1) P,        break-even factor k* = 1 + G / P,

and the break-even budget is ``k*`` times the plan's one-off budget (the sum of one-off cost x
level over the capabilities, undiscounted). "Pays back within the horizon" is read in present
value, as the NPV gain at the horizon being >= 0; the undiscounted variant (cumulative cash gain
>= 0 by the last week) is reported beside it.

The best plan under a budget searches capability levels on a grid (default 0, 0.5, 1) whose one-off
cost fits the budget: it evaluates the baseline and every single-capability plan that fits, then
climbs by coordinate ascent (change one capability's level at a time, keep the best change)
until no change raises the NPV. Every batch of candidate plans is one set of runs with common
random numbers, and plans already evaluated are never run again. The result fits the budget and
is at least as good as every single-capability plan that fits; it is a local optimum of the grid,
not a proven global one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from simulation.analysis.runs import (
    Execution,
    PlanLevels,
    PlanOutcome,
    PlanTask,
    levels_tuple,
    plan_from_levels,
    run_plan_task,
    run_plan_tasks,
)
from simulation.core.random_streams import RandomStreams
from simulation.core.recognition import GATED_BY_IDENTITY
from simulation.core.scenario import Capability, CapabilityLevels, Scenario
from simulation.core.valuation import one_off_cost_schedule
from simulation.core.world import build_world
from simulation.inputs.problems import Progress


def payback_week(cumulative_gain: NDArray[np.float64]) -> float:
    """Week from which the cumulative cash gain stays >= 0 (as in :func:`metrics.kpi_frame`).

    0 if it is never negative; NaN if it is still negative in the last week.
    """
    negative = np.flatnonzero(cumulative_gain < 0)
    if not negative.size:
        return 0.0
    week = negative[-1] + 1
    return float(week) if week < cumulative_gain.size else float("nan")


def full_one_off(scenario: Scenario, capability: Capability) -> float:
    """One-off cost of a capability at full level: (fixed + per store x stores) x (1 + overrun)."""
    price = scenario.capability_costs.of(capability)
    return ((price.one_off_cost + price.one_off_per_store * scenario.business.stores)
            * (1.0 + scenario.implementation_risk.one_off_overrun))


def one_off_budget(scenario: Scenario, plan: CapabilityLevels) -> float:
    """Undiscounted one-off cost of a plan (currency).

    The sum over capabilities of the full one-off cost (:func:`full_one_off`) x the level the
    plan adds to what is already in place.
    """
    existing = scenario.existing_capabilities
    return float(sum(max(plan.of(c) - existing.of(c), 0.0) * full_one_off(scenario, c)
                     for c in Capability))


def one_off_schedules(scenario: Scenario, plans: Mapping[str, PlanLevels]) -> NDArray[np.float64]:
    """(S, T) weekly one-off integration spend of each plan, by the engine's own schedule."""
    world = build_world(scenario, RandomStreams(scenario.seed),
                        {name: plan_from_levels(levels) for name, levels in plans.items()})
    return one_off_cost_schedule(world)


@dataclass(frozen=True)
class BreakEven:
    """The break-even investment of one plan against the baseline.

    Attributes
    ----------
    plan, baseline:
        Names of the plans compared.
    budget:
        The plan's one-off budget at today's costs (currency, undiscounted).
    npv_gain:
        NPV gain at today's costs (currency).
    one_off_present_value:
        Present value of the plan's extra one-off spend over the baseline (currency).
    break_even_factor, break_even_budget:
        Scale of all one-off costs, and the resulting budget, at which the NPV gain is 0. NaN
        when no budget, not even 0, pays back (running costs alone outweigh the gain).
    cash_break_even_budget:
        Budget at which the undiscounted cumulative cash gain over the horizon is 0.
    curve:
        One row per factor: factor, budget, npv_gain, payback_week (NaN: not within the horizon).
    """

    plan: str
    baseline: str
    budget: float
    npv_gain: float
    one_off_present_value: float
    break_even_factor: float
    break_even_budget: float
    cash_break_even_budget: float
    curve: pd.DataFrame

    def frames(self) -> dict[str, pd.DataFrame]:
        """The result as tables: ``break_even`` (one row of the scalars) and ``payback_curve``."""
        row = {k: v for k, v in dataclasses.asdict(self).items() if k != "curve"}
        return {"break_even": pd.DataFrame([row]), "payback_curve": self.curve}


def break_even_from(scenario: Scenario, plans: Mapping[str, PlanLevels], run: PlanOutcome, *,
                    plan: str = "omnichannel", factors: Sequence[float] | None = None) -> BreakEven:
    """Break-even budget and payback-vs-investment curve from one finished run.

    Parameters
    ----------
    scenario:
        The scenario that was run.
    plans:
        The plans of the run, the first being the baseline.
    run:
        Its KPIs and weekly series (``keep_weekly=True``).
    plan:
        The plan whose investment is scaled.
    factors:
        Multiples of today's one-off costs for the curve; default 0 to 2.5 x the break-even
        factor (at least 0 to 2) in 51 steps.
    """
    names = list(plans)
    if plan not in names:
        raise ValueError(f"plan {plan!r} is not in the run ({names})")
    if run.weekly is None:
        raise ValueError("break-even needs the run's weekly series (keep_weekly=True)")
    baseline = names[0]
    s, b = names.index(plan), 0
    weekly = run.weekly
    cash = {name: weekly.loc[weekly["strategy"] == name, "net_contribution"].to_numpy()
            for name in (plan, baseline)}
    one_off = one_off_schedules(scenario, plans)
    extra = one_off[s] - one_off[b]
    horizon = extra.size
    discount = 1.0 / (1.0 + scenario.weekly_discount_rate) ** np.arange(horizon)
    cash_gain = cash[plan] - cash[baseline]
    gain = float(run.kpis.loc[plan, "npv"] - run.kpis.loc[baseline, "npv"])
    present = float((extra * discount).sum())
    budget = float(one_off[s].sum())
    factor = 1.0 + gain / present if present > 0 else float("nan")
    cash_factor = 1.0 + cash_gain.sum() / extra.sum() if extra.sum() > 0 else float("nan")
    if factors is None:
        top = max(2.0, 2.5 * factor) if np.isfinite(factor) else 2.0
        factors = [float(x) for x in np.linspace(0.0, top, 51)]
    rows = []
    for k in factors:
        cumulative = np.cumsum(cash_gain - (k - 1.0) * extra)
        rows.append({"factor": float(k), "budget": float(k) * budget,
                     "npv_gain": gain - (k - 1.0) * present, "payback_week": payback_week(cumulative)})
    return BreakEven(
        plan=plan, baseline=baseline, budget=budget, npv_gain=gain, one_off_present_value=present,
        break_even_factor=factor if factor >= 0 else float("nan"),
        break_even_budget=factor * budget if factor >= 0 else float("nan"),
        cash_break_even_budget=cash_factor * budget if cash_factor >= 0 else float("nan"),
        curve=pd.DataFrame(rows),
    )


def break_even(scenario: Scenario, *, target: CapabilityLevels | None = None) -> BreakEven:
    """Simulate the baseline and a plan (default omnichannel) once and find the break-even budget."""
    name = "omnichannel" if target is None else "plan"
    plans = {"multichannel": levels_tuple(CapabilityLevels.uniform(0.0)),
             name: levels_tuple(target or CapabilityLevels.uniform(1.0))}
    run = run_plan_task(PlanTask.of(scenario, plans, keep_weekly=True))
    return break_even_from(scenario, plans, run, plan=name)


def scaled_one_off_costs(scenario: Scenario, factor: float) -> Scenario:
    """``scenario`` with every capability's one-off cost (fixed and per store) x ``factor``."""
    changes: dict[str, float] = {}
    for c in Capability:
        price = scenario.capability_costs.of(c)
        changes[f"capability_costs__{c.value}__one_off_cost"] = price.one_off_cost * factor
        changes[f"capability_costs__{c.value}__one_off_per_store"] = price.one_off_per_store * factor
    return scenario.replace(**changes)


# Best plan under a budget ----------------------------------------------------------------------


def plan_label(levels: PlanLevels) -> str:
    """``identity 1, context 0.5`` (capabilities above 0), ``none`` for multichannel."""
    parts = [f"{c.value} {x:g}" for c, x in zip(Capability, levels, strict=True) if x > 0]
    return ", ".join(parts) if parts else "none"


@dataclass(frozen=True)
class BestPlan:
    """The plan with the highest NPV among those searched whose one-off cost fits the budget.

    Attributes
    ----------
    levels:
        Capability levels of the best plan.
    budget, one_off_cost:
        The budget and what the plan's one-off costs add up to (currency, undiscounted).
    npv, npv_gain:
        Its NPV and NPV gain over multichannel (currency).
    evaluated:
        Every plan simulated: label, one column per capability, one_off_cost, npv, npv_gain,
        step ("baseline", "single", "round 1", ...), best (bool).
    """

    levels: CapabilityLevels
    budget: float
    one_off_cost: float
    npv: float
    npv_gain: float
    evaluated: pd.DataFrame

    def frames(self) -> dict[str, pd.DataFrame]:
        """The search's evaluated plans as the ``best_plan_search`` table."""
        return {"best_plan_search": self.evaluated}



def _budget_label(step: str) -> Progress:
    """What the budget search's progress says it is doing at ``step`` ("single", "round 2")."""
    if step.startswith("round "):
        return Progress("progress.label.budget_round", round=int(step.split()[1]))
    return Progress("progress.label.budget_single")

def best_plan_under_budget(
    scenario: Scenario,
    budget: float,
    *,
    grid: Sequence[float] = (0.0, 0.5, 1.0),
    max_rounds: int = 12,
    chunk_size: int = 8,
    execution: Execution | None = None,
) -> BestPlan:
    """The capability levels that maximize NPV for a one-off budget (coordinate ascent).

    Parameters
    ----------
    scenario:
        The scenario (one seed: all plans share its random numbers).
    budget:
        Largest allowed sum of one-off cost x level (currency, undiscounted).
    grid:
        Levels a capability may take; must include 0.
    max_rounds:
        Most coordinate-ascent rounds after the single-capability round.
    chunk_size:
        Plans per run (chunks run in parallel).
    execution:
        Workers, progress, cancellation and cache.
    """
    if budget < 0:
        raise ValueError(f"budget must be >= 0, got {budget:g}")
    grid = sorted({float(x) for x in grid})
    if 0.0 not in grid or not all(0.0 <= x <= 1.0 for x in grid):
        raise ValueError(f"grid levels must lie in 0..1 and include 0, got {grid}")
    prices = np.array([full_one_off(scenario, c) for c in Capability])
    existing = np.array([scenario.existing_capabilities.of(c) for c in Capability])
    cost_of = lambda levels: float(np.dot(prices, np.maximum(np.asarray(levels) - existing, 0.0)))  # noqa: E731
    tolerance = 1e-9 * max(budget, 1.0)
    npv: dict[PlanLevels, float] = {}
    step_of: dict[PlanLevels, str] = {}

    def evaluate(plans: list[PlanLevels], step: str) -> None:
        todo = [p for p in dict.fromkeys(plans) if p not in npv]
        if not todo:
            return
        named = {plan_label(p): p for p in todo}
        items = list(named.items())
        tasks = [PlanTask.of(scenario, dict(items[i : i + chunk_size]))
                 for i in range(0, len(items), chunk_size)]
        for run in run_plan_tasks(tasks, execution, label=_budget_label(step)):
            for label, value in run.kpis["npv"].items():
                npv[named[str(label)]] = float(value)
                step_of[named[str(label)]] = step

    identity = list(Capability).index(Capability.IDENTITY)
    gated = [list(Capability).index(c) for c in GATED_BY_IDENTITY]
    zero: PlanLevels = (0.0,) * len(Capability)
    singles = [tuple(x if j == i else 0.0 for j in range(len(Capability)))
               for i in range(len(Capability)) for x in grid if x > 0]
    singles = [p for p in singles if cost_of(p) <= budget + tolerance]
    evaluate([zero, *singles], "single")
    step_of[zero] = "baseline"
    current = max([zero, *singles], key=lambda p: npv[p])
    for round_number in range(1, max_rounds + 1):
        moves = [tuple(x if j == i else current[j] for j in range(len(Capability)))
                 for i in range(len(Capability)) for x in grid if x != current[i]]
        # Identity gates context and service (docs/MODEL.md "Identity as the gate"): neither may
        # pay alone, so one-at-a-time moves could stop short of a pair that pays together.
        moves += [tuple(x if j == identity else y if j == i else current[j] for j in range(len(Capability)))
                  for i in gated for x in grid for y in grid
                  if x != current[identity] and y != current[i]]
        moves = [p for p in moves if cost_of(p) <= budget + tolerance]
        evaluate(moves, f"round {round_number}")
        best_move = max(moves, key=lambda p: npv[p], default=current)
        if npv.get(best_move, -np.inf) <= npv[current]:
            break
        current = best_move
    rows = []
    for p, value in npv.items():
        rows.append({"plan": plan_label(p), **{c.value: x for c, x in zip(Capability, p, strict=True)},
                     "one_off_cost": cost_of(p), "npv": value, "npv_gain": value - npv[zero],
                     "step": step_of[p], "best": p == current})
    evaluated = pd.DataFrame(rows)
    return BestPlan(levels=plan_from_levels(current), budget=float(budget),
                    one_off_cost=cost_of(current), npv=npv[current],
                    npv_gain=npv[current] - npv[zero], evaluated=evaluated)
