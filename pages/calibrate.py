"""Start from your own numbers: calibrate the current state from KPIs or an event log."""

import streamlit as st

from explorer import calibration_inputs as inputs
from explorer import calibration_runs, state, ui
from explorer.downloads import data_csv
from simulation.calibration.datasets import CDNOW_MAPPING, cdnow_available, cdnow_csv
from simulation.calibration.eventlog import SAMPLE_LOG_PATH, STANDARD_COLUMNS, file_digest
from simulation.calibration.fitting import KPI_SPECS, Calibration, projected_scenario
from simulation.calibration.holdout import targets_from_log
from simulation.core.results import Results
from simulation.display import calibration_charts as cc
from simulation.display import format as fmt
from simulation.display.text import text
from simulation.inputs import InputError

ui.page_header(text("nav.calibrate"), text("question.calibrate"))
scenario = state.current_scenario()


def show(calibration: Calibration, projection: Results, name: str) -> None:
    """Draw a fit (targets vs fitted, parameters) and the plans projected from it."""
    for note in calibration.skipped:
        st.info(note)
    st.subheader("Target vs fitted")
    st.dataframe(cc.target_table(calibration), hide_index=True, width="stretch")
    for message in calibration.messages:
        st.warning(message)
    if calibration.ok:
        st.success(f"Every target matched within its tolerance ({calibration.evaluations} simulations).")
    ui.chart(cc.target_figure(calibration), calibration.table, name=f"{name}_fit", results=projection)
    with st.expander("Fitted hidden parameters (preset vs calibrated)"):
        st.dataframe(calibration.parameters, hide_index=True, width="stretch")
        st.download_button("Parameters (CSV)", data_csv(calibration.parameters),
                           file_name=f"{name}_parameters.csv", key=f"{name}_params_csv", on_click="ignore")
    st.subheader("Projection from your current state")
    st.dataframe(cc.projection_table(projection), width="stretch")
    ui.chart(cc.projection_figure(projection), cc.projection_data(projection),
             name=f"{name}_projection", results=projection)
    st.caption("Every plan starts from your current levels, which are already in place (no "
               "ramp-up and no one-off cost to keep them); it ramps to its own levels and pays "
               "one-off costs only for what it adds. Going back to silos costs nothing.")
    if st.button("Use the calibrated scenario on every page", key=f"{name}_use"):
        state.set_scenario(projected_scenario(calibration))
        state.tell("success", "The calibrated scenario is now the explorer's scenario.")
        st.rerun()


level = st.slider("Your current integration level (0 = channels run apart, 1 = fully integrated)",
                  0.0, 1.0, 0.0, 0.05, key="calib_level")
from_kpis, from_log = st.tabs(["From KPIs", "From an event log"])

with from_kpis:
    targets, margin = inputs.kpi_targets(scenario)
    if st.button("Calibrate", type="primary", key="calib_run"):
        st.session_state["calib_kpi_args"] = (tuple(targets.items()), level, margin)
    if "calib_kpi_args" in st.session_state:
        goal, lvl, gm = st.session_state["calib_kpi_args"]
        try:
            show(*calibration_runs.fit(scenario.canonical_key(), goal, lvl, margin=gm), "calibration_kpis")
        except InputError as error:
            st.error("These targets cannot be used:\n"
                     + "".join(f"\n- {fmt.escaped(p)}" for p in error.problems))

with from_log:
    st.markdown("An orders export is enough: customer_id, timestamp, amount; channel and event_type "
                "(visit, purchase, return) are optional. Comma, semicolon, tab or space separated; "
                "dates ISO, YYYYMMDD, day- or month-first. Large files are sampled by customer.")
    upload = st.file_uploader("Event log or orders export", type=["csv", "txt", "tsv"], key="calib_upload")
    use_sample = st.checkbox("Use the sample log (simulated from a known scenario)", key="calib_sample")
    use_cdnow = cdnow_available() and st.checkbox(
        "Use the CDNOW orders export (real: 23,570 customers, 78 weeks)", key="calib_cdnow")
    with st.expander("Column names in your file (const:VALUE sets a constant, e.g. const:web), "
                     "delimiter, decimals and date order"):
        reading = inputs.file_format()
        cols = st.columns(len(STANDARD_COLUMNS))
        mapping = tuple((name, col.text_input(name, name, key=f"calib_map_{name}"))
                        for name, col in zip(STANDARD_COLUMNS, cols, strict=True))
    data = upload.getvalue() if upload is not None else (SAMPLE_LOG_PATH.read_bytes() if use_sample else None)
    if data is None and use_cdnow:
        data, mapping = cdnow_csv(), tuple(CDNOW_MAPPING.items())
    if data is not None:
        try:
            log, summary = calibration_runs.read_log(file_digest(data), data, mapping,
                                                     scenario.canonical_key(), reading)
        except InputError as error:
            st.error("This file cannot be used; the explorer's scenario and results are unchanged:"
                     + "".join(f"\n- {fmt.escaped(p)}" for p in error.problems))
            st.stop()
        for note in [*log.notes, *summary.notes]:
            st.info(fmt.escaped(note))
        if log.problems:
            st.warning(f"{int(log.dropped['rows'].sum())} of {log.rows_read} rows dropped:"
                       + "".join(f"\n- {fmt.escaped(p)}" for p in log.problems))
            st.download_button("Dropped rows by reason (CSV)", data_csv(log.dropped),
                               file_name="dropped_rows.csv", key="calib_dropped_csv", on_click="ignore")
        st.caption("Parsed first rows:")
        st.dataframe(log.events.head(5), hide_index=True, width="stretch")
        st.subheader("What the log shows")
        kpi_frame = cc.log_kpi_table(summary.kpis)
        st.dataframe(kpi_frame, hide_index=True, width="stretch")
        left, right = st.columns(2)
        left.dataframe(cc.mix_table(summary.mix), hide_index=True, width="stretch")
        right.dataframe(summary.segments, hide_index=True, width="stretch")
        st.download_button("Log KPIs (CSV)", data_csv(kpi_frame), file_name="log_kpis.csv",
                           key="calib_log_csv", on_click="ignore")
        offer = targets_from_log(summary.kpis, summary.purchases)
        picked = st.multiselect("Targets to fit", list(offer), list(offer), key="calib_log_targets",
                                format_func=lambda k: KPI_SPECS[k].label)
        split = st.slider("Holdout check: fit on the first weeks, predict the rest", 8,
                          max(9, summary.purchases.weeks - 4), max(8, summary.purchases.weeks // 2),
                          key="calib_split")
        if st.button("Calibrate from this log", type="primary", key="calib_log_run"):
            st.session_state["calib_log_args"] = (tuple((k, offer[k]) for k in picked), level, split)
        if "calib_log_args" in st.session_state:
            goal, lvl, cut = st.session_state["calib_log_args"]
            key, digest = scenario.canonical_key(), file_digest(data)
            try:
                fit, projection = calibration_runs.fit(key, goal, lvl, log=summary, digest=digest)
                check = calibration_runs.holdout(key, lvl, cut, log=summary, digest=digest)
                st.subheader("Holdout check: predicted vs actual")
                st.dataframe(cc.holdout_table(check), hide_index=True, width="stretch")
                ui.chart(cc.holdout_figure(check), check.weekly, name="calibration_holdout",
                         results=projection)
                show(fit, projection, "calibration_log")
            except InputError as error:
                st.error("The log's KPIs cannot be used:"
                         + "".join(f"\n- {fmt.escaped(p)}" for p in error.problems))
