"""What you would have to believe: where integration stops paying, and for which business size.

For every assumption the gain of integrating hangs on (the siloed-channel penalties, the
mechanisms' strengths, the costs to serve, harmonised prices, the programme's overrun), each with
a plausible range (:data:`GAIN_ASSUMPTIONS`), this finds the value at which omnichannel, and the
best hybrid plan, stop paying: NPV gain over multichannel = 0. Every other parameter and the seed
stay as they are (common random numbers: the gain is a smooth function of the assumption, not
noise).

Search: the gain is evaluated at :data:`GRID_POINTS` evenly spaced values across the range; a
sign change brackets the threshold (the one nearest today's value when there are several), and
regula falsi (linear interpolation, the bracket end with the same sign replaced; a bisection
instead when the same end was kept the round before, the Illinois safeguard) narrows it until
the gain is within :data:`TOLERANCE_SHARE` of the gain's swing across the range (``status``
"converged"), or the bracket is narrower than :data:`RESOLUTION_SHARE` of the range with the
gain still beyond that tolerance on both sides ("step"), or :data:`MAX_ROUNDS` rounds have run
("unresolved"). Valuation-only assumptions make the gain linear, so one round is exact. Each
round is one parallel batch.

A step is an answer, not a failure. The simulated population is finite, so under common random
numbers the gain of a simulated assumption is a step function of it: a small change in the
assumption moves nothing until it flips one simulated customer's decision, and then moves the
gain by what that customer stands for (``scenario.scale`` real customers; thousands of
currency units at 2,500 simulated people). Where such a step crosses zero and is larger than
the tolerance, no value of the assumption makes the gain 0 within it; the threshold is then
located to within the bracket and the row gives the gain on both sides (``gain_below``,
``gain_above``). A larger population makes the steps smaller. Where the gain keeps its sign
across the range there is no threshold (``status`` "none", threshold NaN).

The best hybrid is the plan with the highest NPV at today's values among the custom plan, each
capability alone and each "all but one" plan; its thresholds are for that fixed plan.

Break-even map: the NPV gain over business size x the assumption with the largest swing of the
omnichannel gain. Size scales the market, the stores and the stated revenue and orders
together (:func:`at_size`); each value of the assumption is simulated once and valued at every
size without simulating again (size is a valuation parameter).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.analysis.ranges import ParameterRange, RangeSpec, resolve_ranges, with_values
from simulation.analysis.runs import (
    Execution,
    PlanLevels,
    PlanOutcome,
    PlanTask,
    at_size,
    estimate_seconds,
    levels_tuple,
    run_plan_tasks,
)
from simulation.core.scenario import Capability, CapabilityLevels, Scenario
from simulation.inputs.problems import Progress

GAIN_ASSUMPTIONS: tuple[RangeSpec, ...] = (
    RangeSpec("behaviour.siloed_context_kept", 0.2, 1.0),
    RangeSpec("behaviour.lost_context_abandon_share", 0.0, 0.8),
    RangeSpec("behaviour.conflict_rate", 0.0, 0.4),
    RangeSpec("segments[*].conflict_sensitivity", relative=0.5),
    RangeSpec("behaviour.network_fill_rate", 0.3, 0.95),
    # Relative, so a preset with no stock to show (banking: 0) keeps 0; 0-0.2 at the default.
    RangeSpec("behaviour.store_shift_share", relative=1.0),
    RangeSpec("behaviour.cross_channel_return_share", 0.1, 0.5),
    RangeSpec("behaviour.satisfaction_churn_elasticity", 0.0, 6.0),
    RangeSpec("segments[*].switch_probability", relative=0.5),
    RangeSpec("economics.harmonisation_margin_cost", 0.0, 0.05),
    RangeSpec("economics.network_fulfilment_cost", 1.0, 8.0),
    RangeSpec("economics.click_collect_share", 0.0, 0.5),
    RangeSpec("economics.pickup_addon_share", 0.1, 0.6),
    RangeSpec("behaviour.return_exchange_share", 0.1, 0.4),
    RangeSpec("behaviour.returns_policy_uplift", 0.0, 0.05),
    RangeSpec("behaviour.recognised_without_identity", 0.2, 0.8),
    RangeSpec("behaviour.service_request_elsewhere_share", 0.1, 0.5),
    RangeSpec("behaviour.unseen_first_contact_resolution", 0.1, 0.5),
    RangeSpec("implementation_risk.one_off_overrun", 0.0, 2.0),
)
"""The assumptions the gain hangs on and their plausible ranges (sources in each parameter's
declaration and docs/MODEL.md): context kept and abandonment on lost context (no study measured
them; the range runs up to 'no penalty'), the rate of differing offers (Cavallo 2017: 28%),
sensitivity to conflicts, what shared stock can supply (DeHoratius and Raman 2008), the online
purchases that move to a store once its stock shows online (Gallino and Moreno 2014), returns
made elsewhere, the satisfaction-churn link, channel hopping, the margin cost of harmonised
prices, the cost of an order served from another location, the share of remote orders collected
in store, the share of pickups bringing an add-on (UPS Pulse, Bell and Howell: self-reported),
the share of in-store returns bringing an exchange (UPS Pulse), the purchase uplift of a
returns-anywhere policy (Janakiraman et al. 2016: no usable effect size), the share of customers
recognised across channels without an identity programme (loyalty-card survey, WSL), the share
of service requests made in another channel and how many of them a channel without the order's
record resolves at the first contact (no study measured either), and the overrun (Flyvbjerg: fat
tail, 18% of IT projects over 50%)."""

GRID_POINTS = 5
MAX_ROUNDS = 8
"""Narrowing rounds at most; bisection alone takes 6 to bring a grid interval (1/4 of the range)
below :data:`RESOLUTION_SHARE`."""
TOLERANCE_SHARE = 0.01
"""A threshold is reported as converged when the NPV gain at an end of its bracket is within 1%
of the gain's swing over the points evaluated across the range."""
RESOLUTION_SHARE = 0.005
"""A bracket narrower than this share of the range locates the threshold: the search stops
there, as a step when the gain on both sides is still beyond the tolerance."""

