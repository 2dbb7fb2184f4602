"""Fit time and holdout error of the calibration on CDNOW (prints, never asserts).

    python bench/calibration.py [--populations 5000 20000] [--split 39]

For each population simulated per evaluation: reads the CDNOW orders export (from the installed
lifetimes package), fits the current state on the first ``split`` weeks, predicts the rest and
prints the fit time, the simulations run, the seconds per simulation, and predicted vs actual
purchases, revenue and active share per customer in the holdout with the relative error. The
machine is shared (2 cores), so times are noisy; compare runs side by side.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulation import CapabilityLevels, Scenario
from simulation.calibration.datasets import CDNOW_MAPPING, cdnow_csv
from simulation.calibration.eventlog import summarise_log, validate_events
from simulation.calibration.holdout import holdout_check


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="benchmark_retailer")
    parser.add_argument("--populations", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--split", type=int, default=39)
    parser.add_argument("--lapse", choices=["purchase", "hazard"], default="purchase")
    parser.add_argument("--seed", type=int, default=None, help="the scenario's seed (other luck)")
    args = parser.parse_args()
    start = time.perf_counter()
    log = validate_events(cdnow_csv(), mapping=CDNOW_MAPPING)
    purchases = summarise_log(log).purchases
    print(f"CDNOW: {log.rows_read:,} orders, {purchases.n_customers:,} customers, "
          f"{purchases.weeks} weeks; read and summarised in {time.perf_counter() - start:.1f} s")
    for population in args.populations:
        start = time.perf_counter()
        scenario = Scenario.preset(args.preset)
        if args.seed is not None:
            scenario = scenario.replace(seed=args.seed)
        check = holdout_check(purchases, scenario, levels=CapabilityLevels.uniform(0.0),
                              split=args.split, population=population, lapse=args.lapse)
        seconds = time.perf_counter() - start
        evaluations = check.calibration.evaluations
        print(f"\npopulation {population:,}: fit + holdout {seconds:.1f} s, {evaluations} simulations "
              f"({seconds / (evaluations + 1):.2f} s each); fitted on weeks 1-{check.split}")
        print(check.summary[["label", "actual", "predicted", "relative_error"]].to_string(
            index=False, float_format=lambda v: f"{v:,.3f}"))
        fitted = check.calibration.table
        print(f"fit-period targets: worst relative error {fitted['relative_error'].abs().max():.1%}; "
              "fitted behaviour: " + ", ".join(
                  f"{r.parameter} {r.calibrated:.3g}" for r in check.calibration.parameters.itertuples()
                  if r.part == "behaviour"))


if __name__ == "__main__":
    main()
