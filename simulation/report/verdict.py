"""The board's answer in one place: which plan, how sure, what to fund first, what it may cost.

A :class:`Verdict` is read off a :class:`~simulation.analysis.DecisionAnalysis` (the same
object the Decisions page draws), so the Overview, the Decisions page and the report quote
the same numbers. Without an analysis yet (it is still running) it holds the point run's gain
and break-even budget only, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation.analysis.decisions import DecisionAnalysis, DecisionRequest, decision_analysis
from simulation.analysis.runs import Execution
from simulation.core.scenario import Scenario
from simulation.display import format as fmt
from simulation.display.labels import capability_name
from simulation.display.text import text

VERY_SURE, SURE = 0.90, 0.70
"""Probabilities of beating multichannel read as "very likely" and "likely"; between 30% and
70% the verdict is "too close to call" (a convention for this report, not a statistical test)."""

QUICK_POPULATION = 2_000
QUICK_REPLICATIONS = 10


def full_request() -> DecisionRequest:
    """The analyses behind the verdict: the Decisions page's defaults.

    That is 30 runs, the tornado and the capability split, so the page shows the same result
    without running again.
    """
    return DecisionRequest()


def quick_request() -> DecisionRequest:
    """The analyses of a rough first estimate: :data:`QUICK_REPLICATIONS` runs, no tornado or split.

    It runs on :data:`QUICK_POPULATION` people (:func:`quick_scenario`; labelled as such) and
    gives the probability and the interval only. The capability split (64 plans) would more
    than double its time, so the capability to fund first comes with the full analysis.
    """
    return DecisionRequest(replications=QUICK_REPLICATIONS, tornado=False, shapley=False)


def analyse(key: str, request: DecisionRequest, execution: Execution | None = None) -> DecisionAnalysis:
    """The decision analyses of the scenario with canonical JSON ``key``.

    This is what a background job runs in its own process: a module-level function of
    picklable arguments.
    """
    return decision_analysis(Scenario.from_json(key), request, execution)


def quick_scenario(scenario: Scenario) -> Scenario:
    """``scenario`` with at most :data:`QUICK_POPULATION` simulated people."""
    return scenario.replace(market__population=min(QUICK_POPULATION, scenario.market.population))


def _money(value: float | None, currency: str, signed: bool = False) -> str:
    return fmt.money(value, currency, signed=signed)


@dataclass(frozen=True)
class Verdict:
    """What the board reads first.

    Attributes
    ----------
    currency:
        ISO code of every amount.
    npv_gain:
        Omnichannel's NPV gain over multichannel in the scenario's own run (currency).
    probability, probability_low, probability_high:
        Share of the runs in which omnichannel's NPV beats multichannel's and its 90% Wilson
        interval; None while the runs are still going.
    gain_p05, gain_p95:
        90% range of the NPV gain over the runs (5th and 95th percentile); None as above.
    fund_first:
        Capability with the largest Shapley value (plain name); None until computed.
    break_even_budget, planned_budget:
        Largest one-off budget at which omnichannel still pays back (NPV gain >= 0 within the
        horizon) and the one-off budget planned today (currency, undiscounted).
    runs, population:
        Runs behind the probability and people simulated in each.
    """

    currency: str
    npv_gain: float
    probability: float | None
    probability_low: float | None
    probability_high: float | None
    gain_p05: float | None
    gain_p95: float | None
    fund_first: str | None
    break_even_budget: float
    planned_budget: float
    runs: int
    population: int

    @property
    def settled(self) -> bool:
        """Whether the runs behind the probability have finished."""
        return self.probability is not None

    @property
    def plan(self) -> str:
        """``omnichannel``, ``multichannel`` or ``undecided`` (too close to call).

        Before the runs finish, the sign of the scenario's own NPV gain decides.
        """
        p = self.probability
        if p is None:
            return "omnichannel" if self.npv_gain > 0 else "multichannel"
        if p >= SURE:
            return "omnichannel"
        if p <= 1 - SURE:
            return "multichannel"
        return "undecided"

    def how_sure(self) -> str:
        """How sure the plan is in words: "very likely", "likely", "too close to call" or "not yet known"."""
        p = self.probability
        if p is None:
            return text("verdict.not_known")
        if p >= VERY_SURE or p <= 1 - VERY_SURE:
            return text("verdict.very_likely")
        if p >= SURE or p <= 1 - SURE:
            return text("verdict.likely")
        return text("verdict.too_close")

    def sentence(self) -> str:
        """One plain sentence: which plan, and how sure."""
        gain = _money(self.npv_gain, self.currency, signed=True)
        if self.probability is None:
            return text("verdict.open", gain=gain)
        spread = text("verdict.spread", low=_money(self.gain_p05, self.currency, True),
                      high=_money(self.gain_p95, self.currency, True))
        key = {"omnichannel": "verdict.omnichannel", "multichannel": "verdict.multichannel"}
        return text(key.get(self.plan, "verdict.undecided"), how_sure=self.how_sure(),
                    probability=fmt.percent(self.probability, digits=0),
                    runs=fmt.count(self.runs, exact=True), spread=spread)

    def basis(self) -> str:
        """What the numbers rest on, for a caption."""
        population = fmt.count(self.population, exact=True)
        if self.probability is None:
            return text("verdict.basis_point", population=population)
        return text("verdict.basis_runs", runs=fmt.count(self.runs, exact=True), population=population)


def verdict_from(scenario: Scenario, analysis: DecisionAnalysis, *, population: int | None = None,
                 runs: int | None = None) -> Verdict:
    """The verdict of a finished decision analysis of ``scenario``."""
    omni = analysis.break_even["omnichannel"]
    u = analysis.uncertainty
    probability = low = high = p05 = p95 = None
    count = 0
    if u is not None:
        row = u.beats_baseline.set_index("strategy").loc["omnichannel"]
        probability, low, high = float(row["probability"]), float(row["ci_low"]), float(row["ci_high"])
        count = int(row["replications"])
        gain = u.summary.set_index(["strategy", "kpi"]).loc[("omnichannel", "npv_gain")]
        p05, p95 = float(gain["p05"]), float(gain["p95"])
    first = None
    s = analysis.capability_value
    if s is not None and len(s.values):
        first = capability_name(str(s.values.iloc[0]["capability"]))
    return Verdict(
        currency=scenario.market.currency, npv_gain=float(omni.npv_gain), probability=probability,
        probability_low=low, probability_high=high, gain_p05=p05, gain_p95=p95, fund_first=first,
        break_even_budget=float(omni.break_even_budget), planned_budget=float(omni.budget),
        runs=runs if runs is not None else count,
        population=population or scenario.market.population,
    )


def point_verdict(scenario: Scenario, npv_gain: float, break_even_budget: float,
                  planned_budget: float) -> Verdict:
    """A verdict from the scenario's own run only (before the runs are in)."""
    return Verdict(currency=scenario.market.currency, npv_gain=npv_gain, probability=None,
                   probability_low=None, probability_high=None, gain_p05=None, gain_p95=None,
                   fund_first=None, break_even_budget=break_even_budget,
                   planned_budget=planned_budget, runs=0, population=scenario.market.population)
