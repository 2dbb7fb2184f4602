"""Published evidence beside what the model says, measured the way each study measured it.

``data/evidence.csv`` lists published figures with source, grade, whether the study shows a
cause, and its intended use. :func:`evidence_table` simulates the presets the rows name and
measures each figure with the study's own definition and denominator:

* HBR 2017 (channel mix, spend per occasion): customers who shopped in a 14-month window,
  grouped by the channels they *used* (any touchpoint; channel_usage basis ``used``).
* Criteo 2018: customers who *bought* both online and offline within a year.
* RJMetrics 2015: first-time buyers with a second purchase within 12 months (``repeat_12m``).
* McKinsey 2019 (fashion preset): annual purchases and spend of shoppers who bought both in
  store and online against store-only shoppers.

All are measured on the multichannel plan: the studies observed retailers as they were, mostly
with channels run apart. Rows marked ``target`` are reproduced by the presets (a test keeps them
so); ``display only`` rows are shown beside the model's figure with why they are not targets.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.core.api import simulate_plans
from simulation.core.presets import preset_names
from simulation.core.results import Results
from simulation.core.scenario import CapabilityLevels, ChannelKind, Scenario
from simulation.core.world import CHANNELS_IN_MASK
from simulation.inputs.problems import Problem

EVIDENCE_PATH = Path(__file__).resolve().parents[2] / "data" / "evidence.csv"
HBR_WINDOW_WEEKS = 61
"""HBR 2017 observed customers over 14 months."""
YEAR_WEEKS = 52


class Use(StrEnum):
    """What an evidence row is for, from its ``use`` column (see :func:`use_of`)."""

    TARGET = "target"
    RANGE = "range check"
    INPUT = "input"
    CONTEXT = "context"
    PRESET = "preset"
    DISPLAY = "display only"


def use_of(text: str) -> Use:
    """The kind of a row from its free-text ``use`` column."""
    for use in (Use.DISPLAY, Use.RANGE, Use.TARGET, Use.INPUT, Use.PRESET, Use.CONTEXT):
        if str(text).strip().lower().startswith(use.value):
            return use
    return Use.CONTEXT


def load_evidence(path: Path = EVIDENCE_PATH) -> pd.DataFrame:
    """The evidence rows with a parsed ``kind`` and a numeric ``published_value`` (NaN if a range)."""
    frame = pd.read_csv(path, dtype={"value": str}, keep_default_na=False, na_values=[""])
    frame["kind"] = [use_of(u).value for u in frame["use"]]
    frame["published_value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame


MULTI = "multichannel"
OMNI = "omnichannel"


@dataclass
class PresetRuns:
    """The runs of one preset the studies' definitions need (multichannel plan unless stated)."""

    scenario: Scenario
    population: int | None = None

    def _scenario(self, weeks: int | None = None) -> Scenario:
        changes: dict[str, object] = {}
        if self.population is not None:
            changes["market__population"] = self.population
        if weeks is not None:
            changes["market__horizon_weeks"] = weeks
        return self.scenario.replace(**changes) if changes else self.scenario

    @cached_property
    def _full(self) -> tuple[Results, pd.DataFrame]:
        from simulation.calibration.eventlog import EventRecorder, recorded_events

        scenario = self._scenario()
        recorder = EventRecorder(scenario)
        results = simulate_plans(scenario, {MULTI: CapabilityLevels.uniform(0.0),
                                            OMNI: CapabilityLevels.uniform(1.0)}, targeting=recorder)
        return results, recorded_events(recorder, scenario)

    @property
    def full(self) -> Results:
        """The preset's horizon, multichannel and omnichannel plans."""
        return self._full[0]

    @property
    def events(self) -> pd.DataFrame:
        """Event log of the multichannel plan of :attr:`full`."""
        return self._full[1]

    @cached_property
    def hbr_window(self) -> Results:
        """The multichannel plan over :data:`HBR_WINDOW_WEEKS` weeks (HBR 2017's 14 months)."""
        return simulate_plans(self._scenario(HBR_WINDOW_WEEKS), {MULTI: CapabilityLevels.uniform(0.0)})

    @cached_property
    def year(self) -> Results:
        """The multichannel plan over one year (:data:`YEAR_WEEKS` weeks)."""
        return simulate_plans(self._scenario(YEAR_WEEKS), {MULTI: CapabilityLevels.uniform(0.0)})

    @property
    def physical(self) -> list[str]:
        """Names of the scenario's physical channels."""
        return [c.name for c in self.scenario.channels if c.kind is ChannelKind.PHYSICAL]

    @property
    def digital(self) -> list[str]:
        """Names of the scenario's digital channels."""
        return [c.name for c in self.scenario.channels if c.kind is ChannelKind.DIGITAL]


