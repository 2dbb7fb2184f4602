"""The sidebar shared by every page: preset, key sliders, all assumptions, save and share.

Widgets are generated from :func:`simulation.display.params.parameters` (label, unit, range, step and
help come from the scenario's declarations). The session's scenario is the single source of
truth: every run starts by applying the widget values that differ from it; a valid result
replaces it, an invalid one is reported and the last valid scenario stays in force. Presets,
uploads and the integration-cost slider replace the scenario in a callback and drop the widget
states, which are then refilled from the new scenario.
"""

from __future__ import annotations

import functools
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import streamlit as st

from explorer import language, state
from simulation import APP_VERSION, Capability, Scenario, ScenarioError
from simulation.core.currency import exchange_rate
from simulation.core.presets import preset_descriptions, preset_names
from simulation.display import format as fmt
from simulation.display import scenario_file
from simulation.display.labels import all_capabilities
from simulation.display.params import Param, parameters, with_values
from simulation.display.text import has_text, preset_description, text
from simulation.display.text import language as text_language

PRESET_KEY = "preset"
CUSTOM_PRESET_KEY = "preset_custom"
"""The box's key while it shows Custom. It is another widget then: a browser that has not yet
drawn the switch to Custom keeps reporting the old preset for a while (with its next slider move,
or with a fragment's rerun alone), and under the one key that echo looked like a person picking
the preset, which undid the move (the browser test's slider jumped back to 0 in about one run in
four). The echo of a key the page no longer draws is ignored."""
UPLOAD_KEY = "upload_scenario"
COST_KEY = "integration_cost_total"
WIDGET_PREFIX = "p__"
_JS_SAFE_INTEGER = 2**53 - 1
_MARKET_SIZES = [10_000 * m for m in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000)]
_COST_TOTALS = [0.0] + [1e5 * m for m in (1, 2.5, 5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300, 500)]


@dataclass(frozen=True)
class KeySlider:
    """A headline slider over one parameter, shown as ``scale`` x the value (100 for %)."""

    keys: tuple[str, ...]
    label: str | None = None
    """Catalog key of its label (None: the parameter's own label)."""
    scale: int = 1
    unit: str | None = None
    """Catalog key of its unit, or a symbol ("%")."""


KEY_SLIDERS = (
    KeySlider(("market", "market_size"), "sidebar.market_size", unit="sidebar.people"),
    KeySlider(("market", "horizon_weeks"), "sidebar.horizon", unit="sidebar.weeks"),
    *(KeySlider(("custom_plan", c.value), None, 100, "%") for c in Capability),  # label: its name
    KeySlider(("behaviour", "contact_cap_weekly"), "sidebar.contact_budget",
              unit="sidebar.contacts_unit"),
    KeySlider(("economics", "gross_margin"), None, 100, "sidebar.revenue_share_unit"),  # declared label
)


def _params_by_keys(scenario: Scenario) -> dict[tuple[Any, ...], Param]:
    """Every parameter of ``scenario`` by its keys, in the language of this run.

    Remembered for the last few scenarios and languages (every script run asks twice, and
    building them reads every field's metadata): the parameters are frozen and the dict is
    only read.
    """
    key = (scenario.canonical_key(), text_language())
    with _PARAMS_LOCK:
        found = _PARAMS.get(key)
        if found is not None:
            _PARAMS.move_to_end(key)
            return found
    found = {p.keys: p for p in parameters(scenario)}
    with _PARAMS_LOCK:
        _PARAMS[key] = found
        while len(_PARAMS) > _PARAMS_MAX:
            _PARAMS.popitem(last=False)
    return found


_PARAMS: OrderedDict[tuple[str, str], dict[tuple[Any, ...], Param]] = OrderedDict()
_PARAMS_MAX = 64
_PARAMS_LOCK = threading.Lock()


def _to_widget(param: Param, value: Any, scale: int = 1) -> Any:
    if param.options or param.text:
        return value
    if param.integer:
        return int(value) * scale
    return round(value * scale) if scale != 1 else float(value)


