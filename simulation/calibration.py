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
======================  ===========================================================  ===========

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

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from simulation.api import simulate_plans
from simulation.inputs import InputError
from simulation.results import Results
from simulation.scenario import Capability, CapabilityLevels, ChannelKind, Scenario


class Lever(StrEnum):
    INTENT = "intent"
    DROPOUT = "dropout"
    CHURN = "churn"
    ORDER_VALUE = "order_value"
    CHANNEL_TILT = "channel_tilt"


LEVER_MEANING = {
    Lever.INTENT: "shopping-intent rate of every segment",
    Lever.DROPOUT: "weekly drop-out of prospects who have not bought yet",
    Lever.CHURN: "weekly churn hazard of every segment",
    Lever.ORDER_VALUE: "median order value of every segment",
    Lever.CHANNEL_TILT: "conversion of digital channels relative to physical ones",
}
LOG_BOUNDS = {Lever.INTENT: (-3.0, 3.0), Lever.DROPOUT: (-5.0, 3.0), Lever.CHURN: (-6.0, 3.0),
              Lever.ORDER_VALUE: (-4.0, 4.0), Lever.CHANNEL_TILT: (-2.5, 2.5)}


@dataclass(frozen=True)
class KpiSpec:
    """One calibration target: label, tolerance, whether relative, and the lever it mostly moves."""

    label: str
    tolerance: float
    relative: bool
    lever: Lever
    rate: bool = True


KPI_SPECS: dict[str, KpiSpec] = {
    # Engine KPIs (simulation.metrics.kpi_frame) and the online share of purchases.
    "conversion_rate": KpiSpec("conversion rate (first buyers / reached)", 0.02, False, Lever.DROPOUT),
    "retention_12m": KpiSpec("12-month retention", 0.02, False, Lever.CHURN),
    "repeat_12m": KpiSpec("second purchase within 12 months", 0.02, False, Lever.CHURN),
    "aov": KpiSpec("average order value", 0.02, True, Lever.ORDER_VALUE, rate=False),
    "purchases_per_customer_year": KpiSpec("purchases per customer per year", 0.04, True,
                                           Lever.INTENT, rate=False),
    "online_share": KpiSpec("share of purchases made online", 0.02, False, Lever.CHANNEL_TILT),
    # Event-log KPIs (simulation.eventlog.event_kpis).
    "visitor_conversion": KpiSpec("visitors who bought", 0.02, False, Lever.DROPOUT),
    "active_second_year": KpiSpec("bought again 12-24 months after first purchase", 0.03, False,
                                  Lever.CHURN),
    "purchases_per_buyer_year": KpiSpec("purchases per buyer per year", 0.04, True, Lever.INTENT,
                                        rate=False),
}
KPI_TARGETS = ("conversion_rate", "retention_12m", "aov", "purchases_per_customer_year", "online_share")
EVENT_TARGETS = ("visitor_conversion", "repeat_12m", "active_second_year", "aov",
                 "purchases_per_buyer_year", "online_share")
PRIOR_WEIGHT = 0.1
"""Residual (in tolerance units) per unit of log factor: a weak pull towards the preset."""


class CalibrationError(InputError):
    """Targets that cannot be used at all (out of range, none given); one line per problem."""


def apply_factors(scenario: Scenario, factors: Mapping[str, float]) -> Scenario:
    """The scenario with lever factors applied (values clipped to each parameter's range)."""
    f = {Lever(k): float(v) for k, v in factors.items()}
    intent, churn = f.get(Lever.INTENT, 1.0), f.get(Lever.CHURN, 1.0)
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
                            market__prospect_dropout_weekly=dropout)


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
    from simulation.eventlog import event_kpis, physical_channels_of, simulate_event_log

    events = simulate_event_log(scenario, levels)
    if events.empty or not (events["event_type"] == "purchase").any():
        return {k: math.nan for k in EVENT_TARGETS}
    return event_kpis(events, physical=physical_channels_of(events["channel"].unique(), scenario))


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
    """

    scenario: Scenario
    levels: CapabilityLevels
    factors: dict[str, float]
    table: pd.DataFrame
    messages: list[str]
    parameters: pd.DataFrame
    evaluations: int
    history: list[float] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.table["within"].all())


def check_targets(targets: Mapping[str, float | None]) -> dict[str, float]:
    """The usable targets; raises :class:`CalibrationError` naming every bad one."""
    problems, clean = [], {}
    for name, value in targets.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if name not in KPI_SPECS:
            problems.append(f"{name}: is not a KPI the calibration knows")
            continue
        spec = KPI_SPECS[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{spec.label}: {value!r} is not a number")
        elif not math.isfinite(value):
            problems.append(f"{spec.label}: {value:g} is not a finite number")
        elif spec.rate and not 0.0 < value < 1.0:
            problems.append(f"{spec.label}: {value:g} must be a share between 0 and 1 (exclusive)")
        elif not spec.rate and not value > 0:
            problems.append(f"{spec.label}: {value:g} must be above 0")
        else:
            clean[name] = float(value)
    if not clean and not problems:
        problems.append("no target given: enter at least one KPI")
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
    progress: Callable[[float, str], None] | None = None,
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
        ``"kpi"``: engine KPIs; ``"events"``: KPIs of the simulated event log measured like an
        uploaded log (:func:`simulation.eventlog.event_kpis`).
    """
    goal = check_targets(targets)
    if gross_margin is not None and not 0 <= gross_margin <= 1:
        raise CalibrationError([f"gross margin: {gross_margin:g} must be between 0 and 1"])
    base = current_state_scenario(scenario, population=population, gross_margin=gross_margin)
    measure = measure_event_kpis if basis == "events" else measure_kpis
    names = list(goal)
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
                progress(min(1.0, len(cache) / max_evaluations), f"simulation {len(cache)}")
        return cache[key]

    def residuals(x: NDArray[np.float64]) -> NDArray[np.float64]:
        got = run(x)
        fitted = np.array([got[k] for k in names])
        fitted = np.where(np.isnan(fitted), 0.0, fitted)
        return np.concatenate([(fitted - target) / tol, PRIOR_WEIGHT * x])

    x = np.zeros(len(levers))
    # Order value acts proportionally on AOV: start there.
    if "aov" in goal:
        x[levers.index(Lever.ORDER_VALUE)] = math.log(goal["aov"] / run(x)["aov"])
    x, history = _levenberg_marquardt(residuals, x, lo, hi, n_targets=len(names),
                                      budget=lambda: len(cache) < max_evaluations)
    fitted = run(x)
    factors = {v.value: 1.0 for v in Lever} | {
        v.value: math.exp(xi) for v, xi in zip(levers, x, strict=True)}
    table = _target_table(goal, fitted)
    messages = _diagnose(table, x, levers, lo, hi, base, levels, measure, run)
    calibrated = apply_factors(
        scenario.replace(**({"economics__gross_margin": gross_margin} if gross_margin is not None else {})),
        factors,
    )
    return Calibration(
        scenario=calibrated, levels=levels, factors=factors, table=table, messages=messages,
        parameters=parameter_table(scenario, calibrated), evaluations=len(cache), history=history,
    )