REVENUE_POINTS = (0.25e6, 0.5e6, 1e6, 2.5e6, 5e6, 10e6, 25e6, 50e6, 100e6)
"""Annual revenues (currency) of the break-even map's sizes."""


def hybrid_key(kind: str, capability: Capability) -> str:
    """The plan name of a hybrid, e.g. ``alone:context`` or ``all_but:context``.

    ``alone:<capability>`` is only that capability, ``all_but:<capability>`` every capability
    but that one; the text shown for it is the display layer's.
    """
    return f"{kind}:{capability.value}"


def hybrid_candidates(scenario: Scenario) -> dict[str, PlanLevels]:
    """Partial plans: the custom plan, each capability alone, each 'all but one'."""
    out = {"custom": levels_tuple(scenario.custom_plan)}
    for c in Capability:
        alone = tuple(1.0 if d is c else 0.0 for d in Capability)
        but = tuple(0.0 if d is c else 1.0 for d in Capability)
        out[hybrid_key("alone", c)] = alone
        out[hybrid_key("all_but", c)] = but
    full, none = (1.0,) * len(Capability), (0.0,) * len(Capability)
    return {name: levels for name, levels in out.items() if levels not in (full, none)}


@dataclass(frozen=True)
class BeliefResult:
    """Thresholds and the break-even map.

    Attributes
    ----------
    thresholds:
        One row per assumption and plan: parameter, label, unit, plan, base, low, high,
        gain_low, gain_base, gain_high, threshold (NaN: the plan's gain keeps its sign across
        the range), gain_at_threshold, status ("converged", "step", "unresolved" or "none";
        module docstring), converged (status "converged"), bracket_low and bracket_high (the
        assumption's values around the threshold), gain_below and gain_above (the gain there),
        pays_above (True: the plan pays above the threshold;
        simulation.display.wording.threshold_sentence says it in words).
    curves:
        Every evaluation: parameter, value, plan, npv_gain.
    size_map:
        One row per size, assumption value and plan: size_factor, annual_revenue, parameter,
        value, strategy, npv_gain.
    map_parameter, map_label:
        The assumption on the map's other axis (largest swing of the omnichannel gain).
    hybrid, hybrid_levels:
        Name and levels of the best hybrid plan at today's values.
    base_gain:
        NPV gain of each plan at today's values.
    base_annual_revenue:
        The multichannel plan's simulated net revenue a year at today's size.
    """

    thresholds: pd.DataFrame
    curves: pd.DataFrame
    size_map: pd.DataFrame
    map_parameter: str
    map_label: str
    hybrid: str
    hybrid_levels: PlanLevels
    base_gain: dict[str, float]
    base_annual_revenue: float

    @property
    def today(self) -> tuple[float, float]:
        """Today's point on the break-even map: (annual revenue, value of the map's assumption)."""
        rows = self.thresholds[self.thresholds["parameter"] == self.map_parameter]
        return self.base_annual_revenue, float(rows["base"].iloc[0])

    def frames(self) -> dict[str, pd.DataFrame]:
        """The result's tables by export name: thresholds, curves and the size map."""
        return {"believe_thresholds": self.thresholds, "believe_curves": self.curves,
                "believe_size_map": self.size_map}

