"""Engine speed and memory: agent-steps per second and peak memory per simulated person.

An agent-step is one person advanced one week under one plan (three plans run in
lockstep, so a run of N people over T weeks is 3 N T steps). Each size runs in a fresh
process so peak memory (max RSS above the process's footprint before the run) is its own.

Usage: python bench/engine.py [--sizes 20000 250000 1000000] [--repeat 3]
Targets (issue 2, 2-core machine): default interactive scenario < 0.5 s; >= 30 M steps/s at
N = 1M; <= 300 bytes per simulated person.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from simulation import Scenario, simulate
from simulation.core.random_streams import RandomStreams
from simulation.core.world import build_world
from simulation.core.engine import Simulation
from simulation.core.results import Results
n, repeat, targeting = {n}, {repeat}, {targeting!r}
scenario = Scenario.preset("benchmark_retailer").replace(market__population=n)
if targeting == "random":
    from simulation.core.targeting import RandomTargeting
    policy = RandomTargeting
else:
    # The default of simulate(): learned targeting (the engine class alone defaults to random).
    from simulation.core.personalization.policy import PersonalizedTargeting
    policy = PersonalizedTargeting
def once():
    streams = RandomStreams(scenario.seed)
    world = build_world(scenario, streams)
    t0, c0 = time.perf_counter(), time.process_time()
    run = Simulation(world, streams, policy() if policy else None).run()
    t1, c1 = time.perf_counter(), time.process_time()
    Results.from_run(run)
    t2 = time.perf_counter()
    if n <= 100_000:  # not at large N, where its frames would count in the engine's peak memory
        simulate(scenario, targeting=policy())  # the whole API call: run, report, frames, segments
    return t1 - t0, t2 - t0, time.perf_counter() - t2, c1 - c0
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
times = [once() for _ in range(repeat)]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
engine = min(t[0] for t in times)
total = min(t[1] for t in times)
api = min(t[2] for t in times)
cpu = min(t[3] for t in times)  # the process's CPU time (all threads): steadier on a shared machine
steps = 3 * n * scenario.market.horizon_weeks
print(json.dumps(dict(n=n, engine_s=engine, total_s=total, simulate_s=api, steps_per_s=steps / engine,
                      engine_cpu_s=cpu, cpu_steps_per_s=steps / cpu,
                      bytes_per_person=(peak - before) / n)))
"""


def measure(n: int, repeat: int, targeting: str | None = None) -> dict[str, float]:
    code = CHILD.format(root=str(ROOT), n=n, repeat=repeat, targeting=targeting)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 250_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'people':>10} {'engine s':>9} {'run+frames s':>13} {'M steps/s':>10} {'bytes/person':>13} "
          f"{'engine CPU s':>13} {'M steps/CPU s':>14}")
    rows = []
    for n in args.sizes:
        r = measure(n, args.repeat if n <= 100_000 else 1)
        rows.append(r)
        print(f"{n:>10,} {r['engine_s']:>9.3f} {r['total_s']:>13.3f} {r['steps_per_s'] / 1e6:>10.1f} "
              f"{r['bytes_per_person']:>13.0f} {r['engine_cpu_s']:>13.3f} "
              f"{r['cpu_steps_per_s'] / 1e6:>14.1f}")
    if len(rows) >= 2:
        small, large = rows[-2], rows[-1]
        grown = large["bytes_per_person"] * large["n"] - small["bytes_per_person"] * small["n"]
        fixed = small["bytes_per_person"] * small["n"] - grown / (large["n"] - small["n"]) * small["n"]
        print(f"memory per additional simulated person between {small['n']:,} and {large['n']:,}: "
              f"{grown / (large['n'] - small['n']):.0f} bytes (plus about {fixed / 2**20:.0f} MiB that "
              "does not grow with people: interpreter, libraries, BLAS buffers)")
    largest = int(rows[-1]["n"])
    engine_only = measure(largest, 1, targeting="random")
    print(f"\n{largest:,} people with random offers (the engine without model training): "
          f"{engine_only['engine_s']:.3f} s, {engine_only['steps_per_s'] / 1e6:.1f} M steps/s, "
          f"{engine_only['bytes_per_person']:.0f} bytes/person peak")
    base = measure(20_000, args.repeat, targeting="random")
    default = measure(20_000, args.repeat)
    print(f"\ndefault scenario (20,000 people) with random offers, the engine's own targeting "
          f"(learned targeting is issue 4's, on top): {base['engine_s']:.3f} s "
          f"({base['total_s']:.3f} s with the result frames)")
    print(f"personalization overhead at the default scenario: learned targeting "
          f"{default['total_s']:.3f} s vs random {base['total_s']:.3f} s "
          f"(x{default['total_s'] / base['total_s']:.2f}; run and result frames)")
    print(f"the same through simulate() (run, report, frames and customer segmentation): "
          f"{default['simulate_s']:.3f} s vs {base['simulate_s']:.3f} s "
          f"(x{default['simulate_s'] / base['simulate_s']:.2f})")
    print("targets: default < 0.5 s; >= 30 M steps/s at 1M; <= 300 bytes/person; "
          "personalization <= x1.5")


if __name__ == "__main__":
    main()
