"""CPU of one slider update around the engine: the worker's job and the app process's script run.

A slider move at the default scenario (20,000 people, learned targeting) costs CPU in two
processes: a pool worker runs ``explorer.runs.run_plan_parts`` (simulate, value, pickle what
it sends back) and the app process runs the page script (join the parts, the page's figures
and widgets). This prints both for a horizon move (all three plans) and a capability move
(the custom plan alone), the worker's job split into the simulation and the rest:

* worker: ``run_plan_parts`` with the page's prices, then pickling each part as the worker
  does (median of ``--moves`` moves per process);
* app: the script thread's CPU per run of ``app.py`` (the Overview) under
  ``streamlit.testing.v1.AppTest``, the same moves (Streamlit's own sending of the messages,
  which a real server adds, is not in it: ``bench/load.py`` measures the whole process).

With ``--compare DIR`` (a worktree of the commit before a change) both trees are measured
alternately, each in fresh processes, and ratios printed: the machine may be shared, so
compare side by side, never against figures from another time.

Usage: python bench/update_cpu.py [--rounds 3] [--moves 5] [--compare ../s2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKER = r"""
import json, pickle, sys, time
sys.path.insert(0, {root!r})
from explorer import runs
from simulation import Scenario
from simulation.core.presets import DEFAULT_PRESET
base = Scenario.preset(DEFAULT_PRESET)
inside = [0.0]
named = runs._run_named
def timed(*args, **kwargs):
    t = time.process_time()
    try:
        return named(*args, **kwargs)
    finally:
        inside[0] += time.process_time() - t
runs._run_named = timed
def job(scenario, names):
    inside[0] = 0.0
    t = time.process_time()
    parts = runs.run_plan_parts(runs.custom_key(scenario), names, prices=scenario.canonical_key())
    for value in parts.values():
        pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return time.process_time() - t, inside[0]
moves = {moves}
job(base.replace(market__horizon_weeks=150), ["multichannel", "omnichannel", "custom"])  # imports
horizon = [job(base.replace(market__horizon_weeks=100 + 8 * i), ["multichannel", "omnichannel", "custom"])
           for i in range(moves)]
capability = [job(base.replace(custom_plan={{"inventory": 0.1 + 0.05 * i}}), ["custom"])
              for i in range(moves)]
print(json.dumps({{"horizon": horizon, "capability": capability}}))
"""

APP = r"""
import json, os, sys, time
sys.path.insert(0, {root!r})
os.chdir({root!r})
import streamlit as st
from streamlit.testing.v1 import AppTest
import explorer.heap as heap
spent, start = [0.0], [0.0]
set_page_config, after_run = st.set_page_config, heap.after_run
def began(*args, **kwargs):
    start[0] = time.thread_time()
    return set_page_config(*args, **kwargs)
def ended():
    out = after_run()
    spent[0] += time.thread_time() - start[0]
    return out
st.set_page_config, heap.after_run = began, ended
at = AppTest.from_file(os.path.join({root!r}, "app.py"), default_timeout=300)
at.run()
def move(key, value):
    spent[0] = 0.0
    at.slider(key=key).set_value(value).run()
    assert not at.exception, at.exception
    return spent[0]
moves = {moves}
out = {{"horizon": [], "capability": [], "rerun": []}}
for i in range(moves):
    out["horizon"].append(move("p__market__horizon_weeks", 100 + 8 * i))
    out["capability"].append(move("p__custom_plan__inventory", 10 + 5 * i))
    spent[0] = 0.0
    at.run()
    out["rerun"].append(spent[0])
print(json.dumps(out))
"""


def measure(root: Path, code: str, moves: int) -> dict[str, list]:
    """One fresh process of tree ``root`` running ``code``: its JSON line."""
    out = subprocess.run([sys.executable, "-c", code.format(root=str(root), moves=moves)],
                         capture_output=True, text=True, check=True, cwd=root)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="fresh processes per tree and kind")
    parser.add_argument("--moves", type=int, default=5, help="moves of each slider per process")
    parser.add_argument("--compare", type=Path, help="another tree to measure alternately")
    args = parser.parse_args()
    trees = {"this": ROOT} | ({"other": args.compare.resolve()} if args.compare else {})
    worker: dict[str, dict[str, list]] = {t: {"horizon": [], "capability": []} for t in trees}
    app: dict[str, dict[str, list]] = {t: {"horizon": [], "capability": [], "rerun": []} for t in trees}
    for r in range(args.rounds):
        order = list(trees.items()) if r % 2 == 0 else list(reversed(trees.items()))
        for name, root in order:
            for kind, rows in measure(root, WORKER, args.moves).items():
                worker[name][kind].extend(rows)
            for kind, rows in measure(root, APP, args.moves).items():
                app[name][kind].extend(rows)
    print("median CPU seconds per update, fresh processes alternating; a shared machine is noisy")
    header = f"{'':32}" + "".join(f"{t:>10}" for t in trees)
    print(header + (f"{'this/other':>12}" if args.compare else ""))

    def row(label: str, values: dict[str, float]) -> None:
        line = f"{label:32}" + "".join(f"{values[t]:>10.4f}" for t in trees)
        if args.compare and values["other"] > 0:
            line += f"{values['this'] / values['other']:>12.3f}"
        print(line)

    for kind in ("horizon", "capability"):
        job = {t: statistics.median(c for c, _ in worker[t][kind]) for t in trees}
        outside = {t: statistics.median(c - s for c, s in worker[t][kind]) for t in trees}
        script = {t: statistics.median(app[t][kind]) for t in trees}
        row(f"{kind}: worker job", job)
        row(f"{kind}:   outside engine", outside)
        row(f"{kind}: app script", script)
        row(f"{kind}: outside + script", {t: outside[t] + script[t] for t in trees})
        row(f"{kind}: job + script", {t: job[t] + script[t] for t in trees})
    row("rerun (no move): script", {t: statistics.median(app[t]["rerun"]) for t in trees})


if __name__ == "__main__":
    main()
