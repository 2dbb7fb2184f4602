"""The Streamlit app driven by AppTest: every page renders, sliders move the right numbers,
bad uploads are refused with a specific message, links and downloads carry the scenario.

A small scenario (2,000 people, two years) is passed through the link's query string, exactly as
a shared link would, so each simulated run takes a fraction of a second.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from simulation import Capability, Scenario

PAGES = ("pages/overview.py", "pages/journey.py", "pages/value.py", "pages/investment.py",
         "pages/method.py")
KPI_LABELS = ["Conversion (newly reached)", "12-month retention", "Customer lifetime value",
              "NPV after all costs", "Payback"]
TIMEOUT = 60
APP = str(Path(__file__).resolve().parents[2] / "app.py")


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


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception(app: AppTest, page: str):
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value
    assert any(m.value.startswith("**What this answers:**") for m in app.markdown)


def test_every_chart_has_png_export_and_html_and_csv_downloads(small: Scenario):
    at = _open(small)
    for page in PAGES[:4]:
        at.switch_page(page).run()
        charts = at.get("plotly_chart")
        assert charts
        for chart in charts:
            config = json.loads(chart.proto.config)
            png = config["toImageButtonOptions"]
            assert png["format"] == "png" and png["scale"] >= 2
            assert png["filename"].endswith(f"-seed{small.seed}")
        keys = [b.proto.id for b in at.get("download_button")]
        assert sum("html_" in k for k in keys) == len(charts)
        assert sum("csv_" in k for k in keys) == len(charts)


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


def test_choosing_a_preset_replaces_the_scenario_and_refills_the_sliders(small: Scenario):
    at = _open(small)
    other = next(n for n in at.selectbox(key="preset").options if n != "Benchmark retailer")
    name = other.lower().replace(" ", "_")
    at.selectbox(key="preset").set_value(name).run()
    assert not at.exception
    chosen = Scenario.preset(name)
    assert _scenario(at) == chosen
    assert at.slider(key="p__custom_plan__identity").value == round(chosen.custom_plan.identity * 100)


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
    box = at.selectbox(key="preset")
    if shows_custom:
        assert box.value == "__custom__"
        assert "Custom: fashion" in box.format_func(box.value)
    else:
        assert box.value == "fashion"
    at.switch_page("pages/method.py").run()
    assert (at.selectbox(key="preset").value == "__custom__") == shows_custom
