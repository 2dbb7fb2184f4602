"""The session's scenario, the cached simulation and the shareable URL.

The current scenario lives in ``st.session_state`` and is always valid: widgets, uploads and
links propose changes, and only a scenario that passes validation replaces it. Results are
cached with ``st.cache_data`` on canonical scenario JSON, in parts (see :mod:`explorer.runs`):
the standard plans' run, keyed on the scenario without its custom plan and prices (made in
lockstep with the current custom plan); the custom plan's run alone, keyed on the scenario
without prices, for when the custom plan moves; the joined results at the scenario's prices;
and, apart, the per-person outputs for the pages that show them. Moving a capability slider
re-simulates one plan instead of three, and the market-size, margin and integration-cost
sliders re-simulate nothing. Pages call :func:`results` and draw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st

from explorer import format as fmt
from explorer import runs
from simulation import APP_VERSION, CapabilityLevels, Scenario, ScenarioError
from simulation.analysis.parallel import available_workers
from simulation.api import PlanRun
from simulation.presets import DEFAULT_PRESET
from simulation.results import Results

SCENARIO = "scenario"
MESSAGE = "message"
QUERY_KEY = "s"
SECONDS_PER_PERSON_WEEK_PLAN = 8e-8
"""Engine speed on the 2-core reference machine with learned targeting (0.75 s for the default
20k people x 156 weeks x 3 plans, README); decides when a progress bar is shown."""
PROGRESS_AFTER_SECONDS = 1.0


def current_scenario() -> Scenario:
    """The session's scenario: from the link on the first run, else the default preset."""
    if SCENARIO not in st.session_state:
        st.session_state[SCENARIO] = _scenario_from_link()
    scenario: Scenario = st.session_state[SCENARIO]
    return scenario


def _scenario_from_link() -> Scenario:
    token = st.query_params.get(QUERY_KEY)
    if token:
        try:
            return Scenario.from_url_token(token)
        except ScenarioError as error:
            tell("error", "The scenario in this link could not be opened; showing the default "
                 "preset instead.", error.problems)
    return Scenario.preset(DEFAULT_PRESET)


def set_scenario(scenario: Scenario) -> None:
    st.session_state[SCENARIO] = scenario


def tell(kind: str, title: str, details: list[str] | None = None) -> None:
    """Queue a message for the top of the page (shown once, on the next run)."""
    st.session_state[MESSAGE] = (kind, title, list(details or []))


def show_messages() -> None:
    """Show and clear the queued message (an upload's result, a broken link)."""
    message = st.session_state.pop(MESSAGE, None)
    if message is None:
        return
    kind, title, details = message
    body = title + "".join(f"\n- {fmt.escaped(d)}" for d in details)
    {"error": st.error, "warning": st.warning, "success": st.success}.get(kind, st.info)(body)


def sync_link(scenario: Scenario) -> None:
    """Put the scenario in the address bar so a copied link reopens the same view."""
    token = scenario.to_url_token()
    if st.query_params.get(QUERY_KEY) != token:
        st.query_params[QUERY_KEY] = token


@contextmanager
def _progress(scenario: Scenario, *, plans: int, what: str) -> Iterator[Callable[[float, str], None] | None]:
    """A progress bar for runs expected to take more than a second (shown inside the cached
    function, so it is replayed, already finished and emptied, on cache hits)."""
    market = scenario.market
    expected = market.population * market.horizon_weeks * plans * SECONDS_PER_PERSON_WEEK_PLAN
    if expected < PROGRESS_AFTER_SECONDS:
        yield None
        return
    bar = st.progress(0.0, text=f"Simulating {what}: about {expected:.0f} s")

    def report(fraction: float, message: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=f"Simulating {what}: {message}")

    try:
        yield report
    finally:
        bar.empty()


@st.cache_data(max_entries=4, show_spinner=False)
def _standard_plans(key: str, _custom_plan: CapabilityLevels) -> runs.LockstepRun:
    # ``_custom_plan`` is not part of the cache key: it rides along in the run when the standard
    # plans must be simulated anyway (see explorer.runs).
    scenario = Scenario.from_json(key)
    with _progress(scenario, plans=3, what="the three plans") as report:
        # Runs short enough to need no progress bar are the interactive ones: one plan goes
        # to the helper process (one progress bar cannot follow two processes).
        helper = _helper() if report is None else None
        return runs.run_standard(scenario, _custom_plan, report,
                                 helper=helper.ready() if helper is not None else None)


@st.cache_resource(show_spinner=False)
def _helper() -> runs.Helper | None:
    """The app's helper process (one per server), when the machine has a core to spare."""
    return runs.Helper() if available_workers() >= 2 else None


@st.cache_data(max_entries=12, show_spinner=False)
def _custom_plan(key: str) -> PlanRun:
    scenario = Scenario.from_json(key)
    with _progress(scenario, plans=1, what="your custom plan") as report:
        return runs.run_custom(scenario, report)


def _runs(scenario: Scenario) -> tuple[runs.LockstepRun, PlanRun]:
    """The cached standard plans' run and the run of ``scenario``'s custom plan."""
    lockstep = _standard_plans(runs.standard_key(scenario), scenario.custom_plan)
    custom = runs.custom_part(lockstep, scenario) or _custom_plan(runs.custom_key(scenario))
    return lockstep, custom


@st.cache_data(max_entries=12, show_spinner=False)
def _standard_valued(key: str, _custom_plan: CapabilityLevels) -> Results:
    scenario = Scenario.from_json(key)
    lockstep = _standard_plans(runs.standard_key(scenario), _custom_plan)
    return runs.value(lockstep.standard, scenario)


@st.cache_data(max_entries=24, show_spinner=False)
def _priced(key: str) -> Results:
    scenario = Scenario.from_json(key)
    standard = _standard_valued(runs.standard_prices_key(scenario), scenario.custom_plan)
    _, custom = _runs(scenario)
    return runs.join(standard, runs.value(custom, scenario))


@st.cache_data(max_entries=8, show_spinner=False)
def _details(key: str) -> runs.Details:
    scenario = Scenario.from_json(key)
    lockstep, custom = _runs(scenario)
    return runs.details(lockstep.standard, custom, scenario)


def results(scenario: Scenario | None = None, *, details: bool = False) -> Results:
    """Results of the three strategies for ``scenario`` (default: the session's), cached.

    ``details``: include the per-person outputs (``customers``, the customer segmentation),
    which cost more and only some pages show. A failure inside the engine is shown as a
    message and stops the page, never a traceback.
    """
    scenario = scenario or current_scenario()
    try:
        shown = _priced(scenario.canonical_key())
        if details:
            shown = runs.with_details(shown, _details(scenario.canonical_key()))
        return shown
    except MemoryError:
        st.error("This scenario needs more memory than the server has. Lower *Simulated "
                 "people* (All assumptions > Market) and try again.")
    except (ValueError, ArithmeticError) as error:
        st.error(f"The simulation could not finish with these settings: {error}. "
                 "Undo the last change or pick a preset.")
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


def app_version() -> str:
    return APP_VERSION
