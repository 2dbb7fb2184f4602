"""Evidence page helpers: the evidence table formatted and as a published-vs-model chart."""

from __future__ import annotations

import math
import unicodedata

import pandas as pd
import plotly.graph_objects as go

from simulation.display import theme
from simulation.display.text import ENGLISH, catalog, has_text, say, text

KIND_ORDER = ("target", "range check", "display only", "input", "preset", "context")
"""The evidence table's ``kind`` values, in the order the page offers them (:func:`kind_name`)."""


def _t(key: str, **values: object) -> str:
    return text(f"evidence.{key}", **values)


def kind_name(kind: str) -> str:
    """A ``kind`` of :data:`KIND_ORDER` in words ("range check")."""
    return _t("kind_" + kind.replace(" ", "_")) if kind in KIND_ORDER else kind


ROW_FIELDS = {"metric": "metric", "model_measure": "measure", "shows": "shows",
              "does_not_show": "does_not_show", "causal": "causal", "published": "published"}
"""Evidence table column -> field of its translation under ``evidence_row.<id>``."""


def row_text(row_id: str, column: str, english: object) -> str:
    """A shipped evidence row's ``column`` in the reader's language.

    The CSV (``data/evidence.csv``) stays English data; the catalog holds each shipped row's
    text under ``evidence_row.<id>``. A row the catalog does not know (a user's own), or whose
    English no longer matches the catalog's (the CSV was edited), shows the CSV's text.
    """
    shown = "" if english is None or (isinstance(english, float) and math.isnan(english)) else str(english)
    key = f"evidence_row.{row_id}.{ROW_FIELDS.get(column, column)}"
    if not has_text(key) or catalog(ENGLISH)[key] != shown:
        return shown
    return text(key)


def translated(table: pd.DataFrame) -> pd.DataFrame:
    """The evidence table with its descriptive columns and model notes in the reader's language."""
    out = table.copy()
    for column in ROW_FIELDS:
        if column in out:
            out[column] = [row_text(i, column, v) for i, v in zip(out["id"], out[column], strict=True)]
    if "model_note" in out:
        out["model_note"] = [say(note) for note in out["model_note"]]
    return out


def _num(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return text("format.not_available")
    return f"{value:.3g}" if abs(value) >= 1.5 else f"{value:.1%}"


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per published figure: published, model, tolerance, verdict, source, caveats."""
    verdict = table["within"].map({True: _t("within"), False: _t("outside")}).fillna(_t("not_checked"))
    published = table["published"]
    table = translated(table)
    return pd.DataFrame({
        _t("figure"): table["metric"],
        _t("use"): table["kind"].map(kind_name),
        _t("published"): [_num(float(v)) if _is_number(v) else shown
                          for v, shown in zip(published, table["published"], strict=True)],
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
    rows = translated(table[table["within"].notna()].iloc[::-1])
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
    cut = limit
    while cut > 1 and unicodedata.category(metric[cut]) == "Mn":  # never split a Thai letter from its marks
        cut -= 1
    return metric[:cut].rsplit(" ", 1)[0] + "…"
