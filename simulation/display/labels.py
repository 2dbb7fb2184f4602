"""Plain names for what the app and the reports show: capabilities, plans, KPIs and columns.

Every name is looked up in the text catalog (:func:`simulation.display.text.text`) from the
registries' keys (:mod:`simulation.core.capabilities`, :mod:`simulation.core.kpis`), so a
capability, a KPI or a loss cause is called the same thing in the sidebar, the charts, the
reports, the CSV exports, the command line and the glossary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import pandas as pd
from pydantic import BaseModel

from simulation.core.capabilities import CAPABILITIES, N_CAPABILITIES, Capability
from simulation.core.kpis import KPI_BY_KEY, KPIS
from simulation.core.results import Results
from simulation.core.scenario import Scenario
from simulation.core.segmentation import NO_PURCHASE, segment_role_parts
from simulation.core.tallies import LOSS_PREFIX
from simulation.display import format as fmt
from simulation.display.text import catalog, declared_label, has_text, param_text, text, unit_text


def capability_name(capability: str | Capability) -> str:
    """``"Shared inventory"`` for ``"inventory"``; unknown names are returned tidied."""
    key = str(capability)
    if has_text(f"capability.{key}.name"):
        return text(f"capability.{key}.name")
    return key.replace("_", " ").capitalize()


def capability_meaning(capability: str | Capability) -> str:
    """The capability's one-line meaning (sidebar help, glossary)."""
    return text(f"capability.{capability}.meaning")


def capability_names() -> dict[str, str]:
    """Key -> plain name of every capability, in registry order."""
    return {c.key.value: capability_name(c.key) for c in CAPABILITIES}


def all_capabilities(*, short: bool = False) -> str:
    """``"all six capabilities"`` (``"All 6"`` when ``short``), counted from the registry."""
    count: object = N_CAPABILITIES if short else _number_word(N_CAPABILITIES)
    return text("capabilities.all_short" if short else "capabilities.all", count=count)


def capability_count() -> str:
    """How many capabilities there are, in words for a sentence ("six")."""
    return _number_word(N_CAPABILITIES)


def _number_word(n: int) -> str:
    key = f"number.{n}"
    return text(key) if has_text(key) else str(n)


def plan_name(strategy: str) -> str:
    """A plan's display name: ``"Your custom plan"`` for ``"custom"``.

    ``"Shared inventory alone"`` for the hybrid ``alone:inventory`` (simulation.analysis.believe);
    other plan names are returned tidied (underscores as spaces, first letter capital).
    """
    if has_text(f"plan.{strategy}.name"):
        return text(f"plan.{strategy}.name")
    kind, _, capability = strategy.partition(":")
    if capability and has_text(f"hybrid.{kind}"):
        return text(f"hybrid.{kind}", name=capability_name(capability))
    return strategy.replace("_", " ").capitalize()


def plan_blurb(strategy: str) -> str:
    """A few words on what a standard plan is (a KPI card's caption); empty for others."""
    key = f"plan.{strategy}.blurb"
    return text(key, count=_number_word(N_CAPABILITIES)) if has_text(key) else ""


def levels_description(levels: Sequence[float]) -> str:
    """``"Shared inventory 100%, One contact policy 50%"``; ``"nothing integrated"`` if all 0."""
    parts = [text("capabilities.level", name=capability_name(c), level=f"{x:.0%}")
             for c, x in zip(Capability, levels, strict=True) if x > 0]
    return ", ".join(parts) if parts else text("capabilities.none")


def kpi_label(key: str, *, baseline: str = "multichannel") -> str:
    """The one label of KPI ``key`` (cards, axes, table rows).

    ``baseline`` names the plan a gain is measured against.
    """
    return text(f"kpi.{key}.label", baseline=_baseline_name(baseline))


def kpi_help(key: str, *, baseline: str = "multichannel") -> str:
    """The help text of KPI ``key``."""
    return text(f"kpi.{key}.help", baseline=_baseline_name(baseline))


def _baseline_name(baseline: str) -> str:
    """The baseline plan's name inside a sentence: "multichannel", "มัลติแชนแนล"."""
    name = plan_name(baseline)
    return name[:1].lower() + name[1:]


