"""The Streamlit app driven by AppTest: every page renders, sliders move the right numbers,
bad uploads are refused with a specific message, links and downloads carry the scenario.

Every page of the page list (:data:`explorer.page_list.PAGES`, which ``app.py`` builds its
navigation from) renders at the default scenario with its main elements; a page added to the
list without its main elements here fails :func:`test_every_listed_page_has_its_main_elements_declared`.
Elsewhere a small scenario (2,000 people, two years) is passed through the link's query string,
exactly as a shared link would, so each simulated run takes a fraction of a second.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from explorer import background, decision_runs, verdict_view
from explorer.page_list import PAGES as PAGE_LIST
from explorer.page_list import PageSpec
from simulation import Capability, Scenario
from simulation.report.pdf import chromium_path

PAGES = tuple(p.path for p in PAGE_LIST)
KPI_LABELS = ["Conversion (newly reached)", "12-month retention", "Customer lifetime value",
              "NPV after all costs", "Payback"]
TIMEOUT = 60
APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _charts(*names: str) -> tuple[str, ...]:
    """A chart's keys: the chart itself and its HTML and CSV downloads (:func:`explorer.ui.chart`)."""
    return tuple(f"{kind}_{name}" for name in names for kind in ("chart", "html", "csv"))


DECISIONS_CHARTS = ("fan_cumulative_gain", "tornado_npv", "tornado_clv", "shapley", "payback_vs_budget")
"""The Decisions page's charts once its default analyses are known (here or on the Overview)."""
MAIN_ELEMENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    # page -> (its title, keys of the elements it exists to show, at the default scenario)
    "pages/overview.py": ("Omnichannel Strategy Explorer", (
        "verdict", "handover_overview_report", "kpis-multichannel", "kpis-omnichannel", "kpis-custom",
        *_charts("change_vs_multichannel"))),
    "pages/journey.py": ("Journey and funnel", _charts(
        "funnel", "channel_flows_multichannel", "channel_flows_omnichannel", "channel_flows_custom",
        "lost_sales")),
    "pages/value.py": ("Retention and value", (*_charts(
        "cohort_survival", "clv_distribution", "revenue_over_time", "active_customers", "data_silos",
        "selection", "segments", "segment_change", "segment_value"), "value_segment_plan")),
    "pages/investment.py": ("Investment", _charts("cumulative_cash_flow", "payback", "npv")),
    "pages/decisions.py": ("Decisions", (
        "dec_replications", "dec_uncertain", "dec_custom", "dec_range", "dec_population", "dec_split")),
    "pages/compare.py": ("Compare scenarios", ("compare_name", "compare_save", "compare_upload")),
    "pages/calibrate.py": ("Calibrate to your business", (
        "calib_level", "calib_chosen", "calib_run", "calib_upload", "calib_sample", "calib_delimiter",
        "calib_map_customer_id")),
    "pages/evidence.py": ("Evidence", (*_charts("evidence"), "evidence_kinds", "evidence_csv")),
    "pages/method.py": ("Method and assumptions", ("csv_parameters", "glossary")),
}


@pytest.fixture(scope="module")
def small() -> Scenario:
    return Scenario.preset("benchmark_retailer").replace(
        market__population=2000, market__horizon_weeks=104, custom_plan={"inventory": 0.0},
    )


def _open(scenario: Scenario) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["s"] = scenario.to_url_token()
    return at.run()


def _kpis(at: AppTest) -> dict[str, list[str]]:
    """Metric values per strategy column, in card order (multichannel, omnichannel, custom)."""
    metrics = list(at.metric)
    start = next(i for i, m in enumerate(metrics) if m.label == KPI_LABELS[0])
    metrics = metrics[start:]
    assert [m.label for m in metrics[:5]] == KPI_LABELS
    return {strategy: [m.value for m in metrics[5 * i: 5 * i + 5]]
            for i, strategy in enumerate(("multichannel", "omnichannel", "custom"))}


def _scenario(at: AppTest) -> Scenario:
    return at.session_state["scenario"]


