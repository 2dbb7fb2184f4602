"""Scale: 1M and 10M people in one run, and an analysis on a Dask cluster vs joblib.

Prints, never asserts (issue 19's figures; the README's "Scaling out" section quotes them):

* one run of the default preset at each ``--sizes`` population and each ``--threads`` setting
  (learned targeting, three plans, in a fresh process with ``OMNICHANNEL_THREADS`` set: on one
  thread the plans run in lockstep, on two they are split over two threads,
  :mod:`simulation.core.plan_threads`): seconds, agent-steps per second and peak bytes per
  person (max RSS above the process's footprint before the run, over the population); then,
  unless ``--no-frames``, the peak again after turning the run into what
  :func:`simulation.simulate` returns (every result frame and the customer segments; the
  per-person table stays lazy);
* ``--replications`` replications of the uncertainty analysis at ``--analysis-population``
  people on a Dask ``LocalCluster`` of 1 and of 2 workers (speed-up), and through joblib with
  the same number of workers for comparison; each also checks its summary equals the others'.

Usage: python bench/scale.py [--sizes 1000000 10000000] [--threads 1 2] [--no-frames]
                             [--replications 100] [--analysis-population 1000000]
                             [--backends dask:1 dask:2 joblib:2]
Targets (issue 19, 2-core machine): 10M people within 300 bytes per person; 50 M steps/s with
learned targeting at 1M. The issue's full analysis (100 replications at 1M, 101 runs of about
13 s each) takes about 22 minutes per backend on one worker; pass smaller numbers for a quick look.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RUN = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from simulation import Scenario
from simulation.core.api import run_plans, valued
from simulation.core.warm_up import warm_up
n = {n}
scenario = Scenario.preset("benchmark_retailer").replace(market__population=n)
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
# The engine's compiled kernels (numba) take about 28 MB and 0.6 s CPU once per process, whatever
# the population (as the imports do): loaded before the baseline, so the figures are per person.
warm_up()
before = peak()
started = time.perf_counter()
last = [0.0]
def progress(done, message):
    if done - last[0] >= 0.1 or done >= 1:
        last[0] = done
        elapsed = time.perf_counter() - started
        left = elapsed / done * (1 - done) if done > 0 else float("nan")
        print(f"  {{done:4.0%}} {{message}}, about {{left:.0f}} s left", file=sys.stderr, flush=True)
part = run_plans(scenario, None, progress=progress)  # learned targeting, the three plans
seconds = time.perf_counter() - started
run_peak = peak()
out = dict(n=n, seconds=seconds, steps_per_s=len(part.run.world.plan_names) * n
           * scenario.market.horizon_weeks / seconds, bytes_per_person=(run_peak - before) / n)
if {frames}:
    print("  result frames (what simulate() returns, without the per-person table)...",
          file=sys.stderr, flush=True)
    started = time.perf_counter()
    valued(part, scenario).frames()
    out.update(frames_seconds=time.perf_counter() - started,
               frames_bytes_per_person=(peak() - before) / n)
print(json.dumps(out))
"""

ANALYSIS = r"""
import json, sys, time
sys.path.insert(0, {root!r})
from simulation import Scenario
from simulation.analysis.cluster import dask_runner
from simulation.analysis.runs import Execution
from simulation.analysis.uncertainty import uncertainty
if __name__ == "__main__":
    scenario = Scenario.preset("benchmark_retailer").replace(market__population={n})
    backend, workers = {backend!r}, {workers}
    started = time.perf_counter()
    if backend == "dask":
        with dask_runner("local", n_workers=workers):
            ready = time.perf_counter()
            result = uncertainty(scenario, replications={reps}, execution=Execution(n_jobs=1))
    else:
        ready = started
        result = uncertainty(scenario, replications={reps}, execution=Execution(n_jobs=workers))
    done = time.perf_counter()
    summary = result.frames()["uncertainty_summary"]
    print(json.dumps(dict(backend=backend, workers=workers, seconds=done - ready,
                          with_start=done - started, summary=summary.to_json())))
"""


def _child(code: str, threads: int | None = None) -> dict[str, object]:
    path = ROOT / "bench" / f"_scale_child_{time.time_ns()}.py"
    path.write_text(code)  # a file, so Dask's spawned workers can import the main module
    env = dict(os.environ) if threads is None else {**os.environ, "OMNICHANNEL_THREADS": str(threads)}
    try:
        out = subprocess.run([sys.executable, str(path)], capture_output=False, text=True,
                             stdout=subprocess.PIPE, check=True, cwd=ROOT, env=env)
    finally:
        path.unlink(missing_ok=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000_000, 10_000_000])
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--analysis-population", type=int, default=1_000_000)
    parser.add_argument("--backends", nargs="*", default=["dask:1", "dask:2", "joblib:1", "joblib:2"],
                        help="analysis backends as BACKEND:WORKERS (dask or joblib), in order; "
                             "a speed-up is printed against the first of the same backend")
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 2],
                        help="threads per run (OMNICHANNEL_THREADS): 1 runs the plans in lockstep, "
                             "2 splits them over two threads")
    parser.add_argument("--no-frames", action="store_true",
                        help="measure the run alone, not the result frames after it")
    args = parser.parse_args()

    if args.sizes:
        print(f"{'people':>12} {'threads':>8} {'seconds':>9} {'M steps/s':>10} {'bytes/person':>13} "
              f"{'frames s':>9} {'with frames':>12}")
        for n in args.sizes:
            for threads in args.threads:
                r = _child(RUN.format(root=str(ROOT), n=n, frames=not args.no_frames), threads)
                frames = (f"{r['frames_seconds']:>9.1f} {r['frames_bytes_per_person']:>12.0f}"
                          if "frames_seconds" in r else "")
                print(f"{n:>12,} {threads:>8} {r['seconds']:>9.1f} "
                      f"{float(r['steps_per_s']) / 1e6:>10.1f} "  # type: ignore[arg-type]
                      f"{r['bytes_per_person']:>13.0f} {frames}", flush=True)
        print("targets: <= 300 bytes per person at 10M; >= 50 M steps/s at 1M (learned targeting); "
              "bytes/person is the run's peak, 'with frames' the peak of the whole simulate() call")

    if args.replications:
        print(f"\n{args.replications} replications at {args.analysis_population:,} people "
              "(uncertainty analysis):")
        print(f"{'backend':>8} {'workers':>8} {'seconds':>9} {'with start-up':>14} {'speed-up':>9}")
        runs = []
        for spec in args.backends:
            backend, workers = spec.split(":")[0], int(spec.split(":")[1])
            r = _child(ANALYSIS.format(root=str(ROOT), n=args.analysis_population, backend=backend,
                                       workers=workers, reps=args.replications))
            runs.append(r)
            base = next(x for x in runs if x["backend"] == backend)
            print(f"{backend:>8} {workers:>8} {r['seconds']:>9.1f} {r['with_start']:>14.1f} "
                  f"{float(base['seconds']) / float(r['seconds']):>8.2f}x", flush=True)  # type: ignore[arg-type]
        same = len({r["summary"] for r in runs}) == 1
        print(f"same numbers on every backend: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
