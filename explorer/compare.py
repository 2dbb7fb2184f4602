"""Saved scenarios and their side-by-side comparison (the Compare page).

Scenarios are saved by name in the session (and downloaded or uploaded as JSON files); the
comparison travels in the link as ``?c=<token>.<token>...`` (each a scenario URL token), so a
copied link reopens the same comparison. :func:`comparison_table` is pure (no Streamlit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from simulation import Scenario, ScenarioError
from simulation.core.results import Results
from simulation.display import format as fmt
from simulation.report.verdict import Verdict

SAVED = "saved_scenarios"
LINK_KEY = "c"
LINKED = "compare_link_read"
MAX_COMPARED = 4


@dataclass(frozen=True)
class Compared:
    name: str
    results: Results
    verdict: Verdict
    stage: str


def saved() -> dict[str, Scenario]:
    """The session's saved scenarios by name (insertion order)."""
    store: dict[str, Scenario] = st.session_state.setdefault(SAVED, {})
    return store


def save(name: str, scenario: Scenario) -> str:
    """Save ``scenario`` under ``name`` (made unique); returns the name used."""
    store = saved()
    base, n = " ".join(name.split())[:120] or scenario.name, 2
    name = base
    while name in store and store[name] != scenario:
        name, n = f"{base} ({n})", n + 1
    store[name] = scenario
    return name


def read_link() -> list[str]:
    """Scenarios named in the link's ``c`` parameter, saved on the first run; their names."""
    token = st.query_params.get(LINK_KEY)
    if not token or st.session_state.get(LINKED) == token:
        return []
    st.session_state[LINKED] = token
    names, problems = [], []
    for part in token.split(".")[:MAX_COMPARED]:
        try:
            scenario = Scenario.from_url_token(part)
        except ScenarioError as error:
            problems.append(error.one_line())
            continue
        names.append(save(scenario.name, scenario))
    if problems:
        st.error("Some scenarios in this link could not be opened:"
                 + "".join(f"\n- {fmt.escaped(p)}" for p in problems))
    return names


def write_link(names: list[str]) -> None:
    store = saved()
    token = ".".join(store[n].to_url_token() for n in names if n in store)
    if token:
        st.query_params[LINK_KEY] = token
        st.session_state[LINKED] = token
    elif LINK_KEY in st.query_params:
        del st.query_params[LINK_KEY]


def _rows(item: Compared) -> dict[str, tuple[float | str, str]]:
    """Row label -> (value for comparing, text shown)."""
    k, v = item.results.kpis, item.verdict
    cur = item.results.scenario.market.currency
    money = lambda x: (float(x), fmt.money(float(x), cur))  # noqa: E731
    share = lambda x: (float(x), fmt.percent(float(x)))  # noqa: E731
    p = v.probability
    return {
        "Verdict": (v.plan, v.sentence()),
        "How sure (basis)": (item.stage, f"{v.how_sure()} ({item.stage} estimate)"),
        "P(omnichannel beats multichannel)": ((p, fmt.percent(p, digits=0)) if p is not None
                                              else (math.nan, "not yet known")),
        "NPV: multichannel": money(k.loc["multichannel", "npv"]),
        "NPV: omnichannel": money(k.loc["omnichannel", "npv"]),
        "NPV gain of omnichannel": money(k.loc["omnichannel", "npv_gain"]),
        "NPV gain of your custom plan": money(k.loc["custom", "npv_gain"]),
        "Conversion (newly reached), omnichannel": share(k.loc["omnichannel", "conversion_rate"]),
        "12-month retention, omnichannel": share(k.loc["omnichannel", "retention_12m"]),
        "CLV per customer, omnichannel": money(k.loc["omnichannel", "clv"]),
        "Planned one-off integration budget": money(v.planned_budget),
        "Largest one-off budget that pays back": money(v.break_even_budget),
        "Fund first": (v.fund_first or "", v.fund_first or "not yet known"),
        "Seed": (item.results.scenario.seed, str(item.results.scenario.seed)),
    }


def comparison_table(items: list[Compared]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The side-by-side table (row per KPI, column per scenario) and a same-shape frame of
    booleans: True where a scenario differs from the first one."""
    columns = {i.name: _rows(i) for i in items}
    first = next(iter(columns.values()))
    shown = pd.DataFrame({name: {r: t for r, (_, t) in rows.items()} for name, rows in columns.items()})
    differs = pd.DataFrame({
        name: {r: not _same(v, first[r][0]) for r, (v, _) in rows.items()}
        for name, rows in columns.items()
    })
    for name, rows in list(columns.items())[1:]:
        for r, (value, text) in rows.items():
            base = first[r][0]
            if isinstance(value, float) and isinstance(base, float) and not _same(value, base) \
                    and math.isfinite(value) and math.isfinite(base) and r != "Seed":
                delta = value - base
                unit = (fmt.points(delta) if "Conversion" in r or "retention" in r or r.startswith("P(")
                        else fmt.money(delta, items[0].results.scenario.market.currency, signed=True))
                shown.loc[r, name] = f"{text} ({unit})"
    return shown, differs


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b