def _gain(run: PlanOutcome, plan: str) -> float:
    return float(run.kpis.loc[plan, "npv_gain"])


def believe(scenario: Scenario, *, specs: Sequence[RangeSpec] = GAIN_ASSUMPTIONS,
            execution: Execution | None = None) -> BeliefResult:
    """Thresholds of every assumption in ``specs`` and the break-even map (module docstring)."""
    ranges = resolve_ranges(scenario, specs)
    baseline = {"multichannel": levels_tuple(CapabilityLevels.uniform(0.0)),
                "omnichannel": levels_tuple(CapabilityLevels.uniform(1.0))}
    candidates = hybrid_candidates(scenario)
    base_run = run_plan_tasks([PlanTask.of(scenario, {**baseline, **candidates})], execution,
                              label=Progress("progress.label.best_hybrid"))[0]
    hybrid = str(base_run.kpis.loc[list(candidates), "npv"].idxmax())
    plans = {**baseline, hybrid: candidates[hybrid]}
    base_gain = {p: _gain(base_run, p) for p in list(plans)[1:]}
    years = scenario.market.horizon_weeks / 52
    base_revenue = float(base_run.kpis.loc["multichannel", "revenue"]) / years

    # The grid: every range at GRID_POINTS positions, one batch.
    positions = np.linspace(0.0, 1.0, GRID_POINTS)
    tasks = [PlanTask.of(with_values(scenario, [(r, float(u))]), plans) for r in ranges for u in positions]
    runs = run_plan_tasks(tasks, execution, label=Progress("progress.label.believe"))
    curve: dict[tuple[int, str], dict[float, float]] = {}
    for i in range(len(ranges)):
        for j, u in enumerate(positions):
            for p in base_gain:
                curve.setdefault((i, p), {})[float(u)] = _gain(runs[i * GRID_POINTS + j], p)
    base_u = [_position(r) for r in ranges]
    for i in range(len(ranges)):
        for p in base_gain:
            curve[(i, p)].setdefault(base_u[i], base_gain[p])

    def evaluate(points: list[tuple[int, float]]) -> list[dict[str, float]]:
        tasks = [PlanTask.of(with_values(scenario, [(ranges[i], u)]), plans) for i, u in points]
        runs = run_plan_tasks(tasks, execution, label=Progress("progress.label.narrowing"))
        return [{q: _gain(run, q) for q in base_gain} for run in runs]

    brackets = search_thresholds(curve, base_u, evaluate)

    rows, curve_rows = [], []
    for (i, p), points in curve.items():
        r = ranges[i]
        for u, g in sorted(points.items()):
            curve_rows.append({"parameter": r.spec_path, "label": r.label, "position": u,
                               "value": _value(r, u), "plan": p, "npv_gain": g})
        b = brackets[(i, p)]
        status = _status(points, b)
        threshold = gain_there = np.nan
        bracket_low = bracket_high = gain_below = gain_above = np.nan
        pays_above = False
        if b is not None:
            u_best = min(b, key=lambda x: abs(points[x]))
            threshold, gain_there = _value(r, u_best), points[u_best]
            lo, hi = min(b), max(b)
            bracket_low, bracket_high = _value(r, lo), _value(r, hi)
            gain_below, gain_above = points[lo], points[hi]
            pays_above = points[hi] > 0
        rows.append({
            "parameter": r.spec_path, "label": r.label, "unit": r.unit, "plan": p,
            "base": r.base[0], "low": r.low[0], "high": r.high[0],
            "gain_low": points[0.0], "gain_base": base_gain[p], "gain_high": points[1.0],
            "threshold": threshold, "gain_at_threshold": gain_there, "status": status,
            "converged": status == "converged", "bracket_low": bracket_low,
            "bracket_high": bracket_high, "gain_below": gain_below, "gain_above": gain_above,
            "pays_above": pays_above,
        })
    thresholds = pd.DataFrame(rows)
    swing = (thresholds.query("plan == 'omnichannel'")
             .assign(swing=lambda f: (f["gain_high"] - f["gain_low"]).abs())
             .sort_values("swing", ascending=False))
    top = int(ranges.index(next(r for r in ranges if r.spec_path == swing["parameter"].iloc[0])))
    size_map = _size_map(scenario, ranges[top], plans, base_revenue, execution)
    return BeliefResult(thresholds=thresholds, curves=pd.DataFrame(curve_rows), size_map=size_map,
                        map_parameter=ranges[top].spec_path, map_label=ranges[top].label,
                        hybrid=hybrid, hybrid_levels=candidates[hybrid], base_gain=base_gain,
                        base_annual_revenue=base_revenue)


