"""Calibration page helpers: plain functions, results in, tables and plotly figures out."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from simulation.calibration.fitting import KPI_SPECS, Calibration
from simulation.calibration.holdout import HOLDOUT_METRICS, Holdout
from simulation.core.results import Results
from simulation.display import format as fmt
from simulation.display import theme
from simulation.display.labels import assumption_label, kpi_label
from simulation.display.text import has_text, say, text


def _t(key: str, **values: object) -> str:
    return text(f"calibration_chart.{key}", **values)


def kpi_name(key: str) -> str:
    """A calibration target's name in the reader's language ("second purchase within 12 months...").

    ``key`` is a :data:`~simulation.calibration.fitting.KPI_SPECS` key (its label is keyed text)
    or an event-log KPI with a ``calibration_kpi.<key>`` entry; any other key is shown in words.
    """
    spec = KPI_SPECS.get(key)
    if spec is not None:
        return say(spec.label)
    return text(f"calibration_kpi.{key}") if has_text(f"calibration_kpi.{key}") else key.replace("_", " ")


def kpi_meaning(key: str) -> str:
    """What an event-log KPI counts, in the reader's language (its name when it has no definition)."""
    meaning = f"calibration_kpi.meaning.{key}"
    return text(meaning) if has_text(meaning) else kpi_name(key)


def holdout_name(metric: str) -> str:
    """A holdout check row's name (:data:`~simulation.calibration.holdout.HOLDOUT_METRICS`)."""
    key = f"calibration_kpi.holdout.{metric}"
    return text(key) if has_text(key) else HOLDOUT_METRICS.get(metric, metric)


def _first_upper(words: str) -> str:
    return words[:1].upper() + words[1:]

PROJECTION_KPIS = ("conversion_rate", "repeat_12m", "retention_12m", "aov",
                   "purchases_per_customer_year", "clv", "npv")
"""The KPIs projected from a calibrated current state (labels from the KPI registry)."""

KPI_DEFAULTS = {"aov": 70.0, "repeat_52w": 45.0, "purchases_52w": 2.3, "share_3plus_52w": 25.0,
                "active_late_52w": 17.0, "online_share": 35.0, "conversion_rate": 45.0}
"""Starting values of the KPI route's inputs (percent for shares)."""


def _value(kpi: str, value: float) -> str:
    spec = KPI_SPECS.get(kpi)
    if spec is not None and spec.rate:
        return fmt.percent(value)
    return f"{value:,.2f}"


def target_table(calibration: Calibration) -> pd.DataFrame:
    """Target vs fitted with the error, formatted for display."""
    t = calibration.table
    return pd.DataFrame({
        _t("kpi"): [kpi_name(k) for k in t["kpi"]],
        _t("target"): [_value(k, v) for k, v in zip(t["kpi"], t["target"], strict=True)],
        _t("fitted"): [_value(k, v) for k, v in zip(t["kpi"], t["fitted"], strict=True)],
        _t("error"): [_value(k, v) if KPI_SPECS[k].rate else f"{v:+,.2f}"
                      for k, v in zip(t["kpi"], t["error"], strict=True)],
        _t("relative_error"): [fmt.percent(v, signed=True) for v in t["relative_error"]],
        _t("within"): [_t("yes") if w else _t("no") for w in t["within"]],
    })


_PART_PATHS = {"segment": "segments[0]", "channel": "channels[0]", "behaviour": "behaviour",
               "market": "market", "economics": "economics"}
"""A fitted-parameter row's part -> the scenario path its parameter sits under."""


def fitted_parameters_table(calibration: Calibration) -> pd.DataFrame:
    """The preset's and the fit's hidden parameters side by side, worded for the reader.

    Parts and parameters by their labels, values with the reader's separators.
    """
    rows = calibration.parameters
    parts, names = [], []
    for part, parameter in zip(rows["part"], rows["parameter"], strict=True):
        kind, _, name = str(part).partition(" ")
        parts.append(_t(f"part_{kind}", name=name))
        names.append(assumption_label(f"{_PART_PATHS[kind]}.{parameter}", str(parameter)))
    return pd.DataFrame({
        _t("column_part"): parts, _t("column_parameter"): names,
        _t("column_preset"): [fmt.plain(float(v)) for v in rows["preset"]],
        _t("column_calibrated"): [fmt.plain(float(v)) for v in rows["calibrated"]],
    })


def target_figure(calibration: Calibration) -> go.Figure:
    """Fitted as a share of target per KPI, with each KPI's tolerance as an error bar."""
    t = calibration.table
    ratio = t["fitted"] / t["target"]
    tol = t["tolerance"] / t["target"]
    fig = go.Figure()
    names = [kpi_name(k) for k in t["kpi"]]
    fig.add_bar(x=names, y=[1.0] * len(t), name=_t("target"), marker_color=theme.NEUTRAL_COLOUR,
                error_y={"type": "data", "array": tol, "visible": True})
    fig.add_bar(x=names, y=ratio, name=_t("fitted_bar"),
                marker_color=theme.PURCHASE_COLOUR)
    fig.update_layout(barmode="group", yaxis={"tickformat": ".0%", "title": _t("share_of_target")})
    return theme.finish(fig, _t("target_title"), height=380)


