"""How sure the numbers are: replications with independent seeds and uncertain assumptions.

Replication ``r`` simulates the scenario with its own seed (replication 0 keeps the scenario's
seed) and, with parameter uncertainty, its own draw of the assumptions in
:mod:`simulation.analysis.ranges` from a Latin hypercube (each assumption uniform over its range,
the draws stratified so 30 replications cover every range evenly). Every KPI then gets two 90%
intervals:

* ``ci_low``/``ci_high``: a 90% confidence interval for the KPI's expected value (Student t on the
  replication mean), the Monte Carlo precision; it narrows as 1/sqrt(replications).
* ``p05``/``p95``: the 5th and 95th percentiles of the replications, the range of outcomes a
  board should plan for when the assumptions are uncertain; it does not narrow with more runs.

With one replication there is no spread to estimate: both intervals are the point result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats
from scipy.stats import qmc

from simulation.analysis.ranges import ParameterRange, main_assumptions, resolve_ranges, with_values
from simulation.analysis.runs import (
    Execution,
    PlanLevels,
    PlanOutcome,
    PlanTask,
    plan_levels,
    run_plan_tasks,
)
from simulation.core.metrics import KPI_COLUMNS
from simulation.core.scenario import Scenario
from simulation.core.world import standard_plans
from simulation.inputs.problems import Progress

CONFIDENCE = 0.90
FAN_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
FAN_METRICS = {
    "cumulative_gain": "cumulative net contribution gain vs the baseline (undiscounted)",
    "cumulative_npv_gain": "NPV gain vs the baseline accumulated to each week (discounted)",
    "active_customers": "active customers",
}


def replication_seeds(seed: int, replications: int) -> list[int]:
    """Seeds of ``replications`` independent runs; the first is ``seed`` itself.

    The others are spawned from ``SeedSequence(seed)`` (independent streams, not seed + 1).
    """
    if replications < 1:
        raise ValueError(f"replications must be at least 1, got {replications}")
    children = np.random.SeedSequence(seed).spawn(replications - 1)
    return [seed] + [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]


def latin_hypercube(samples: int, dimensions: int, *, seed: int) -> NDArray[np.float64]:
    """(samples, dimensions) points in [0, 1): one per stratum of each dimension (scipy.qmc)."""
    if dimensions == 0:
        return np.zeros((samples, 0))
    return qmc.LatinHypercube(d=dimensions, rng=np.random.default_rng(seed)).random(samples)


@dataclass(frozen=True)
class UncertaintyDesign:
    """The replications to run: their scenarios and the sample of assumptions behind them.

    Attributes
    ----------
    scenarios:
        One scenario per replication (own seed, own assumptions).
    point:
        The scenario as given (its KPIs are the ``point`` column of the summary).
    sample:
        Long frame: replication, parameter, field, value.
    """

    scenarios: tuple[Scenario, ...]
    point: Scenario
    sample: pd.DataFrame


def design(scenario: Scenario, *, replications: int,
           ranges: Sequence[ParameterRange] = ()) -> UncertaintyDesign:
    """Seeds and Latin-hypercube draws of ``ranges`` for each replication."""
    seeds = replication_seeds(scenario.seed, replications)
    unit = latin_hypercube(replications, len(ranges), seed=scenario.seed)
    scenarios = []
    rows = []
    for r, seed in enumerate(seeds):
        changes = list(zip(ranges, unit[r], strict=True))
        scenarios.append(with_values(scenario.replace(seed=seed), changes))
        for parameter_range, u in changes:
            for path, value in zip(parameter_range.fields, parameter_range.values_at(u), strict=True):
                rows.append({"replication": r, "seed": seed, "parameter": parameter_range.spec_path,
                             "field": path, "value": value})
    sample = pd.DataFrame(rows, columns=["replication", "seed", "parameter", "field", "value"])
    return UncertaintyDesign(scenarios=tuple(scenarios), point=scenario, sample=sample)


def uncertainty_tasks(plan_design: UncertaintyDesign, plans: dict[str, PlanLevels]) -> list[PlanTask]:
    """The point run, then one task per replication (all with weekly series for fan charts)."""
    return [PlanTask.of(s, plans, keep_weekly=True) for s in (plan_design.point, *plan_design.scenarios)]


@dataclass(frozen=True)
class UncertaintyResult:
    """Replications summarized for a board.

    Attributes
    ----------
    summary:
        One row per strategy and KPI: point, mean, sd, ci_low, ci_high (90% CI of the mean),
        p05, p95 (90% range of outcomes), replications. Undefined results (a payback week not
        within the horizon) are left out; ``replications`` counts the runs that remain.
    replications:
        One row per replication and strategy with every KPI.
    fan:
        One row per strategy, metric and week: mean and the :data:`FAN_QUANTILES` (q05 ... q95).
    beats_baseline:
        One row per strategy: probability that its NPV beats the baseline's, with a 90% Wilson
        interval.
    sample:
        The assumptions drawn for each replication.
    """

    summary: pd.DataFrame
    replications: pd.DataFrame
    fan: pd.DataFrame
    beats_baseline: pd.DataFrame
    sample: pd.DataFrame

    def probability_beats(self, strategy: str = "omnichannel") -> float:
        """Share of replications where ``strategy``'s NPV is above the baseline's."""
        row = self.beats_baseline.set_index("strategy").loc[strategy]
        return float(row["probability"])

    def frames(self) -> dict[str, pd.DataFrame]:
        """The result's five tables by export name (summary, replications, fan, beats, sample)."""
        return {"uncertainty_summary": self.summary, "uncertainty_replications": self.replications,
                "uncertainty_fan": self.fan, "uncertainty_beats_baseline": self.beats_baseline,
                "uncertainty_sample": self.sample}