def kpi_unit(key: str, currency: str | None = None) -> str:
    """The unit a header states for KPI ``key``: ``share 0-1``, the currency, ``people``..."""
    own = f"kpi.{key}.unit"
    if has_text(own):
        return text(own)
    kind = f"unit.{KPI_BY_KEY[key].kind.value}"
    return text(kind, currency=currency or "currency") if has_text(kind) else ""  # a plain number


def kpi_header(key: str, currency: str | None = None, *, baseline: str = "multichannel") -> str:
    """KPI ``key``'s label and unit, for CSV headers and exported tables.

    E.g. ``"Net revenue (USD)"``, ``"Conversion (newly reached; share 0-1)"``.
    """
    unit = kpi_unit(key, currency)
    label = kpi_label(key, baseline=baseline)
    if not unit:
        return label
    return f"{label[:-1]}; {unit})" if label.endswith(")") else f"{label} ({unit})"


def npv_label(results: Results) -> str:
    """NPV's label, saying so when it includes the customer base's terminal value."""
    share = results.scenario.economics.terminal_value_share
    if share <= 0:
        return kpi_label("npv")
    part = "" if share == 1 else " " + text("kpis.share_of_it", share=fmt.percent(share, digits=0))
    return text("kpi.npv.label_terminal") + part


def cause_name(cause: str) -> str:
    """Plain words for a loss cause key (``Results.losses["cause"]``)."""
    return text(f"cause.{cause}")


def destination_name(destination: str) -> str:
    """Plain words for a flows ``destination``: ``buys in web`` or ``lost to stock-out``."""
    if not destination.startswith(LOSS_PREFIX):
        return text("flow.buys_in", channel=destination)
    cause = destination.removeprefix(LOSS_PREFIX)
    own = f"flow.{cause}"
    return text(own if has_text(own) else "flow.lost_to", cause=cause_name(cause))


def mechanism_name(mechanism: str) -> str:
    """Plain words for a mechanism key (``Results.mechanisms["mechanism"]``)."""
    return text(f"mechanism.{mechanism}")


def stage_name(stage: str) -> str:
    """Plain words for a lifecycle stage key (funnel, customers frame)."""
    return text(f"stage.{stage}")


def segment_name(key: str) -> str:
    """``"high-value store-led"`` for the segment role key ``high_value:store``."""
    tier, lead, repeats = segment_role_parts(key)
    if key == NO_PURCHASE:
        return text(f"segment_tier.{tier}")
    where = (text("segment_lead.multi_channel") if lead is None
             else text("segment_lead.channel", channel=lead))
    return text("segment_lead.role", tier=text(f"segment_tier.{tier}"), lead=where) + " +" * repeats


def column_label(column: str, currency: str | None = None) -> str:
    """Readable column name with its unit (the currency code where the unit is money)."""
    cur = currency or "currency"
    if column in KPI_BY_KEY:
        return kpi_header(column, cur)
    if has_text(f"column.{column}"):
        return text(f"column.{column}", currency=cur)
    quantile = re.fullmatch(r"q(\d\d)", column)
    if quantile:
        return text("column.quantile", q=int(quantile.group(1)))
    if has_text(f"capability.{column}.name"):
        return text("capabilities.level_column", name=capability_name(column))
    return column.replace("_", " ").capitalize()


def readable_columns(frame: pd.DataFrame, currency: str | None = None) -> pd.DataFrame:
    """``frame`` with readable column names and plain text for its category keys.

    Duplicate labels are kept distinct with the raw name; the keys in the category columns
    (plan, capability, cause, mechanism, stage) become plain text.
    """
    out = frame.copy()
    labels: list[str] = []
    for column in out.columns:
        label = column_label(str(column), currency)
        labels.append(label if label not in labels else f"{label} [{column}]")
    for column, name in _KEY_COLUMNS.items():
        if column in out.columns:
            out[column] = out[column].map(lambda k, name=name: name(str(k)))  # type: ignore[misc]
    out.columns = pd.Index(labels)
    return out


def _opportunity_name(key: str) -> str:
    return text(f"opportunity.{key}")