Key = tuple[int, str]
"""(assumption index, plan) of one gain curve."""


def search_thresholds(curve: dict[Key, dict[float, float]], base_u: Sequence[float],
                      evaluate: Callable[[list[tuple[int, float]]], list[dict[str, float]]]
                      ) -> dict[Key, tuple[float, float] | None]:
    """Narrow every curve's bracket around its zero (module docstring); return the brackets.

    ``curve[(i, plan)]`` maps positions in assumption ``i``'s range (0 to 1) to the plan's
    gain and is extended in place; ``base_u[i]`` is today's position. ``evaluate`` takes
    (assumption, position) pairs and returns every plan's gain at each: one batch a round.
    """
    brackets = {key: _bracket(points, base_u[key[0]]) for key, points in curve.items()}
    kept_side: dict[Key, int] = {}
    for _ in range(MAX_ROUNDS):
        todo = {key: _next_point(curve[key], b, kept_side.get(key, 0)) for key, b in brackets.items()
                if b is not None and _status(curve[key], b) == "unresolved"}
        if not todo:
            break
        keys = list(todo)
        for (i, p), gains in zip(keys, evaluate([(i, todo[(i, p)]) for i, p in keys]), strict=True):
            u = todo[(i, p)]
            for q, g in gains.items():  # every plan's gain at this value comes with the run
                curve[(i, q)][u] = g
            before = brackets[(i, p)]
            brackets[(i, p)] = _narrow(curve[(i, p)], before, u)
            kept_side[(i, p)] = _kept_side(before, brackets[(i, p)], kept_side.get((i, p), 0))
    return brackets


def estimate_believe_seconds(scenario: Scenario, specs: Sequence[RangeSpec] = GAIN_ASSUMPTIONS,
                             n_jobs: int | None = None) -> float:
    """Seconds :func:`believe` should take on this machine.

    Counts the hybrid search, then for every assumption the grid and two narrowing rounds
    (typical; at most :data:`MAX_ROUNDS`), and the break-even map's runs.
    """
    three = {"multichannel": (0.0,) * 6, "omnichannel": (1.0,) * 6, "hybrid": (0.5,) * 6}
    n_runs = len(specs) * (GRID_POINTS + 2) + GRID_POINTS
    tasks = [PlanTask.of(scenario.replace(seed=scenario.seed + i), three) for i in range(n_runs)]
    tasks.append(PlanTask.of(scenario, {**three, **hybrid_candidates(scenario)}))
    return estimate_seconds(scenario, tasks, n_jobs)