def _from_widget(param: Param, value: Any, scale: int = 1) -> Any:
    if param.options or param.text or scale == 1:
        return value
    return value / scale


def forget_widgets() -> None:
    """Drop every scenario widget's state so it is refilled from the scenario on this run."""
    for key in [k for k in st.session_state if str(k).startswith(WIDGET_PREFIX)]:
        del st.session_state[key]


def _replace(scenario: Scenario) -> None:
    state.set_scenario(scenario)
    forget_widgets()


def _scales() -> dict[tuple[Any, ...], int]:
    return {s.keys: s.scale for s in KEY_SLIDERS}


def _widget_changes(scenario: Scenario) -> dict[tuple[Any, ...], Any]:
    """Every widget value that differs from ``scenario``, by parameter keys (model units)."""
    scales = _scales()
    changes = {}
    for keys, param in _params_by_keys(scenario).items():
        if param.widget_key not in st.session_state:
            continue
        scale = scales.get(keys, 1)
        shown = st.session_state[param.widget_key]
        if shown != _to_widget(param, param.info.value, scale):
            changes[keys] = _from_widget(param, shown, scale)
    return changes


def apply_widgets(scenario: Scenario) -> tuple[Scenario, list[str]]:
    """``scenario`` with every widget value that differs from it; problems if invalid."""
    changes = _widget_changes(scenario)
    try:
        changed = with_values(scenario, changes)
    except ScenarioError as error:
        return scenario, error.problems
    if changed.market.currency != scenario.market.currency:
        forget_widgets()  # every money widget shows the converted value from the next draw
    return changed, []


# Callbacks (run before the script, so they may replace the scenario and reset widgets) ---


CUSTOM_PRESET = "__custom__"


@functools.lru_cache(maxsize=64)
def matching_preset(key: str) -> str | None:
    """The preset whose scenario is exactly ``key`` (canonical JSON), else None."""
    for name in preset_names():
        if _preset_key(name) == key:
            return name
    return None


@functools.lru_cache(maxsize=16)
def _preset_key(name: str) -> str:
    return Scenario.preset(name).canonical_key()


def _on_preset(key: str) -> None:
    if st.session_state[key] == CUSTOM_PRESET or _moved_in_this_run():
        return
    _replace(Scenario.preset(st.session_state[key]))


def _moved_in_this_run() -> bool:
    """Whether a valid slider move arrived with this preset "change".

    After the first move away from a preset the script sets the box to Custom; a browser that
    sends its next move before it has drawn that still reports the old preset, and applying it
    would undo the move (the slider jumped back to 0 in CI). A person picking a preset changes
    nothing else in the same run; an invalid pending value does not count, so a preset can still
    replace a scenario the sidebar refused.
    """
    scenario = state.current_scenario()
    try:
        return with_values(scenario, _widget_changes(scenario)).canonical_key() != scenario.canonical_key()
    except ScenarioError:
        return False


def _on_upload() -> None:
    uploaded = st.session_state.get(UPLOAD_KEY)
    if uploaded is None:
        return
    title = text("sidebar.not_loaded", file=fmt.escaped(uploaded.name))
    try:
        scenario, saved_language = scenario_file.loads(uploaded.getvalue())
    except ScenarioError as error:
        state.tell("error", title, error.problems)
        return
    _replace(scenario)
    language.choose(saved_language)
    note = text("sidebar.restored", name=fmt.escaped(scenario.name), seed=scenario.seed)
    if scenario.app_version != APP_VERSION:
        state.tell("warning", note + " " + text("sidebar.other_version", saved=scenario.app_version,
                                                  current=APP_VERSION))
    else:
        state.tell("success", note)


_SCALED_COSTS = ("one_off_cost", "one_off_per_store", "running_cost_weekly",
                 "running_per_store_weekly", "cost_per_order", "cost_per_profile_yearly")