def projection_data(results: Results) -> pd.DataFrame:
    """The projected KPIs (:data:`PROJECTION_KPIS`), one row per plan, the plan in column ``plan``."""
    k = results.kpis[list(PROJECTION_KPIS)].copy()
    k.index.name = "plan"
    return k.reset_index()


def projection_table(results: Results) -> pd.DataFrame:
    """Each plan's projected KPIs (columns: plans), labelled and formatted from the registry."""
    currency = results.scenario.market.currency
    baseline = str(results.kpis.index[0])
    rows = {}
    for plan, row in results.kpis.iterrows():
        rows[theme.plan_label(str(plan))] = {
            kpi_label(k, baseline=baseline): fmt.kpi(k, float(row[k]), currency, exact=k == "aov",
                                                      signed=k == "npv_gain")
            for k in (*PROJECTION_KPIS, "npv_gain")
        }
    return pd.DataFrame(rows)


def projection_figure(results: Results) -> go.Figure:
    """Conversion, retention and CLV of each plan relative to the current plan."""
    k = results.kpis
    base = k.iloc[0]
    fig = go.Figure()
    shown = ("conversion_rate", "repeat_12m", "clv")
    for plan in k.index:
        rel = [k.loc[plan, c] / base[c] - 1 for c in shown]
        fig.add_bar(x=[kpi_label(c) for c in shown], y=rel,
                    name=theme.plan_label(str(plan)), marker_color=theme.plan_colour(str(plan)))
    fig.update_layout(barmode="group", yaxis={"tickformat": "+.0%", "title": _t("change_vs_current")})
    return theme.finish(fig, _t("projection_title"), height=400)


def mix_table(mix: pd.DataFrame) -> pd.DataFrame:
    """Channel-mix shares (0-1) by customer group: "by channels used" and "by channels bought"."""
    wide = mix.pivot(index="group", columns="basis", values="share")
    return wide.rename(columns={"used": _t("by_used"), "bought": _t("by_bought")}).rename_axis(
        index=_t("group")).reset_index()


def log_kpi_table(kpis: dict[str, float]) -> pd.DataFrame:
    """The event log's KPIs with their definitions (one meaning: the calibration's)."""
    return pd.DataFrame({
        _t("kpi"): [_first_upper(kpi_name(k)) for k in kpis],
        _t("value"): ["-" if pd.isna(v) else _value(k, v) if k in KPI_SPECS else f"{v:.3g}"
                  for k, v in kpis.items()],
        _t("definition"): [kpi_meaning(k) for k in kpis],
    })


def dropped_table(dropped: pd.DataFrame) -> pd.DataFrame:
    """The rows an orders file lost, per reason, in the reader's language (dropped_rows.csv)."""
    return dropped.assign(reason=[say(r) for r in dropped["reason"]],
                          example_lines=[say(x) for x in dropped["example_lines"]])


def holdout_table(check: Holdout) -> pd.DataFrame:
    """Predicted vs actual in the holdout, with the relative error."""
    s = check.summary
    money = s["metric"] == "revenue"
    return pd.DataFrame({
        _t("in_holdout"): [holdout_name(m) for m in s["metric"]],
        _t("actual"): [f"{v:,.2f}" if m else f"{v:.3f}" for v, m in zip(s["actual"], money, strict=True)],
        _t("predicted"): [f"{v:,.2f}" if m else f"{v:.3f}"
                          for v, m in zip(s["predicted"], money, strict=True)],
        _t("error"): [fmt.percent(v, signed=True) for v in s["relative_error"]],
    })


def holdout_figure(check: Holdout) -> go.Figure:
    """The calibration/holdout chart: the log's actual purchases against the calibrated model's.

    Left: weekly repeat purchases per customer, actual vs predicted, with the split marked.
    Right, over the holdout weeks: cumulative purchases per customer since the split and the
    share who bought at least once, actual vs predicted.
    """
    from plotly.subplots import make_subplots

    w = check.weekly
    fig = make_subplots(rows=1, cols=2, subplot_titles=(
        _t("repeat_title"), _t("since_title")))
    fig.add_scatter(x=w["week"], y=w["actual_repeat"], name=_t("actual_line"), row=1, col=1,
                    line={"color": theme.NEUTRAL_COLOUR})
    fig.add_scatter(x=w["week"], y=w["predicted_repeat"], name=_t("predicted_line"),
                    row=1, col=1, line={"color": theme.PURCHASE_COLOUR, "dash": "dash"})
    hold = w[w["part"] == "holdout"]
    for col, label, dash in (("purchases", _t("purchases"), "solid"), ("active", _t("bought_once"), "dot")):
        fig.add_scatter(x=hold["week"], y=hold[f"actual_{col}"], name=_t("actual_of", what=label),
                        row=1, col=2,
                        line={"color": theme.NEUTRAL_COLOUR, "dash": dash})
        fig.add_scatter(x=hold["week"], y=hold[f"predicted_{col}"], name=_t("predicted_of", what=label),
                        row=1, col=2, line={"color": theme.PURCHASE_COLOUR,
                                     "dash": "dash" if dash == "solid" else dash})
    fig.add_vline(x=check.split - 0.5, line_dash="dot", row=1, col=1)
    fig.update_xaxes(title=_t("log_week"))
    return theme.finish(fig, _t("holdout_title", split=check.split, weeks=check.weeks), height=420)
