"""The unit of work of every analysis: a set of capability plans simulated on one scenario.

A :class:`PlanTask` is small, hashable and picklable (the scenario travels as canonical JSON), so
joblib can ship it to a worker, cache its result on disk and recognise duplicates. Because the
engine uses common random numbers, a plan's numbers do not depend on which plans share its run:
the 64 Shapley subsets can be split into chunks run on different cores and still give exactly
the numbers of one 64-plan run.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simulation.analysis.parallel import (
    PROGRESS_SIMULATING,
    CancelCheck,
    ProgressCallback,
    Task,
    available_workers,
    run_tasks,
)
from simulation.core.api import revalue, simulate_plans
from simulation.core.scenario import Capability, CapabilityLevels, Scenario

WEEKLY_COLUMNS = ("net_contribution", "discounted_net_contribution", "active_customers",
                  "net_revenue")
"""Weekly series a task keeps when asked (for fan charts and payback curves)."""

PlanLevels = tuple[float, ...]
"""Capability levels in :class:`Capability` order."""


def levels_tuple(plan: CapabilityLevels) -> PlanLevels:
    """A plan's six levels in :class:`Capability` order (hashable)."""
    return tuple(plan.of(c) for c in Capability)


def plan_from_levels(levels: Sequence[float]) -> CapabilityLevels:
    """Inverse of :func:`levels_tuple`."""
    return CapabilityLevels(**{c.value: float(x) for c, x in zip(Capability, levels, strict=True)})


def plan_levels(plans: Mapping[str, CapabilityLevels]) -> dict[str, PlanLevels]:
    """``plans`` with hashable level tuples, in the same order (the first stays the baseline).

    ``plan_levels(standard_plans(scenario))`` gives the three standard plans
    (:func:`simulation.core.world.standard_plans`).
    """
    return {name: levels_tuple(levels) for name, levels in plans.items()}


@dataclass(frozen=True)
class PlanTask:
    """Simulate ``plans`` on the scenario given as canonical JSON.

    Attributes
    ----------
    scenario_json:
        :meth:`Scenario.canonical_key` of the scenario (seed included).
    plans:
        ``(name, levels)`` pairs; the first is the baseline of ``npv_gain``.
    keep_weekly:
        Whether to return the :data:`WEEKLY_COLUMNS` series.
    """

    scenario_json: str
    plans: tuple[tuple[str, PlanLevels], ...]
    keep_weekly: bool = False
    size_factors: tuple[float, ...] = ()
    """Business sizes (x the scenario's) at which to value the run again, without simulating
    (:func:`at_size`); their KPIs come back in ``by_size``."""

    @classmethod
    def of(cls, scenario: Scenario, plans: Mapping[str, PlanLevels], *,
           keep_weekly: bool = False, size_factors: Sequence[float] = ()) -> PlanTask:
        """The task that runs ``plans`` (name to capability levels) on ``scenario``."""
        return cls(scenario.canonical_key(), tuple((k, tuple(v)) for k, v in plans.items()),
                   keep_weekly, tuple(float(f) for f in size_factors))

    @property
    def cost(self) -> float:
        """Relative work (plans x people x weeks) for progress bars and estimates."""
        market = Scenario.from_json(self.scenario_json).market
        return float(len(self.plans) * market.population * market.horizon_weeks)


@dataclass(frozen=True)
class PlanOutcome:
    """What a task returns: KPIs by plan (index ``strategy``) and optionally weekly series."""

    kpis: pd.DataFrame
    weekly: pd.DataFrame | None
    by_size: pd.DataFrame | None = None
    """One row per size factor and plan: size_factor, strategy, npv, npv_gain, revenue."""


def at_size(scenario: Scenario, factor: float) -> Scenario:
    """``scenario``'s business scaled by ``factor``.

    Scales the market size (at least 100 people), stores (at least one if it has any), stated
    annual revenue and orders per year. Behaviour is unchanged, so a run values at any size.
    """
    business = scenario.business
    stores = max(1, round(business.stores * factor)) if business.stores > 0 else 0
    return scenario.replace(
        market__market_size=max(100, round(scenario.market.market_size * factor)),
        business__stores=stores, business__annual_revenue=business.annual_revenue * factor,
        business__orders_per_year=business.orders_per_year * factor)


