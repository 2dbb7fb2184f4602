"""The analyses' findings in sentences: results and keys in, text from the catalog out.

The analyses (:mod:`simulation.analysis`) return numbers and keys only; the app, the report and
the command line read them out through these functions, so a finding is worded (and one day
translated) in one place.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from simulation.analysis.believe import BeliefResult
from simulation.analysis.sensitivity import TornadoResult
from simulation.analysis.shapley import CapabilityValue
from simulation.display import format as fmt
from simulation.display.labels import (
    assumption_label,
    assumption_range,
    capability_count,
    capability_name,
    plan_name,
)
from simulation.display.text import text


def _sentence_start(name: str) -> str:
    return name[:1].upper() + name[1:]


def fund_first(value: CapabilityValue, currency: str) -> str:
    """Which capability to fund first, and why, in a sentence or two (Shapley values)."""
    values = value.values
    best = values.iloc[0]
    money = lambda x: fmt.money(float(x), currency)  # noqa: E731
    if best["npv_value"] <= 0:
        return text("sentence.fund_first.none_pays", name=capability_name(str(best["capability"])))
    out = text("sentence.fund_first.lead", name=capability_name(str(best["capability"])),
               value=money(best["npv_value"]), count=capability_count(),
               total=money(value.total_npv_gain))
    alone = values.sort_values("alone", ascending=False).iloc[0]
    if alone["capability"] == best["capability"]:
        out += text("sentence.fund_first.also_alone", alone=money(alone["alone"]))
    else:
        out += text("sentence.fund_first.other_alone", other=capability_name(str(alone["capability"])),
                    other_value=money(alone["alone"]), alone=money(best["alone"]))
    losers = [capability_name(str(c)) for c in values[values["npv_value"] < 0]["capability"]]
    if losers:
        out += text("sentence.fund_first.losers", names=", ".join(losers))
    return out


def _assumption(row: Any) -> str:
    """A tornado row's assumption in the reader's language (its path names the parameter)."""
    label = str(row.label)
    return assumption_label(str(getattr(row, "parameter", label)), label)


def top_drivers(result: TornadoResult, currency: str, *, n: int = 3,
                baseline: str = "multichannel") -> str:
    """The ``n`` assumptions that move the NPV gain most, in one or two sentences."""
    bars = result.bars
    top = bars.head(n)
    if top.empty:
        return text("sentence.drivers.none")
    money = lambda x: fmt.money(float(x), currency)  # noqa: E731
    parts = [text("sentence.drivers.driver", label=_assumption(row), low=money(row.npv_gain_low),
                  high=money(row.npv_gain_high), range=assumption_range(row.range))
             for row in top.itertuples()]
    out = text("sentence.drivers.lead", plan=plan_name(result.plan).lower(),
               baseline=plan_name(baseline).lower(), gain=money(result.base_npv_gain), first=parts[0])
    if len(parts) > 1:
        out += text("sentence.drivers.then", rest="; ".join(parts[1:]))
    out += "."
    ends = bars[["npv_gain_low", "npv_gain_high"]]
    flips = bars[(ends.min(axis=1) < 0) & (ends.max(axis=1) > 0)]
    if not flips.empty:
        names = ", ".join(_assumption(row) for row in flips.itertuples())
        out += text("sentence.drivers.flips", labels=names)
    return out


def threshold_sentence(row: pd.Series, currency: str) -> str:
    """One row of the 'what you would have to believe' thresholds, in a sentence."""
    plan = _sentence_start(plan_name(str(row["plan"])))
    label = assumption_label(str(row.get("parameter", row["label"])), str(row["label"])).lower()
    if math.isnan(float(row["threshold"])):
        key = "pays_whole" if row["gain_base"] > 0 else "fails_whole"
        return text(f"sentence.believe.{key}", plan=plan, label=label, low=f"{row['low']:.3g}",
                    high=f"{row['high']:.3g}")
    key = "pays_above" if row["pays_above"] else "pays_below"
    sentence = text(f"sentence.believe.{key}", plan=plan, label=label,
                    threshold=f"{row['threshold']:.3g}", unit=row["unit"], base=f"{row['base']:.3g}",
                    gain=fmt.money(float(row["gain_base"]), currency))
    status = str(row.get("status", "converged"))
    if status in ("step", "unresolved"):
        # Say how exactly the threshold is known when the gain is not 0 there.
        sentence += " " + text(f"sentence.believe.{status}", low=f"{row['bracket_low']:.4g}",
                               high=f"{row['bracket_high']:.4g}",
                               below=fmt.money(float(row["gain_below"]), currency),
                               above=fmt.money(float(row["gain_above"]), currency))
    return sentence


def believe(result: BeliefResult, currency: str) -> str:
    """The best hybrid, and the assumptions whose threshold lies closest to today's value."""
    omnichannel = "omnichannel"
    head = text("sentence.believe.head", hybrid=plan_name(result.hybrid),
                gain=fmt.money(result.base_gain[result.hybrid], currency),
                omnichannel=plan_name(omnichannel).lower(),
                omni_gain=fmt.money(result.base_gain[omnichannel], currency))
    thresholds = result.thresholds
    found = thresholds[thresholds["plan"] == omnichannel].dropna(subset=["threshold"])
    if found.empty:
        return f"{head} " + text("sentence.believe.robust", plan=plan_name(omnichannel))
    distance = (found["threshold"] - found["base"]).abs() / (found["high"] - found["low"])
    nearest = found.loc[distance.sort_values().index[:2]]
    return " ".join([head, *(threshold_sentence(row, currency) for _, row in nearest.iterrows())])


def plain(markdown: str) -> str:
    """A sentence written for Markdown (``**bold**``) as plain text, for the command line."""
    return markdown.replace("**", "")


__all__ = ["believe", "fund_first", "plain", "threshold_sentence",
           "top_drivers"]
