"""Time of the default decision-analysis set at the interactive size (prints, never asserts).

    python bench/analysis.py [--population 20000] [--replications 30] [--jobs -1]

The set is what the decisions page runs: 30 replications with Latin-hypercube assumptions (three
plans each, plus the point run), the tornado over the main assumptions (two plans at each end),
the exact Shapley split over the 64 capability subsets and the break-even budget. It prints the
estimate given before the start, the measured wall time, their ratio, the simulated plan-runs
per second and the speed-up over running the same plan-runs one after another here.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulation import Scenario
from simulation.analysis import DecisionRequest, Execution, decision_analysis
from simulation.analysis.decisions import _build
from simulation.analysis.parallel import available_workers
from simulation.analysis.runs import estimate_seconds, run_seconds
from simulation.cli.console import progress_bar
from simulation.display import wording
from simulation.display.decision_charts import break_even_sentence

TARGET_SECONDS = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="benchmark_retailer")
    parser.add_argument("--population", type=int, default=None, help="default: the preset's")
    parser.add_argument("--replications", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=-1)
    args = parser.parse_args()
    scenario = Scenario.preset(args.preset)
    if args.population:
        scenario = scenario.replace(market__population=args.population)
    request = DecisionRequest(replications=args.replications)
    tasks = _build(scenario, request)[0].tasks
    size = scenario.market.population * scenario.market.horizon_weeks
    plan_runs = sum(t.cost for t in dict.fromkeys(tasks)) / size
    workers = available_workers(args.jobs)
    print(f"{os.cpu_count()} cores, {workers} workers; {scenario.market.population:,} people x "
          f"{scenario.market.horizon_weeks} weeks")
    seconds = run_seconds(scenario)
    per_plan = seconds.of(1)
    serial = sum(seconds.of(len(t.plans)) for t in dict.fromkeys(tasks))
    estimate = estimate_seconds(scenario, tasks, args.jobs)
    print(f"one plan alone: {per_plan:.2f} s (each more plan in lockstep {seconds.per_plan:.2f} s); "
          f"the set: {len(tasks)} tasks, {plan_runs:.0f} plan-runs (serial here: about {serial:.0f} s)")
    print(f"estimate before the start: {estimate:.1f} s")
    started = time.perf_counter()
    result = decision_analysis(scenario, request, Execution(n_jobs=args.jobs, progress=progress_bar))
    wall = time.perf_counter() - started
    print(f"default analysis set: {wall:.1f} s (target {TARGET_SECONDS:.0f} s: "
          f"{'met' if wall <= TARGET_SECONDS else 'missed'}; {wall / TARGET_SECONDS:.2f} x target)")
    print(f"measured / estimate = {wall / estimate:.2f}; {plan_runs / wall:.1f} plan-runs/s; "
          f"speed-up over serial = {serial / wall:.2f}")
    if result.uncertainty is not None:
        gain = result.uncertainty.summary.set_index(["strategy", "kpi"]).loc[("omnichannel", "npv_gain")]
        print(f"omnichannel NPV gain {gain['point']:,.0f}, 90% range {gain['p05']:,.0f} to "
              f"{gain['p95']:,.0f}, 90% CI of mean {gain['ci_low']:,.0f} to {gain['ci_high']:,.0f}; "
              f"P(beats multichannel) {result.uncertainty.probability_beats():.0%}")
    if result.capability_value is not None:
        values = result.capability_value.values
        print("Shapley NPV values: " + ", ".join(
            f"{r.capability} {r.npv_value:,.0f}" for r in values.itertuples())
            + f" (sum {values['npv_value'].sum():,.0f} = total "
            f"{result.capability_value.total_npv_gain:,.0f})")
    currency = scenario.market.currency
    if result.tornado is not None:
        print(wording.top_drivers(result.tornado, currency))
    for item in result.break_even.values():
        print(wording.plain(break_even_sentence(item, currency)))


if __name__ == "__main__":
    main()