def _cost_total(scenario: Scenario) -> float:
    """One-off cost of every capability at full level: fixed + per store x stores."""
    stores = scenario.business.stores
    return float(sum(scenario.capability_costs.of(c).one_off_cost
                     + scenario.capability_costs.of(c).one_off_per_store * stores for c in Capability))


def _on_cost_total() -> None:
    scenario = state.current_scenario()
    wanted, current = float(st.session_state[COST_KEY]), _cost_total(scenario)
    costs = {}
    for cap in Capability:
        cost = scenario.capability_costs.of(cap)
        if current > 0:
            factor = wanted / current
            costs[cap.value] = {part: getattr(cost, part) * factor for part in _SCALED_COSTS}
        else:
            costs[cap.value] = {"one_off_cost": wanted / len(Capability)}
    try:
        _replace(scenario.replace(capability_costs=costs))
    except ScenarioError as error:
        state.tell("error", text("sidebar.cost_not_changed"), error.problems)


# Drawing ---------------------------------------------------------------------------------


def _decimals(step: float | None) -> int:
    if not step or step >= 1:
        return 0
    return max(0, -math.floor(math.log10(step) + 1e-9))


def _number_input(param: Param) -> None:
    info = param.info
    if param.options:
        shown = {o: text(f"channel_kind.{o}") if has_text(f"channel_kind.{o}") else o
                 for o in param.options}
        st.selectbox(f"{info.label}", param.options, key=param.widget_key, help=param.help,
                     format_func=shown.__getitem__)
        return
    if param.text:
        st.text_input(f"{info.label} ({info.unit})", key=param.widget_key, help=param.help)
        return
    unit = f" ({info.unit})" if info.unit else ""
    if param.integer:
        st.number_input(
            f"{info.label}{unit}", key=param.widget_key, help=param.help, format="%d",
            min_value=None if info.minimum is None else int(info.minimum),
            max_value=None if info.maximum is None else int(min(info.maximum, _JS_SAFE_INTEGER)),
            step=int(info.step or 1),
        )
        return
    st.number_input(
        f"{info.label}{unit}", key=param.widget_key, help=param.help,
        min_value=None if info.minimum is None else float(info.minimum),
        max_value=None if info.maximum is None else float(info.maximum),
        step=float(info.step) if info.step else None, format=f"%.{_decimals(info.step)}f",
    )


def _key_slider(spec: KeySlider, param: Param, currency: str) -> None:
    info = param.info
    label = text(spec.label) if spec.label else info.label
    unit = text(spec.unit) if spec.unit and "." in spec.unit else spec.unit
    key = param.widget_key
    if spec.keys == ("market", "market_size"):
        shown = st.session_state[key]
        options = sorted({*_MARKET_SIZES, int(info.value), int(shown)})
        labels = {v: text("sidebar.people_count", count=fmt.count(v)) for v in options}
        st.select_slider(f"{label} ({unit})", options, key=key, help=param.help,
                         format_func=labels.__getitem__)
        return
    if spec.scale != 1:
        low, high = int(info.minimum or 0) * spec.scale, int(info.maximum or 1) * spec.scale
        step = max(1, round((info.step or 0.01) * spec.scale))
        st.slider(f"{label} ({unit})", low, high, key=key, step=step, help=param.help,
                  format="%d%%")
        return
    if param.integer:
        st.slider(f"{label} ({unit})", int(info.minimum or 0), int(info.maximum or 1),
                  key=key, step=int(info.step or 1), help=param.help)
        return
    st.slider(f"{label} ({unit})", float(info.minimum or 0), float(info.maximum or 1),
              key=key, step=float(info.step or 0.1), help=param.help,
              format=f"%.{_decimals(info.step)}f")


def _cost_options(scenario: Scenario) -> list[float]:
    """The integration-cost steps (stated in dollars) in the scenario's currency, plus its own total."""
    per_usd = exchange_rate(scenario.market.currency).per_usd
    return sorted({*(t * per_usd for t in _COST_TOTALS), _cost_total(scenario)})


