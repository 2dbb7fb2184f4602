"""A worker's warm-up compiles every kernel signature the runs it serves will call, so no user's
request pays for a compilation (about a second of CPU per kernel on a fresh machine)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# In a fresh process, as a pool worker starts (one thread): warm up, note every compiled
# signature, run scenarios that reach each dtype the state can take (uint8 and uint16 purchase
# counters, int16 and int32 contact keys) and each engine path, and list what got compiled since.
AFTER_WARM_UP = r"""
import importlib, pkgutil, sys
from simulation.core.kernels import threads
threads.one_thread()
from simulation.core.warm_up import warm_up, with_more_channels
warm_up()
import simulation.core.kernels as package
from simulation import Scenario, simulate
from simulation.core.presets import preset_names
from simulation.core.targeting import RandomTargeting

def signatures():
    found = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, value in vars(module).items():
            if hasattr(value, "signatures") and hasattr(value, "py_func"):
                found[f"{info.name}.{name}"] = set(map(str, value.signatures))
    return found

before = signatures()
base = Scenario.preset("benchmark_retailer").replace(market__population=600, market__horizon_weeks=30)
runs = [
    (base, None),
    (base.replace(behaviour__max_journeys_per_week=1), RandomTargeting()),
    (base.replace(behaviour__new_customer_intent_boost=0.8, behaviour__dropout_after_purchase=0.15), None),
    (base.replace(behaviour__unsubscribe_per_excess_contact=0.2, behaviour__churn_per_excess_contact=0.05,
                  behaviour__satisfaction_half_life_weeks=0.0), None),
    (with_more_channels(base), None),
    (with_more_channels(base).replace(behaviour__max_journeys_per_week=2), RandomTargeting()),
    *((Scenario.preset(name).replace(market__population=400, market__horizon_weeks=60), None)
      for name in preset_names()),
]
for scenario, targeting in runs:
    simulate(scenario, targeting=targeting)
after = signatures()
new = {name: sorted(after[name] - before.get(name, set())) for name in after
       if after[name] - before.get(name, set())}
print(repr(new))
"""


def test_warm_up_compiles_every_signature_the_runs_call(tmp_path: Path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMNICHANNEL_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", AFTER_WARM_UP], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "{}", (
        "compiled after warm_up (add these signatures to the module's warm_up): "
        + done.stdout.strip().splitlines()[-1])


# After the cache is filled, a fresh two-thread process's warm-up must load every kernel it calls
# (serial and parallel variants) from the cache: a cache miss means a compilation.
MISSES_AFTER_FILL = r"""
import importlib, pkgutil
from simulation.core.warm_up import warm_up
warm_up()
import simulation.core.kernels as package
misses = {}
for info in pkgutil.iter_modules(package.__path__):
    module = importlib.import_module(f"{package.__name__}.{info.name}")
    for name, value in vars(module).items():
        if hasattr(value, "stats") and hasattr(value, "py_func") and value.stats.cache_misses:
            misses[f"{info.name}.{name}"] = sorted(map(str, value.stats.cache_misses))
print(repr(misses))
"""


def test_filling_the_cache_leaves_nothing_to_compile_in_a_two_thread_process():
    """Filled with the default setting (one thread, as ``make test`` fills it), then used on two."""
    env = {k: v for k, v in os.environ.items() if k != "OMNICHANNEL_THREADS"} | {"PYTHONPATH": str(ROOT)}
    filled = subprocess.run([sys.executable, "-m", "simulation.core.warm_up"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=900)
    assert filled.returncode == 0, filled.stderr[-3000:]
    done = subprocess.run([sys.executable, "-c", MISSES_AFTER_FILL], cwd=ROOT,
                          env=env | {"OMNICHANNEL_THREADS": "2"}, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "{}", done.stdout
