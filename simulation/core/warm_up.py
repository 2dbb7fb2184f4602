"""Everything a process compiles or loads before its first real run: the kernels' signatures.

numba compiles a kernel once per combination of argument types. The state's types depend on the
scenario: contact keys are int16, or int32 when plans x segments x 16 x 2^channels passes
int16's range (eight channels); purchase counters are uint8 while horizon x journeys a week
stays within 255 (one journey a week), else uint16. The kernels' own warm-ups
(:func:`simulation.core.kernels.warm_up`) cover the default types; four tiny runs, one per
(key type, counter type), reach the rest through the engine itself, so whatever the engine
calls is ready, including kernels that call other kernels. A worker does this at start, before
it says it is ready, so no session's first run pays for a compilation (about a second of CPU
per kernel on a fresh cache, a fraction of that to load a cached one).
"""

from __future__ import annotations

import subprocess
import sys

from simulation.core.api import simulate
from simulation.core.kernels import threads, warm_up_parallel
from simulation.core.kernels import warm_up as warm_up_kernels
from simulation.core.presets import DEFAULT_PRESET
from simulation.core.scenario import Scenario
from simulation.core.targeting import RandomTargeting

EXTRA_CHANNELS = ("email", "sms", "catalogue")
"""Digital channels added (copies of the web channel) to make the contact keys int32."""


def with_more_channels(scenario: Scenario) -> Scenario:
    """``scenario`` with :data:`EXTRA_CHANNELS` beside its own: eight channels, int32 keys."""
    web = next(channel for channel in scenario.channels if channel.name == "web")
    channels = [*scenario.channels, *(web.model_copy(update={"name": name}) for name in EXTRA_CHANNELS)]
    segments = [segment.model_copy(update={"channel_preference": segment.channel_preference
                                           | dict.fromkeys(EXTRA_CHANNELS, 0.05)})
                for segment in scenario.segments]
    return scenario.replace(channels=channels, segments=segments)


def warm_up_runs() -> list[Scenario]:
    """The tiny scenarios :func:`warm_up` runs.

    One per (key type, counter type) pair, between them reaching the paths only some behaviours
    take (the new-customer boost, drop-out after a purchase, heavy messaging, no satisfaction
    drift).
    """
    base = Scenario.preset(DEFAULT_PRESET).replace(market__population=300, market__horizon_weeks=40)
    one_journey = {"behaviour__max_journeys_per_week": 1}  # 40 purchases at most: uint8 counters
    paths = {"behaviour__new_customer_intent_boost": 0.5, "behaviour__dropout_after_purchase": 0.1,
             "behaviour__unsubscribe_per_excess_contact": 0.2, "behaviour__churn_per_excess_contact": 0.05,
             "behaviour__satisfaction_half_life_weeks": 0.0}
    return [base, base.replace(**one_journey, **paths), with_more_channels(base).replace(**paths),
            with_more_channels(base).replace(**one_journey)]


def warm_up() -> None:
    """Compile, or load from numba's cache, every kernel signature a run can call."""
    warm_up_kernels()
    for number, scenario in enumerate(warm_up_runs()):
        simulate(scenario, targeting=None if number % 2 == 0 else RandomTargeting())


def fill_cache(parallel_variants: bool = False) -> int:
    """Fill numba's disk cache for the processes that follow, on two cores (``python -m`` this).

    A fresh checkout has no cache, and each process that meets an uncompiled kernel compiles
    it: when a test suite starts on several workers, each worker, server and CLI subprocess
    would compile the same kernels at once (about 45 s of CPU for the serial variants and the
    runs' types, 55 s more for the parallel variants). Here a child process compiles the
    parallel variants while this one (set to one thread for the rest of its life) compiles the
    serial ones and runs :func:`warm_up_runs`.

    Parameters
    ----------
    parallel_variants:
        Compile only the parallel variants (what the child does).

    Returns
    -------
    int
        The exit status: 0, or the child's when it failed.
    """
    if parallel_variants:
        warm_up_parallel()
        return 0
    child = None
    if threads.available() > 1:  # whatever this process's setting: the processes after it may ask for threads
        child = subprocess.Popen([sys.executable, "-m", "simulation.core.warm_up", "--parallel-variants"])
    threads.one_thread()
    warm_up()
    return child.wait() if child is not None else 0


__all__ = ["fill_cache", "warm_up", "warm_up_runs", "with_more_channels"]


if __name__ == "__main__":
    sys.exit(fill_cache(parallel_variants="--parallel-variants" in sys.argv[1:]))