@pytest.fixture(scope="module")
def app(small: Scenario) -> AppTest:
    return _open(small)


def test_overview_opens_on_the_linked_scenario_with_three_kpi_cards(app: AppTest, small: Scenario):
    assert not app.exception
    assert _scenario(app) == small
    kpis = _kpis(app)
    assert kpis["multichannel"][4] == "n/a"
    assert all(v.endswith("%") for v in (kpis["omnichannel"][0], kpis["custom"][1]))
    assert len(app.get("plotly_chart")) == 1


@pytest.fixture(scope="module")
def default_app() -> AppTest:
    """The app as a first visitor sees it: no link, so the default preset."""
    return AppTest.from_file(APP, default_timeout=TIMEOUT * 4).run()


def test_every_listed_page_has_its_main_elements_declared():
    assert set(MAIN_ELEMENTS) == set(PAGES)


@pytest.mark.parametrize("page", PAGE_LIST, ids=lambda p: p.url_path)
def test_every_page_renders_at_the_default_scenario_with_its_main_elements(
    default_app: AppTest, page: PageSpec,
):
    at = default_app.switch_page(page.path).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _scenario(at) == Scenario.preset("benchmark_retailer")
    title, keys = MAIN_ELEMENTS[page.path]
    assert at.title[0].value == title  # not another page (a path st.navigation does not know)
    assert any(m.value.startswith("**What this answers:**") for m in at.markdown)
    shown = {getattr(element, "key", None) for element in at.main}
    assert set(keys) <= shown, sorted(set(keys) - shown)
    assert not at.error, [e.value for e in at.error]


def test_every_chart_has_png_export_and_html_and_csv_downloads(small: Scenario):
    at = _open(small)
    for page in PAGES:
        at.switch_page(page).run()
        charts = at.get("plotly_chart")
        expected = sum(key.startswith("chart_") for key in MAIN_ELEMENTS[page][1])
        if page == "pages/decisions.py" and charts:  # the Overview's verdict finished its analyses
            assert background.finished(verdict_view.full_key(small)) is not None
            expected = len(DECISIONS_CHARTS)
            # ... and the break-even map, when an earlier test found where integration stops paying
            expected += decision_runs.known((small.canonical_key(), "believe"))
        assert len(charts) == expected
        for chart in charts:
            config = json.loads(chart.proto.config)
            png = config["toImageButtonOptions"]
            assert png["format"] == "png" and png["scale"] >= 2
            # The camera saves the chart without its provenance line: where the stamped PNG
            # download can be made (Chromium), the camera is replaced by it.
            camera = "toImage" not in config["modeBarButtonsToRemove"]
            assert camera == (chromium_path() is None)
            # The Evidence chart shows the shipped presets, not the session's scenario.
            end = "-published_vs_model" if page == "pages/evidence.py" else f"-seed{small.seed}"
            assert png["filename"].endswith(end)
        downloads = {b.key for b in at.get("download_button")}
        for chart in charts:
            name = chart.key.removeprefix("chart_")
            assert {f"html_{name}", f"csv_{name}", f"png_{name}", f"svg_{name}"} <= downloads, (page, name)


def test_investment_totals_are_a_static_table_of_every_plan(small: Scenario):
    """A static table (row names and heads wrap at phone width, no sideways scroll; the browser
    test measures that) with one column per plan and money shown as text."""
    at = _open(small).switch_page("pages/investment.py").run()
    assert not at.exception and not at.dataframe
    (table,) = at.table
    frame = table.value.map(lambda cell: cell.replace("\\", ""))  # Markdown escapes
    assert list(frame.columns) == ["Multichannel", "Omnichannel", "Your custom plan"]
    # one row per KPI the page lists (service cost joined with the service-request mechanism)
    assert len(frame) == 16 and frame.loc["NPV gain vs multichannel", "Multichannel"] == "baseline"
    assert frame.loc["Service cost"].str.fullmatch(r"[-\u2212]?\$[0-9.]+[kM]").all()  # a cost: negative
    assert frame.loc["Net revenue"].str.fullmatch(r"\$[0-9.]+[kM]").all()


