"""The app's runs: split so a slider re-simulates as little as it must.

* Multichannel (all capabilities 0) and omnichannel (all 1) do not depend on the custom plan,
  and with common random numbers a plan's numbers do not depend on which plans run beside it.
  So the standard plans are cached per scenario-without-custom-plan and the custom plan apart;
  moving a capability slider then runs the custom plan alone. When the standard plans must be
  run, the current custom plan runs in the same lockstep run (one run of three plans costs less
  than a run of two and a run of one). The app's worker pool runs them as per-plan parts
  (:func:`run_plan_parts`, keyed by :func:`plan_key`), so any session's cached plan serves
  every other session whose scenario needs it.
* Market size, gross margin and capability costs only value a run (:mod:`simulation.core.valuation`),
  so runs are cached raw, on the scenario without them, and valued at the scenario's prices
  afterwards, without simulating again. Valuing computes the KPIs and the weekly frame once per
  part; the other frames (:data:`~simulation.core.results.LAZY_FRAMES`: survival, funnel, ...)
  only for a page that reads them (:func:`frames`, joined as the results' frame source), so a
  slider move on the Overview never pays for them.
* The per-person outputs (the customers table, the customer segmentation) are computed apart
  (:func:`details`), only for the pages that show them.

The custom plan's NPV gain, ROI and payback are measured against multichannel when the parts
are joined. ``tests/explorer/test_runs.py`` checks that the joined parts equal one
:func:`simulation.simulate` run exactly.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from simulation import Plan, Scenario
from simulation.analysis.cluster import dask_runner, scheduler_from_environment
from simulation.analysis.runs import Execution
from simulation.core.api import UnvaluedRun, run_plans, valued
from simulation.core.metrics import baseline_comparison, customers_frame, plan_migration
from simulation.core.results import LAZY_FRAMES, FrameSource, Results, frame_of
from simulation.core.scenario import CapabilityLevels
from simulation.core.segmentation import segment_frames
from simulation.core.state import ProgressCallback
from simulation.core.valuation import revalue_run, simulated_part, with_prices_of

T = TypeVar("T")

STANDARD = [Plan.MULTICHANNEL.value, Plan.OMNICHANNEL.value]
CUSTOM = [Plan.CUSTOM.value]
_NEUTRAL_PLAN = CapabilityLevels.uniform(0.0)


def _without_custom_plan(scenario: Scenario) -> Scenario:
    return scenario.replace(custom_plan=_NEUTRAL_PLAN)


def standard_key(scenario: Scenario) -> str:
    """Canonical key of everything the standard plans' simulation depends on.

    The custom plan is blanked and the valuation parameters fixed: neither changes the run.
    """
    return _standard_key_of(custom_key(scenario))


@functools.lru_cache(maxsize=256)
def _standard_key_of(simulated: str) -> str:
    """:func:`standard_key` from :func:`custom_key` (remembered: every script run asks for it)."""
    return _without_custom_plan(Scenario.from_json(simulated)).canonical_key()


def custom_key(scenario: Scenario) -> str:
    """Canonical key of everything the custom plan's simulation depends on."""
    return simulated_part(scenario).canonical_key()


def standard_prices_key(scenario: Scenario) -> str:
    """Canonical key of everything the valued standard plans depend on (the custom plan blanked)."""
    return _standard_prices_key_of(scenario.canonical_key())


@functools.lru_cache(maxsize=256)
def _standard_prices_key_of(key: str) -> str:
    """:func:`standard_prices_key` from the scenario's canonical key (asked for several times a run)."""
    return _without_custom_plan(Scenario.from_json(key)).canonical_key()


@dataclass(frozen=True)
class LockstepRun:
    """The standard plans' run, and the custom plan that ran in lockstep with them.

    Both are raw runs: their result frames are computed once, when a part is valued.
    """

    standard: UnvaluedRun
    custom: UnvaluedRun
    custom_key: str
    """:func:`custom_key` of the scenario the custom plan ran in."""


@dataclass(frozen=True)
class Details:
    """The per-person outputs only some pages show, for all three plans.

    The ``customers`` table and the customer segmentation (``Results.extras`` ``segments`` and
    ``segment_value``).
    """

    customers: pd.DataFrame
    extras: dict[str, pd.DataFrame]