def interval_summary(values: pd.DataFrame, point: pd.DataFrame,
                     confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Mean, t-interval of the mean and percentile range of each KPI by strategy.

    Parameters
    ----------
    values:
        One row per replication and strategy (column ``strategy``) with KPI columns.
    point:
        KPIs of the point run, indexed by strategy.
    confidence:
        Coverage of the t-interval and of the percentile range (0.90: 5th to 95th percentile).
    """
    tail = (1 - confidence) / 2
    rows = []
    for strategy, group in values.groupby("strategy", sort=False):
        for kpi in KPI_COLUMNS:
            x = group[kpi].to_numpy(dtype=float)
            x = x[np.isfinite(x)]
            n = x.size
            mean = float(x.mean()) if n else np.nan
            sd = float(x.std(ddof=1)) if n > 1 else 0.0 if n == 1 else np.nan
            half = float(stats.t.ppf(1 - tail, n - 1) * sd / np.sqrt(n)) if n > 1 else 0.0
            rows.append({
                "strategy": strategy, "kpi": kpi, "point": float(point.loc[strategy, kpi]),
                "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half,
                "p05": float(np.quantile(x, tail)) if n else np.nan,
                "p95": float(np.quantile(x, 1 - tail)) if n else np.nan,
                "replications": n,
            })
    return pd.DataFrame(rows)


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval of a proportion (sensible at 0% and 100%, unlike the normal one)."""
    if n == 0:
        return (np.nan, np.nan)
    z = float(stats.norm.ppf(1 - (1 - confidence) / 2))
    p = successes / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return (float(centre - half), float(centre + half))


def fan_frame(weekly: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Quantiles over replications of each :data:`FAN_METRICS` series by strategy and week.

    Parameters
    ----------
    weekly:
        Columns replication, strategy, week, net_contribution, discounted_net_contribution,
        active_customers.
    baseline:
        The strategy gains are measured against.
    """
    w = weekly.sort_values(["replication", "strategy", "week"]).copy()
    base = w[w["strategy"] == baseline].set_index(["replication", "week"])
    key = pd.MultiIndex.from_frame(w[["replication", "week"]])
    w["cash_gain"] = w["net_contribution"].to_numpy() - base["net_contribution"].reindex(key).to_numpy()
    w["pv_gain"] = (w["discounted_net_contribution"].to_numpy()
                    - base["discounted_net_contribution"].reindex(key).to_numpy())
    grouped = w.groupby(["replication", "strategy"], sort=False)
    w["cumulative_gain"] = grouped["cash_gain"].cumsum()
    w["cumulative_npv_gain"] = grouped["pv_gain"].cumsum()
    frames = []
    for metric in FAN_METRICS:
        by = w.groupby(["strategy", "week"], sort=False)[metric]
        q = by.quantile(list(FAN_QUANTILES)).unstack()
        q.columns = [f"q{round(100 * c):02d}" for c in FAN_QUANTILES]
        q["mean"] = by.mean()
        q = q.reset_index()
        q.insert(1, "metric", metric)
        frames.append(q)
    return pd.concat(frames, ignore_index=True)


def summarize(point_run: PlanOutcome, runs: Sequence[PlanOutcome], plan_design: UncertaintyDesign,
              baseline: str) -> UncertaintyResult:
    """Assemble replication outputs into an :class:`UncertaintyResult`."""
    seeds = [s.seed for s in plan_design.scenarios]
    kpis = []
    weekly = []
    for r, (seed, run) in enumerate(zip(seeds, runs, strict=True)):
        k = run.kpis.reset_index()
        k.insert(0, "seed", seed)
        k.insert(0, "replication", r)
        kpis.append(k)
        if run.weekly is not None:
            weekly.append(run.weekly.assign(replication=r))
    replications = pd.concat(kpis, ignore_index=True)
    summary = interval_summary(replications, point_run.kpis)
    rows = []
    for strategy, group in replications.groupby("strategy", sort=False):
        if strategy == baseline:
            continue
        wins = int((group["npv_gain"] > 0).sum())
        low, high = wilson_interval(wins, len(group))
        rows.append({"strategy": strategy, "probability": wins / len(group), "ci_low": low,
                     "ci_high": high, "replications": len(group)})
    beats = pd.DataFrame(rows, columns=["strategy", "probability", "ci_low", "ci_high", "replications"])
    fan = fan_frame(pd.concat(weekly, ignore_index=True), baseline) if weekly else pd.DataFrame()
    return UncertaintyResult(summary=summary, replications=replications, fan=fan,
                             beats_baseline=beats, sample=plan_design.sample)


def uncertainty(
    scenario: Scenario,
    *,
    replications: int = 30,
    ranges: Sequence[ParameterRange] | None = None,
    plans: dict[str, PlanLevels] | None = None,
    execution: Execution | None = None,
) -> UncertaintyResult:
    """Replicate the scenario with independent seeds and uncertain assumptions.

    Parameters
    ----------
    scenario:
        The scenario; its seed is replication 0's.
    replications:
        Number of runs (each with its own seed and, with ranges, its own assumptions).
    ranges:
        Assumptions to sample (Latin hypercube); ``None`` = :data:`MAIN_ASSUMPTIONS`,
        ``()`` = seeds only (Monte Carlo uncertainty alone).
    plans:
        Plans to simulate, the first is the baseline; default multichannel, omnichannel, custom.
    execution:
        Workers, progress, cancellation and cache.
    """
    if ranges is None:
        ranges = resolve_ranges(scenario, main_assumptions(scenario))
    plans = plans or plan_levels(standard_plans(scenario))
    plan_design = design(scenario, replications=replications, ranges=ranges)
    tasks = uncertainty_tasks(plan_design, plans)
    runs = run_plan_tasks(tasks, execution, label=Progress("progress.label.replications"))
    return summarize(runs[0], runs[1:], plan_design, baseline=next(iter(plans)))