def test_capability_slider_moves_custom_kpis_and_not_multichannel(small: Scenario):
    at = _open(small)
    before = _kpis(at)
    at.slider(key="p__custom_plan__inventory").set_value(100).run()
    assert not at.exception
    after = _kpis(at)
    assert _scenario(at).custom_plan.inventory == 1.0
    assert after["custom"] != before["custom"]
    assert after["multichannel"] == before["multichannel"]
    assert after["omnichannel"] == before["omnichannel"]


def test_slider_change_is_carried_by_the_link(small: Scenario):
    at = _open(small)
    at.slider(key="p__custom_plan__service").set_value(0).run()
    token = at.query_params["s"]
    token = token[0] if isinstance(token, list) else token
    assert Scenario.from_url_token(token).custom_plan.service == 0.0


@pytest.mark.parametrize(("content", "expected"), [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "must be one JSON object"),
    (b'{"market": {"population": 5}}', "market.population: 5 is below 100"),
    (b'{"market": {"horizon_weeks": 104}, "colour": "blue"}', "colour: is not a known parameter"),
    (b"\xff\xfe\x00", "not valid UTF-16"),
    (b"PK\x03\x04rest", "Excel"),
    (b"[" * 5000, "nests 5000 levels deep"),
])
def test_bad_upload_shows_a_specific_error_and_keeps_the_scenario(
    small: Scenario, content: bytes, expected: str,
):
    at = _open(small)
    before = _kpis(at)
    at.file_uploader(key="upload_scenario").set_value(("bad.json", content, "application/json"))
    at.run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error).replace("\\", "")  # Markdown escapes
    assert "bad.json" in errors and expected in errors
    assert _scenario(at) == small
    assert _kpis(at) == before


def test_good_upload_restores_scenario_and_sliders(small: Scenario):
    at = _open(small)
    saved = small.replace(seed=7, custom_plan={"identity": 0.25})
    at.file_uploader(key="upload_scenario").set_value(
        ("mine.json", saved.to_json().encode(), "application/json"))
    at.run()
    assert not at.exception
    assert _scenario(at) == saved
    assert at.slider(key="p__custom_plan__identity").value == 25
    assert any("Restored scenario" in s.value for s in at.success)


def test_invalid_assumption_is_reported_and_last_valid_scenario_stays(small: Scenario):
    at = _open(small)
    group = "group_segment_store_first"
    at.session_state[group] = True  # open the expander (lazy content)
    at.run()
    at.number_input(key="p__segments__0__share").set_value(0.9).run()
    assert not at.exception
    assert "shares add up to" in " ".join(e.value for e in at.sidebar.error)
    assert _scenario(at) == small


def test_seed_is_settable_and_recorded_in_the_scenario(small: Scenario):
    at = _open(small)
    at.number_input(key="p__seed").set_value(12345).run()
    assert not at.exception
    assert _scenario(at).seed == 12345


def test_damaged_link_falls_back_to_the_default_preset_with_a_message():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["s"] = "not-a-scenario"
    at.run()
    assert not at.exception
    assert "could not be opened" in " ".join(e.value for e in at.error)
    assert _scenario(at) == Scenario.preset("benchmark_retailer")


def test_extreme_settings_render_without_traceback(small: Scenario):
    at = _open(small.replace(market__population=500))
    at.slider(key="p__market__horizon_weeks").set_value(8).run()
    at.slider(key="p__economics__gross_margin").set_value(0).run()
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
    at.switch_page("pages/overview.py").run()
    assert _scenario(at).market.horizon_weeks == 8
    assert _kpis(at)["custom"][1] == "n/a"  # no customer can be observed for 12 months


def test_integration_cost_slider_scales_every_capability_cost(small: Scenario):
    at = _open(small)
    at.select_slider(key="integration_cost_total").set_value(4_000_000.0).run()
    assert not at.exception
    costs = _scenario(at).capability_costs
    base = small.capability_costs
    stores = small.business.stores
    factor = 4_000_000.0 / sum(base.of(c).one_off_cost + base.of(c).one_off_per_store * stores
                               for c in Capability)
    for cap in Capability:
        for part in ("one_off_cost", "one_off_per_store", "running_cost_weekly", "cost_per_order"):
            assert getattr(costs.of(cap), part) == pytest.approx(getattr(base.of(cap), part) * factor)
    assert at.select_slider(key="integration_cost_total").value == pytest.approx(4_000_000.0)


