"""Decisions: how sure the gain is, what it rests on, what each capability is worth, what to spend."""

import streamlit as st

from explorer import decision_runs, downloads, state, ui, verdict_view
from simulation.analysis import (
    DecisionRequest,
    SwitchedOn,
    best_plan_under_budget,
    decision_analysis,
)
from simulation.analysis.believe import believe, estimate_believe_seconds
from simulation.analysis.investment import one_off_budget
from simulation.analysis.parallel import format_seconds
from simulation.display import decision_charts as dc
from simulation.display import format as fmt
from simulation.display import wording
from simulation.display.labels import explain
from simulation.display.text import text

ui.page_header(text("nav.decisions"), text("question.decisions"))
scenario = state.current_scenario()
currency = scenario.market.currency
c1, c2, c3, c4 = st.columns(4)
replications = c1.slider(text("decisions.replications"), 5, 100, 30, 5, key="dec_replications",
                         help=text("decisions.replications_help"))
uncertain = c2.toggle(text("decisions.uncertain"), True, key="dec_uncertain",
                      help=text("decisions.uncertain_help"))
with_custom = c2.toggle(text("decisions.custom"), False, key="dec_custom", help=text("decisions.custom_help"))
share = c3.slider(text("decisions.range"), 5, 50, 25, 5, key="dec_range",
                  help=text("decisions.range_help")) / 100
sizes = sorted({scenario.market.population, 5000, 10000, 20000})
population = c4.selectbox(
    text("decisions.population"), sizes, index=sizes.index(scenario.market.population), key="dec_population",
    format_func=lambda n: text("decisions.population_as_overview", count=fmt.count(n, exact=True))
    if n == scenario.market.population else fmt.count(n, exact=True), help=text("decisions.population_help"))
split_plan = st.radio(text("decisions.split"), ["full", "custom"], horizontal=True, key="dec_split",
                      format_func=lambda p: text(f"decisions.split_{p}"))
analysed = scenario.replace(market__population=population)
request = DecisionRequest(replications=replications, parameter_uncertainty=uncertain,
                          replicate_custom=with_custom, relative_range=share,
                          switched_on=SwitchedOn.CUSTOM if split_plan == "custom"
                          else SwitchedOn.FULL)
key = (analysed.canonical_key(), request)
verdict_view.wait_if_running(key, known := decision_runs.known(key))
estimate = 0.0 if known else decision_runs.estimate(analysed.canonical_key(), request)
if not known:
    with (slot := st.empty()).container():
        st.info(text("decisions.estimate", seconds=format_seconds(estimate)), icon=":material/timer:")
        clicked = st.button(text("decisions.run"), key="dec_run", type="primary")
    if not clicked:
        if st.session_state.get("cancel_analyses"):
            st.warning(text("decisions.cancelled"))
        st.stop()
    slot.empty()
result = decision_runs.run(key, decision_analysis, (analysed, request), expected_seconds=estimate,
                           label="analyses", what=text("decisions.job_analyses"))
verdict_view.decisions_sentence(scenario, analysed, key, result)

u, t, s, omni = result.uncertainty, result.tornado, result.capability_value, result.break_even["omnichannel"]

tab_u, tab_t, tab_s, tab_b, tab_w = st.tabs(  # keyed: a rerun keeps the open tab
    [text(f"decisions.tab_{t}") for t in ("uncertainty", "sensitivity", "value", "budget", "believe")],
    key="dec_tabs", on_change="rerun")
with tab_u:
    if u is not None:  # the replications slider starts at 5
        metrics: list[str] = list(dc.FAN_TITLES)
        metric = st.selectbox(text("decisions.over_time"), metrics, format_func=dc.fan_title,
                              key="dec_fan") or metrics[0]
        ui.chart(dc.fan_figure(u.fan, metric, currency), dc.fan_data(u.fan, metric), name=f"fan_{metric}",
                 scenario=scenario)
        ui.static_table(dc.interval_table(u.summary, currency), key="dec_intervals", hide_index=True)
        st.caption(dc.interval_note())
        st.download_button(text("decisions.intervals_csv"), downloads.data_csv(u.summary),
                           key="csv_intervals",
                           file_name=downloads.file_stem(scenario.name, "intervals", scenario.seed) + ".csv",
                           mime="text/csv", on_click="ignore", icon=":material/download:")
with tab_t:
    if t is not None:
        st.markdown(wording.top_drivers(t, currency))
        ui.chart(dc.tornado_figure(t.bars, t.base_npv_gain, currency), t.bars, name="tornado_npv",
                 scenario=scenario)
        ui.chart(dc.tornado_figure(t.bars, t.base_clv_gain, currency, kpi="clv"), t.bars,
                 name="tornado_clv", scenario=scenario)
        st.caption(f"{explain(t.bars['label'])} {text('decisions.glossary_pointer')}")
with tab_s:
    if s is not None:
        st.markdown(wording.fund_first(s, currency))
        ui.chart(dc.shapley_waterfall_figure(s.values, s.total_npv_gain, currency),
                 dc.shapley_waterfall_data(s.values), name="shapley", scenario=scenario)
        st.caption(dc.shapley_note(len(s.subsets)))
with tab_b:
    st.markdown("\n\n".join(dc.break_even_sentence(item, currency) for item in result.break_even.values()))
    ui.chart(dc.payback_figure(omni, currency), omni.curve, name="payback_vs_budget", scenario=scenario)
    planned = one_off_budget(scenario, scenario.custom_plan)
    budget = st.select_slider(text("decisions.budget", currency=currency),
                              dc.budget_options(omni, planned), planned,
                              format_func=lambda v: fmt.money(v, currency), key="dec_budget")
    if st.button(text("decisions.best"), key="dec_best") or (
            decision_runs.known((analysed.canonical_key(), budget))):
        best = decision_runs.run((analysed.canonical_key(), budget), best_plan_under_budget,
                                 (analysed, budget), expected_seconds=0.0, label="best plan",
                                 what=text("decisions.job_best"))
        st.markdown(dc.best_plan_sentence(best, currency))
        ui.static_table(dc.best_plan_table(best, currency), key="best_plans", hide_index=True)
with tab_w:
    wk = (analysed.canonical_key(), "believe")
    if st.button(text("decisions.believe"), key="dec_believe") or decision_runs.known(wk):
        w = decision_runs.run(wk, believe, (analysed,), expected_seconds=estimate_believe_seconds(analysed),
                              label="beliefs", what=text("decisions.job_beliefs"))
        st.markdown(wording.believe(w, currency))
        ui.chart(dc.break_even_map_figure(w.size_map, currency, label=w.map_label, today=w.today),
                 w.size_map, name="break_even_map", scenario=scenario)
        ui.static_table(dc.threshold_table(w.thresholds, currency), key="thresholds", hide_index=True)
        st.caption(dc.believe_note())
st.caption(text("decisions.footer", population=fmt.count(population, exact=True), crn=dc.crn_note()))
