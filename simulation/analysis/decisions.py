"""The default analysis set in one go: uncertainty, tornado, capability value and break-even.

All tasks of the set go into one parallel batch, so the cores stay busy across analyses, one
progress bar covers everything and one estimate is given before it starts. Break-even needs no
runs of its own: it uses the point run of the uncertainty analysis.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation.analysis.investment import BreakEven, break_even_from
from simulation.analysis.ranges import main_assumptions, resolve_ranges
from simulation.analysis.runs import (
    Execution,
    PlanTask,
    estimate_seconds,
    plan_levels,
    run_plan_tasks,
)
from simulation.analysis.sensitivity import TornadoResult, gain_plans, tornado_frame, tornado_tasks
from simulation.analysis.shapley import (
    CapabilityValue,
    SwitchedOn,
    capability_value_from,
    shapley_plans,
    shapley_tasks,
)
from simulation.analysis.uncertainty import UncertaintyResult, design, summarize, uncertainty_tasks
from simulation.core.scenario import Scenario
from simulation.core.world import standard_plans
from simulation.inputs.problems import Progress


@dataclass(frozen=True)
class DecisionRequest:
    """Which analyses to run and how big they are.

    Attributes
    ----------
    replications:
        Runs of the uncertainty analysis (0 = skip it; break-even still runs).
    parameter_uncertainty:
        Sample the assumptions' ranges in the replications (else seeds only).
    replicate_custom:
        Replicate the custom plan too (default: multichannel and omnichannel only, a third less
        work; the custom plan's point result and break-even are always computed).
    tornado, shapley:
        Whether to run the sensitivity tornado and the Shapley split.
    switched_on:
        Level of an 'on' capability in the Shapley subsets.
    relative_range:
        Half-width of the assumptions' default ranges (share of the value).
    """

    replications: int = 30
    parameter_uncertainty: bool = True
    replicate_custom: bool = False
    tornado: bool = True
    shapley: bool = True
    switched_on: SwitchedOn = SwitchedOn.FULL
    relative_range: float = 0.25


@dataclass(frozen=True)
class DecisionAnalysis:
    """Everything the decisions page shows (``None`` for analyses not requested)."""

    uncertainty: UncertaintyResult | None
    tornado: TornadoResult | None
    capability_value: CapabilityValue | None
    break_even: dict[str, BreakEven]

    def frames(self) -> dict[str, object]:
        """The tables of every analysis run, by export name (break-even ones suffixed by plan)."""
        out: dict[str, object] = {}
        for part in (self.uncertainty, self.tornado, self.capability_value):
            if part is not None:
                out.update(part.frames())
        for name, result in self.break_even.items():
            out.update({f"{k}_{name}": v for k, v in result.frames().items()})
        return out


@dataclass(frozen=True)
class _Plan:
    tasks: list[PlanTask]
    uncertainty: slice
    tornado: slice
    shapley: slice


def _build(scenario: Scenario, request: DecisionRequest):  # type: ignore[no-untyped-def]
    if request.replications < 0:
        raise ValueError(f"replications must be >= 0, got {request.replications}")
    ranges = resolve_ranges(scenario, main_assumptions(scenario, request.relative_range))
    plans = plan_levels(standard_plans(scenario))
    plan_design = design(scenario, replications=max(request.replications, 1),
                         ranges=ranges if request.parameter_uncertainty else ())
    replicated = plans if request.replicate_custom else dict(list(plans.items())[:2])
    tasks = [PlanTask.of(scenario, plans, keep_weekly=True)]
    if request.replications > 0:
        tasks += uncertainty_tasks(plan_design, replicated)[1:]
    u = slice(0, len(tasks))
    t_plans = gain_plans()
    t = slice(len(tasks), len(tasks))
    if request.tornado:
        # The base of the tornado is the point run (same seed and plans: common random numbers).
        tasks += tornado_tasks(scenario, ranges, t_plans)[1:]
        t = slice(u.stop, len(tasks))
    players, on, s_plans = shapley_plans(scenario, request.switched_on)
    s = slice(len(tasks), len(tasks))
    if request.shapley:
        tasks += shapley_tasks(scenario, s_plans)
        s = slice(t.stop, len(tasks))
    return _Plan(tasks, u, t, s), plan_design, plans, ranges, t_plans, players, on


def estimate_decision_seconds(scenario: Scenario, request: DecisionRequest,
                              n_jobs: int | None = None) -> float:
    """Seconds the request should take here (runs one timed pilot plan, cached per size)."""
    built = _build(scenario, request)[0]
    return estimate_seconds(scenario, built.tasks, n_jobs)


def decision_analysis(scenario: Scenario, request: DecisionRequest | None = None,
                      execution: Execution | None = None) -> DecisionAnalysis:
    """Run the requested analyses as one parallel batch.

    Parameters
    ----------
    scenario:
        The scenario analysed (its seed is the point run's and the tornado's and Shapley's).
    request:
        What to run (default: 30 replications with parameter uncertainty, tornado over the
        main assumptions, Shapley over the 64 subsets, break-even).
    execution:
        Workers, progress, cancellation and cache.
    """
    request = request or DecisionRequest()
    built, plan_design, plans, ranges, t_plans, players, on = _build(scenario, request)
    runs = run_plan_tasks(built.tasks, execution, label=Progress("progress.label.decision_analyses"))
    point = runs[0]
    result_u = None
    if request.replications > 0:
        result_u = summarize(point, runs[built.uncertainty][1:], plan_design,
                             baseline=next(iter(plans)))
    result_t = None
    if request.tornado:
        t_runs = runs[built.tornado]
        plan = list(t_plans)[1]
        base_npv = float(point.kpis.loc[plan, "npv"] - point.kpis["npv"].iloc[0])
        base_clv = float(point.kpis.loc[plan, "clv"] - point.kpis["clv"].iloc[0])
        result_t = TornadoResult(bars=tornado_frame(ranges, t_runs, plan),
                                 base_npv_gain=base_npv, base_clv_gain=base_clv, plan=plan)
    result_s = None
    if request.shapley:
        result_s = capability_value_from(players, on, runs[built.shapley])
    breaks = {name: break_even_from(scenario, plans, point, plan=name)
              for name in list(plans)[1:]}
    return DecisionAnalysis(uncertainty=result_u, tornado=result_t, capability_value=result_s,
                            break_even=breaks)