def run_standard(scenario: Scenario, custom_plan: CapabilityLevels,
                 progress: ProgressCallback | None = None) -> LockstepRun:
    """Multichannel, omnichannel and ``custom_plan`` in one lockstep run, split in two parts.

    The standard part and the custom part, run in this process (the app runs per-plan parts in
    its worker pool, :func:`run_plan_parts`).
    """
    with_custom = scenario.replace(custom_plan=custom_plan)
    run = run_plans(with_custom, None, progress=progress)
    return LockstepRun(standard=run.plans(STANDARD), custom=run.plans(CUSTOM),
                       custom_key=custom_key(with_custom))


PlanKey = tuple[str, str, str]
"""``("plan", key, strategy name)``: one plan's raw run, cached apart (see :func:`plan_key`)."""


def plan_key(scenario: Scenario, name: str) -> PlanKey:
    """Cache key of plan ``name``'s raw run in ``scenario``.

    A standard plan is keyed on :func:`standard_key` (it does not depend on the custom plan),
    the custom plan on :func:`custom_key`.
    """
    return ("plan", custom_key(scenario) if name in CUSTOM else standard_key(scenario), name)


def plan_keys(scenario: Scenario) -> list[PlanKey]:
    """The keys of the three plans' runs a page of ``scenario`` needs, multichannel first."""
    return [plan_key(scenario, name) for name in [*STANDARD, *CUSTOM]]


def run_plan_parts(key: str, names: list[str], progress: ProgressCallback | None = None, *,
                   prices: str | None = None) -> dict[Any, Any]:
    """The plans ``names`` of a scenario run in lockstep, one part per plan (a pool worker's job).

    ``key`` is the scenario's :func:`custom_key`; the parts are keyed by :func:`plan_key`.

    A standard plan's part is labelled with the scenario without its custom plan, as if it had
    run there: its numbers are the same (common random numbers), and parts of different
    custom plans' runs can then be joined (:meth:`UnvaluedRun.joined` compares the scenarios).

    ``prices``: canonical JSON of the scenario a page shows; the parts are then also valued at
    its prices, by :func:`valued_keys` (the standard plans if both ran, the custom plan if it
    ran), and, when all three ran, their :func:`migration` is added (:func:`migration_key`), so
    the app process, which serves every session on one core, need not.
    """
    scenario = Scenario.from_json(key)
    run = _run_named(scenario, names, progress)
    blank = _without_custom_plan(scenario)
    parts: dict[Any, Any] = {}
    keys = {name: plan_key(scenario, name) for name in names}
    for name in names:
        part = run.plans([name])
        if name not in CUSTOM:
            world = dataclasses.replace(part.run.world, scenario=blank)
            part = UnvaluedRun(run=dataclasses.replace(part.run, world=world), extras=part.extras)
        parts[keys[name]] = part
    if prices is not None:
        shown = Scenario.from_json(prices)
        standard_valued, custom_valued = valued_keys(shown, names)
        if standard_valued is not None:
            multi, omni = (parts[keys[name]] for name in STANDARD)
            standard = multi.joined(omni)
            parts[standard_valued] = value(standard, shown)
            if custom_valued is not None:
                parts[migration_key(shown)] = migration(standard, parts[keys[CUSTOM[0]]], shown)
        if custom_valued is not None:
            parts[custom_valued] = value(parts[keys[CUSTOM[0]]], shown)
    return parts


def migration_key(scenario: Scenario) -> tuple[str, str]:
    """Cache key of the three plans' :func:`migration` at ``scenario`` (its runs and market scale)."""
    return ("migration", scenario.canonical_key())


def valued_keys(scenario: Scenario, names: list[str]) -> tuple[tuple[str, str] | None,
                                                                tuple[str, str] | None]:
    """Cache keys of the valued standard plans and the valued custom plan of ``scenario``.

    Each is None when ``names`` does not have its plans (both standard plans; the custom plan).
    """
    standard = ("valued", standard_prices_key(scenario)) if set(STANDARD) <= set(names) else None
    custom = ("valued-custom", scenario.canonical_key()) if CUSTOM[0] in names else None
    return standard, custom


def lockstep_from_parts(scenario: Scenario, parts: dict[PlanKey, UnvaluedRun]) -> LockstepRun:
    """The standard plans' run and ``scenario``'s custom plan from per-plan parts."""
    multi, omni, custom = (parts[k] for k in plan_keys(scenario))
    return LockstepRun(standard=multi.joined(omni), custom=custom, custom_key=custom_key(scenario))


