"""One run's plans on several threads: the plans split into groups, each group a run of its own.

A plan's numbers do not depend on which plans run beside it (common random numbers: the
whole-population draws are taken for everyone every week in a fixed order, and the event draws
are hashed from the seed, the decision, the week and the person), so the plans can be run in
groups, one Python thread each, and the groups' runs joined in plan order
(:meth:`~simulation.core.state.RunOutput.joined`) give exactly the lockstep run of them all.
The engine spends most of a large run in compiled kernels and numpy, which release the GIL, so
the groups run side by side on a machine's cores; between the kernels they wait for each
other's GIL, which is why small runs do not split (:data:`SPLIT_FROM_PEOPLE`).

Used by :func:`simulation.core.api.run_plans` when the process may use more than one thread
(:func:`simulation.core.kernels.threads.threads`) and the run is large enough. Measured on the
2-core reference machine (1M people, learned targeting, three plans, three alternating
triples): multichannel and omnichannel on one thread beside the custom plan on another took
x0.89 the wall time of the lockstep run on one thread (pairs x0.70-0.92), for about x1.2 its
CPU (each group scans the whole population for its candidates); the compiled kernels' own
threads, by contrast, made the same run 8% slower. Inside a group the kernels run serially
(:func:`~simulation.core.kernels.threads.serial_here`): the groups fill the cores. The week's
whole-population draws, which each group first drew itself, are taken once for all of them
(:class:`~simulation.core.random_streams.SharedPopulationDraws`): about 8% less CPU (seven
alternating pairs), so a group that runs ahead waits for the slowest. Multichannel now runs
alone, beside omnichannel and the custom plan (:func:`plan_groups`), which balances the groups.

Progress is the slowest group's. If any group fails, or the caller is interrupted (Ctrl-C),
the other groups stop at their next progress point (a few simulated weeks) and the error is
raised.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait

import numpy as np

from simulation.core.kernels import threads
from simulation.core.state import ProgressCallback, RunOutput
from simulation.core.world import World

SPLIT_FROM_PEOPLE = 1_000_000
"""People from which a run with more than one thread splits its plans over threads. Each group
has costs of its own (its contact tables, targeting rounds and whole-population scans; the
draws were its own too when this was measured): on the 2-core machine, two threads took
x1.2-1.4 the wall time of one at 200,000 people, about the same at 500,000 (x0.78-1.11 in two
pairs), x0.89 at 1M (three pairs)."""


class _Stopped(Exception):
    """Raised in a group's thread at its next progress point once another group has failed."""


def plan_groups(n_plans: int, n_people: int) -> list[list[int]]:
    """The plan indices each thread runs, in plan order: one group when the run stays on one thread.

    As many groups as threads (at most one per plan), of consecutive plans, the smaller groups
    first (three plans on two threads: the first, then the other two). In ``simulate``'s runs
    the first plan is multichannel, the costliest to run (its targeting is one model and list
    per channel), so in a group of its own it balances the other two (1M people, four
    alternating pairs: the run's wall time x0.75-1.32, median x0.87, of the first two plans
    grouped; the larger group's thread CPU x0.71-1.06).
    """
    n_threads = threads.threads()
    if n_threads < 2 or n_plans < 2 or n_people < SPLIT_FROM_PEOPLE:
        return [list(range(n_plans))]
    sizes = [part.size for part in np.array_split(np.arange(n_plans), min(n_plans, n_threads))][::-1]
    ends = np.cumsum(sizes)
    return [list(range(int(end - size), int(end))) for size, end in zip(sizes, ends, strict=True)]


def subset(world: World, plans: list[int]) -> World:
    """``world`` with only the plans ``plans`` (the people are shared, not copied)."""
    return dataclasses.replace(world, plan_names=tuple(world.plan_names[i] for i in plans),
                               levels=world.levels[plans])


def run_groups(world: World, groups: list[list[int]],
               run_group: Callable[[int, World, ProgressCallback], tuple[RunOutput, dict[str, object]]],
               progress: ProgressCallback | None) -> list[tuple[RunOutput, dict[str, object]]]:
    """``run_group(g, subset(world, groups[g]), progress)`` for every group ``g``, each on its own thread.

    Parameters
    ----------
    world:
        The run's world, with every plan.
    groups:
        Plan indices per thread (:func:`plan_groups`).
    run_group:
        Runs group ``g``'s world to its end, calling the progress callback it is given; returns
        what the caller joins (the run and whatever else it keeps).
    progress:
        The caller's callback, called with the slowest group's fraction and message, never
        backwards, from the groups' threads one at a time.

    Returns
    -------
    list
        ``run_group``'s results in group order.
    """
    stop = threading.Event()
    lock = threading.Lock()
    done = [0.0] * len(groups)
    said = [-1.0]
    messages: list[str | None] = [None] * len(groups)

    def reporter(g: int) -> ProgressCallback:
        def report(fraction: float, message: str) -> None:
            if stop.is_set():
                raise _Stopped
            with lock:
                done[g], messages[g] = fraction, message
                slowest = min(range(len(groups)), key=done.__getitem__)
                if progress is not None and done[slowest] > said[0]:
                    said[0] = done[slowest]
                    progress(done[slowest], messages[slowest] or message)
        return report

    def one(g: int) -> tuple[RunOutput, dict[str, object]]:
        with threads.serial_here():
            return run_group(g, subset(world, groups[g]), reporter(g))

    with ThreadPoolExecutor(len(groups), thread_name_prefix="plans") as pool:
        futures: list[Future[tuple[RunOutput, dict[str, object]]]] = [
            pool.submit(one, g) for g in range(len(groups))]
        try:
            finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = [f for f in futures if f in finished and f.exception() is not None
                      and not isinstance(f.exception(), _Stopped)]
            if failed:
                raise failed[0].exception()  # type: ignore[misc]
            return [f.result() for f in futures]
        except BaseException:
            stop.set()  # the other groups end at their next progress point; the pool waits for them
            raise


__all__ = ["SPLIT_FROM_PEOPLE", "plan_groups", "run_groups", "subset"]