# Measures: PresetRuns -> (model figure, note) ------------------------------------------------


def _mix_share(runs: PresetRuns, group: str) -> float:
    cu = runs.hbr_window.channel_usage
    row = cu[(cu["strategy"] == MULTI) & (cu["basis"] == "used") & (cu["grouping"] == "mix")
             & (cu["channel"] == "all") & (cu["group"] == group)]
    return float(row["share"].iloc[0]) if len(row) else 0.0


def _spend_per_occasion(runs: PresetRuns, group: str, channels: list[str]) -> float:
    cu = runs.hbr_window.channel_usage
    rows = cu[(cu["strategy"] == MULTI) & (cu["basis"] == "used") & (cu["grouping"] == "mix")
              & (cu["group"] == group) & cu["channel"].isin(channels)]
    purchases = rows["purchases"].sum()
    return float(rows["spend"].sum() / purchases) if purchases > 0 else math.nan


def _buyers_by_kind(results: Results, runs: PresetRuns) -> pd.DataFrame:
    cust = results.customers
    cust = cust[cust["strategy"] == MULTI]
    phys = cust[[f"purchases_{c}" for c in runs.physical]].sum(axis=1)
    digi = cust[[f"purchases_{c}" for c in runs.digital]].sum(axis=1)
    spend = cust[[f"spend_{c.name}" for c in runs.scenario.channels]].sum(axis=1)
    out = pd.DataFrame({"physical": phys, "digital": digi, "purchases": phys + digi, "spend": spend})
    out = out[out["purchases"] > 0]
    out["group"] = np.where((out["physical"] > 0) & (out["digital"] > 0), "both",
                            np.where(out["physical"] > 0, "offline only", "online only"))
    return out


def _relative(a: float, b: float) -> float:
    return a / b - 1.0 if b > 0 else math.nan


def _clv_multi_vs_single(results: Results, plan: str) -> float:
    run = results.run
    assert run is not None
    s = run.world.plan_names.index(plan)
    state = run.states[s]
    cust = results.customers
    clv = cust.loc[cust["strategy"] == plan, "clv"].to_numpy()
    n_used = CHANNELS_IN_MASK[state.channels_used]
    is_customer = ~np.isnan(clv)
    multi = is_customer & (n_used >= 2)
    single = is_customer & (n_used == 1)
    return _relative(float(clv[multi].mean()), float(clv[single].mean()))


Measure = Callable[[dict[str, PresetRuns]], tuple[float, str]]


def _m(preset: str, fn: Callable[[PresetRuns], float], note: str = "") -> Measure:
    """A measure on ``preset``'s runs; ``note`` names its ``evidence_note.*`` text, if any."""
    def measure(runs: dict[str, PresetRuns]) -> tuple[float, str]:
        if preset not in runs:
            return math.nan, Problem("evidence_note.no_preset", preset=repr(preset))
        return fn(runs[preset]), Problem(f"evidence_note.{note}") if note else ""
    return measure


def _mck(runs: PresetRuns, column: str) -> float:
    """A survey of current shoppers about their last year: the final 52 weeks of the full run."""
    ev = runs.events
    window = ev[ev["timestamp"] > ev["timestamp"].max() - pd.Timedelta(days=7 * YEAR_WEEKS)]
    physical = {c.lower() for c in runs.physical}
    buys = window[window["event_type"] == "purchase"]
    refunds = window[window["event_type"] == "return"].groupby("customer_id")["amount"].sum()
    in_store = buys["channel"].isin(physical)
    g = pd.DataFrame({
        "purchases": buys.groupby("customer_id").size(),
        "spend": buys.groupby("customer_id")["amount"].sum(),
        "physical": in_store.groupby(buys["customer_id"]).any(),
        "digital": (~in_store).groupby(buys["customer_id"]).any(),
    })
    g["spend"] -= refunds.reindex(g.index, fill_value=0.0)
    both = g[g["physical"] & g["digital"]]
    offline = g[g["physical"] & ~g["digital"]]
    return _relative(float(both[column].mean()), float(offline[column].mean()))


