"""Start from your own numbers: calibrate the current state from KPIs or an event log."""

import streamlit as st

from explorer import calibration_inputs as inputs
from explorer import calibration_runs, state, ui
from explorer.downloads import data_csv
from simulation.calibration.datasets import CDNOW_MAPPING, cdnow_available, cdnow_csv
from simulation.calibration.eventlog import SAMPLE_LOG_PATH, STANDARD_COLUMNS, file_digest
from simulation.calibration.fitting import Calibration, projected_scenario
from simulation.calibration.holdout import targets_from_log
from simulation.core.results import Results
from simulation.display import calibration_charts as cc
from simulation.display import format as fmt
from simulation.display.text import say, text
from simulation.inputs import InputError

ui.page_header(text("nav.calibrate"), text("question.calibrate"))
scenario = state.current_scenario()


def show(calibration: Calibration, projection: Results, name: str) -> None:
    """Draw a fit (targets vs fitted, parameters) and the plans projected from it."""
    for note in calibration.skipped:
        st.info(say(note))
    st.subheader(text("calibrate.target_vs_fitted"))
    st.dataframe(cc.target_table(calibration), hide_index=True, width="stretch")
    for message in calibration.messages:
        st.warning(say(message))
    if calibration.ok:
        st.success(text("calibrate.all_within", evaluations=calibration.evaluations))
    ui.chart(cc.target_figure(calibration), calibration.table, name=f"{name}_fit", results=projection)
    with st.expander(text("calibrate.fitted_parameters")):
        st.dataframe(cc.fitted_parameters_table(calibration), hide_index=True, width="stretch")
        st.download_button(text("calibrate.parameters_csv"), data_csv(calibration.parameters),
                           file_name=f"{name}_parameters.csv", key=f"{name}_params_csv", on_click="ignore")
    st.subheader(text("calibrate.projection"))
    st.dataframe(cc.projection_table(projection), width="stretch")
    ui.chart(cc.projection_figure(projection), cc.projection_data(projection),
             name=f"{name}_projection", results=projection)
    st.caption(text("calibrate.projection_caption"))
    if st.button(text("calibrate.use"), key=f"{name}_use"):
        state.set_scenario(projected_scenario(calibration))
        state.tell("success", text("calibrate.used"))
        st.rerun()


level = st.slider(text("calibrate.level"),
                  0.0, 1.0, 0.0, 0.05, key="calib_level")
from_kpis, from_log = st.tabs([text("calibrate.tab_kpis"), text("calibrate.tab_log")])

with from_kpis:
    targets, margin = inputs.kpi_targets(scenario)
    if st.button(text("calibrate.calibrate"), type="primary", key="calib_run"):
        st.session_state["calib_kpi_args"] = (tuple(targets.items()), level, margin)
    if "calib_kpi_args" in st.session_state:
        goal, lvl, gm = st.session_state["calib_kpi_args"]
        try:
            show(*calibration_runs.fit(scenario.canonical_key(), goal, lvl, margin=gm), "calibration_kpis")
        except InputError as error:
            st.error(text("calibrate.bad_targets") + "\n"
                     + "".join(f"\n- {fmt.escaped(say(p))}" for p in error.problems))

with from_log:
    st.markdown(text("calibrate.log_intro"))
    upload = st.file_uploader(text("calibrate.upload"), type=["csv", "txt", "tsv"], key="calib_upload")
    use_sample = st.checkbox(text("calibrate.sample"), key="calib_sample")
    use_cdnow = cdnow_available() and st.checkbox(text("calibrate.cdnow"), key="calib_cdnow")
    with st.expander(text("calibrate.columns")):
        reading = inputs.file_format()
        cols = st.columns(len(STANDARD_COLUMNS))
        mapping = tuple((name, col.text_input(name, name, key=f"calib_map_{name}"))
                        for name, col in zip(STANDARD_COLUMNS, cols, strict=True))
    data = upload.getvalue() if upload is not None else (SAMPLE_LOG_PATH.read_bytes() if use_sample else None)
    if data is None and use_cdnow:
        data, mapping = cdnow_csv(), tuple(CDNOW_MAPPING.items())
    if data is not None:
        try:
            with st.spinner(text("calibrate.checking_log")):
                log, summary = calibration_runs.read_log(file_digest(data), data, mapping,
                                                         scenario.canonical_key(), reading)
        except InputError as error:
            st.error(text("calibrate.bad_file")
                     + "".join(f"\n- {fmt.escaped(say(p))}" for p in error.problems))
            st.stop()
        for note in [*log.notes, *summary.notes]:
            st.info(fmt.escaped(say(note)))
        if log.problems:
            st.warning(text("calibrate.dropped",
                            dropped=fmt.count(int(log.dropped["rows"].sum()), exact=True),
                            rows=fmt.count(log.rows_read, exact=True))
                       + "".join(f"\n- {fmt.escaped(say(p))}" for p in log.problems))
            st.download_button(text("calibrate.dropped_csv"), data_csv(cc.dropped_table(log.dropped)),
                               file_name="dropped_rows.csv", key="calib_dropped_csv", on_click="ignore")
        st.caption(text("calibrate.first_rows"))
        st.dataframe(log.events.head(5), hide_index=True, width="stretch")
        st.subheader(text("calibrate.log_shows"))
        kpi_frame = cc.log_kpi_table(summary.kpis)
        st.dataframe(kpi_frame, hide_index=True, width="stretch")
        left, right = st.columns(2)
        left.dataframe(cc.mix_table(summary.mix), hide_index=True, width="stretch")
        right.dataframe(summary.segments, hide_index=True, width="stretch")
        st.download_button(text("calibrate.log_csv"), data_csv(kpi_frame), file_name="log_kpis.csv",
                           key="calib_log_csv", on_click="ignore")
        offer = targets_from_log(summary.kpis, summary.purchases)
        picked = st.multiselect(text("calibrate.targets"), list(offer), list(offer), key="calib_log_targets",
                                format_func=cc.kpi_name)
        split = st.slider(text("calibrate.split"), 8,
                          max(9, summary.purchases.weeks - 4), max(8, summary.purchases.weeks // 2),
                          key="calib_split")
        if st.button(text("calibrate.calibrate_log"), type="primary", key="calib_log_run"):
            st.session_state["calib_log_args"] = (tuple((k, offer[k]) for k in picked), level, split)
        if "calib_log_args" in st.session_state:
            goal, lvl, cut = st.session_state["calib_log_args"]
            key, digest = scenario.canonical_key(), file_digest(data)
            try:
                fit, projection = calibration_runs.fit(key, goal, lvl, log=summary, digest=digest)
                check = calibration_runs.holdout(key, lvl, cut, log=summary, digest=digest)
                st.subheader(text("calibrate.holdout"))
                st.dataframe(cc.holdout_table(check), hide_index=True, width="stretch")
                ui.chart(cc.holdout_figure(check), check.weekly, name="calibration_holdout",
                         results=projection)
                show(fit, projection, "calibration_log")
            except InputError as error:
                st.error(text("calibrate.bad_log")
                         + "".join(f"\n- {fmt.escaped(say(p))}" for p in error.problems))
