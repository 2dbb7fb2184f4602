"""Evidence page helpers: the evidence table formatted and as a published-vs-model chart."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from simulation.display import theme

KIND_ORDER = ("target", "range check", "display only", "input", "preset", "context")


def _num(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.3g}" if abs(value) >= 1.5 else f"{value:.1%}"


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per published figure: published, model, tolerance, verdict, source, caveats."""
    verdict = table["within"].map({True: "within", False: "outside"}).fillna("not checked")
    return pd.DataFrame({
        "Figure": table["metric"],
        "Use": table["kind"],
        "Published": table["published"].map(
            lambda v: _num(float(v)) if _is_number(v) else str(v)),
        "Model": table["model"].map(_num),
        "Tolerance": [f"{_num(lo)} to {_num(hi)}" if not math.isnan(lo) else ""
                      for lo, hi in zip(table["tolerance_low"], table["tolerance_high"], strict=True)],
        "Verdict": verdict,
        "Preset": table["preset"],
        "Grade": table["grade"],
        "Causal?": table["causal"],
        "Source": table["source"] + " (" + table["year"].astype(str) + ")",
        "Link": table["url"],
        "How the model measures it": table["model_measure"],
        "What the study shows": table["shows"],
        "What it does not show": table["does_not_show"],
        "Model note": table["model_note"],
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
    labels = rows["id"].tolist()
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=rows["tolerance_high"] - rows["tolerance_low"], y=labels, base=rows["tolerance_low"],
        orientation="h", name="tolerance", marker_color="#D9D9D9", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=rows["published_value"], y=labels, mode="markers", name="published",
                             marker={"symbol": "line-ns-open", "size": 18, "color": "#262730",
                                     "line": {"width": 3}}))
    colours = [theme.PURCHASE_COLOUR if w else theme.LOSS_COLOUR for w in rows["within"]]
    fig.add_trace(go.Scatter(x=rows["model"], y=labels, mode="markers", name="model",
                             marker={"size": 12, "color": colours, "symbol": "diamond"}))
    fig.update_layout(template=theme.template(), height=120 + 34 * len(rows),
                      title="Published figure, tolerance and the model's figure (red: outside)",
                      xaxis={"tickformat": ".0%", "title": "share or relative difference"})
    return fig