def _criteo(runs: PresetRuns, column: str) -> float:
    b = _buyers_by_kind(runs.year, runs)
    both = b["group"] == "both"
    if column == "customers":
        return float(both.mean())
    return float(b.loc[both, "spend"].sum() / b["spend"].sum())


def _cart_abandonment(runs: PresetRuns) -> float:
    flows = runs.full.flows
    f = flows[(flows["strategy"] == MULTI) & flows["start_channel"].isin(runs.digital)]
    return float(1.0 - f.loc[f["purchase"], "journeys"].sum() / f["journeys"].sum())


def _aberdeen(runs: dict[str, PresetRuns]) -> tuple[float, str]:
    k = runs["benchmark_retailer"].full.kpis
    multi, omni = k.loc[MULTI], k.loc[OMNI]
    return float(omni["retention_12m"]), Problem(
        "evidence_note.aberdeen", omni=f"{omni['retention_12m']:.0%}", multi=f"{multi['retention_12m']:.0%}",
        ratio=f"{omni['clv'] / multi['clv']:.2f}")


def _idc(runs: dict[str, PresetRuns]) -> tuple[float, str]:
    r = runs["benchmark_retailer"].full
    within = _clv_multi_vs_single(r, MULTI)
    k = r.kpis
    plan_gain = k.loc[OMNI, "clv"] / k.loc[MULTI, "clv"] - 1
    return within, Problem("evidence_note.idc", within=f"{within:+.0%}", plan_gain=f"{plan_gain:+.0%}")


def _personalization(runs: dict[str, PresetRuns]) -> tuple[float, str]:
    results = runs["benchmark_retailer"].full
    report = results.extras.get("personalization")
    try:
        from simulation.core.personalization import personalization_summary

        summary = personalization_summary(report, results.kpis)
        lift = float(summary.loc[OMNI, "revenue_lift"])
    except (ImportError, KeyError, TypeError, AttributeError):
        return math.nan, Problem("evidence_note.needs_learned")
    return lift, Problem("evidence_note.personalization")


def _rjmetrics(runs: dict[str, PresetRuns]) -> tuple[float, str]:
    """An e-commerce retailer sees only online orders: the model's digital channels' log alone."""
    from simulation.calibration.eventlog import event_kpis

    r = runs[B]
    online = r.events[r.events["channel"].isin([c.lower() for c in r.digital])]
    repeat = event_kpis(online, physical=set())["repeat_12m"]
    return repeat, Problem("evidence_note.rjmetrics", repeat=f"{r.full.kpis.loc[MULTI, 'repeat_12m']:.0%}")


def _bank_attrition(runs: PresetRuns) -> float:
    return float(1.0 - runs.full.kpis.loc[MULTI, "retention_12m"])


def _param(fn: Callable[[Scenario], float]) -> Callable[[PresetRuns], float]:
    return lambda runs: float(fn(runs.scenario))


def _mean_digital(field: str) -> Callable[[Scenario], float]:
    return lambda s: float(np.mean([getattr(c, field) for c in s.channels
                                    if c.kind is ChannelKind.DIGITAL]))


def _physical(field: str) -> Callable[[Scenario], float]:
    return lambda s: float(np.mean([getattr(c, field) for c in s.channels
                                    if c.kind is ChannelKind.PHYSICAL]))