def run_analysis(work: Callable[..., T], args: tuple[Any, ...], cache_dir: str | None = None,
                 progress: ProgressCallback | None = None,
                 should_cancel: Callable[[], bool] | None = None) -> T:
    """``work(*args, execution=...)``, one analysis of :mod:`simulation.analysis` (a pool worker's job).

    It reports ``progress``, takes one worker of the app's bounded share, and stops between its
    tasks once ``should_cancel()`` is True (submitted to the pool as ``stoppable``, so the
    worker is kept); ending that worker cancels it too.

    Its tasks run in this process, or, when the operator names a running Dask scheduler in
    ``OMNICHANNEL_DASK_SCHEDULER`` (:mod:`simulation.analysis.cluster`), on that cluster with
    this process as its client. ``local`` is not honoured here: a local cluster would take
    every core of the server, which the sessions' slider runs share.
    """
    execution = Execution(n_jobs=1, progress=progress, cache_dir=cache_dir,
                          should_cancel=should_cancel)
    address = scheduler_from_environment()
    if address is None or address == "local":
        return work(*args, execution=execution)
    with dask_runner(address):
        return work(*args, execution=execution)


def run_custom(scenario: Scenario, progress: ProgressCallback | None = None) -> UnvaluedRun:
    """The custom plan alone (its baseline-relative KPIs are filled in by :func:`join`)."""
    return _run_named(scenario, CUSTOM, progress)


def _run_named(scenario: Scenario, names: list[str],
               progress: ProgressCallback | None = None) -> UnvaluedRun:
    return run_plans(scenario, {name: scenario.plan(Plan(name)) for name in names},
                     progress=progress)


def value(part: UnvaluedRun, scenario: Scenario) -> Results:
    """A part valued at ``scenario``'s prices: KPIs, weekly frame and extras only.

    The engine's arrays are dropped, so it is small to cache (:func:`details` has the
    per-person outputs, :func:`frames` the other frames, which :func:`join` takes as a source).
    """
    results = valued(part, _prices_for(part, scenario), segments=False)
    return _frames_only(results, results.extras)


def frames(standard: UnvaluedRun, custom: UnvaluedRun, scenario: Scenario) -> dict[str, pd.DataFrame]:
    """The frames :func:`value` leaves out (:data:`LAZY_FRAMES`), of the three plans at ``scenario``'s prices.

    Each equals the frame of one :func:`simulation.simulate` run (the standard part's plans, then
    the custom plan's).
    """
    valued_runs = [revalue_run(part.run, _prices_for(part, scenario)) for part in (standard, custom)]
    return {name: pd.concat([frame_of(run, name) for run in valued_runs], ignore_index=True)
            for name in LAZY_FRAMES}


def details(standard: UnvaluedRun, custom: UnvaluedRun, scenario: Scenario) -> Details:
    """Customers table and segmentation of the three plans at ``scenario``'s prices."""
    runs = [revalue_run(part.run, _prices_for(part, scenario)) for part in (standard, custom)]
    # Segments are defined on the baseline (the standard part's first plan) for both parts.
    segments = [segment_frames(run, baseline=runs[0]) for run in runs]
    return Details(
        customers=pd.concat([customers_frame(run) for run in runs], ignore_index=True),
        extras={name: pd.concat([s[name] for s in segments], ignore_index=True)
                for name in segments[0]},
    )


def custom_part(lockstep: LockstepRun, scenario: Scenario) -> UnvaluedRun | None:
    """The custom plan's run from ``lockstep`` if it ran ``scenario``'s custom plan, else None.

    When None, :func:`run_custom` runs it alone.
    """
    return lockstep.custom if lockstep.custom_key == custom_key(scenario) else None


def priced(lockstep: LockstepRun, custom: UnvaluedRun | None, scenario: Scenario) -> Results:
    """The three plans of ``scenario`` at its prices with every output, uncached.

    The standard plans come from ``lockstep``, the custom plan from it too when it ran
    ``scenario``'s, else from ``custom`` (from :func:`run_custom`).
    """
    custom = custom_part(lockstep, scenario) or custom
    if custom is None:
        raise ValueError("the custom plan of this scenario has not been run")
    joined = join(value(lockstep.standard, scenario), value(custom, scenario),
                  migration(lockstep.standard, custom, scenario),
                  frames=frames(lockstep.standard, custom, scenario))
    return with_details(joined, details(lockstep.standard, custom, scenario))


