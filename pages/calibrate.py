"""Start from your own numbers: calibrate the current state from KPIs or an event log."""

import streamlit as st

from explorer import calibration_charts as cc
from explorer import format as fmt
from explorer import state, ui
from explorer.downloads import data_csv
from simulation import CapabilityLevels, Scenario
from simulation.calibration import (
    EVENT_TARGETS,
    Calibration,
    calibrate,
    project,
    projected_scenario,
)
from simulation.eventlog import (
    REQUIRED_COLUMNS,
    SAMPLE_LOG_PATH,
    file_digest,
    summarise_log,
    validate_events,
)
from simulation.inputs import InputError
from simulation.results import Results

ui.page_header("Calibrate to your business", "Where am I today, and what would each plan do "
               "from there? Enter your KPIs or upload an event log; the simulator fits its "
               "hidden base parameters to them and projects the plans from your current state.")
scenario = state.current_scenario()


@st.cache_data(max_entries=8, show_spinner="Fitting the hidden parameters (a few seconds)...")
def fitted(key: str, targets: tuple, level: float, margin: float | None, basis: str,
           weeks: int | None) -> tuple[Calibration, Results]:
    base = Scenario.from_json(key)
    if weeks is not None:
        base = base.replace(market__horizon_weeks=weeks)
    calibration = calibrate(base, dict(targets), levels=CapabilityLevels.uniform(level),
                            gross_margin=margin, basis=basis)
    return calibration, project(calibration)


@st.cache_data(max_entries=4, show_spinner="Checking the event log...")
def read_log(digest: str, data: bytes, mapping: tuple, key: str):
    log = validate_events(data, mapping=dict(mapping))
    return log, summarise_log(log, scenario=Scenario.from_json(key))


def show(calibration: Calibration, projection: Results, name: str) -> None:
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
                           file_name=f"{name}_parameters.csv", key=f"{name}_params_csv",
                           on_click="ignore")
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
    a, b, c = st.columns(3)
    targets = {
        "conversion_rate": a.number_input("Conversion rate (first buyers / reached), %", 1.0, 99.0, 55.0,
                                          key="calib_conv") / 100,
        "retention_12m": b.number_input("12-month retention, %", 1.0, 99.9, 55.0, key="calib_ret") / 100,
        "aov": c.number_input(f"Average order value, {scenario.market.currency}", 0.5, 100_000.0, 70.0,
                              key="calib_aov"),
        "purchases_per_customer_year": a.number_input("Purchases per customer per year", 0.05, 200.0,
                                                      3.0, key="calib_freq"),
        "online_share": b.number_input("Channel mix: share of purchases online, %", 0.0, 100.0, 35.0,
                                       key="calib_online") / 100,
    }
    margin = c.number_input("Gross margin, %", 0.0, 100.0, scenario.economics.gross_margin * 100,
                            key="calib_margin") / 100
    if st.button("Calibrate", type="primary", key="calib_run"):
        st.session_state["calib_kpi_args"] = (tuple(targets.items()), level, margin)
    if "calib_kpi_args" in st.session_state:
        goal, lvl, gm = st.session_state["calib_kpi_args"]
        try:
            show(*fitted(scenario.canonical_key(), goal, lvl, gm, "kpi", None), "calibration_kpis")
        except InputError as error:  # targets out of range, or a scenario they make invalid
            st.error("These targets cannot be used:\n"
                     + "".join(f"\n- {fmt.escaped(p)}" for p in error.problems))

with from_log:
    st.markdown(f"A CSV with one row per event and the columns {', '.join(REQUIRED_COLUMNS)} "
                "(event types visit, purchase, return). Large files are sampled by customer.")
    upload = st.file_uploader("Event log (CSV)", type=["csv"], key="calib_upload")
    use_sample = st.checkbox("Use the sample log (simulated from a known scenario)", key="calib_sample")
    with st.expander("Column names in your file"):
        cols = st.columns(len(REQUIRED_COLUMNS))
        mapping = tuple((name, col.text_input(name, name, key=f"calib_map_{name}"))
                        for name, col in zip(REQUIRED_COLUMNS, cols, strict=True))
    data = upload.getvalue() if upload is not None else (SAMPLE_LOG_PATH.read_bytes() if use_sample else None)
    if data is not None:
        try:
            log, summary = read_log(file_digest(data), data, mapping, scenario.canonical_key())
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
        st.subheader("What the log shows")
        kpi_frame = cc.log_kpi_table(summary.kpis)
        st.dataframe(kpi_frame, hide_index=True, width="stretch")
        left, right = st.columns(2)
        left.dataframe(cc.mix_table(summary.mix), hide_index=True, width="stretch")
        right.dataframe(summary.segments, hide_index=True, width="stretch")
        st.download_button("Log KPIs (CSV)", data_csv(kpi_frame), file_name="log_kpis.csv",
                           key="calib_log_csv", on_click="ignore")
        st.download_button("Segments (CSV)", data_csv(summary.segments), file_name="log_segments.csv",
                           key="calib_seg_csv", on_click="ignore")
        if st.button("Calibrate from this log", type="primary", key="calib_log_run"):
            goal = tuple((k, summary.kpis[k]) for k in EVENT_TARGETS)
            st.session_state["calib_log_args"] = (goal, level, summary.weeks)
        if "calib_log_args" in st.session_state:
            goal, lvl, weeks = st.session_state["calib_log_args"]
            try:
                show(*fitted(scenario.canonical_key(), goal, lvl, None, "events", weeks), "calibration_log")
            except InputError as error:
                st.error("The log's KPIs cannot be used:"
                         + "".join(f"\n- {fmt.escaped(p)}" for p in error.problems))
