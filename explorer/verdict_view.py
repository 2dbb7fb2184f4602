"""The verdict panel of the Overview and the Decisions page, and its background refinement.

Instantly: the gain and the break-even budget of the scenario's own run (the numbers on the KPI
cards). Then a quick estimate (few runs, 2,000 people) and the full analysis (the Decisions
page's defaults on the scenario's own people and seeds) arrive as background jobs of the
server's worker pool (:mod:`explorer.background`): behind every slider run, computed once per
scenario for every session, the full analysis yielding to any quick estimate. A progress bar
polls while they run; a session moving to another scenario stops watching the old one's jobs
(cancelled when nobody else shows that scenario). Whether the full analysis of a scenario is
done has one answer, :func:`explorer.background.finished`, for the Overview, the Decisions
page and the Compare page.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Hashable

import streamlit as st

from explorer import background, language, runs, state
from explorer.pool import Priority
from simulation import Scenario
from simulation.analysis import DecisionAnalysis, DecisionRequest
from simulation.analysis.investment import break_even_from
from simulation.analysis.runs import PlanOutcome, plan_levels
from simulation.core.results import Results
from simulation.core.world import standard_plans
from simulation.display import format as fmt
from simulation.display.text import say, text
from simulation.report.verdict import (
    Verdict,
    analyse,
    full_request,
    point_verdict,
    quick_request,
    quick_scenario,
    verdict_from,
)

CACHE_DIR = background.CACHE_DIR
"""Where analyses cache their finished tasks (the Decisions page's runs use it too)."""
POLL_SECONDS = 2.0
QUEUED_POLL_SECONDS = 5.0
"""How often a page looks at its verdict's job while it runs (progress moves) and while it is
queued (only its place changes). Each look is a fragment run of about 0.01 s of the server's
CPU (measured with one session), taken from the sliders of every other session."""
DRAWN = "verdict_drawn"
WATCHING = "verdict_watching"
ANALYSE = analyse
"""What the jobs run (module-level, sent to a worker by reference; tests replace it)."""


def full_key(scenario: Scenario, request: DecisionRequest | None = None) -> tuple[str, DecisionRequest]:
    """Registry key of the analysis the Decisions page runs with its defaults."""
    return scenario.canonical_key(), request or full_request()


def _quick_key(scenario: Scenario) -> tuple[str, DecisionRequest]:
    """Registry key of the quick estimate of ``scenario`` (asked for several times a run)."""
    return _quick_key_of(scenario.canonical_key()), quick_request()


@functools.lru_cache(maxsize=256)
def _quick_key_of(key: str) -> str:
    """The canonical key of the quick estimate's scenario of the scenario ``key``."""
    return quick_scenario(Scenario.from_json(key)).canonical_key()


def start(scenario: Scenario) -> None:
    """Ask for the quick estimate and the full analysis, watched by this session.

    Joins the jobs another session started; no-ops when already known.
    """
    if background.finished(full_key(scenario)) is None:
        quick_key = _quick_key(scenario)
        if background.finished(quick_key) is None:
            background.submit(quick_key, ANALYSE, quick_key[0], quick_request(),
                              label="quick estimate", priority=Priority.BACKGROUND)
        background.submit(full_key(scenario), ANALYSE, scenario.canonical_key(), full_request(),
                          label="full analysis", priority=Priority.IDLE)


def _watch_only(scenario: Scenario) -> None:
    """Make ``scenario`` the one this session shows: stop watching the jobs of the one before.

    Those jobs are cancelled if no other session shows it.
    """
    keys = [_quick_key(scenario), full_key(scenario)]
    for old in st.session_state.get(WATCHING, []):
        if old not in keys:
            background.stop_watching(old)
    st.session_state[WATCHING] = keys


def stage_of(scenario: Scenario) -> str:
    """"full", "quick" or "point": the best estimate known for ``scenario`` right now."""
    if background.finished(full_key(scenario)) is not None:
        return "full"
    return "quick" if background.finished(_quick_key(scenario)) is not None else "point"


@st.cache_data(max_entries=16, show_spinner=False)
def _point(key: str, _results: Results) -> Verdict:
    """The verdict from ``_results`` alone; ``key`` is :func:`explorer.runs.standard_prices_key`.

    It compares omnichannel with multichannel, which the custom plan does not change (their rows
    of the results, their costs): keyed without it, a capability move reuses it (7 ms a run).
    """
    scenario = Scenario.from_json(key)
    run = PlanOutcome(kpis=_results.kpis, weekly=_results.weekly)
    omni = break_even_from(scenario, plan_levels(standard_plans(scenario)), run, plan="omnichannel")
    return point_verdict(scenario, omni.npv_gain, omni.break_even_budget, omni.budget)


def best(scenario: Scenario, results: Results) -> tuple[Verdict, str, DecisionAnalysis | None]:
    """The best verdict known now, which stage it is ("full", "quick", "point") and its analysis."""
    full = background.finished(full_key(scenario))
    if full is not None:
        return verdict_from(scenario, full), "full", full
    quick = background.finished(_quick_key(scenario))
    if quick is not None:
        q = quick_scenario(scenario)
        rough = verdict_from(q, quick)
        # Gain and break-even from the scenario's own run (the cards' numbers), the rest rough.
        point = _point(runs.standard_prices_key(scenario), results)
        return dataclasses.replace(rough, npv_gain=point.npv_gain,
                                   break_even_budget=point.break_even_budget,
                                   planned_budget=point.planned_budget), "quick", quick
    return _point(runs.standard_prices_key(scenario), results), "point", None


def request_of(stage: str) -> DecisionRequest:
    """The analyses of verdict ``stage``: the quick request for "quick", else the full one."""
    return quick_request() if stage == "quick" else full_request()


def panel(results: Results) -> Verdict:
    """Draw the verdict (sentence and four numbers) and keep it refining; returns what it shows."""
    return panel_with_analysis(results)[0]


def panel_with_analysis(results: Results) -> tuple[Verdict, str, DecisionAnalysis | None]:
    """:func:`panel`, also returning the stage and the analysis behind it (for the report)."""
    scenario = results.scenario
    _watch_only(scenario)
    start(scenario)
    verdict, stage, analysis = best(scenario, results)
    st.session_state[DRAWN] = (scenario.canonical_key(), stage)
    currency = scenario.market.currency
    with st.container(border=True, key="verdict"):
        st.markdown(f"#### {verdict.sentence()}")
        metrics(verdict, currency)
        st.caption(text(f"verdict.stage_{stage}", basis=verdict.basis()) + " " + text("verdict.detail"))
        if stage != "full":
            _progress(scenario, stage)
    return verdict, stage, analysis


def metrics(verdict: Verdict, currency: str) -> None:
    """The verdict's four numbers in a row (the Overview and the Decisions page)."""
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(text("verdict.probability"),
              fmt.percent(verdict.probability, digits=0) if verdict.settled else "…",
              help=text("verdict.probability_help"))
    gain_range = text("verdict.gain_range_value",
                      low=fmt.money(verdict.gain_p05, currency, signed=True),
                      high=fmt.money(verdict.gain_p95, currency, signed=True)) if verdict.settled else "…"
    c2.metric(text("verdict.gain_range"), gain_range, help=text(
        "verdict.gain_range_help", gain=fmt.money(verdict.npv_gain, currency, signed=True)))
    c3.metric(text("verdict.fund_first"), verdict.fund_first or text("verdict.fund_first_pending"),
              help=text("verdict.fund_first_help"))
    planned = fmt.money(verdict.planned_budget, currency)
    c4.metric(text("verdict.break_even"), fmt.money(verdict.break_even_budget, currency),
              help=text("verdict.break_even_help", planned=planned))


def _progress(scenario: Scenario, stage: str) -> None:
    """The verdict's progress bar, polling at the pace its job needs."""
    keys = (scenario.canonical_key(), _quick_key(scenario), full_key(scenario))
    job = background.get(keys[1] if stage == "point" else keys[2])
    if job is not None and job.queued:
        _progress_queued(keys)
    else:
        _progress_running(keys)


@st.fragment(run_every=POLL_SECONDS)
def _progress_running(keys: tuple[str, Hashable, Hashable]) -> None:
    _look(keys, queued=False)


@st.fragment(run_every=QUEUED_POLL_SECONDS)
def _progress_queued(keys: tuple[str, Hashable, Hashable]) -> None:
    _look(keys, queued=True)


def _look(keys: tuple[str, Hashable, Hashable], *, queued: bool) -> None:
    """One look at the verdict's jobs (each look keeps them wanted).

    Rerun the page when a better estimate is in or the job's pace changes, else draw its
    progress.
    """
    language.activate()  # a fragment's rerun starts in its own context
    key, quick_key, full = keys
    stage = "full" if background.finished(full) is not None else \
        "quick" if background.finished(quick_key) is not None else "point"
    if st.session_state.get(DRAWN) != (key, stage):
        state.rerun_page()
    full_job = background.get(full)
    quick_job = background.get(quick_key) if stage == "point" else None
    job = quick_job if quick_job is not None else full_job
    if job is None:  # cancelled meanwhile (e.g. this session was away): ask again
        start(Scenario.from_json(key))
        return
    if job.error:
        st.error(text("error.stopped", job=_job_name(job.label), error=job.error))
        return
    if job.queued != queued:
        state.rerun_page()  # started (or queued again): poll at the other pace
    st.progress(job.fraction, text=text("verdict.refining", job=_job_name(job.label),
                                        message=say(job.message)))


def _job_name(label: str) -> str:
    """A background job's label in the reader's language (it is named in English at submit)."""
    return {"quick estimate": text("verdict.quick_job"),
            "full analysis": text("verdict.full_job"),
            "analyses": text("decisions.job_analyses"),
            "best plan": text("decisions.job_best"),
            "beliefs": text("decisions.job_beliefs")}.get(label, label)


def wait_if_running(key: tuple[str, DecisionRequest], known: bool) -> None:
    """On the Decisions page: show the progress of this analysis if the background runs it.

    When the background is already running this exact analysis (and its result is not known
    yet), show its progress and stop the page instead of offering a second run.
    """
    job = background.get(key)
    if known or job is None or job.done:
        return
    st.info(text("decisions.background"), icon=":material/timer:")
    _job_progress(key)
    st.stop()


@st.fragment(run_every=POLL_SECONDS)
def _job_progress(key: tuple[str, DecisionRequest]) -> None:
    language.activate()  # a fragment's rerun starts in its own context
    job = background.get(key)
    if job is None or job.done:
        state.rerun_page()
    assert job is not None
    st.progress(job.fraction, text=text("wait.job_progress", job=_job_name(job.label),
                                        message=say(job.message)))


def decisions_sentence(scenario: Scenario, analysed: Scenario, key: tuple[str, DecisionRequest],
                       analysis: DecisionAnalysis) -> None:
    """The verdict sentence on the Decisions page, and whether it is the Overview's analysis."""
    verdict = verdict_from(analysed, analysis)
    with st.container(key="decisions_verdict"):  # its numbers wrap like the Overview's (ui.PHONE_CSS)
        st.markdown(f"#### {verdict.sentence()}")
        metrics(verdict, scenario.market.currency)
    st.caption(text("decisions.same_analysis" if key == full_key(scenario) else "decisions.other_settings"))


@st.fragment(run_every=POLL_SECONDS)
def poll_many(keys: list[str]) -> None:
    """Keep the analyses of several scenarios (canonical keys) wanted (the Compare page).

    The page is rerun when one of their verdicts improves.
    """
    language.activate()  # a fragment's rerun starts in its own context
    scenarios = [Scenario.from_json(k) for k in keys]
    stages = [stage_of(s) for s in scenarios]
    jobs = [background.get(full_key(s)) for s in scenarios]
    for scenario, stage in zip(scenarios, stages, strict=True):
        if stage == "point":
            background.get(_quick_key(scenario))
    if st.session_state.get("poll_many_stages", stages) != stages:
        st.session_state["poll_many_stages"] = stages
        state.rerun_page()
    st.session_state["poll_many_stages"] = stages
    running = [j for j in jobs if j is not None and not j.done]
    done = stages.count("full")
    if running:
        fraction = sum(j.fraction for j in running) / len(running)
        st.progress(fraction, text=text("compare.refining", done=done, total=len(keys)))