def migration(standard: UnvaluedRun, custom: UnvaluedRun, scenario: Scenario) -> pd.DataFrame:
    """Each plan's sales moved between channels, person by person, across the two parts.

    See :func:`simulation.core.metrics.plan_migration`; the baseline is the standard part's
    first plan. Spend does not depend on prices, only the market scale does.
    """
    return plan_migration([*standard.run.world.plan_names, *custom.run.world.plan_names],
                          [*standard.run.states, *custom.run.states], scenario.scale)


def join(standard: Results, custom: Results, moved: pd.DataFrame | None = None, *,
         frames: dict[str, pd.DataFrame] | FrameSource | None = None) -> Results:
    """One :class:`Results` for the three strategies from the two partial runs.

    ``moved`` (from :func:`migration`) replaces the custom plan's migration, which weekly
    channel totals can only bound from below. The frames of :data:`LAZY_FRAMES` are joined
    from the parts when both hold them, else taken from ``frames``: the dict of
    :func:`frames`, or a source that gives each on first access (the app's cache of them);
    without either, reading one raises ValueError.
    """
    held = {name: pd.concat([getattr(standard, name), getattr(custom, name)], ignore_index=True)
            for name in ("weekly", *LAZY_FRAMES)
            if standard.has_frame(name) and custom.has_frame(name)}
    source: FrameSource | None = None
    if isinstance(frames, dict):
        held = {**frames, **held}
    else:
        source = frames
    relative = baseline_comparison(
        held["weekly"], baseline=Plan.MULTICHANNEL.value,
        weekly_discount_rate=custom.scenario.weekly_discount_rate,
    )
    kpis = _with_custom_row(pd.concat([standard.kpis, custom.kpis]),
                            [relative] if moved is None else [relative, moved])
    extras = {
        name: pd.concat([standard.extras[name], frame], ignore_index=True)
        for name, frame in custom.extras.items() if name in standard.extras
    }
    return Results(scenario=custom.scenario, kpis=kpis, extras=extras, frame_source=source,
                   **held)


def _with_custom_row(kpis: pd.DataFrame, sources: list[pd.DataFrame]) -> pd.DataFrame:
    """``kpis`` with the custom plan's values of the columns of each of ``sources``, in turn.

    Set on the array when every column is a float one that ``kpis`` has (one assignment instead
    of pandas' mixed-column path, which was half the join at every slider move); the values are
    the same either way.
    """
    row = Plan.CUSTOM.value
    places = [kpis.columns.get_indexer(source.columns) for source in sources]
    if not all(dtype == np.float64 for frame in (kpis, *sources) for dtype in frame.dtypes) \
            or any((where < 0).any() for where in places):
        for source in sources:
            kpis.loc[row, source.columns] = source.loc[row]
        return kpis
    values = kpis.to_numpy(dtype=np.float64, copy=True)
    at = kpis.index.get_loc(row)
    for source, where in zip(sources, places, strict=True):
        values[at, where] = source.loc[row].to_numpy(np.float64)
    return pd.DataFrame(values, index=kpis.index, columns=kpis.columns)


def with_details(results: Results, found: Details) -> Results:
    """``results`` with the per-person outputs of ``found`` (extras and ``customers``)."""
    out = _frames_only(results, {**results.extras, **found.extras})
    # ``Results.customers`` is a cached_property computed from the engine state; storing the
    # table in the instance dict is how a cached_property is pre-filled (frozen only blocks
    # attribute assignment).
    vars(out)["customers"] = found.customers
    return out


def _frames_only(results: Results, extras: dict[str, pd.DataFrame]) -> Results:
    """``results``' KPIs and the frames it holds, with ``extras``, without the engine's arrays.

    A frame not computed yet stays so: it is left out, or still given by the frame source.
    """
    return Results(scenario=results.scenario, kpis=results.kpis, weekly=results.weekly,
                   extras=dict(extras), frame_source=results.frame_source,
                   **{name: getattr(results, name) for name in LAZY_FRAMES
                      if results.has_frame(name)})


def _prices_for(part: UnvaluedRun, scenario: Scenario) -> Scenario:
    return with_prices_of(part.run.world.scenario, scenario)