def _preset_box(at: AppTest) -> Any:
    """The preset box: key "preset" while it names a preset, "preset_custom" while it says Custom."""
    return next(b for b in at.selectbox if b.key in ("preset", "preset_custom"))


def test_choosing_a_preset_replaces_the_scenario_and_refills_the_sliders(small: Scenario):
    at = _open(small)
    other = next(n for n in _preset_box(at).options
                 if n != "Benchmark retailer" and not n.startswith("Custom"))
    name = other.lower().replace(" ", "_")
    _preset_box(at).set_value(name).run()
    assert not at.exception
    chosen = Scenario.preset(name)
    assert _scenario(at) == chosen
    assert at.slider(key="p__custom_plan__identity").value == round(chosen.custom_plan.identity * 100)


def test_a_stale_preset_arriving_with_a_slider_move_does_not_undo_the_move(small: Scenario):
    """The browser may send its next slider move, or a fragment's rerun, before drawing the box's
    switch to Custom; those runs then also report the old preset. The move stands (in CI the
    slider jumped back to 0): the box is another widget while it shows Custom."""
    at = _open(Scenario.preset("benchmark_retailer").replace(market__population=small.market.population))
    at.slider(key="p__custom_plan__inventory").set_value(5).run()
    assert at.selectbox(key="preset_custom").value == "__custom__"
    assert not [b for b in at.selectbox if b.key == "preset"]  # the preset's box is no longer drawn
    at.session_state["preset"] = "benchmark_retailer"  # the old box's stale value, alone
    at.run()
    assert _scenario(at).custom_plan.inventory == 0.05
    at.slider(key="p__custom_plan__inventory").set_value(10)
    at.session_state["preset"] = "benchmark_retailer"  # ... and with the next move
    at.run()
    assert not at.exception
    assert _scenario(at).custom_plan.inventory == 0.10
    assert at.slider(key="p__custom_plan__inventory").value == 10
    at.selectbox(key="preset_custom").set_value("benchmark_retailer").run()  # a real pick, alone
    assert _scenario(at).custom_plan.inventory == Scenario.preset("benchmark_retailer").custom_plan.inventory
    assert at.selectbox(key="preset").value == "benchmark_retailer"


def test_custom_plan_with_nothing_integrated_is_called_the_same_as_multichannel(small: Scenario):
    at = _open(small.replace(custom_plan={c.value: 0.0 for c in Capability}))
    assert not at.exception
    headline = " ".join(m.value for m in at.markdown)
    assert "integrates nothing, so it is the same as multichannel" in headline
    assert "pays back in week 0" not in headline
    custom = list(at.metric)[-5:]  # the custom plan's card comes last
    assert [m.label for m in custom] == KPI_LABELS
    assert custom[-1].value == "n/a"
    # No "+0.0" with a green arrow: every delta says there is no change.
    assert [m.delta for m in custom] == ["no change"] * 4 + ["nothing invested"]


@pytest.mark.parametrize(("edit", "shows_custom"), [(False, False), (True, True)])
def test_preset_box_names_the_preset_only_while_the_scenario_is_that_preset(edit: bool, shows_custom: bool):
    scenario = Scenario.preset("fashion")
    if edit:
        scenario = scenario.replace(seed=99)
    at = _open(scenario)
    box = at.selectbox(key="preset_custom" if shows_custom else "preset")
    if shows_custom:
        assert box.value == "__custom__"
        assert "Custom: fashion" in box.format_func(box.value)
    else:
        assert box.value == "fashion"
    at.switch_page("pages/method.py").run()
    box = at.selectbox(key="preset_custom" if shows_custom else "preset")
    assert (box.value == "__custom__") == shows_custom