def _levenberg_marquardt(
    residuals: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    x: NDArray[np.float64], lo: NDArray[np.float64], hi: NDArray[np.float64], *,
    n_targets: int, budget: Callable[[], bool], step: float = 0.08,
) -> tuple[NDArray[np.float64], list[float]]:
    """Bounded damped Gauss-Newton; stops when every target is within half its tolerance."""
    r = residuals(x)
    history = [float(r @ r)]
    jac = np.zeros((r.size, x.size))
    for j in range(x.size):
        if not budget():
            return x, history
        h = step if x[j] + step <= hi[j] else -step
        e = np.zeros_like(x)
        e[j] = h
        jac[:, j] = (residuals(x + e) - r) / h
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
        else:
            damping *= 4
            if damping > 1e4:
                break
    return x, history


def _target_table(goal: Mapping[str, float], fitted: Mapping[str, float]) -> pd.DataFrame:
    rows = []
    for k, t in goal.items():
        spec = KPI_SPECS[k]
        f = fitted[k]
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
    messages, traded = [], []
    for row in table[~table["within"]].itertuples():
        spec = KPI_SPECS[row.kpi]
        j = levers.index(spec.lever)
        too_low = row.fitted < row.target
        # The direction that would raise this KPI for each lever.
        raises = {Lever.INTENT: hi, Lever.DROPOUT: lo, Lever.CHURN: lo, Lever.ORDER_VALUE: hi,
                  Lever.CHANNEL_TILT: hi}[spec.lever]
        limit = raises if too_low else (hi if raises is lo else lo)
        at_bound = abs(x[j] - limit[j]) < 0.05
        name = f"{spec.label}: target {_fmt(row.target, spec)}, best fit {_fmt(row.fitted, spec)}"
        if at_bound and spec.lever is Lever.CHURN and too_low:
            messages.append(
                f"{name}. Unreachable: it would need a negative churn hazard. With the base churn "
                "hazard at zero, customers still lapse through over-messaging (contacts above "
                "their tolerance add churn), so this is the most the current plan can keep.")
        elif at_bound and spec.lever in (Lever.DROPOUT, Lever.INTENT) and too_low:
            messages.append(
                f"{name}. Unreachable: above what the funnel allows. Even when prospects never "
                "lose interest and shop at the highest rate, people reached late in the horizon "
                "have too little time to buy, and journeys are lost to stock-outs, conflicts and "
                "abandonment at the preset's channel conversion.")
        elif at_bound:
            messages.append(
                f"{name}. Unreachable: the {LEVER_MEANING[spec.lever]} is at the limit of its "
                f"range (x{math.exp(x[j]):.3g} of the preset) and the KPI still "
                f"{'falls short' if too_low else 'overshoots'}.")
        else:
            traded.append(
                f"{name}. Not matched together with the other targets: they pull the same hidden "
                "parameters in opposite directions (check that the KPIs describe the same "
                "customers and period).")
    if messages:
        traded = [t.split(". Not matched")[0] + ". Not matched: the fit traded it against the "
                  "unreachable target above." for t in traded]
    return messages + traded


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
    plans = {
        "current": calibration.levels,
        "multichannel": CapabilityLevels.uniform(0.0),
        "omnichannel": CapabilityLevels.uniform(1.0),
        "custom": scenario.custom_plan,
    }
    return simulate_plans(scenario, plans)
