"""Calibration: fit the hidden base parameters so the simulated current state matches known KPIs.

The user's *current state* is a plan at their current integration levels, already in force
(no ramp-up). A few multiplicative factors (levers) are laid over a scenario:

======================  ===========================================================  ===========
lever                   what it scales                                              moves most
======================  ===========================================================  ===========
``intent``              every segment's ``intent_rate_weekly``                      frequency
``dropout``             ``market.prospect_dropout_weekly`` (how long prospects stay   conversion
                        interested before a first purchase)
``churn``               every segment's ``weekly_churn_hazard``                     retention
``order_value``         every segment's median ``order_value``                      AOV
``channel_tilt``        digital channels' ``conversion`` x f, physical x 1/f        online share
``heterogeneity``       ``behaviour.intent_heterogeneity`` (spread of propensity;    1 / 2 / 3+
                        in a log fit ``repeat_propensity_heterogeneity``)
``dropout_after_        ``behaviour.dropout_after_purchase`` = 0.1 x f (BG/NBD p;     late buying
purchase``              0.1 is only the start, not a preset)
``new_customer_boost``  ``behaviour.new_customer_intent_boost`` = 0.5 x f (extra      early repeat
                        intent right after a first purchase; 0.5 is only the start)
``spend_heterogeneity`` ``behaviour.spend_heterogeneity`` = 0.5 x f (customers' own   spend spread
                        spending levels, as Gamma-Gamma; 0.5 is only the start)
``spend_correlation``   ``behaviour.spend_propensity_correlation`` = tanh(ln f)       repeat value
                        (frequent buyers spend more per order; 0 at f = 1)
======================  ===========================================================  ===========

A log fit (``lapse="purchase"``) takes the structure of the buy-till-you-die models: no weekly
churn hazard, drop-out only right after a repeat purchase, and a repeat propensity drawn afresh
at the first purchase (``behaviour.repeat_propensity_correlation`` = 0) with its own spread:
BG/NBD describes the spread of repeat buying among customers, whatever brought them to their
first purchase, and with one trait for both the customers a run acquires are the keener people,
so their spread could never reach the data's (docs/MODEL.md section 10). It starts from the NBD
moment estimate of that spread (:func:`log_start`) and simulates :data:`LOG_POPULATION` people.

Two ways to measure the simulated current state (``basis``):

``"cohort"`` (the app's and the CLI's, for logs and KPIs alike; :func:`calibrate` defaults to ``"kpi"``)
    Simulated customers are measured exactly like a log's customers: purchases are collapsed
    into buying weeks and each KPI counts tenure windows after the first purchase
    (:mod:`simulation.calibration.cohorts`), so simulated and real customers are compared over the same
    tenure, whatever their acquisition weeks. The calibration run is the scenario with no
    customers at the start and people reached early (:data:`CALIBRATION_REACH`), long enough
    for every customer acquired in its first :data:`ACQUISITION_WEEKS` weeks to be watched
    over the longest tenure needed; propensities are drawn by inverting the gamma CDF of one
    uniform per person, so the fit's objective moves smoothly with ``heterogeneity``.
``"kpi"`` / ``"events"``
    Engine KPIs, or KPIs of the simulated event log (:func:`simulation.calibration.eventlog.event_kpis`).

The level of channel conversion and the intent rate enter these KPIs almost only as a product
(journeys x conversion per journey), so from KPIs alone they cannot be told apart; the fit keeps
channel conversion at the preset's level (from Baymard and store benchmarks) and moves intent,
and fits the reach-to-first-purchase conversion with the prospects' drop-out instead. That is
the identifiable version of "base conversion".

The factors are found by a damped Gauss-Newton (Levenberg-Marquardt) search in log-factor space
with a finite-difference Jacobian updated by Broyden's rule, each residual in units of its
tolerance plus a weak pull towards the preset (factor 1). Every evaluation simulates the current
plan only, with common random numbers and a fixed seed, on a reduced population, so the objective
is deterministic and smooth enough for steps of a few percent.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.special import gammaincinv

from simulation.calibration import cohorts
from simulation.calibration.eventlog import (
    EventRecorder,
    event_kpis,
    physical_channels_of,
    simulate_event_log,
)
from simulation.core.api import simulate_plans
from simulation.core.engine import Simulation
from simulation.core.random_streams import Draw, RandomStreams
from simulation.core.results import Results
from simulation.core.scenario import Capability, CapabilityLevels, ChannelKind, Scenario
from simulation.core.state import ProgressCallback
from simulation.core.world import World, build_world, customer_traits, standard_plans
from simulation.inputs import InputError
from simulation.inputs.problems import Problem, Progress, at


class Lever(StrEnum):
    """A hidden parameter group the fit scales by a factor (meanings in :data:`LEVER_MEANING`)."""

    INTENT = "intent"
    DROPOUT = "dropout"
    CHURN = "churn"
    ORDER_VALUE = "order_value"
    CHANNEL_TILT = "channel_tilt"
    HETEROGENEITY = "heterogeneity"
    PURCHASE_DROPOUT = "dropout_after_purchase"
    NEW_CUSTOMER_BOOST = "new_customer_boost"
    SPEND_HETEROGENEITY = "spend_heterogeneity"
    SPEND_CORRELATION = "spend_correlation"


LEVER_MEANING = {lever: Problem(f"calibration_kpi.lever.{lever.value}") for lever in Lever}
"""What each lever scales, in words (keyed text: English as a ``str``, said in the reader's language)."""
DROPOUT_AFTER_PURCHASE_START = 0.1
"""``dropout_after_purchase`` at factor 1 when the lever moves (its preset value is 0)."""
SPEND_HETEROGENEITY_START = 0.5
"""``spend_heterogeneity`` at factor 1 when the lever moves (its preset value is 0)."""
NEW_CUSTOMER_BOOST_START = 0.5
"""``new_customer_intent_boost`` at factor 1 when the lever moves (its preset value is 0)."""
CALIBRATION_REACH = 0.1
"""Weekly reach of the calibration run (at least): most people are reached in its first months."""
ACQUISITION_WEEKS = 26
"""Weeks of acquisition before the longest tenure window in the calibration run."""
LOG_POPULATION = 20_000
"""People simulated per evaluation of a log fit (at most the scenario's population). A
calibration run acquires about a tenth of them in a log's first weeks, and repeat counts are
heavy-tailed (CDNOW: standard deviation 1.6 around a mean of 0.8 in 26 weeks), so 2,000
simulated customers measure the cohort KPIs within about 3-4%; at 5,000 people the fit chases
the luck of a few hundred customers (bench/calibration.py shows both)."""
LOG_BOUNDS = {Lever.INTENT: (-3.0, 3.0), Lever.DROPOUT: (-5.0, 3.0), Lever.CHURN: (-6.0, 3.0),
              Lever.ORDER_VALUE: (-4.0, 4.0), Lever.CHANNEL_TILT: (-2.5, 2.5),
              Lever.HETEROGENEITY: (-2.0, 1.5), Lever.PURCHASE_DROPOUT: (-4.0, 1.5),
              Lever.NEW_CUSTOMER_BOOST: (-5.0, 2.3), Lever.SPEND_HETEROGENEITY: (-4.0, 1.3),
              Lever.SPEND_CORRELATION: (-1.5, 1.5)}


@dataclass(frozen=True)
class KpiSpec:
    """One calibration target: label, tolerance, whether relative, and the lever it mostly moves."""

    label: str
    tolerance: float
    relative: bool
    lever: Lever
    rate: bool = True
    model_only: bool = False
    """A quantity of the model that no log shows (e.g. not lapsed)."""


KPI_SPECS: dict[str, KpiSpec] = {
    # Engine KPIs (simulation.core.metrics.kpi_frame) and the online share of purchases.
    "conversion_rate": KpiSpec(Problem("calibration_kpi.conversion_rate"), 0.02, False, Lever.DROPOUT),
    "retention_12m": KpiSpec(Problem("calibration_kpi.retention_12m"), 0.02,
                             False, Lever.CHURN, model_only=True),
    "repeat_12m": KpiSpec(Problem("calibration_kpi.repeat_12m"), 0.02, False, Lever.CHURN),
    "aov": KpiSpec(Problem("calibration_kpi.aov"), 0.02, True, Lever.ORDER_VALUE, rate=False),
    "purchases_per_customer_year": KpiSpec(Problem("calibration_kpi.purchases_per_customer_year"), 0.04,
                                           True, Lever.INTENT, rate=False, model_only=True),
    "online_share": KpiSpec(Problem("calibration_kpi.online_share"), 0.02, False, Lever.CHANNEL_TILT),
    # Event-log KPIs (simulation.calibration.eventlog.event_kpis).
    "visitor_conversion": KpiSpec(Problem("calibration_kpi.visitor_conversion"), 0.02, False, Lever.DROPOUT),
    "active_second_year": KpiSpec(Problem("calibration_kpi.active_second_year"), 0.03, False,
                                  Lever.CHURN),
    "purchases_per_buyer_year": KpiSpec(Problem("calibration_kpi.purchases_per_buyer_year"), 0.04, True,
                                        Lever.INTENT, rate=False),
}
_WINDOW_LEVER = {"repeat": (Lever.PURCHASE_DROPOUT, 0.015, False, True),
                 "purchases": (Lever.INTENT, 0.03, True, False),
                 "share_3plus": (Lever.HETEROGENEITY, 0.015, False, True),
                 "active_late": (Lever.PURCHASE_DROPOUT, 0.015, False, True),
                 "revenue": (Lever.ORDER_VALUE, 0.03, True, False)}
for _w in cohorts.WINDOWS:
    for _kind, (_lever, _tol, _relative, _rate) in _WINDOW_LEVER.items():
        KPI_SPECS[cohorts.kpi_name(_kind, _w)] = KpiSpec(cohorts.window_label(_kind, _w), _tol,
                                                          _relative, _lever, rate=_rate)
KPI_SPECS["early_repeat"] = KpiSpec(
    Problem("calibration_kpi.early_repeat", weeks=cohorts.EARLY_WEEKS), 0.03, True,
    Lever.NEW_CUSTOMER_BOOST, rate=False)
KPI_SPECS["repeat_value_ratio"] = KpiSpec(
    Problem("calibration_kpi.repeat_value_ratio"), 0.02, True, Lever.SPEND_CORRELATION,
    rate=False)
KPI_SPECS["spend_spread"] = KpiSpec(
    Problem("calibration_kpi.spend_spread"), 0.03, True,
    Lever.SPEND_HETEROGENEITY, rate=False)
KPI_SPECS["recent_repeat"] = KpiSpec(
    Problem("calibration_kpi.recent_repeat", weeks=cohorts.RECENT_WEEKS), 0.03, True,
    Lever.PURCHASE_DROPOUT, rate=False)
KPI_SPECS["recent_active"] = KpiSpec(
    Problem("calibration_kpi.recent_active", weeks=cohorts.RECENT_WEEKS), 0.01, False,
    Lever.PURCHASE_DROPOUT)
for _i in (2, 3):
    KPI_SPECS[f"repeat_block_{_i}"] = KpiSpec(
        Problem("calibration_kpi.repeat_block", first=_i - 1, last=_i, weeks=cohorts.RECENT_WEEKS), 0.03,
        True, Lever.INTENT, rate=False)
COHORT_KINDS = ("purchases", "share_3plus", "recent_repeat", "repeat_block_2", "repeat_block_3",
                "recent_active", "early_repeat", *cohorts.SPEND_KPIS)
"""What a log is fitted to by default: purchases per customer and the share with 3+ in the
first window (frequency), repeat buying in the log's last three blocks of 13 weeks (the
tracking curve) and the share of customers buying again in the last block (recency), all
cohort-matched, repeat buying in the 13 weeks after the first purchase (the burst a new
customer's extra intent fits) and how order values differ between customers
(:func:`cohorts.spend_kpis`).
The repeat rate
(second purchase) can be chosen too; it is left out by default because it mostly counts the
burst of buying right after a first purchase, which ``early_repeat`` targets directly."""
KPI_TARGETS = ("conversion_rate", "retention_12m", "aov", "purchases_per_customer_year", "online_share")
EVENT_TARGETS = ("visitor_conversion", "repeat_12m", "active_second_year", "aov",
                 "purchases_per_buyer_year", "online_share")
KPI_ROUTE_TARGETS = ("aov", "repeat_52w", "purchases_52w", "share_3plus_52w", "active_late_52w",
                     "online_share", "conversion_rate")
"""What the KPI route offers (each optional): observable definitions, as for a log."""
PRIOR_WEIGHT = 0.1
"""Residual (in tolerance units) per unit of log factor: a weak pull towards the preset."""


class CalibrationError(InputError):
    """Targets that cannot be used at all (out of range, none given); one line per problem."""


def apply_factors(scenario: Scenario, factors: Mapping[str, float]) -> Scenario:
    """The scenario with lever factors applied (values clipped to each parameter's range)."""
    f = {Lever(k): float(v) for k, v in factors.items()}
    intent, churn = f.get(Lever.INTENT, 1.0), f.get(Lever.CHURN, 1.0)
    behaviour: dict[str, float] = {}
    if Lever.HETEROGENEITY in f:
        name = spread_parameter(scenario)
        behaviour[f"behaviour__{name}"] = min(5.0, getattr(scenario.behaviour, name) * f[Lever.HETEROGENEITY])
    if Lever.PURCHASE_DROPOUT in f:
        behaviour["behaviour__dropout_after_purchase"] = min(
            0.9, DROPOUT_AFTER_PURCHASE_START * f[Lever.PURCHASE_DROPOUT])
    if Lever.NEW_CUSTOMER_BOOST in f:
        behaviour["behaviour__new_customer_intent_boost"] = min(
            5.0, NEW_CUSTOMER_BOOST_START * f[Lever.NEW_CUSTOMER_BOOST])
    if Lever.SPEND_HETEROGENEITY in f:
        behaviour["behaviour__spend_heterogeneity"] = min(
            2.0, SPEND_HETEROGENEITY_START * f[Lever.SPEND_HETEROGENEITY])
    if Lever.SPEND_CORRELATION in f:
        behaviour["behaviour__spend_propensity_correlation"] = math.tanh(math.log(f[Lever.SPEND_CORRELATION]))
    value, tilt = f.get(Lever.ORDER_VALUE, 1.0), f.get(Lever.CHANNEL_TILT, 1.0)
    segments = [
        s.model_dump(mode="python") | {
            "intent_rate_weekly": min(1.0, s.intent_rate_weekly * intent),
            "weekly_churn_hazard": min(1.0, s.weekly_churn_hazard * churn),
            "order_value": min(100_000.0, max(0.01, s.order_value * value)),
        }
        for s in scenario.segments
    ]
    channels = [
        c.model_dump(mode="python") | {
            "conversion": min(1.0, c.conversion * (tilt if c.kind is ChannelKind.DIGITAL else 1 / tilt))
        }
        for c in scenario.channels
    ]
    dropout = min(1.0, scenario.market.prospect_dropout_weekly * f.get(Lever.DROPOUT, 1.0))
    return scenario.replace(segments=segments, channels=channels,
                            market__prospect_dropout_weekly=dropout, **behaviour)


def spread_parameter(scenario: Scenario) -> str:
    """The name of the behaviour parameter the ``heterogeneity`` lever moves.

    It is the spread of the propensity that drives repeat buying: the repeat propensity's own
    spread when that propensity is not fully tied to the shopping intent
    (``repeat_propensity_correlation`` < 1), else the intent's.
    """
    return ("repeat_propensity_heterogeneity" if scenario.behaviour.repeat_propensity_correlation < 1
            else "intent_heterogeneity")


def current_state_scenario(scenario: Scenario, *, population: int | None,
                           gross_margin: float | None = None) -> Scenario:
    """The scenario used to simulate today: capabilities already in force (no ramp-up)."""
    changes: dict[str, object] = {f"capability_costs__{c.value}__ramp_weeks": 0 for c in Capability}
    if population is not None:
        changes["market__population"] = min(population, scenario.market.population)
    if gross_margin is not None:
        changes["economics__gross_margin"] = gross_margin
    return scenario.replace(**changes)


def online_share(results: Results, plan: str) -> float:
    """Share of purchases made in digital channels."""
    cust = results.customers
    cust = cust[cust["strategy"] == plan]
    digital = [c.name for c in results.scenario.channels if c.kind is ChannelKind.DIGITAL]
    total = cust[[f"purchases_{c.name}" for c in results.scenario.channels]].to_numpy().sum()
    return float(cust[[f"purchases_{n}" for n in digital]].to_numpy().sum() / total) if total else math.nan


def measure_kpis(scenario: Scenario, levels: CapabilityLevels) -> dict[str, float]:
    """Engine KPIs of the current plan (the ``kpi`` basis of :func:`calibrate`)."""
    results = simulate_plans(scenario, {"current": levels})
    row = results.kpis.loc["current"]
    out = {k: float(row[k]) for k in ("conversion_rate", "retention_12m", "repeat_12m", "aov",
                                      "purchases_per_customer_year")}
    out["online_share"] = online_share(results, "current")
    return out


def measure_event_kpis(scenario: Scenario, levels: CapabilityLevels) -> dict[str, float]:
    """Event-log KPIs of the current plan's simulated log (the ``events`` basis)."""
    events = simulate_event_log(scenario, levels)
    if events.empty or not (events["event_type"] == "purchase").any():
        return {k: math.nan for k in EVENT_TARGETS}
    return event_kpis(events, physical=physical_channels_of(events["channel"].unique(), scenario))


def smooth_propensity(world: World, streams: RandomStreams) -> World:
    """``world`` with propensities that move smoothly with their spread.

    Propensities are drawn by inverting the gamma CDF (mean 1, the scenario's coefficient of
    variation) at one uniform per person: the same distribution as
    :func:`simulation.core.world.draw_people`, but a small change of the spread moves every
    person's propensity a little instead of re-drawing them, which the fit's finite differences
    need. Unchanged if the spread is 0.
    """
    cv = world.scenario.behaviour.intent_heterogeneity
    if cv <= 0:
        return world
    shape = 1.0 / cv**2
    # A pure function of (seed, person): the generator of draw_people has moved on by a number
    # of draws that depends on the spread (gamma sampling rejects some).
    u = streams.uniform(Draw.PROPENSITY, 0, 1, np.arange(world.n_people)).astype(np.float64)
    propensity = (gammaincinv(shape, np.clip(u + 2.0**-25, 1e-12, 1 - 1e-12)) / shape).astype(np.float32)
    repeat, spend = customer_traits(world.scenario, propensity, streams)
    return dataclasses.replace(world, people=dataclasses.replace(
        world.people, propensity=propensity, repeat_propensity=repeat, spend_level=spend))


@dataclass(frozen=True)
class CohortRun:
    """One calibration run: the simulated customers' buying weeks and their plain facts."""

    purchases: cohorts.BuyingWeeks
    online_share: float
    conversion_rate: float
    visitor_conversion: float
    not_lapsed_12m: float


def calibration_run_scenario(scenario: Scenario, max_tenure: int) -> Scenario:
    """The scenario of a calibration run (see the module docstring, basis ``"cohort"``)."""
    return scenario.replace(
        market__horizon_weeks=max_tenure + ACQUISITION_WEEKS, market__existing_customer_share=0.0,
        market__weekly_reach_rate=max(CALIBRATION_REACH, scenario.market.weekly_reach_rate))


def cohort_run(scenario: Scenario, levels: CapabilityLevels, *, max_tenure: int) -> CohortRun:
    """Simulate the current plan for a calibration and record every purchase."""
    run_scenario = calibration_run_scenario(scenario, max_tenure)
    streams = RandomStreams(run_scenario.seed)
    world = smooth_propensity(build_world(run_scenario, streams, {"current": levels}), streams)
    recorder = EventRecorder(run_scenario)
    output = Simulation(world, streams, recorder).run()
    state = output.states[0]
    horizon = run_scenario.market.horizon_weeks
    if recorder.weeks:
        week = np.concatenate([np.full(p.size, w) for w, p, *_ in recorder.weeks])
        person = np.concatenate([p for _, p, *_ in recorder.weeks])
        channel = np.concatenate([c for _, _, c, *_ in recorder.weeks])
        order = np.concatenate([o for *_, o in recorder.weeks])
    else:
        week = person = channel = np.zeros(0, dtype=np.int64)
        order = np.zeros(0)
    bw = cohorts.buying_weeks(person, week * 7.0, order, weeks=horizon)
    digital = ~world.channels.physical[channel] if channel.size else np.zeros(0, dtype=bool)
    reached = world.people.aware_week < horizon
    since = state.customer_since.astype(int)
    buyer = since >= 0
    watched = buyer & (since <= horizon - 53)
    lapse = state.lapse_week.astype(int)
    kept = watched & ((lapse < 0) | (lapse >= since + 52))
    visitors = state.channels_used != 0
    nan = float("nan")
    return CohortRun(
        purchases=bw,
        online_share=float(digital.mean()) if digital.size else nan,
        conversion_rate=float(buyer[reached].mean()) if reached.any() else nan,
        visitor_conversion=float(buyer[visitors].mean()) if visitors.any() else nan,
        not_lapsed_12m=float(kept.sum() / watched.sum()) if watched.any() else nan,
    )


def cohort_kpis(run: CohortRun, windows: tuple[int, ...] = cohorts.WINDOWS,
                acquisition: cohorts.Acquisition | None = None) -> dict[str, float]:
    """Every KPI of :data:`KPI_SPECS` measured on a calibration run, the log's way.

    Tenure KPIs are measured for each of ``windows`` the run is long enough for. With
    ``acquisition``, simulated customers are weighted to the log's acquisition weeks.
    """
    out: dict[str, float] = {}
    weights = (None if acquisition is None
               else acquisition.weights(run.purchases.first, ACQUISITION_WEEKS))
    for w in windows:
        if w + 1 <= run.purchases.weeks:
            out |= cohorts.tenure_kpis(run.purchases, w, weights)
    out |= cohorts.order_kpis(run.purchases, weights)
    out["early_repeat"] = cohorts.early_repeat(run.purchases, weights)
    out |= cohorts.spend_kpis(run.purchases, weights, None if acquisition is None
                              else acquisition.watched_tenure(run.purchases.first, ACQUISITION_WEEKS))
    out |= cohorts.lifetime_kpis(run.purchases)
    out |= {"online_share": run.online_share, "conversion_rate": run.conversion_rate,
            "visitor_conversion": run.visitor_conversion, "retention_12m": run.not_lapsed_12m}
    return out


def max_tenure_of(names: list[str], at_least: int = 0) -> int:
    """Longest tenure window the targets ``names`` need (weeks)."""
    need = [at_least, 13]
    for name in names:
        tail = name.rsplit("_", 1)[-1]
        if tail.endswith("w") and tail[:-1].isdigit():
            need.append(int(tail[:-1]))
        elif name in ("repeat_12m", "retention_12m", "purchases_per_buyer_year"):
            need.append(52)
        elif name == "active_second_year":
            need.append(104)
    return max(need)


@dataclass(frozen=True)
class Calibration:
    """Outcome of :func:`calibrate`.

    Attributes
    ----------
    scenario:
        The input scenario with the fitted factors and the user's gross margin (full population).
    factors:
        Fitted multiplier per lever (1 = the preset's value).
    table:
        One row per target: ``kpi``, ``label``, ``target``, ``fitted``, ``error``,
        ``relative_error``, ``tolerance``, ``within``.
    messages:
        Plain-language lines for targets that could not be reached, saying which and why.
    parameters:
        Fitted hidden parameters, preset vs calibrated, one row per segment and parameter.
    levels:
        The current integration levels the fit simulated (in force from week 0).
    evaluations:
        Simulations run by the fit.
    history:
        Sum of squared weighted residuals (prior terms included) at the start and after each
        accepted step.
    """

    scenario: Scenario
    levels: CapabilityLevels
    factors: dict[str, float]
    table: pd.DataFrame
    messages: list[str]
    parameters: pd.DataFrame
    evaluations: int
    history: list[float] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Targets left out because the data cannot give them, one plain line each."""

    @property
    def ok(self) -> bool:
        """Whether every target was reached within its tolerance."""
        return bool(self.table["within"].all())


def usable_targets(targets: Mapping[str, float | None]) -> tuple[dict[str, float], list[str]]:
    """The targets measured from data that can be fitted, and a note for each one skipped.

    Skipped with a note: those the data cannot give (empty, a share of exactly 0 or 1 such as
    the online share of a one-channel log, or an amount not above 0). Names that are not in
    :data:`KPI_SPECS` are dropped without a note.
    """
    keep: dict[str, float] = {}
    notes: list[str] = []
    for name, value in targets.items():
        spec = KPI_SPECS.get(name)
        if spec is None:
            continue
        if value is None or not math.isfinite(value):
            notes.append(Problem("calibration_kpi.note.skipped_empty", kpi=spec.label))
        elif spec.rate and not 0.0 < value < 1.0:
            why = Problem("calibration_kpi.note.one_kind" if name == "online_share" else
                          "calibration_kpi.note.no_visits" if name == "visitor_conversion" else
                          "calibration_kpi.note.all_or_none")
            notes.append(Problem("calibration_kpi.note.skipped_share", kpi=spec.label, value=f"{value:.0%}",
                                 why=why))
        elif not spec.rate and not value > 0:
            notes.append(Problem("calibration_kpi.note.skipped_value", kpi=spec.label, value=f"{value:g}"))
        else:
            keep[name] = float(value)
    return keep, notes


def check_targets(targets: Mapping[str, float | None]) -> dict[str, float]:
    """The usable targets; raises :class:`CalibrationError` naming every bad one."""
    problems: list[str] = []
    clean: dict[str, float] = {}
    for name, value in targets.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if name not in KPI_SPECS:
            problems.append(at(name, Problem("problem.calibration.unknown_kpi")))
            continue
        spec = KPI_SPECS[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(at(spec.label, Problem("problem.calibration.not_number", value=repr(value))))
        elif not math.isfinite(value):
            problems.append(at(spec.label, Problem("problem.calibration.not_finite", value=f"{value:g}")))
        elif spec.rate and not 0.0 < value < 1.0:
            problems.append(at(spec.label, Problem("problem.calibration.not_share", value=f"{value:g}")))
        elif not spec.rate and not value > 0:
            problems.append(at(spec.label, Problem("problem.calibration.not_positive", value=f"{value:g}")))
        else:
            clean[name] = float(value)
    if not clean and not problems:
        problems.append(Problem("problem.calibration.no_target"))
    if problems:
        raise CalibrationError(problems)
    return clean


def calibrate(
    scenario: Scenario,
    targets: Mapping[str, float | None],
    *,
    levels: CapabilityLevels,
    gross_margin: float | None = None,
    population: int | None = 5000,
    basis: str = "kpi",
    max_evaluations: int = 40,
    progress: ProgressCallback | None = None,
    skip_unusable: bool = False,
    max_tenure: int = 0,
    acquisition: cohorts.Acquisition | None = None,
    lapse: str = "hazard",
    start: Mapping[str, float] | None = None,
) -> Calibration:
    """Fit the levers so the current plan's simulated KPIs match ``targets``.

    Parameters
    ----------
    scenario:
        The starting point (usually a preset); its seed fixes the common random numbers.
    targets:
        KPI name -> value (names of :data:`KPI_SPECS`; ``None`` skips one).
    levels:
        The user's current integration levels (the current plan, in force from week 0).
    gross_margin:
        Set directly (it does not change behaviour).
    population:
        People simulated per evaluation (the fit is run on this reduced population).
    basis:
        ``"cohort"``: the simulated customers measured like a log's, by tenure window
        (:func:`cohort_kpis`); ``"kpi"``: engine KPIs; ``"events"``: KPIs of the simulated
        event log measured like an uploaded log (:func:`simulation.calibration.eventlog.event_kpis`).
    max_evaluations:
        Budget of simulations: the search takes no new step once this many have run.
    progress:
        Called with the share of the budget used and a short text after each simulation.
    skip_unusable:
        Targets measured from data: skip those the data cannot give, with a note
        (:attr:`Calibration.skipped`), instead of refusing them.
    max_tenure:
        ``"cohort"`` basis: the calibration run watches customers at least this long (weeks),
        e.g. for a holdout prediction from the same run.
    acquisition:
        ``"cohort"`` basis: the log's acquisition weeks; simulated customers are weighted to
        them and ``recent_repeat`` lays their tenures over the log's first-purchase weeks.
    lapse:
        ``"hazard"``: customers lapse by the scenario's weekly churn hazard (as the presets);
        ``"purchase"``: the buy-till-you-die structure of BG/NBD (Fader, Hardie & Lee 2005):
        the weekly hazard is set to 0, customers become inactive only right after a repeat
        purchase (``behaviour.dropout_after_purchase``, fitted) and their propensity to buy
        again is drawn afresh at the first purchase (``behaviour.repeat_propensity_correlation``
        = 0). Lapses from over-messaging stay either way.
    start:
        Lever -> factor the search starts from (e.g. :func:`log_start`); 1 for the others.
    """
    if lapse not in ("hazard", "purchase"):
        raise CalibrationError([at("lapse", Problem("problem.calibration.bad_lapse", value=repr(lapse)))])
    preset = scenario
    if lapse == "purchase":
        scenario = apply_factors(scenario, {Lever.CHURN.value: 0.0}).replace(
            behaviour__repeat_propensity_correlation=0.0)
    skipped: list[str] = []
    if skip_unusable:
        targets, skipped = usable_targets(targets)
        if not targets:
            raise CalibrationError([*skipped, Problem("problem.calibration.none_left")])
    goal = check_targets(targets)
    if gross_margin is not None and not 0 <= gross_margin <= 1:
        raise CalibrationError([at(Problem("problem.calibration.gross_margin"), Problem(
            "problem.calibration.bad_margin", value=f"{gross_margin:g}"))])
    base = current_state_scenario(scenario, population=population, gross_margin=gross_margin)
    names = list(goal)
    measure: Callable[[Scenario, CapabilityLevels], dict[str, float]]
    if basis == "cohort":
        tenure = max_tenure_of(names, max(max_tenure, acquisition.end if acquisition else 0))

        def measure(s: Scenario, lv: CapabilityLevels) -> dict[str, float]:
            got = cohort_run(s, lv, max_tenure=tenure)
            out = cohort_kpis(got, acquisition=acquisition)
            if acquisition is not None:
                curves = cohorts.tenure_curves(got.purchases, acquisition.end)
                out |= acquisition.block_repeat(curves, ACQUISITION_WEEKS)
            return out
    else:
        measure = measure_event_kpis if basis == "events" else measure_kpis
    # Only the levers the targets speak to move; the others stay at the preset's values.
    levers = [v for v in Lever if any(KPI_SPECS[k].lever is v for k in names)]
    lo = np.array([LOG_BOUNDS[v][0] for v in levers])
    hi = np.array([LOG_BOUNDS[v][1] for v in levers])
    target = np.array([goal[k] for k in names])
    tol = np.array([KPI_SPECS[k].tolerance * (goal[k] if KPI_SPECS[k].relative else 1.0) for k in names])
    cache: dict[bytes, dict[str, float]] = {}

    def run(x: NDArray[np.float64]) -> dict[str, float]:
        key = np.round(x, 9).tobytes()
        if key not in cache:
            factors = {v.value: math.exp(xi) for v, xi in zip(levers, x, strict=True)}
            cache[key] = measure(apply_factors(base, factors), levels)
            if progress is not None:
                progress(min(1.0, len(cache) / max_evaluations),
                         Progress("progress.fit_simulation", count=len(cache)))
        return cache[key]

    def residuals(x: NDArray[np.float64]) -> NDArray[np.float64]:
        got = run(x)
        fitted = np.array([got.get(k, math.nan) for k in names])
        fitted = np.where(np.isnan(fitted), 0.0, fitted)
        return np.concatenate([(fitted - target) / tol, PRIOR_WEIGHT * x])

    x = np.zeros(len(levers))
    for name, factor in (start or {}).items():
        if Lever(name) in levers and factor > 0:
            j = levers.index(Lever(name))
            x[j] = min(max(math.log(factor), lo[j]), hi[j])
    # Order value acts proportionally on AOV: start there.
    if "aov" in goal:
        x[levers.index(Lever.ORDER_VALUE)] = math.log(goal["aov"] / run(x)["aov"])
    # Cohort runs re-time purchases when a lever moves (other luck for a few people): wider
    # differences keep the slope above that noise.
    x, history = _levenberg_marquardt(residuals, x, lo, hi, n_targets=len(names),
                                      budget=lambda: len(cache) < max_evaluations)
    fitted = run(x)
    moved = {v.value: math.exp(xi) for v, xi in zip(levers, x, strict=True)}
    factors = {v.value: 1.0 for v in Lever} | moved
    table = _target_table(goal, fitted)
    messages = _diagnose(table, x, levers, lo, hi, base, levels, measure, run)
    calibrated = apply_factors(
        scenario.replace(**({"economics__gross_margin": gross_margin} if gross_margin is not None else {})),
        moved,
    )
    return Calibration(
        scenario=calibrated, levels=levels, factors=factors, table=table, messages=messages,
        parameters=parameter_table(preset, calibrated), evaluations=len(cache), history=history,
        skipped=skipped,
    )


def log_start(bw: cohorts.BuyingWeeks, scenario: Scenario, lapse: str = "purchase") -> dict[str, float]:
    """Starting factors of a log fit, by lever name; levers not named start at 1.

    The spread of purchase propensity starts at the NBD moment estimate of the log's repeat
    buying (:func:`simulation.calibration.cohorts.nbd_spread`) instead of the preset's; empty
    (every lever at 1) when there is no estimate.
    """
    name = "repeat_propensity_heterogeneity" if lapse == "purchase" else spread_parameter(scenario)
    spread, now = cohorts.nbd_spread(bw), getattr(scenario.behaviour, name)
    return {Lever.HETEROGENEITY.value: spread / now} if spread and now > 0 else {}


def _levenberg_marquardt(
    residuals: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    x: NDArray[np.float64], lo: NDArray[np.float64], hi: NDArray[np.float64], *,
    n_targets: int, budget: Callable[[], bool], step: float = 0.08,
) -> tuple[NDArray[np.float64], list[float]]:
    """Bounded damped Gauss-Newton; stops when every target is within half its tolerance."""
    r = residuals(x)
    history = [float(r @ r)]

    def jacobian(x: NDArray[np.float64], r: NDArray[np.float64]) -> NDArray[np.float64] | None:
        jac = np.zeros((r.size, x.size))
        for j in range(x.size):
            if not budget():
                return None
            h = step if x[j] + step <= hi[j] else -step
            e = np.zeros_like(x)
            e[j] = h
            jac[:, j] = (residuals(x + e) - r) / h
        return jac

    fresh = jacobian(x, r)
    if fresh is None:
        return x, history
    jac, failures, refreshes = fresh, 0, 0
    damping = 1e-2
    while budget() and np.max(np.abs(r[:n_targets])) > 0.5:
        a = jac.T @ jac
        g = jac.T @ r
        dx = -np.linalg.solve(a + damping * np.diag(np.diag(a) + 1e-6), g)
        x_new = np.clip(x + dx, lo, hi)
        dx = x_new - x
        if np.max(np.abs(dx)) < 1e-4:
            break
        r_new = residuals(x_new)
        # Broyden's rank-one update keeps the Jacobian current without new differences.
        jac += np.outer(r_new - r - jac @ dx, dx) / (dx @ dx)
        if r_new @ r_new < r @ r:
            x, r = x_new, r_new
            damping = max(damping / 3, 1e-6)
            history.append(float(r @ r))
            failures = 0
        else:
            damping *= 4
            failures += 1
            if failures == 3 and refreshes < 1:
                refreshes += 1
                # The rank-one updates have drifted: difference afresh at the current point.
                fresh = jacobian(x, r)
                if fresh is None:
                    break
                jac, damping = fresh, 1e-2
            if damping > 1e4:
                break
    return x, history


def _target_table(goal: Mapping[str, float], fitted: Mapping[str, float]) -> pd.DataFrame:
    rows = []
    for k, t in goal.items():
        spec = KPI_SPECS[k]
        f = fitted.get(k, math.nan)
        tol = spec.tolerance * (t if spec.relative else 1.0)
        rows.append({"kpi": k, "label": spec.label, "target": t, "fitted": f, "error": f - t,
                     "relative_error": (f - t) / t, "tolerance": tol,
                     "within": bool(abs(f - t) <= tol)})
    return pd.DataFrame(rows)


def _diagnose(table: pd.DataFrame, x: NDArray[np.float64], levers: list[Lever],
              lo: NDArray[np.float64], hi: NDArray[np.float64], base: Scenario,
              levels: CapabilityLevels, measure: Callable[[Scenario, CapabilityLevels], dict[str, float]],
              run: Callable[[NDArray[np.float64]], dict[str, float]]) -> list[str]:
    """Why each target outside its tolerance was not reached."""
    messages: list[str] = []
    traded: list[str] = []
    for row in table[~table["within"]].itertuples():
        spec = KPI_SPECS[row.kpi]
        j = levers.index(spec.lever)
        too_low = row.fitted < row.target
        # The direction that would raise this KPI for each lever.
        raises = {Lever.INTENT: hi, Lever.DROPOUT: lo, Lever.CHURN: lo, Lever.ORDER_VALUE: hi,
                  Lever.CHANNEL_TILT: hi, Lever.HETEROGENEITY: hi, Lever.PURCHASE_DROPOUT: lo,
                  Lever.NEW_CUSTOMER_BOOST: hi, Lever.SPEND_HETEROGENEITY: hi,
                  Lever.SPEND_CORRELATION: hi}[spec.lever]
        limit = raises if too_low else (hi if raises is lo else lo)
        at_bound = abs(x[j] - limit[j]) < 0.05
        name = Problem("calibration_kpi.note.fit", kpi=spec.label, target=_fmt(row.target, spec),
                       fitted=_fmt(row.fitted, spec))
        if at_bound and spec.lever is Lever.CHURN and too_low:
            messages.append(Problem("calibration_kpi.note.negative_churn", name=name))
        elif at_bound and spec.lever in (Lever.DROPOUT, Lever.INTENT) and too_low:
            messages.append(Problem("calibration_kpi.note.funnel", name=name))
        elif at_bound:
            messages.append(Problem(
                "calibration_kpi.note.short_at_limit" if too_low else "calibration_kpi.note.over_at_limit",
                name=name, lever=LEVER_MEANING[spec.lever], factor=f"{math.exp(x[j]):.3g}"))
        else:
            traded.append(name)
    key = "calibration_kpi.note.traded_against" if messages else "calibration_kpi.note.traded"
    return messages + [Problem(key, name=name) for name in traded]


def _fmt(value: float, spec: KpiSpec) -> str:
    return f"{value:.1%}" if spec.rate else f"{value:,.3g}"


def parameter_table(before: Scenario, after: Scenario) -> pd.DataFrame:
    """Hidden parameters of the preset and of the calibrated scenario, side by side."""
    rows = []
    for s0, s1 in zip(before.segments, after.segments, strict=True):
        for field_name in ("intent_rate_weekly", "weekly_churn_hazard", "order_value"):
            rows.append({"part": f"segment {s0.name}", "parameter": field_name,
                         "preset": getattr(s0, field_name), "calibrated": getattr(s1, field_name)})
    for c0, c1 in zip(before.channels, after.channels, strict=True):
        rows.append({"part": f"channel {c0.name}", "parameter": "conversion",
                     "preset": c0.conversion, "calibrated": c1.conversion})
    for name in ("intent_heterogeneity", "repeat_propensity_correlation",
                 "repeat_propensity_heterogeneity", "new_customer_intent_boost", "dropout_after_purchase",
                 "dropout_after_purchase_concentration", "spend_heterogeneity",
                 "spend_propensity_correlation"):
        rows.append({"part": "behaviour", "parameter": name,
                     "preset": getattr(before.behaviour, name), "calibrated": getattr(after.behaviour, name)})
    rows.append({"part": "market", "parameter": "prospect_dropout_weekly",
                 "preset": before.market.prospect_dropout_weekly,
                 "calibrated": after.market.prospect_dropout_weekly})
    rows.append({"part": "economics", "parameter": "gross_margin",
                 "preset": before.economics.gross_margin, "calibrated": after.economics.gross_margin})
    return pd.DataFrame(rows)


def projected_scenario(calibration: Calibration) -> Scenario:
    """The calibrated scenario with the current levels as what is already in place."""
    return calibration.scenario.replace(existing_capabilities=calibration.levels)


def project(calibration: Calibration) -> Results:
    """Current plan, multichannel, omnichannel and the custom plan from the calibrated state.

    The current levels are what is already in place (``existing_capabilities``): the current
    plan keeps them from week 0 at no one-off cost, and every other plan ramps from them to its
    own levels, paying one-off costs only for what it adds (going back to silos costs nothing
    and loses the capabilities over their ramp).
    """
    scenario = projected_scenario(calibration)
    return simulate_plans(scenario, {"current": calibration.levels, **standard_plans(scenario)})
