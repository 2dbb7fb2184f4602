"""The board report as one HTML document (A4, 2-4 pages when printed), from finished results.

Sections: the question and the verdict; key numbers with 90% intervals; the charts; what the
answer hangs on (the tornado's drivers, and what one would have to believe: the thresholds of
:func:`simulation.analysis.believe.believe`, the Decisions page's analysis, with a plain "not
reached in the range tested" where the gain keeps its sign); assumptions with their sources;
provenance (scenario, seed, version, date) and caveats. Every word comes from the display
catalog in the current language (``board_report.*``). Charts are inline SVG from kaleido, so
the PDF printed from this page keeps them as vectors.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from simulation.analysis.believe import BeliefResult
from simulation.analysis.decisions import DecisionAnalysis, DecisionRequest
from simulation.analysis.ranges import MAIN_ASSUMPTIONS, RangeSpec, resolve_ranges
from simulation.analysis.runs import levels_tuple
from simulation.core.results import Results
from simulation.core.scenario import APP_VERSION, Capability, Scenario
from simulation.display import charts, wording
from simulation.display import decision_charts as dc
from simulation.display import format as fmt
from simulation.display.labels import capability_name, join_names, kpi_label, levels_description, plan_name
from simulation.display.params import parameters
from simulation.display.text import language, text
from simulation.report import figures
from simulation.report.verdict import Verdict, verdict_from

CAVEATS = ("model", "correlational", "left_out", "levels", "linear")
"""Keys of the caveats (``board_report.caveat_title.<key>`` in bold, then ``board_report.caveat.<key>``)."""


def title() -> str:
    """The report's title in the current language."""
    return text("board_report.title")


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
    beliefs:
        What you would have to believe (:func:`simulation.analysis.believe.believe` of
        ``analysed``, the Decisions page's analysis); None when it was not computed, and the
        report then says how to get it.
    day:
        The report's date.
    """

    scenario: Scenario
    results: Results
    analysis: DecisionAnalysis
    request: DecisionRequest
    analysed: Scenario
    beliefs: BeliefResult | None = None
    day: dt.date = field(default_factory=dt.date.today)

    @property
    def verdict(self) -> Verdict:
        """The verdict read from the analysis (see :func:`simulation.report.verdict.verdict_from`)."""
        return verdict_from(self.analysed, self.analysis, population=self.analysed.market.population)


def _e(value: object) -> str:
    return html.escape(str(value))


def _t(key: str, bold: tuple[str, ...] = (), raw: tuple[str, ...] = (), **fields: object) -> str:
    """The catalog text of ``key`` as HTML: the text escaped, the ``bold`` fields in bold.

    Fields named in ``raw`` are HTML already and go in unescaped.
    """
    marks = {name: f"\x00{name}\x00" for name in fields}
    out = _e(text(key, **marks))
    for name, value in fields.items():
        shown = value if name in raw else _e(value)
        out = out.replace(f"\x00{name}\x00", f"<b>{shown}</b>" if name in bold else str(shown))
    return out


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

        spread = text("board_report.not_replicated")
        if summary is not None and ("omnichannel", kpi) in summary.index:
            row = summary.loc[("omnichannel", kpi)]
            spread = text("board_report.range", low=show(row["p05"]), high=show(row["p95"]))
        cells = [label]
        for strategy in ("multichannel", "omnichannel"):
            base = strategy == "multichannel" and kpi == "npv_gain"
            cells.append(text("board_report.baseline") if base else show(kpis.loc[strategy, kpi]))
        cells.append(spread)
        cells.append(show(kpis.loc["custom", kpi]) if "custom" in kpis.index else "")
        rows.append([_e(c) for c in cells])
    return rows


def threshold_value(value: float) -> str:
    """A threshold or range end as the Decisions page shows it (three significant digits)."""
    return f"{value:.3g}"


def threshold_cell(row: pd.Series) -> str:
    """Where a plan pays, in words, for one row of the believe thresholds (plain text).

    ``above 0.42``, ``below 3.1``, ``≈ 0.42`` marking a threshold the search did not narrow to
    its tolerance, or, when the gain keeps its sign across the range, that the threshold is not
    reached in the range tested and whether the plan pays there.
    """
    low, high = threshold_value(float(row["low"])), threshold_value(float(row["high"]))
    if not np.isfinite(float(row["threshold"])):
        key = "believe_pays_whole" if float(row["gain_base"]) > 0 else "believe_fails_whole"
        return text(f"board_report.{key}", low=low, high=high)
    value = threshold_value(float(row["threshold"]))
    if not bool(row["converged"]) and str(row.get("status", "")) != "step":  # a step is located
        value = text("board_report.believe_about", value=value)
    side = "believe_above" if bool(row["pays_above"]) else "believe_below"
    return text(f"board_report.{side}", threshold=value)


def _believe(inputs: ReportInputs) -> str:
    """What one would have to believe for the answer to flip: the believe analysis' thresholds."""
    b = inputs.beliefs
    if b is None:
        return f"<p>{_t('board_report.believe_missing')}</p>"
    cur = inputs.scenario.market.currency
    omni = "omnichannel"
    table = b.thresholds
    plans = [omni]  # the best hybrid's thresholds: the Decisions page's table and the bundle's CSV
    rows = []
    for _, group in table.groupby("parameter", sort=False):
        by_plan = group.set_index("plan")
        first = by_plan.loc[omni]
        unit = str(first["unit"])
        rows.append([_e(first["label"]), _e(f"{threshold_value(float(first['base']))} {unit}".strip()),
                     _e(text("board_report.range", low=threshold_value(float(first["low"])),
                             high=threshold_value(float(first["high"])))) + (f" {_e(unit)}" if unit else "")]
                    + [_e(threshold_cell(by_plan.loc[p])) for p in plans])
    header = [text("board_report.believe_assumption"), text("board_report.believe_today"),
              text("board_report.believe_range")]
    header += [text("board_report.believe_pays_if", plan=plan_name(p)) for p in plans]
    omni_rows = table[table["plan"] == omni]
    found = omni_rows.dropna(subset=["threshold"])
    if found.empty:
        summary = _t("board_report.believe_robust", plan=plan_name(omni))
    else:
        distance = (found["threshold"] - found["base"]).abs() / (found["high"] - found["low"])
        nearest = found.loc[distance.idxmin()]
        summary = _t("board_report.believe_flips", bold=("count",), count=len(found), total=len(omni_rows),
                     plan=plan_name(omni), nearest=f"{nearest['label']} ({threshold_cell(nearest)})")
    head = _e(text("sentence.believe.head", hybrid=plan_name(b.hybrid),
                   gain=fmt.money(b.base_gain[b.hybrid], cur),
                   omnichannel=plan_name(omni).lower(), omni_gain=fmt.money(b.base_gain[omni], cur)))
    note = (f'<p class="meta">{_t("board_report.believe_note")}</p>'
            if not bool(table["converged"].where(table["threshold"].notna(), True).all()) else "")
    return (f"<h2>{_t('board_report.believe_heading')}</h2><p>{_t('board_report.believe_intro')}</p>"
            f"<p>{summary} {head}</p>" + _table(header, rows, cls="small") + note)


def _assumptions(inputs: ReportInputs) -> str:
    scenario = inputs.scenario
    by_path = {p.info.path: p.info for p in parameters(scenario)}
    ranges = resolve_ranges(scenario, [RangeSpec(s.path, relative=inputs.request.relative_range)
                                       for s in MAIN_ASSUMPTIONS])
    rows = []
    for r in ranges:
        info = by_path.get(r.fields[0])
        value = fmt.plain(r.base[0]) if len(r.fields) == 1 else text("board_report.per_segment")
        rows.append([_e(r.label), _e(f"{value} {r.unit}".strip()), _e(r.describe()),
                     _e(info.source if info and info.source else text("board_report.no_source"))])
    costs = []
    cur = scenario.market.currency
    for c in Capability:
        cost = scenario.capability_costs.of(c)
        costs.append([_e(capability_name(c)), _e(fmt.money(cost.one_off_cost, cur)),
                      _e(fmt.money(cost.running_cost_weekly, cur)),
                      _t("board_report.weeks", weeks=cost.ramp_weeks)])
    header = [text(f"board_report.{k}") for k in ("assumption", "value", "range_tested", "source")]
    cost_header = [text(f"board_report.{k}") for k in ("capability", "one_off", "running", "ramp")]
    return (_table(header, rows, cls="small")
            + f"<h3>{_t('board_report.costs_heading')}</h3>"
            + _table(cost_header, costs, cls="small"))


def _decision_list(inputs: ReportInputs) -> str:
    v, cur = inputs.verdict, inputs.scenario.market.currency
    items = []
    if v.probability is not None:
        items.append(_t("board_report.probability", bold=("probability",),
                        probability=fmt.percent(v.probability, digits=0),
                        low=fmt.percent(v.probability_low, digits=0),
                        high=fmt.percent(v.probability_high, digits=0), runs=fmt.count(v.runs, exact=True)))
        items.append(_t("board_report.gain", bold=("gain",), gain=fmt.money(v.npv_gain, cur, signed=True),
                        low=fmt.money(v.gain_p05, cur, signed=True),
                        high=fmt.money(v.gain_p95, cur, signed=True)))
    items.append(_t("board_report.fund_first", bold=("capability",),
                    capability=v.fund_first or text("board_report.not_analysed")))
    items.append(_t("board_report.budget", bold=("budget",), budget=fmt.money(v.break_even_budget, cur),
                    planned=fmt.money(v.planned_budget, cur)))
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
@page { size: A4; margin: 11mm 14mm 14mm 14mm; }
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
.last { font-size: 8.5pt; line-height: 1.25; } .last table.small { font-size: 8pt; }
.last th, .last td { padding: 0.7mm 1.5mm; } .last li { margin: 0.3mm 0; }
.last h2 { font-size: 12pt; margin-top: 2mm; }
"""


def report_html(inputs: ReportInputs, *, svgs: dict[str, str] | None = None) -> str:
    """The report page in the current language.

    ``svgs`` (stem -> inline SVG) come from :func:`render_charts`.
    """
    s, v = inputs.scenario, inputs.verdict
    svgs = svgs if svgs is not None else render_charts(inputs)
    a = inputs.analysis
    cur = s.market.currency
    blocks = "".join(f'<div class="chart">{svg}</div>'
                     for k, svg in svgs.items() if k in ("npv_gain_over_time", "capability_value"))
    later = "".join(f'<div class="chart">{svg}</div>'
                    for k, svg in svgs.items() if k in ("drivers", "budget"))
    drivers = (_e(wording.plain(wording.top_drivers(a.tornado, cur))) if a.tornado is not None
               else _t("board_report.drivers_not_run"))
    fund = _e(wording.plain(wording.fund_first(a.capability_value, cur))) if a.capability_value else ""
    caveats = "".join(f"<li><b>{_t(f'board_report.caveat_title.{k}')}</b> "
                      f"{_t(f'board_report.caveat.{k}')}</li>" for k in CAVEATS)
    command = "python -m simulation report --scenario FILE"
    parts = [
        f"<h1>{_e(title())}</h1>",
        '<p class="meta">' + _t("board_report.meta", provenance=figures.provenance(s, inputs.day),
                                population=fmt.count(s.market.population, exact=True),
                                market=fmt.count(s.market.market_size, exact=True),
                                weeks=s.market.horizon_weeks, currency=cur) + "</p>",
        f"<h2>{_t('board_report.question_heading')}</h2>",
        f"<p>{_t('board_report.question', bold=('name',), name=s.name)}</p>",
        f"<h2>{_t('board_report.verdict_heading')}</h2>",
        f'<div class="verdict">{_e(v.sentence())}</div>',
        _decision_list(inputs),
        f"<h2>{_t('board_report.key_numbers_heading')}</h2>",
        _table(["", plan_name("multichannel"), plan_name("omnichannel"),
                text("board_report.range_column", plan=plan_name("omnichannel")), plan_name("custom")],
               key_numbers(inputs), cls="small"),
        '<p class="meta">' + _t("board_report.key_numbers_note",
                                population=fmt.count(s.market.population, exact=True),
                                levels=levels_description(levels_tuple(s.custom_plan))) + "</p>",
        f'<h2 class="page">{_t("board_report.charts_heading")}</h2>', blocks,
        f'<h2>{_t("board_report.hangs_heading")}</h2>', f"<p>{drivers}</p>",
        f"<p>{fund}</p>" if fund else "", later,
        f'<div class="last">{_believe(inputs)}<h2>{_t("board_report.assumptions_heading")}</h2>',
        _assumptions(inputs),
        f"<h2>{_t('board_report.caveats_heading')}</h2>", f"<ul>{caveats}</ul>",
        '<p class="meta">' + _t("board_report.reproduce", version=APP_VERSION, seed=s.seed,
                                raw=("command",), command=f"<code>{_e(command)}</code>")
        + f" {_e(figures.source())}.</p></div>",
    ]
    return (f'<!DOCTYPE html><html lang="{_e(language())}"><head><meta charset="utf-8"><title>'
            f"{_e(title())}: {_e(s.name)}</title><style>{CSS}</style></head>"
            f"<body>{''.join(parts)}</body></html>")


def render_charts(inputs: ReportInputs) -> dict[str, str]:
    """Inline SVG of every report chart (raises :class:`figures.ExportError` without Chromium)."""
    with figures.exporting():
        return {k: _svg(f) for k, f in report_figures(inputs).items()}


def frames(inputs: ReportInputs) -> dict[str, pd.DataFrame]:
    """Every table behind the report (for the run bundle)."""
    out = dict(inputs.results.frames())
    out.update({k: v for k, v in inputs.analysis.frames().items() if isinstance(v, pd.DataFrame)})
    if inputs.beliefs is not None:
        out.update(inputs.beliefs.frames())
    return out


__all__ = ["ReportInputs", "join_names", "report_html", "threshold_cell", "title"]
