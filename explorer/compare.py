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

from explorer import state, verdict_view
from simulation import Scenario, ScenarioError
from simulation.core.kpis import KPI_BY_KEY, Kind
from simulation.core.results import Results
from simulation.display import format as fmt
from simulation.display.labels import kpi_label, plan_name
from simulation.display.text import say, text
from simulation.report.verdict import Verdict

SAVED = "saved_scenarios"
LINK_KEY = "c"
LINKED = "compare_link_read"
MAX_COMPARED = 4
PICK = "compare_pick"
"""Key of the page's multiselect of the compared scenarios' names."""
NAME = "compare_name"
"""Key of the page's text box with the name to save the current scenario under."""
JUST_SAVED = "compare_just_saved"


@dataclass(frozen=True)
class Compared:
    """One compared scenario: its saved name, results and the best verdict known for it.

    Attributes
    ----------
    name : str
        The name it was saved under.
    results : Results
        Its three plans' results.
    verdict : Verdict
        The best verdict known now.
    stage : str
        Which verdict that is: ``"full"``, ``"quick"`` or ``"point"``
        (:func:`explorer.verdict_view.best`).
    """

    name: str
    results: Results
    verdict: Verdict
    stage: str


def compared(store: dict[str, Scenario], names: list[str]) -> list[Compared]:
    """The scenarios saved as ``names`` in ``store``, each with its results and best verdict.

    Each scenario's runs come from the shared cache, or are simulated (the page waits).
    """
    items = []
    for name in names:
        results = state.results(store[name])
        verdict, stage, _ = verdict_view.best(store[name], results)
        items.append(Compared(name, results, verdict, stage))
    return items


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


def save_current() -> None:
    """Save the session's scenario under the typed name, compare it and link it (Save's callback).

    A callback runs before the page is drawn, so the address bar carries the new scenario before
    "Saved as" appears. Saved in the page's script, the link reached the browser after the note,
    and a link copied as soon as the note showed (as the browser test does, under load) could
    miss the new scenario: reopened, the comparison then held only the next one saved.
    """
    scenario = state.current_scenario()
    saved_as = save(st.session_state.get(NAME) or scenario.name, scenario)
    picks = [n for n in st.session_state.get(PICK, []) if n != saved_as]
    st.session_state[PICK] = [*picks, saved_as][-MAX_COMPARED:]
    write_link(st.session_state[PICK])
    st.session_state[JUST_SAVED] = saved_as


def just_saved() -> str | None:
    """The name the Save button saved under in this run (once), else None."""
    name: str | None = st.session_state.pop(JUST_SAVED, None)
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
            problems.append(error.one_line(say))
            continue
        names.append(save(scenario.name, scenario))
    if problems:
        st.error(text("compare.link_problems")
                 + "".join(f"\n- {fmt.escaped(p)}" for p in problems))
    return names


def write_link(names: list[str]) -> None:
    """Put the saved scenarios ``names`` in the link's ``c`` parameter (removed when none)."""
    store = saved()
    token = ".".join(store[n].to_url_token() for n in names if n in store)
    if token:
        st.query_params[LINK_KEY] = token
        st.session_state[LINKED] = token
    elif LINK_KEY in st.query_params:
        del st.query_params[LINK_KEY]


_Row = tuple[float | str, str, str | None]
"""(value for comparing, text shown, KPI key or "share" that says how a difference reads)."""


def _rows(item: Compared) -> dict[str, _Row]:
    """Row label -> (value for comparing, text shown, how a difference is shown)."""
    k, v = item.results.kpis, item.verdict
    cur = item.results.scenario.market.currency
    p = v.probability

    def kpi(key: str, plan: str, label: str | None = None) -> tuple[str, _Row]:
        value = float(k.loc[plan, key])
        name = label or text("compare.row_kpi", kpi=kpi_label(key), plan=plan_name(plan).lower())
        return name, (value, fmt.kpi(key, value, cur), key)

    money = lambda x: (float(x), fmt.money(float(x), cur), "npv")  # noqa: E731
    return dict([
        (text("compare.row_verdict"), (v.plan, v.sentence(), None)),
        (text("compare.row_how_sure"), (item.stage, text("compare.how_sure", how_sure=v.how_sure(),
                                                         stage=text(f"compare.stage_{item.stage}")), None)),
        (text("verdict.probability"), ((p, fmt.percent(p, digits=0), "share")
                                       if p is not None else (math.nan, text("verdict.not_known"), None))),
        kpi("npv", "multichannel"), kpi("npv", "omnichannel"),
        kpi("npv_gain", "omnichannel"), kpi("npv_gain", "custom"),
        kpi("conversion_rate", "omnichannel"), kpi("retention_12m", "omnichannel"),
        kpi("clv", "omnichannel"),
        (text("compare.row_planned"), money(v.planned_budget)),
        (text("verdict.break_even"), money(v.break_even_budget)),
        (text("verdict.fund_first"), (v.fund_first or "", v.fund_first or text("verdict.not_known"), None)),
        (text("compare.row_seed"), (item.results.scenario.seed, str(item.results.scenario.seed), None)),
    ])


def comparison_table(items: list[Compared]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The side-by-side table and where each scenario differs from the first one.

    Returns
    -------
    shown : pandas.DataFrame
        Row per KPI, column per scenario, as text; a number that differs from the first
        scenario's is followed by the difference in brackets.
    differs : pandas.DataFrame
        Same shape: True where a scenario differs from the first one.
    """
    columns = {i.name: _rows(i) for i in items}
    first = next(iter(columns.values()))
    shown = pd.DataFrame({name: {r: t for r, (_, t, _k) in rows.items()} for name, rows in columns.items()})
    differs = pd.DataFrame({
        name: {r: not _same(v, first[r][0]) for r, (v, _t, _k) in rows.items()}
        for name, rows in columns.items()
    })
    currency = items[0].results.scenario.market.currency
    for name, rows in list(columns.items())[1:]:
        for r, (value, shown_text, key) in rows.items():
            base = first[r][0]
            if key is not None and isinstance(value, float) and isinstance(base, float) \
                    and not _same(value, base) and math.isfinite(value) and math.isfinite(base):
                if key == "share" or KPI_BY_KEY[key].kind is Kind.SHARE:
                    change = fmt.points(value - base)
                else:
                    change = fmt.kpi(key, value - base, currency, signed=True)
                shown.loc[r, name] = f"{shown_text} ({change})"
    return shown, differs


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b