def _fill(param: Param, scale: int = 1) -> None:
    if param.widget_key not in st.session_state:
        st.session_state[param.widget_key] = _to_widget(param, param.info.value, scale)


def render() -> Scenario:
    """Draw the sidebar and return the session's (valid) scenario after this run's edits."""
    scenario = state.current_scenario()
    scenario, problems = apply_widgets(scenario)
    state.set_scenario(scenario)
    by_keys = _params_by_keys(scenario)
    currency = scenario.market.currency
    with st.sidebar:
        language.switch()
        if problems:
            st.error(text("sidebar.not_applied") + "\n"
                     + "".join(f"\n- {fmt.escaped(p)}" for p in problems))  # escaped() translates
        names = preset_names()
        descriptions = {n: preset_description(n, d) for n, d in preset_descriptions().items()}
        # The box names the preset only while the scenario is that preset exactly; after a
        # link, an upload or an edit it says so (it used to keep showing the default).
        shown_preset = matching_preset(scenario.canonical_key())
        box = PRESET_KEY if shown_preset is not None else CUSTOM_PRESET_KEY
        st.session_state[box] = shown_preset or CUSTOM_PRESET
        options = [*names, CUSTOM_PRESET] if shown_preset is None else names
        # Labels looked up now, in this run's language (a format_func may be called elsewhere).
        shown_names = {n: text("sidebar.custom_preset", name=scenario.name) if n == CUSTOM_PRESET
                       else text(f"preset_name.{n}") if has_text(f"preset_name.{n}")
                       else n.replace("_", " ").capitalize() for n in options}
        st.selectbox(text("sidebar.preset"), options, key=box, on_change=_on_preset, args=(box,),
                     format_func=shown_names.__getitem__,
                     help=descriptions.get(st.session_state[box],
                                           text("sidebar.custom_preset_help")))
        st.subheader(text("sidebar.key_assumptions"))
        shown: set[tuple[Any, ...]] = set()
        for spec in KEY_SLIDERS:
            if spec.keys == ("custom_plan", Capability.IDENTITY.value):
                st.markdown(text("sidebar.custom_plan_intro"))
            param = by_keys[spec.keys]
            _fill(param, spec.scale)
            _key_slider(spec, param, currency)
            shown.add(spec.keys)
        st.session_state[COST_KEY] = _cost_total(scenario)
        totals = {v: fmt.money(v, currency) for v in _cost_options(scenario)}
        st.select_slider(
            text("sidebar.integration_cost", capabilities=all_capabilities(), currency=currency),
            list(totals), key=COST_KEY, on_change=_on_cost_total, format_func=totals.__getitem__,
            help=text("sidebar.integration_cost_help", capabilities=all_capabilities()),
        )
        with st.expander(text("sidebar.share"), key="group_share"):
            seed = by_keys[("seed",)]
            _fill(seed)
            _number_input(seed)
            shown.add(seed.keys)
            st.caption(text("sidebar.share_caption", version=APP_VERSION))
            st.download_button(
                text("sidebar.download"), scenario_file.dumps(scenario, language.current()),
                key="download_scenario",
                file_name=f"{_slug(scenario.name)}-seed{scenario.seed}.json",
                mime="application/json", on_click="ignore", icon=":material/download:",
            )
            st.file_uploader(text("sidebar.restore"), type=["json"], key=UPLOAD_KEY,
                             on_change=_on_upload)
        st.subheader(text("sidebar.all_assumptions"))
        st.caption(text("sidebar.all_assumptions_caption"))
        groups: dict[str, list[Param]] = {}
        for param in by_keys.values():
            if param.keys not in shown:
                groups.setdefault(param.group, []).append(param)
        for group, members in groups.items():
            expander = st.expander(group, key="group_" + _slug(group), on_change="rerun")
            if expander.open:
                with expander:
                    for param in members:
                        _fill(param)
                        _number_input(param)
    return scenario


def _slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "_" for ch in text.lower()).strip("_")
    return "_".join(filter(None, out.split("_"))) or "scenario"
