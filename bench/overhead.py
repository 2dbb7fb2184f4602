"""CPU of one plan run at the default scenario, split into a per-run fixed part and a per-person part.

Every slider move in the app re-runs plans of the default scenario (20,000 people x 156 weeks,
learned targeting): a behavioural slider all three, a capability slider one. This prints the
median process CPU time (all threads) of ``run_plans`` for one plan at several population sizes,
the straight line through them (intercept = the fixed per-run cost: the week loop's small numpy
calls and the targeting model fits; slope = cost per simulated person), the three standard plans
at 20,000, and how much of a run the targeting fits take.

With ``--compare DIR`` (another worktree, e.g. the commit before a change) both trees are
measured alternately, each run in a fresh process, and the ratios printed: the way to compare
engine speed on a shared machine, where absolute timings drift.

Usage: python bench/overhead.py [--sizes 1000 5000 20000 80000] [--rounds 3] [--repeat 3]
       [--compare ../s0]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLANS = "multichannel,omnichannel,custom"

CHILD = r"""
import json, sys, time
sys.path.insert(0, {root!r})
from simulation import Plan, Scenario
from simulation.core.api import run_plans
import simulation.core.personalization.models as models
n, repeat, plans = {n}, {repeat}, {plans!r}.split(",")
scenario = Scenario.preset("benchmark_retailer").replace(market__population=n)
fit_cpu = [0.0]
fit = models.StandardizedLogit.fit
def timed_fit(self, x, labels):
    t = time.process_time()
    try:
        return fit(self, x, labels)
    finally:
        fit_cpu[0] += time.process_time() - t
models.StandardizedLogit.fit = timed_fit
def once():
    fit_cpu[0] = 0.0
    t = time.process_time()
    run_plans(scenario, {{p: scenario.plan(Plan(p)) for p in plans}})
    return time.process_time() - t, fit_cpu[0]
once()  # imports, caches
print(json.dumps([once() for _ in range(repeat)]))
"""


def measure(root: Path, n: int, repeat: int, plans: str) -> list[tuple[float, float]]:
    """(run CPU s, targeting-fit CPU s) of ``repeat`` runs in a fresh process of tree ``root``."""
    code = CHILD.format(root=str(root), n=n, repeat=repeat, plans=plans)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    return [tuple(r) for r in json.loads(out.stdout.strip().splitlines()[-1])]  # type: ignore[misc]


def line(sizes: list[int], cpu: list[float]) -> tuple[float, float]:
    """Least-squares intercept (s) and slope (s per person) of CPU against people."""
    mean_n, mean_c = statistics.fmean(sizes), statistics.fmean(cpu)
    slope = (sum((n - mean_n) * (c - mean_c) for n, c in zip(sizes, cpu, strict=True))
             / sum((n - mean_n) ** 2 for n in sizes))
    return mean_c - slope * mean_n, slope


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 5_000, 20_000, 80_000])
    parser.add_argument("--rounds", type=int, default=3, help="fresh processes per case and tree")
    parser.add_argument("--repeat", type=int, default=3, help="runs per process")
    parser.add_argument("--compare", type=Path, help="another tree to measure alternately")
    args = parser.parse_args()
    trees = {"this": ROOT} | ({"other": args.compare.resolve()} if args.compare else {})
    cases = [(n, "multichannel") for n in args.sizes] + [(20_000, PLANS)]
    results: dict[str, dict[tuple[int, str], list[tuple[float, float]]]] = {t: {} for t in trees}
    for n, plans in cases:
        for r in range(args.rounds):
            order = list(trees.items()) if r % 2 == 0 else list(reversed(trees.items()))
            for name, root in order:
                results[name].setdefault((n, plans), []).extend(measure(root, n, args.repeat, plans))
    print("median process CPU per run (s), fresh processes alternating; a shared machine is noisy")
    header = f"{'people':>8} {'plans':>6} " + " ".join(f"{t + ' s':>10} {'fits s':>7}" for t in trees)
    print(header + (f" {'this/other':>10}" if args.compare else ""))
    for n, plans in cases:
        row = f"{n:>8,} {len(plans.split(',')):>6} "
        medians = {}
        for t in trees:
            runs = results[t][n, plans]
            medians[t] = statistics.median(c for c, _ in runs)
            row += f"{medians[t]:>10.3f} {statistics.median(f for _, f in runs):>7.3f} "
        if args.compare:
            row += f"{medians['this'] / medians['other']:>10.2f}"
        print(row)
    if len(set(args.sizes)) < 2:
        print("(the fixed and per-person split needs two or more distinct --sizes)")
        return
    for t in trees:
        cpu = [statistics.median(c for c, _ in results[t][n, "multichannel"]) for n in args.sizes]
        fixed, per_person = line(args.sizes, cpu)
        print(f"{t}: one plan costs {fixed:.3f} s per run whatever the population, plus "
              f"{per_person * 1e6:.2f} s per million people "
              f"({per_person / 156 * 1e9:.1f} ns per person-week)")


if __name__ == "__main__":
    main()