def run_plan_task(task: PlanTask) -> PlanOutcome:
    """Simulate one task (a module-level function, so joblib workers can import it)."""
    scenario = Scenario.from_json(task.scenario_json)
    plans = {name: plan_from_levels(levels) for name, levels in task.plans}
    results = simulate_plans(scenario, plans, segments=False)
    weekly = None
    if task.keep_weekly:
        weekly = results.weekly[["strategy", "week", *WEEKLY_COLUMNS]].copy()
    by_size = None
    if task.size_factors:
        parts = []
        for factor in task.size_factors:
            kpis = revalue(results, at_size(scenario, factor), segments=False).kpis
            part = kpis[["npv", "npv_gain", "revenue"]].reset_index()
            part.insert(0, "size_factor", factor)
            parts.append(part)
        by_size = pd.concat(parts, ignore_index=True)
    return PlanOutcome(kpis=results.kpis.copy(), weekly=weekly, by_size=by_size)


@dataclass(frozen=True)
class Execution:
    """How an analysis runs its tasks (see :func:`simulation.analysis.parallel.run_tasks`).

    Attributes
    ----------
    n_jobs:
        Worker processes, joblib convention (``None`` = every core, 1 = in this process).
    progress:
        ``callback(fraction_done, message)``.
    should_cancel:
        Returns True to stop between tasks (:class:`AnalysisCancelled` is raised).
    cache_dir:
        Folder where each task's result is cached (``joblib.Memory``); ``None`` = no cache.
    """

    n_jobs: int | None = None
    progress: ProgressCallback | None = None
    should_cancel: CancelCheck | None = None
    cache_dir: str | Path | None = None


def run_plan_tasks(tasks: Sequence[PlanTask], execution: Execution | None = None, *,
                   label: str = PROGRESS_SIMULATING) -> list[PlanOutcome]:
    """Run plan tasks in parallel; results in task order (duplicates computed once)."""
    execution = execution or Execution()
    return run_tasks(
        run_plan_task, [Task(t, t.cost) for t in tasks], n_jobs=execution.n_jobs,
        progress=execution.progress, should_cancel=execution.should_cancel,
        cache_dir=execution.cache_dir, label=label,
    )


@dataclass(frozen=True)
class RunSeconds:
    """Measured cost of one run of a scenario's size: a fixed part and a part per plan."""

    fixed: float
    per_plan: float

    def of(self, plans: int) -> float:
        """Seconds for a run of ``plans`` plans in lockstep."""
        return self.fixed + self.per_plan * plans


_RUN_SECONDS: dict[tuple[int, int, int, int], RunSeconds] = {}
WORKER_START_SECONDS = 2.0
"""Time for joblib's worker processes to start and import the engine (measured on 2 cores)."""


def run_seconds(scenario: Scenario) -> RunSeconds:
    """Seconds to simulate plans of ``scenario``, from timed pilot runs of one and two plans.

    Plans in lockstep share the weekly loop, training rounds and draws, so a run of p plans
    costs much less than p one-plan runs; the two pilots measure the fixed and per-plan parts.
    The pilots are run once per population, horizon and table size in this process.
    """
    key = (scenario.market.population, scenario.market.horizon_weeks, len(scenario.channels),
           len(scenario.segments))
    if key not in _RUN_SECONDS:
        seconds = []
        for plans in (1, 2):
            started = time.perf_counter()
            simulate_plans(scenario, {f"pilot {i}": CapabilityLevels.uniform(i / 2)
                                      for i in range(plans)})
            seconds.append(time.perf_counter() - started)
        one, two = seconds
        per_plan = min(max(two - one, 0.2 * one), one)
        _RUN_SECONDS[key] = RunSeconds(fixed=one - per_plan, per_plan=per_plan)
    return _RUN_SECONDS[key]


def estimate_seconds(scenario: Scenario, tasks: Sequence[PlanTask],
                     n_jobs: int | None = None) -> float:
    """Wall-clock seconds the tasks should take, from a timed pilot run of ``scenario``.

    Parameters
    ----------
    scenario:
        Sets the population and horizon of the pilot; the tasks should share them.
    tasks:
        The work; duplicates count once.
    n_jobs:
        Worker processes (joblib convention).
    """
    distinct = list(dict.fromkeys(tasks))
    seconds = run_seconds(scenario)
    size = scenario.market.population * scenario.market.horizon_weeks
    # A task's size relative to the pilots' (people x weeks) scales its cost.
    work = sum(seconds.of(len(t.plans)) * t.cost / len(t.plans) / size for t in distinct if t.plans)
    workers = min(available_workers(n_jobs), max(len(distinct), 1))
    start = WORKER_START_SECONDS if workers > 1 else 0.0
    return work / workers + start
