"""The board report as one HTML document (A4, 2-4 pages when printed), from finished results.

Sections: the question and the verdict; key numbers with 90% intervals; the charts; what the
answer hangs on (the tornado's drivers and what one would have to believe for it to flip);
assumptions with their sources; provenance (scenario, seed, version, date) and caveats.
Charts are inline SVG from kaleido, so the PDF printed from this page keeps them as vectors.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from simulation.analysis.decisions import DecisionAnalysis, DecisionRequest
from simulation.analysis.ranges import MAIN_ASSUMPTIONS, RangeSpec, resolve_ranges
from simulation.analysis.runs import levels_tuple
from simulation.core.results import Results
from simulation.core.scenario import APP_VERSION, Capability, Scenario
from simulation.display import charts, wording
from simulation.display import decision_charts as dc
from simulation.display import format as fmt
from simulation.display.labels import capability_name, join_names, kpi_label, levels_description
from simulation.display.params import parameters
from simulation.report import figures
from simulation.report.verdict import Verdict, verdict_from

TITLE = "Omnichannel or multichannel: board report"
CAVEATS = (
    "<b>Model, not forecast.</b> The numbers follow from the assumptions listed; most are "
    "assumptions or industry figures, not measurements of this business.",
    "<b>Correlational evidence.</b> The studies behind the mechanisms mostly compare omnichannel "
    "and single-channel customers; such comparisons show association, not that integration "
    "causes the difference (better customers may simply use more channels).",
    "<b>Left out of the model:</b> competitors' reactions, price and assortment changes, store "
    "and fulfilment capacity, seasonality, and the organisational change integration needs "
    "beyond its stated cost.",
    "<b>Integration levels are abstract</b> (0% to 100%): mapping a real project to a level is "
    "a judgement, and costs and ramp-ups are estimates.",
    "<b>Money is scaled linearly</b> from the simulated people to the market size.",
)


@dataclass(frozen=True)
class ReportInputs:
    """Everything the report is made from.

    Attributes
    ----------
    scenario:
        The scenario as the user set it.
    results:
        Its own run (the numbers on the app's Overview).
    analysis:
        The decision analysis of ``analysed`` with ``request``.
    analysed:
        The scenario the analysis ran on (the same, or fewer simulated people).
    """

    scenario: Scenario
    results: Results
    analysis: DecisionAnalysis
    request: DecisionRequest
    analysed: Scenario
    day: dt.date = field(default_factory=dt.date.today)

    @property
    def verdict(self) -> Verdict:
        """The verdict read from the analysis (see :func:`simulation.report.verdict.verdict_from`)."""
        return verdict_from(self.analysed, self.analysis, population=self.analysed.market.population)


def _e(text: object) -> str:
    return html.escape(str(text))


def _table(header: list[str], rows: list[list[str]], *, cls: str = "") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def key_numbers(inputs: ReportInputs) -> list[list[str]]:
    """Rows of the key-number table, as escaped HTML cells.

    Columns: KPI, multichannel, omnichannel, omnichannel's 90% range, your custom plan (money
    in the scenario's currency).
    """
    cur = inputs.scenario.market.currency
    kpis = inputs.results.kpis
    u = inputs.analysis.uncertainty
    summary = u.summary.set_index(["strategy", "kpi"]) if u is not None else None
    rows = []
    for kpi in ("npv", "npv_gain", "conversion_rate", "retention_12m", "clv", "integration_cost"):
        label = kpi_label(kpi)

        def show(x: float, kpi: str = kpi) -> str:
            return fmt.kpi(kpi, x, cur, signed=kpi == "npv_gain")

        spread = "not replicated"
        if summary is not None and ("omnichannel", kpi) in summary.index:
            row = summary.loc[("omnichannel", kpi)]
            spread = f"{show(row['p05'])} to {show(row['p95'])}"
        cells = [label]
        for strategy in ("multichannel", "omnichannel"):
            base = strategy == "multichannel" and kpi == "npv_gain"
            cells.append("baseline" if base else show(kpis.loc[strategy, kpi]))
        cells.append(spread)
        cells.append(show(kpis.loc["custom", kpi]) if "custom" in kpis.index else "")
        rows.append([_e(c) for c in cells])
    return rows


def _believe(inputs: ReportInputs) -> str:
    """What one would have to believe for the answer to flip, from the tornado's ends."""
    t = inputs.analysis.tornado
    if t is None or t.bars.empty:
        return "<p>The sensitivity analysis was not run.</p>"
    base = t.base_npv_gain
    cur = inputs.scenario.market.currency
    flips = []
    for row in t.bars.itertuples():
        for end, gain in (("low", row.npv_gain_low), ("high", row.npv_gain_high)):
            if np.sign(gain) != np.sign(base) and gain != 0:
                value = row.low if end == "low" else row.high
                where = (f"{fmt.plain(float(value))} {row.unit}".strip()
                         if np.isfinite(value) else f"its {end} end ({row.range})")
                flips.append(f"<li><b>{_e(row.label)}</b> at {_e(where)} (NPV gain then "
                             f"{_e(fmt.money(gain, cur, signed=True))})</li>")
    side = "not to pay" if base > 0 else "to pay"
    if not flips:
        return (f"<p>For omnichannel {side}, no single assumption at either end of its tested "
                "range is enough; several would have to move against it at once (the 90% range "
                "above draws them together).</p>")
    return (f"<p>For omnichannel {side}, you would have to believe one of these (each alone, "
            f"with everything else as assumed):</p><ul>{''.join(flips)}</ul>")


def _assumptions(inputs: ReportInputs) -> str:
    scenario = inputs.scenario
    by_path = {p.info.path: p.info for p in parameters(scenario)}
    ranges = resolve_ranges(scenario, [RangeSpec(s.path, relative=inputs.request.relative_range)
                                       for s in MAIN_ASSUMPTIONS])
    rows = []
    for r in ranges:
        info = by_path.get(r.fields[0])
        value = fmt.plain(r.base[0]) if len(r.fields) == 1 else "per segment / capability"
        rows.append([_e(r.label), _e(f"{value} {r.unit}".strip()), _e(r.describe()),
                     _e(info.source if info and info.source else "assumption")])
    costs = []
    for c in Capability:
        cost = scenario.capability_costs.of(c)
        costs.append([_e(capability_name(c)), _e(fmt.money(cost.one_off_cost, scenario.market.currency)),
                      _e(fmt.money(cost.running_cost_weekly, scenario.market.currency)),
                      _e(f"{cost.ramp_weeks} weeks")])
    return (_table(["Assumption", "Value", "Range tested", "Source"], rows, cls="small")
            + "<h3>Integration cost of each capability (at 100%)</h3>"
            + _table(["Capability", "One-off", "Running, per week", "Ramp-up"], costs, cls="small"))


def _decision_list(inputs: ReportInputs) -> str:
    v, cur = inputs.verdict, inputs.scenario.market.currency
    items = []
    if v.probability is not None:
        items.append(f"Probability that omnichannel beats multichannel on NPV: <b>"
                     f"{fmt.percent(v.probability, digits=0)}</b> (90% interval "
                     f"{fmt.percent(v.probability_low, digits=0)} to "
                     f"{fmt.percent(v.probability_high, digits=0)}, {v.runs} runs).")
        items.append(f"NPV gain of omnichannel: <b>{_e(fmt.money(v.npv_gain, cur, signed=True))}</b>; "
                     f"90% of runs between {_e(fmt.money(v.gain_p05, cur, signed=True))} and "
                     f"{_e(fmt.money(v.gain_p95, cur, signed=True))}.")
    items.append(f"Capability to fund first: <b>{_e(v.fund_first or 'not analysed')}</b> "
                 "(largest share of the gain, Shapley value).")
    items.append(f"Largest one-off budget that still pays back within the horizon: <b>"
                 f"{_e(fmt.money(v.break_even_budget, cur))}</b> (planned one-off budget "
                 f"{_e(fmt.money(v.planned_budget, cur))}).")
    items.append(_e(v.basis()))
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def report_figures(inputs: ReportInputs) -> dict[str, go.Figure]:
    """The report's charts by file stem, with print heights."""
    a, cur = inputs.analysis, inputs.scenario.market.currency
    out: dict[str, go.Figure] = {}
    if a.uncertainty is not None and not a.uncertainty.fan.empty:
        out["npv_gain_over_time"] = dc.fan_figure(a.uncertainty.fan, "cumulative_npv_gain", cur)
    else:
        out["npv_gain_over_time"] = charts.cash_gain_figure(inputs.results)
    if a.tornado is not None:
        out["drivers"] = dc.tornado_figure(a.tornado.bars.head(8), a.tornado.base_npv_gain, cur)
    if a.capability_value is not None:
        out["capability_value"] = dc.shapley_waterfall_figure(
            a.capability_value.values, a.capability_value.total_npv_gain, cur)
    out["budget"] = dc.payback_figure(a.break_even["omnichannel"], cur)
    for fig in out.values():
        fig.update_layout(height=figures.PRINT_SIZE[1])
    return out


def _svg(fig: go.Figure) -> str:
    text = figures.image(fig, "svg").decode("utf-8")
    return text[text.index("<svg"):]


CSS = """
@page { size: A4; margin: 14mm 14mm 16mm 14mm; }
body { font-family: "Source Sans Pro", "Liberation Sans", "Noto Sans", "Noto Sans Thai", Loma, "DejaVu Sans",
       Arial, sans-serif; line-break: strict; word-break: normal;
       color: #262730; font-size: 10.5pt; line-height: 1.35; margin: 0 auto; max-width: 190mm; }
h1 { font-size: 19pt; margin: 0 0 2mm 0; } h2 { font-size: 13.5pt; margin: 5mm 0 2mm 0; }
h3 { font-size: 11pt; margin: 4mm 0 1.5mm 0; }
.meta { color: #6B6B6B; font-size: 9pt; }
.verdict { border-left: 5px solid #0072B2; background: #EEF5FA; padding: 3mm 4mm; margin: 3mm 0;
           font-size: 12.5pt; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0; }
th, td { text-align: left; padding: 1.2mm 2mm; border-bottom: 1px solid #E0E0E0; vertical-align: top; }
th { background: #F4F4F4; } table.small { font-size: 9pt; }
.chart { break-inside: avoid; page-break-inside: avoid; margin: 2mm 0; }
.chart svg { width: 100%; height: auto; }
.page { break-before: page; page-break-before: always; }
ul { margin: 1mm 0; padding-left: 5mm; } li { margin: 0.8mm 0; }
.last { font-size: 8.5pt; } .last table.small { font-size: 8pt; }
.last th, .last td { padding: 0.7mm 1.5mm; } .last li { margin: 0.3mm 0; }
.last h2 { font-size: 12pt; margin-top: 2mm; }
"""


def report_html(inputs: ReportInputs, *, svgs: dict[str, str] | None = None) -> str:
    """The report page. ``svgs`` (stem -> inline SVG) come from :func:`render_charts`."""
    s, v = inputs.scenario, inputs.verdict
    svgs = svgs if svgs is not None else render_charts(inputs)
    a = inputs.analysis
    cur = s.market.currency
    blocks = "".join(f'<div class="chart">{svg}</div>'
                     for k, svg in svgs.items() if k in ("npv_gain_over_time", "capability_value"))
    later = "".join(f'<div class="chart">{svg}</div>'
                    for k, svg in svgs.items() if k in ("drivers", "budget"))
    drivers = _e(wording.top_drivers(a.tornado, cur)) if a.tornado is not None else "Not run."
    fund = _e(wording.fund_first(a.capability_value, cur)) if a.capability_value else ""
    parts = [
        f"<h1>{_e(TITLE)}</h1>",
        f'<p class="meta">{_e(figures.provenance(s, inputs.day))}; {s.market.population:,} simulated '
        f"people for a market of {s.market.market_size:,}; {s.market.horizon_weeks} weeks; money in "
        f"{_e(cur)}.</p>",
        "<h2>The question</h2>",
        f"<p>Should <b>{_e(s.name)}</b> integrate its sales and marketing channels "
        "(omnichannel), keep them separate (multichannel) or integrate part of them, and how "
        "much may the integration cost?</p>",
        "<h2>The verdict</h2>",
        f'<div class="verdict">{_e(v.sentence())}</div>',
        _decision_list(inputs),
        "<h2>Key numbers</h2>",
        _table(["", "Multichannel", "Omnichannel", "Omnichannel, 90% range of runs",
                "Your custom plan"], key_numbers(inputs), cls="small"),
        f'<p class="meta">Values: the scenario\'s own run of {s.market.population:,} people (as on '
        "the app's Overview). 90% range: 5th to 95th percentile of the runs, the range to plan for. "
        "Integration cost here is one-off plus running costs over the horizon; budgets elsewhere "
        f"are one-off only. Custom plan: {_e(levels_description(levels_tuple(s.custom_plan)))}.</p>",
        '<h2 class="page">How the gain builds up, and where it comes from</h2>', blocks,
        '<h2 class="page">What the answer hangs on</h2>', f"<p>{drivers}</p>", _believe(inputs),
        f"<p>{fund}</p>" if fund else "", later,
        '<div class="page last"><h2>Assumptions and their sources</h2>', _assumptions(inputs),
        "<h2>Caveats</h2>", "<ul>" + "".join(f"<li>{c}</li>" for c in CAVEATS) + "</ul>",
        f'<p class="meta">Reproduce: app version {APP_VERSION}, scenario JSON in the run bundle or '
        f"<code>python -m simulation report --scenario FILE</code>; seed {s.seed}. "
        f"{_e(figures.SOURCE)}.</p></div>",
    ]
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(TITLE)}: '
            f"{_e(s.name)}</title><style>{CSS}</style></head><body>{''.join(parts)}</body></html>")


def render_charts(inputs: ReportInputs) -> dict[str, str]:
    """Inline SVG of every report chart (raises :class:`figures.ExportError` without Chromium)."""
    with figures.exporting():
        return {k: _svg(f) for k, f in report_figures(inputs).items()}


def frames(inputs: ReportInputs) -> dict[str, pd.DataFrame]:
    """Every table behind the report (for the run bundle)."""
    out = dict(inputs.results.frames())
    out.update({k: v for k, v in inputs.analysis.frames().items() if isinstance(v, pd.DataFrame)})
    return out


__all__ = ["ReportInputs", "join_names", "report_html"]