B = "benchmark_retailer"
MEASURES: dict[str, Measure] = {
    "hbr_mix_multi": _m(B, lambda r: _mix_share(r, "multi-channel")),
    "hbr_mix_store": _m(B, lambda r: _mix_share(r, "store only")),
    "hbr_mix_online": _m(B, lambda r: _mix_share(r, "online only")),
    "hbr_store_spend": _m(B, lambda r: _relative(_spend_per_occasion(r, "multi-channel", r.physical),
                                                 _spend_per_occasion(r, "store only", r.physical))),
    "hbr_online_spend": _m(B, lambda r: _relative(_spend_per_occasion(r, "multi-channel", r.digital),
                                                  _spend_per_occasion(r, "online only", r.digital))),
    "mck_apparel_freq": _m("fashion", lambda r: _mck(r, "purchases")),
    "mck_apparel_spend": _m("fashion", lambda r: _mck(r, "spend")),
    "criteo_omni_customers": _m(B, lambda r: _criteo(r, "customers")),
    "criteo_omni_sales": _m(B, lambda r: _criteo(r, "sales")),
    "rjm_second_purchase": _rjmetrics,
    "baymard_cart_abandonment": _m(B, _cart_abandonment, "cart_abandonment"),
    "gma_out_of_stock": _m(B, _param(lambda s: 1 - _physical("stock_availability")(s)), "input"),
    "gma_out_of_stock_lost": _m(B, _param(lambda s: s.behaviour.stockout_lost_share), "input"),
    "inventory_record_accuracy": _m(B, lambda r: math.nan, "fill_rate"),
    "returns_online": _m(B, _param(_mean_digital("return_rate")), "input_digital_mean"),
    "returns_store": _m(B, _param(_physical("return_rate")), "input"),
    "bopis_addon_per_order": _m(B, _param(lambda s: s.economics.pickup_addon_value), "input_pickup_addon"),
    "bank_attrition": _m("banking", _bank_attrition, "bank_attrition"),
    "aberdeen_retention": _aberdeen,
    "idc_lifetime_value": _idc,
    "personalization_revenue_lift": _personalization,
}

COLUMNS = ("id", "metric", "published", "published_value", "model", "tolerance_low",
           "tolerance_high", "within", "kind", "use", "preset", "grade", "causal", "source",
           "year", "url", "population", "model_measure", "shows", "does_not_show", "model_note")


def evidence_table(*, population: int | None = None, presets: dict[str, Scenario] | None = None,
                   path: Path = EVIDENCE_PATH) -> pd.DataFrame:
    """Each evidence row with the model's figure measured the study's way.

    Parameters
    ----------
    population:
        People simulated per run (default: each preset's own population).
    presets:
        Scenarios to use instead of the shipped presets (by preset name), e.g. while tuning.
    path:
        The evidence file (default: the shipped ``data/evidence.csv``).
    """
    rows = load_evidence(path)
    needed = set(rows["preset"]) | {B}
    available = set(preset_names())
    scenarios = {name: Scenario.preset(name) for name in needed if name in available}
    scenarios.update(presets or {})
    runs = {name: PresetRuns(s, population) for name, s in scenarios.items()}
    out = []
    for row in rows.itertuples(index=False):
        measure = MEASURES.get(row.id)
        try:
            model, note = measure(runs) if measure else (math.nan, Problem("evidence_note.not_modelled"))
        except Exception as error:  # a preset another page broke must not hide the other rows
            model, note = math.nan, Problem("evidence_note.failed", error=f"{type(error).__name__}: {error}")
        low, high = row.tolerance_low, row.tolerance_high
        checked = not (math.isnan(low) or math.isnan(high) or math.isnan(model))
        out.append({
            "id": row.id, "metric": row.metric, "published": row.value,
            "published_value": row.published_value, "model": model,
            "tolerance_low": low, "tolerance_high": high,
            "within": bool(low <= model <= high) if checked else None,
            "kind": row.kind, "use": row.use, "preset": row.preset, "grade": row.grade,
            "causal": row.causal, "source": row.source, "year": row.year, "url": row.url,
            "population": row.population, "model_measure": row.model_measure,
            "shows": row.shows, "does_not_show": row.does_not_show, "model_note": note,
        })
    table = pd.DataFrame(out, columns=list(COLUMNS))
    # Object dtype keeps each note's key (pandas would make them plain str): the page translates them.
    table["model_note"] = pd.Series([row["model_note"] for row in out], dtype=object, index=table.index)
    return table


def targets_missed(table: pd.DataFrame) -> pd.DataFrame:
    """Target rows outside their tolerance (empty when the presets reproduce every target)."""
    t = table[table["kind"] == Use.TARGET.value]
    return t[t["within"] != True]  # noqa: E712 (None counts as missed)
