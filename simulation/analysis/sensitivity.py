"""Which assumption matters: a one-at-a-time tornado of the gain of a plan over the baseline.

Each assumption of :mod:`simulation.analysis.ranges` is moved to the low and to the high end of its
range with every other parameter and the seed unchanged (common random numbers: the low, base
and high runs meet the same people and draws, so the swing is the assumption's effect and not
noise). The gain is the plan's NPV minus the baseline's, and its CLV minus the baseline's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from simulation.analysis.ranges import ParameterRange, main_assumptions, resolve_ranges, with_values
from simulation.analysis.runs import (
    Execution,
    PlanLevels,
    PlanOutcome,
    PlanTask,
    levels_tuple,
    run_plan_tasks,
)
from simulation.core.scenario import CapabilityLevels, Scenario
from simulation.inputs.problems import Progress


def gain_plans(target: CapabilityLevels | None = None) -> dict[str, PlanLevels]:
    """Multichannel (the baseline) and the plan whose gain is analysed (default omnichannel)."""
    return {
        "multichannel": levels_tuple(CapabilityLevels.uniform(0.0)),
        "omnichannel" if target is None else "plan": levels_tuple(target or CapabilityLevels.uniform(1.0)),
    }


def tornado_tasks(scenario: Scenario, ranges: Sequence[ParameterRange],
                  plans: dict[str, PlanLevels]) -> list[PlanTask]:
    """The base run, then a low and a high run for each range."""
    tasks = [PlanTask.of(scenario, plans)]
    for parameter_range in ranges:
        for u in (0.0, 1.0):
            tasks.append(PlanTask.of(with_values(scenario, [(parameter_range, u)]), plans))
    return tasks


@dataclass(frozen=True)
class TornadoResult:
    """Gains at each end of each range, sorted by impact on the NPV gain.

    Attributes
    ----------
    bars:
        One row per assumption: parameter, label, unit, range (text), low, high (single-field
        ranges), npv_gain_low, npv_gain_high, clv_gain_low, clv_gain_high, npv_swing,
        clv_swing (absolute high - low), rank (1 = largest NPV swing).
    base_npv_gain, base_clv_gain:
        Gains with every assumption at its scenario value (currency; currency per customer).
    plan:
        Name of the plan compared with the baseline.
    """

    bars: pd.DataFrame
    base_npv_gain: float
    base_clv_gain: float
    plan: str

    def frames(self) -> dict[str, pd.DataFrame]:
        """The bars as the ``tornado`` table."""
        return {"tornado": self.bars}


def _gain(run: PlanOutcome, plan: str, kpi: str) -> float:
    return float(run.kpis.loc[plan, kpi] - run.kpis[kpi].iloc[0])


def tornado_frame(ranges: Sequence[ParameterRange], runs: Sequence[PlanOutcome], plan: str) -> pd.DataFrame:
    """Bars of the tornado from the low/high runs (``runs`` without the base run)."""
    rows = []
    for i, r in enumerate(ranges):
        low, high = runs[2 * i], runs[2 * i + 1]
        single = len(r.fields) == 1
        rows.append({
            "parameter": r.spec_path, "label": r.label, "unit": r.unit, "range": r.describe(),
            "low": r.low[0] if single else float("nan"),
            "high": r.high[0] if single else float("nan"),
            "npv_gain_low": _gain(low, plan, "npv"), "npv_gain_high": _gain(high, plan, "npv"),
            "clv_gain_low": _gain(low, plan, "clv"), "clv_gain_high": _gain(high, plan, "clv"),
        })
    bars = pd.DataFrame(rows, columns=["parameter", "label", "unit", "range", "low", "high",
                                       "npv_gain_low", "npv_gain_high", "clv_gain_low",
                                       "clv_gain_high"])
    bars["npv_swing"] = (bars["npv_gain_high"] - bars["npv_gain_low"]).abs()
    bars["clv_swing"] = (bars["clv_gain_high"] - bars["clv_gain_low"]).abs()
    bars = bars.sort_values("npv_swing", ascending=False, kind="stable").reset_index(drop=True)
    bars["rank"] = range(1, len(bars) + 1)
    return bars


def tornado(
    scenario: Scenario,
    *,
    ranges: Sequence[ParameterRange] | None = None,
    target: CapabilityLevels | None = None,
    execution: Execution | None = None,
) -> TornadoResult:
    """One-at-a-time sensitivity of the NPV and CLV gain to each assumption.

    Parameters
    ----------
    scenario:
        The base scenario (its seed is used for every run).
    ranges:
        Assumptions to move; ``None`` = :data:`MAIN_ASSUMPTIONS` resolved on ``scenario``.
    target:
        The plan whose gain over multichannel is analysed; default omnichannel.
    execution:
        Workers, progress, cancellation and cache.
    """
    if ranges is None:
        ranges = resolve_ranges(scenario, main_assumptions(scenario))
    plans = gain_plans(target)
    plan = list(plans)[1]
    runs = run_plan_tasks(tornado_tasks(scenario, ranges, plans), execution,
                          label=Progress("progress.label.tornado"))
    return TornadoResult(
        bars=tornado_frame(ranges, runs[1:], plan),
        base_npv_gain=_gain(runs[0], plan, "npv"), base_clv_gain=_gain(runs[0], plan, "clv"),
        plan=plan,
    )
