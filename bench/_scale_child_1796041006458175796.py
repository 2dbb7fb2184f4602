
import json, resource, sys, time
sys.path.insert(0, '/work/main')
from simulation import Scenario
from simulation.engine import Simulation
from simulation.personalization import PersonalizedTargeting
from simulation.random_streams import RandomStreams
from simulation.world import build_world
n = 10000000
scenario = Scenario.preset("benchmark_retailer").replace(market__population=n)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
streams = RandomStreams(scenario.seed)
world = build_world(scenario, streams)
started = time.perf_counter()
last = [0.0]
def progress(done, message):
    if done - last[0] >= 0.1 or done >= 1:
        last[0] = done
        elapsed = time.perf_counter() - started
        left = elapsed / done * (1 - done) if done > 0 else float("nan")
        print(f"  {done:4.0%} {message}, about {left:.0f} s left", file=sys.stderr, flush=True)
Simulation(world, streams, PersonalizedTargeting()).run(progress)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
steps = len(world.strategies) * n * scenario.market.horizon_weeks
print(json.dumps(dict(n=n, seconds=seconds, steps_per_s=steps / seconds,
                      bytes_per_person=(peak - before) / n)))