def _lapse_name(key: str) -> str:
    return text(f"lapse.{key}") if key else ""


_KEY_COLUMNS = {
    "strategy": plan_name, "capability": capability_name, "cause": cause_name,
    "mechanism": mechanism_name, "opportunity": _opportunity_name, "stage": stage_name,
    "destination": destination_name, "lapse_cause": _lapse_name,
}
"""Category columns that hold keys, and the lookup that turns a key into text (the segments
frame's role keys are worded by its chart's data function: ``segment`` names the scenario's own
segments elsewhere)."""


def join_names(names: Iterable[str]) -> str:
    """``names`` as an English list: "a", "a and b", "a, b and c"."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def glossary() -> dict[str, str]:
    """Term -> plain explanation of every term the app and the report cannot avoid (Method page).

    The plans, the capabilities, the KPIs that have a glossary entry, then the rest.
    """
    count = _number_word(N_CAPABILITIES)
    out = {plan_name(p): text(f"plan.{p}.meaning", count=count)
           for p in ("multichannel", "omnichannel", "custom")}
    out |= {capability_name(c.key): capability_meaning(c.key) for c in CAPABILITIES}
    out |= {kpi_label(k.key): text(f"kpi.{k.key}.glossary") for k in KPIS
            if has_text(f"kpi.{k.key}.glossary")}
    entries = dict.fromkeys(k.split(".")[1] for k in catalog() if k.startswith("glossary."))
    out |= {text(f"glossary.{e}.term"): text(f"glossary.{e}.meaning") for e in entries}
    return out


def explain(terms: Iterable[str]) -> str:
    """One sentence per glossary term among ``terms``, joined; empty if none.

    Terms are matched case-insensitively at the start, so "Network fill rate" explains "Network
    fill rate (all segments)".
    """
    found: list[tuple[str, str]] = []
    entries = glossary()
    for term in terms:
        for name, meaning in entries.items():
            if str(term).lower().startswith(name.lower()) and name not in [f[0] for f in found]:
                found.append((name, meaning))
    return " ".join(f"*{name}*: {meaning[:1].lower()}{meaning[1:]}" for name, meaning in found)


def _model_of(annotation: object) -> type[BaseModel] | None:
    for kind in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            return kind
    return None


def assumption_label(path: str, english: str) -> str:
    """An assumption's name in the reader's language, from its parameter path.

    ``behaviour.conflict_rate`` is that parameter's label; ``segments[*].switch_probability``
    its label "(all segments)". The analyses name assumptions in English (``english``, kept when
    the path is not a declared parameter).
    """
    model: type[BaseModel] = Scenario
    *parents, last = path.split(".")
    for part in parents:
        name = part.split("[")[0]
        field = (next(iter(model.model_fields.values()), None) if name == "*"
                 else model.model_fields.get(name))
        found = _model_of(field.annotation) if field is not None else None
        if found is None:
            return english
        model = found
    if last not in model.model_fields:
        return english
    label = param_text(model, last, "label", declared_label(last))
    if "*" not in path:
        return label
    container = path.split(".")[0].split("[")[0]
    key = f"decision_chart.container.{container}"
    return text("decision_chart.all_of", label=label,
                container=text(key) if has_text(key) else container.replace("_", " "))


_RANGE = re.compile(r"^(?P<low>[-+0-9.,e]+) to (?P<high>[-+0-9.,e]+)(?: (?P<unit>.+))?$")
_EACH = re.compile(r"^each (?P<low>[-+][0-9]+%) to (?P<high>[-+][0-9]+%)$")


def assumption_range(described: str) -> str:
    """An assumption's range in the reader's language; other text is returned as it is.

    ``described`` is as the analyses write it: "0.3 to 0.5 probability", "each -25% to +25%".
    """
    if (each := _EACH.match(described)) is not None:
        return text("decision_chart.assumption_range_each", low=fmt.localised(each["low"]),
                    high=fmt.localised(each["high"]))
    if (span := _RANGE.match(described)) is not None:
        return text("decision_chart.assumption_range", low=fmt.localised(span["low"]),
                    high=fmt.localised(span["high"]),
                    unit=unit_text(span["unit"] or "")).strip()
    return described
