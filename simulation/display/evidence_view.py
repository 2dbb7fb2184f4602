"""Evidence page helpers: the evidence table formatted and as a published-vs-model chart."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from simulation.display import theme
from simulation.display.text import text

KIND_ORDER = ("target", "range check", "display only", "input", "preset", "context")
"""The evidence table's ``kind`` values, in the order the page offers them (:func:`kind_name`)."""


def _t(key: str, **values: object) -> str:
    return text(f"evidence.{key}", **values)


def kind_name(kind: str) -> str:
    """A ``kind`` of :data:`KIND_ORDER` in words ("range check")."""
    return _t("kind_" + kind.replace(" ", "_")) if kind in KIND_ORDER else kind


def _num(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return text("format.not_available")
    return f"{value:.3g}" if abs(value) >= 1.5 else f"{value:.1%}"


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per published figure: published, model, tolerance, verdict, source, caveats."""
    verdict = table["within"].map({True: _t("within"), False: _t("outside")}).fillna(_t("not_checked"))
    return pd.DataFrame({
        _t("figure"): table["metric"],
        _t("use"): table["kind"].map(kind_name),
        _t("published"): table["published"].map(
            lambda v: _num(float(v)) if _is_number(v) else str(v)),
        _t("model"): table["model"].map(_num),
        _t("tolerance"): [text("verdict.gain_range_value", low=_num(lo), high=_num(hi))
                          if not math.isnan(lo) else ""
                          for lo, hi in zip(table["tolerance_low"], table["tolerance_high"], strict=True)],
        _t("verdict"): verdict,
        _t("preset"): table["preset"],
        _t("grade"): table["grade"],
        _t("causal"): table["causal"],
        _t("source"): table["source"] + " (" + table["year"].astype(str) + ")",
        _t("link"): table["url"],
        _t("measure"): table["model_measure"],
        _t("study_shows"): table["shows"],
        _t("study_not"): table["does_not_show"],
        _t("model_note"): table["model_note"],
    })


def _is_number(text: object) -> bool:
    try:
        float(str(text))
    except ValueError:
        return False
    return True


def comparison_figure(table: pd.DataFrame) -> go.Figure:
    """Published figure, tolerance band and model figure for every checked row."""
    rows = table[table["within"].notna()].iloc[::-1]
    # What each figure measures in words (the raw ids, "hbr_mix_multi", meant nothing to a
    # reader), at most two short lines; the hover has it whole.
    labels = [theme.wrap_title(_short(metric), width=LABEL_LINE) for metric in rows["metric"]]
    if len(set(labels)) < len(labels):  # two figures that read alike keep their ids apart
        labels = [f"{label} ({key})" for label, key in zip(labels, rows["id"], strict=True)]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=rows["tolerance_high"] - rows["tolerance_low"], y=labels, base=rows["tolerance_low"],
        orientation="h", name=_t("tolerance_bar"), marker_color="#D9D9D9", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=rows["published_value"], y=labels, mode="markers", name=_t("published_marker"),
                             marker={"symbol": "line-ns-open", "size": 18, "color": "#262730",
                                     "line": {"width": 3}}))
    colours = [theme.PURCHASE_COLOUR if w else theme.LOSS_COLOUR for w in rows["within"]]
    fig.add_trace(go.Scatter(x=rows["model"], y=labels, mode="markers", name=_t("model_marker"),
                             marker={"size": 12, "color": colours, "symbol": "diamond"},
                             customdata=rows["metric"], hovertemplate="%{customdata}: %{x:.1%}"))
    fig.update_layout(xaxis={"tickformat": ".0%", "title": _t("chart_axis")})
    return theme.finish(fig, _t("chart_title"), height=120 + 46 * len(rows))


LABEL_LINE = 30
"""Characters per line of a figure's name on the evidence chart (two lines at most)."""


def _short(metric: str, limit: int = 2 * LABEL_LINE - 4) -> str:
    """``metric`` cut at a word to about two label lines, with an ellipsis when cut."""
    if len(metric) <= limit:
        return metric
    return metric[:limit].rsplit(" ", 1)[0] + "…"