def _size_map(scenario: Scenario, r: ParameterRange, plans: dict[str, PlanLevels],
              base_revenue: float, execution: Execution | None) -> pd.DataFrame:
    factors = tuple(x / base_revenue for x in REVENUE_POINTS) if base_revenue > 0 else (1.0,)
    positions = np.linspace(0.0, 1.0, GRID_POINTS)
    tasks = [PlanTask.of(with_values(scenario, [(r, float(u))]), plans, size_factors=factors)
             for u in positions]
    parts = []
    mapped = run_plan_tasks(tasks, execution, label=Progress("progress.label.break_even_map"))
    for u, run in zip(positions, mapped, strict=True):
        assert run.by_size is not None
        part = run.by_size.assign(parameter=r.spec_path, value=_value(r, float(u)),
                                  annual_revenue=lambda f: f["size_factor"] * base_revenue)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    return out[out["strategy"] != "multichannel"].reset_index(drop=True)


def _position(r: ParameterRange) -> float:
    """Where today's value lies in the range, 0 to 1 (first field)."""
    width = r.high[0] - r.low[0]
    return float(np.clip((r.base[0] - r.low[0]) / width, 0.0, 1.0)) if width > 0 else 0.0


def _value(r: ParameterRange, u: float) -> float:
    return r.values_at(u)[0]


def _bracket(points: dict[float, float], base_u: float) -> tuple[float, float] | None:
    """The adjacent pair of positions whose gains change sign, nearest to today's value."""
    xs = sorted(points)
    pairs = [(a, b) for a, b in itertools.pairwise(xs) if np.sign(points[a]) != np.sign(points[b])]
    if not pairs:
        return None
    return min(pairs, key=lambda ab: min(abs(ab[0] - base_u), abs(ab[1] - base_u)))


def _tolerance(points: dict[float, float]) -> float:
    values = np.array(list(points.values()))
    return TOLERANCE_SHARE * float(values.max() - values.min())


def _converged(points: dict[float, float], bracket: tuple[float, float]) -> bool:
    return min(abs(points[bracket[0]]), abs(points[bracket[1]])) <= _tolerance(points)


def _status(points: dict[float, float], bracket: tuple[float, float] | None) -> str:
    """"none" (no sign change), "converged", "step" (located, a jump over zero) or "unresolved"."""
    if bracket is None:
        return "none"
    if _converged(points, bracket):
        return "converged"
    if abs(bracket[1] - bracket[0]) <= RESOLUTION_SHARE:
        return "step"
    return "unresolved"


def _interpolate(points: dict[float, float], bracket: tuple[float, float]) -> float:
    a, b = bracket
    ga, gb = points[a], points[b]
    u = a - ga * (b - a) / (gb - ga)
    return float(np.clip(u, min(a, b), max(a, b)))


def _next_point(points: dict[float, float], bracket: tuple[float, float], kept: int) -> float:
    """Where to evaluate next: regula falsi, or the bracket's midpoint.

    The midpoint when the same end of the bracket was kept in the last two rounds (regula falsi
    alone creeps towards a root from one side, and on a step function it may never land within
    the tolerance). The point is kept strictly inside the bracket, so every round narrows it.
    """
    a, b = bracket
    if abs(kept) >= 2:
        return (a + b) / 2
    u = _interpolate(points, bracket)
    margin = 0.01 * abs(b - a)
    return float(np.clip(u, min(a, b) + margin, max(a, b) - margin))


def _kept_side(before: tuple[float, float] | None, after: tuple[float, float] | None,
               kept: int) -> int:
    """Rounds in a row the same end of the bracket was kept: +n the upper end, -n the lower."""
    if before is None or after is None:
        return 0
    if after[1] == before[1]:  # the lower end moved up
        return kept + 1 if kept > 0 else 1
    return kept - 1 if kept < 0 else -1


def _narrow(points: dict[float, float], bracket: tuple[float, float] | None,
            u: float) -> tuple[float, float] | None:
    if bracket is None:
        return None
    a, b = bracket
    if np.sign(points[u]) == np.sign(points[a]):
        return (u, b)
    return (a, u)


__all__ = ["GAIN_ASSUMPTIONS", "BeliefResult", "at_size", "believe", "estimate_believe_seconds",
           "hybrid_candidates", "search_thresholds"]
